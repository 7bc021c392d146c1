"""SparseAdam: Adam for sparse gradients (ember has only dense tensors)."""

from __future__ import annotations

from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_betas, _check_lr, _run_closure

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""SparseAdam, as ``torch.optim.SparseAdam``: the constructor and its checks match torch.

    torch's SparseAdam updates only the rows present in a sparse gradient and raises
    ``RuntimeError`` for dense gradients. ember has one layout (strided), so every gradient is
    dense and ``step`` raises that same error whenever a parameter has a gradient; use
    :class:`ember.optim.Adam`. (Listed in docs/api-gaps.md with the other sparse names.)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        complex_params = [
            [i, j]
            for i, group in enumerate(self.param_groups)
            for j, p in enumerate(group["params"])
            if p.is_complex()
        ]
        if complex_params:
            raise ValueError(
                f"Complex params at indices {complex_params}: "
                "SparseAdam does not support complex parameters"
            )

    def step(self, closure=None):
        """Raises ``RuntimeError`` for the first parameter with a (necessarily dense) gradient."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    raise RuntimeError(
                        "SparseAdam does not support dense gradients, please consider Adam instead"
                    )
        return loss
