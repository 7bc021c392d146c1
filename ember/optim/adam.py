"""Adam (and, with ``decoupled_weight_decay=True``, AdamW)."""

from __future__ import annotations

from .._creation import zeros_like
from .._tensor import Tensor
from ..ops.elementwise import maximum
from .optimizer import (
    Optimizer,
    ParamsT,
    _check,
    _check_fused,
    _float,
    _restored_options,
    _run_closure,
    _to_scalar,
    _use_grad_for_differentiable,
    _weight_decay,
    _zero_step,
)

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam``.

    For each parameter :math:`\theta` with gradient :math:`g`, at step :math:`t`::

        g = -g if maximize
        theta = theta * (1 - lr * wd)      if decoupled_weight_decay   (AdamW)
        g = g + wd * theta                 otherwise (L2 penalty)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = max(v_max, v)              if amsgrad, and v_max replaces v below
        theta = theta - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    State per parameter: ``step`` (0-d float32 tensor), ``exp_avg`` (m), ``exp_avg_sq`` (v),
    ``max_exp_avg_sq`` (amsgrad only).

    >>> import ember as torch
    >>> w = torch.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = torch.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    _group_defaults = _restored_options(
        "amsgrad",
        "maximize",
        "foreach",
        "capturable",
        "differentiable",
        "decoupled_weight_decay",
        "fused",
    )
    _scalar_state = ("step",)

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError(
                "lr as a Tensor is not supported for capturable=False and foreach=True"
            )
        _check(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        b1, b2 = betas
        if not (
            (isinstance(b1, float) and isinstance(b2, float))
            or (isinstance(b1, Tensor) and isinstance(b2, Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, b in enumerate(betas):
            if isinstance(b, Tensor) and foreach and not capturable:
                raise ValueError(
                    f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True"
                )
            if isinstance(b, Tensor) and b.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = {
            "lr": lr,
            "betas": tuple(map(_to_scalar, betas)),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def _init_state(self, state, p, group):
        state["step"] = _zero_step()
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the loss and returns it."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = (_float(b) for b in group["betas"])
            lr, wd, eps = _float(group["lr"]), group["weight_decay"], group["eps"]
            decoupled = group["decoupled_weight_decay"]
            for p, grad, state in self._params_with_grads(group):
                m, v = state["exp_avg"], state["exp_avg_sq"]
                step = state["step"].add_(1).item()
                grad = _weight_decay(p, grad, wd, lr, decoupled)
                m.lerp_(grad, 1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                if group["amsgrad"]:
                    v_max = state["max_exp_avg_sq"]
                    v = v_max.copy_(maximum(v_max, v))
                step_size = lr / (1 - beta1**step)
                denom = (v.sqrt() / (1 - beta2**step) ** 0.5).add_(eps)
                p.addcdiv_(m, denom, value=-step_size)
        return loss
