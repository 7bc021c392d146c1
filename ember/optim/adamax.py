"""Adamax: Adam with an infinity-norm second moment."""

from __future__ import annotations

from .._creation import zeros_like
from .._tensor import Tensor
from ..ops.elementwise import maximum
from .optimizer import (
    Optimizer,
    ParamsT,
    _check,
    _float,
    _restored_options,
    _run_closure,
    _use_grad_for_differentiable,
    _weight_decay,
    _zero_step,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, section 7), as ``torch.optim.Adamax``.

    For each parameter :math:`\theta` with gradient :math:`g`, at step :math:`t`::

        g = -g if maximize
        g = g + wd * theta
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        theta = theta - lr / (1 - beta1**t) * m / u

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_inf`` (u).

    >>> import ember as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.Adamax([w], lr=0.1)
    >>> w.sum().backward(); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    _group_defaults = _restored_options("foreach", "maximize", "differentiable", "capturable")
    _scalar_state = ("step",)

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group):
        state["step"] = _zero_step()
        state["exp_avg"] = zeros_like(p)
        state["exp_inf"] = zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the loss and returns it."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd, eps = _float(group["lr"]), group["weight_decay"], group["eps"]
            for p, grad, state in self._params_with_grads(group):
                m, u = state["exp_avg"], state["exp_inf"]
                step = state["step"].add_(1).item()
                grad = _weight_decay(p, grad, wd)
                m.lerp_(grad, 1 - beta1)
                u.copy_(maximum(u.mul_(beta2), grad.abs().add_(eps)))
                p.addcdiv_(m, u, value=-lr / (1 - beta1**step))
        return loss
