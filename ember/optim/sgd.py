"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    _check_fused,
    _check_lr,
    _restored_options,
    _run_closure,
    _use_grad_for_differentiable,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    For each parameter :math:`\theta` with gradient :math:`g`::

        g = -g if maximize
        g = g + weight_decay * theta
        if momentum != 0:
            b = g                                          (first step)
            b = momentum * b + (1 - dampening) * g         (later steps)
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g

    State per parameter: ``momentum_buffer`` (only when ``momentum != 0``).

    >>> import ember as torch
    >>> w = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.8000, 1.6000], requires_grad=True)
    """

    _group_defaults = _restored_options(
        "nesterov", "maximize", "foreach", "differentiable", fused=False
    )

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float | Tensor = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the loss and returns it."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr, wd = group["lr"], group["weight_decay"]
            momentum, dampening = group["momentum"], group["dampening"]
            nesterov, maximize = group["nesterov"], group["maximize"]
            params = [p for p in group["params"] if p.grad is not None]
            # buffers are read before any update, as torch does (a parameter listed twice
            # starts both of its updates from the same buffer)
            bufs = [self.state[p].get("momentum_buffer") for p in params] if momentum else None
            for i, p in enumerate(params):
                grad = -p.grad if maximize else p.grad
                if wd != 0:
                    grad = grad.add(p, alpha=wd)
                if momentum != 0:
                    buf = bufs[i]
                    if buf is None:
                        buf = bufs[i] = grad.detach().clone()
                    else:
                        buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                    grad = grad.add(buf, alpha=momentum) if nesterov else buf
                _apply_lr(p, grad, lr)
            if momentum != 0:
                for p, buf in zip(params, bufs):
                    self.state[p]["momentum_buffer"] = buf
        return loss


def _apply_lr(p: Tensor, update: Tensor, lr) -> None:
    """``p -= lr * update`` in place; ``lr`` may be a number or a 1-element tensor."""
    if isinstance(lr, Tensor):
        if lr.requires_grad:
            p.addcmul_(update, lr.reshape(()), value=-1)
            return
        lr = lr.item()
    p.add_(update, alpha=-lr)
