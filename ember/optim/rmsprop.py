"""RMSprop: gradients scaled by a running root-mean-square (optionally centered, with momentum)."""

from __future__ import annotations

from .._creation import zeros_like
from .._tensor import Tensor
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

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton), as ``torch.optim.RMSprop``.

    For each parameter :math:`\theta` with gradient :math:`g`::

        g = -g if maximize
        g = g + wd * theta
        v = alpha * v + (1 - alpha) * g**2
        if centered:
            a = alpha * a + (1 - alpha) * g
            d = sqrt(v - a**2) + eps
        else:
            d = sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / d
            theta = theta - lr * b
        else:
            theta = theta - lr * g / d

    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b, momentum > 0),
    ``grad_avg`` (a, centered).

    >>> import ember as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.RMSprop([w], lr=0.01)
    >>> w.sum().backward(); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    _group_defaults = _restored_options(
        "momentum", "centered", "foreach", "maximize", "differentiable", "capturable"
    )
    _scalar_state = ("step",)

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group):
        state["step"] = _zero_step()
        state["square_avg"] = zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the loss and returns it."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = _float(group["lr"]), group["alpha"], group["eps"]
            wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p, grad, state in self._params_with_grads(group):
                state["step"].add_(1)
                grad = _weight_decay(p, grad, wd)
                v = state["square_avg"].mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
                if centered:
                    a = state["grad_avg"].lerp_(grad, 1 - alpha)
                    avg = v.addcmul(a, a, value=-1).sqrt_()
                else:
                    avg = v.sqrt()
                avg.add_(eps)
                if momentum > 0:
                    buf = state["momentum_buffer"].mul_(momentum).addcdiv_(grad, avg)
                    p.add_(buf, alpha=-lr)
                else:
                    p.addcdiv_(grad, avg, value=-lr)
        return loss
