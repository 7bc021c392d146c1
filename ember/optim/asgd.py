"""ASGD: averaged stochastic gradient descent."""

from __future__ import annotations

from .._creation import tensor as _tensor
from .._creation import zeros_like
from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    _check_lr,
    _check_nonneg,
    _float,
    _get_scalar_dtype,
    _run_closure,
    _use_grad_for_differentiable,
    _zero_step,
)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992), as ``torch.optim.ASGD``.

    For each parameter :math:`\theta` with gradient :math:`g`, at step :math:`t`
    (eta starts at ``lr``, mu at 1)::

        g = -g if maximize
        g = g + wd * theta
        theta = theta * (1 - lambd * eta) - eta * g
        ax = ax + mu * (theta - ax)        (ax = theta while mu == 1)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)

    State per parameter: ``step``, ``eta``, ``mu`` (0-d float32 tensors, as torch) and ``ax``,
    the running average of the parameter.

    >>> import ember as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.ASGD([w], lr=0.1)
    >>> w.sum().backward(); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_nonneg(weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
            for p in group["params"]:
                p_state = self.state.get(p)
                for key in ("step", "eta", "mu") if p_state else ():
                    if not isinstance(p_state[key], Tensor):
                        p_state[key] = _tensor(float(p_state[key]), dtype=_get_scalar_dtype())

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the loss and returns it."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr, lambd, alpha = _float(group["lr"]), group["lambd"], group["alpha"]
            t0, wd = group["t0"], group["weight_decay"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _zero_step()
                    state["eta"] = _tensor(lr, dtype=_get_scalar_dtype())
                    state["mu"] = _tensor(1.0, dtype=_get_scalar_dtype())
                    state["ax"] = zeros_like(p)
                eta_t, mu_t, ax = state["eta"], state["mu"], state["ax"]
                step = state["step"].add_(1).item()
                if group["maximize"]:
                    grad = -grad
                if wd != 0:
                    grad = grad.add(p, alpha=wd)
                eta, mu = eta_t.item(), mu_t.item()
                p.mul_(1 - lambd * eta)
                p.add_(grad, alpha=-eta)
                if mu != 1:
                    ax.add_(p.sub(ax).mul_(mu))
                else:
                    ax.copy_(p)
                # eta and mu are stored rounded to the state dtype, as torch's copy_ does
                eta_t.fill_(lr / ((1 + lambd * lr * step) ** alpha))
                mu_t.fill_(1 / max(1, step - t0))
        return loss
