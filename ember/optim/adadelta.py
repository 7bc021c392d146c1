"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from .._creation import zeros_like
from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    _check_lr,
    _check_nonneg,
    _float,
    _restored_options,
    _run_closure,
    _use_grad_for_differentiable,
    _weight_decay,
    _zero_step,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    For each parameter :math:`\theta` with gradient :math:`g`::

        g = -g if maximize
        g = g + wd * theta
        v = rho * v + (1 - rho) * g**2
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2
        theta = theta - lr * delta

    State per parameter: ``step``, ``square_avg`` (v), ``acc_delta`` (u).

    >>> import ember as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.Adadelta([w])
    >>> w.sum().backward(); opt.step(); w
    tensor([0.9968], requires_grad=True)
    """

    _group_defaults = _restored_options("foreach", "maximize", "differentiable", "capturable")
    _scalar_state = ("step",)

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonneg(eps=eps, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group):
        state["step"] = _zero_step()
        state["square_avg"] = zeros_like(p)
        state["acc_delta"] = zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the loss and returns it."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr, rho = _float(group["lr"]), group["rho"]
            eps, wd = group["eps"], group["weight_decay"]
            for p, grad, state in self._params_with_grads(group):
                v, u = state["square_avg"], state["acc_delta"]
                state["step"].add_(1)
                grad = _weight_decay(p, grad, wd)
                v.mul_(rho).addcmul_(grad, grad, value=1 - rho)
                std = v.add(eps).sqrt_()
                delta = u.add(eps).sqrt_().div_(std).mul_(grad)
                u.mul_(rho).addcmul_(delta, delta, value=1 - rho)
                p.add_(delta, alpha=-lr)
        return loss
