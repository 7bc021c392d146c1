"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""

from __future__ import annotations

from .._creation import full_like
from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    _check,
    _check_fused,
    _float,
    _restored_options,
    _run_closure,
    _use_grad_for_differentiable,
    _weight_decay,
    _zero_step,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    For each parameter :math:`\theta` with gradient :math:`g`, at step :math:`t`::

        g = -g if maximize
        g = g + wd * theta
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g**2                       (s starts at initial_accumulator_value)
        theta = theta - clr * g / (sqrt(s) + eps)

    State per parameter (created at construction, as torch does): ``step``, ``sum`` (s).

    >>> import ember as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.Adagrad([w], lr=0.1)
    >>> w.sum().backward(); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    _group_defaults = _restored_options("foreach", "maximize", "differentiable", "fused")
    _scalar_state = ("step",)

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay)
        _check(initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p, group)

    def _init_state(self, state, p, group):
        init = self.defaults["initial_accumulator_value"]  # torch reads the defaults here
        if p.is_complex():
            init = complex(init, init)
        state["step"] = _zero_step()
        state["sum"] = full_like(p, init)

    def _loaded_states(self):
        # as torch: every entry of the state, not only those of the groups' parameters
        return list(self.state.values())

    def share_memory(self) -> None:
        """Kept for torch compatibility: ember's state lives in one process."""
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["sum"].share_memory_()

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the loss and returns it."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr, wd, eps = _float(group["lr"]), group["weight_decay"], group["eps"]
            lr_decay = group["lr_decay"]
            # (state is created here only for a group added after construction)
            for p, grad, state in self._params_with_grads(group):
                step = state["step"].add_(1).item()
                grad = _weight_decay(p, grad, wd)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = state["sum"].addcmul_(grad, grad, value=1)
                p.addcdiv_(grad, s.sqrt().add_(eps), value=-clr)
        return loss
