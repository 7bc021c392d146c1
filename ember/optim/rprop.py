"""Rprop: resilient backpropagation, steps sized by the sign history of each coordinate."""

from __future__ import annotations

from .._creation import full_like, zeros_like
from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    _check_lr,
    _float,
    _restored_options,
    _run_closure,
    _use_grad_for_differentiable,
    _zero_step,
)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun, 1993), as ``torch.optim.Rprop``.

    For each coordinate of a parameter :math:`\theta` with gradient :math:`g` (``etas`` =
    (eta-, eta+), ``step_sizes`` = (min, max); the step size starts at ``lr``)::

        g = -g if maximize
        s = g * g_prev
        step_size = clamp(step_size * (eta+ if s > 0, eta- if s < 0, 1 if s == 0), min, max)
        g = 0 where s < 0                  (a sign change: skip this coordinate once)
        theta = theta - sign(g) * step_size
        g_prev = g

    State per parameter: ``step``, ``prev`` (g_prev), ``step_size``.

    >>> import ember as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.Rprop([w], lr=0.1)
    >>> w.sum().backward(); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    _group_defaults = _restored_options("foreach", "maximize", "differentiable", "capturable")
    _scalar_state = ("step",)

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group):
        lr = _float(group["lr"])
        state["step"] = _zero_step()
        state["prev"] = zeros_like(p)
        state["step_size"] = full_like(p.grad, complex(lr, lr) if p.is_complex() else lr)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the loss and returns it."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            eta_minus, eta_plus = group["etas"]
            size_min, size_max = group["step_sizes"]
            for p, grad, state in self._params_with_grads(group):
                prev, step_size = state["prev"], state["step_size"]
                state["step"].add_(1)
                sign = grad.mul(prev).sign()
                shrink = sign < 0
                factor = sign.masked_fill_(sign > 0, eta_plus).masked_fill_(shrink, eta_minus)
                step_size.mul_(factor.masked_fill_(factor == 0, 1)).clamp_(size_min, size_max)
                grad = grad.masked_fill(shrink, 0)
                p.addcmul_(grad.sign(), step_size, value=-1)
                prev.copy_(grad)
        return loss
