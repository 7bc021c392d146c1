"""ASGD: averaged stochastic gradient descent."""

from __future__ import annotations

from .._creation import tensor as _tensor
from .._creation import zeros_like
from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    _check,
    _float,
    _get_scalar_dtype,
    _restored_options,
    _run_closure,
    _use_grad_for_differentiable,
    _weight_decay,
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

    _group_defaults = _restored_options("foreach", "maximize", "differentiable", "capturable")
    _scalar_state = ("step", "eta", "mu")

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
        _check(lr=lr, weight_decay=weight_decay)
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

    def _init_state(self, state, p, group):
        state["step"] = _zero_step()
        state["eta"] = _tensor(_float(group["lr"]), dtype=_get_scalar_dtype())
        state["mu"] = _tensor(1.0, dtype=_get_scalar_dtype())
        state["ax"] = zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the loss and returns it."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr, lambd, alpha = _float(group["lr"]), group["lambd"], group["alpha"]
            t0, wd = group["t0"], group["weight_decay"]
            for p, grad, state in self._params_with_grads(group):
                eta_t, mu_t, ax = state["eta"], state["mu"], state["ax"]
                step = state["step"].add_(1).item()
                grad = _weight_decay(p, grad, wd)
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
