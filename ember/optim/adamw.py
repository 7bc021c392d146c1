"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from .._tensor import Tensor
from .adam import Adam
from .optimizer import ParamsT

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter), as ``torch.optim.AdamW``: Adam whose weight decay shrinks
    the parameter directly (``theta *= 1 - lr * weight_decay``) instead of adding to the gradient.

    See :class:`ember.optim.Adam` for the update; the default ``weight_decay`` is 1e-2.

    >>> import ember as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.AdamW([w], lr=0.1)
    >>> w.sum().backward(); opt.step(); w
    tensor([0.8990], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def __setstate__(self, state):
        # as torch: whatever was saved, AdamW's weight decay stays decoupled
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
