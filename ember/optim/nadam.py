"""NAdam: Adam with Nesterov momentum (Dozat, 2016)."""

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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, as ``torch.optim.NAdam``.

    For each parameter :math:`\theta` with gradient :math:`g`, at step :math:`t`
    (:math:`\psi` = ``momentum_decay``)::

        g = -g if maximize
        theta = theta * (1 - lr * wd)      if decoupled_weight_decay
        g = g + wd * theta                 otherwise
        mu_t      = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_{t+1}  = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        P_t = P_{t-1} * mu_t               (mu_product, kept as a float32 tensor)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        d = sqrt(v / (1 - beta2**t)) + eps
        theta = theta - lr * (1 - mu_t) / (1 - P_t) * g / d
                      - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d

    State per parameter: ``step``, ``mu_product``, ``exp_avg`` (m), ``exp_avg_sq`` (v).

    >>> import ember as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.NAdam([w], lr=0.1)
    >>> w.sum().backward(); opt.step(); w
    tensor([0.8944], requires_grad=True)
    """

    _group_defaults = _restored_options(
        "maximize", "foreach", "capturable", "differentiable", "decoupled_weight_decay"
    )
    _scalar_state = ("step", "mu_product")

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check(
            lr=lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay
        )
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group):
        state["step"] = _zero_step()
        state["mu_product"] = _tensor(1.0, dtype=_get_scalar_dtype())
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the loss and returns it."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd, eps = _float(group["lr"]), group["weight_decay"], group["eps"]
            psi = group["momentum_decay"]
            for p, grad, state in self._params_with_grads(group):
                m, v = state["exp_avg"], state["exp_avg_sq"]
                step = state["step"].add_(1).item()
                grad = _weight_decay(p, grad, wd, lr, group["decoupled_weight_decay"])
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
                # the running product stays in the state tensor's dtype, as torch rounds it
                mu_product = state["mu_product"].mul_(mu).item()
                m.lerp_(grad, 1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = v.div(1 - beta2**step).sqrt_().add_(eps)
                p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product))
                p.addcdiv_(m, denom, value=-lr * mu_next / (1.0 - mu_product * mu_next))
        return loss
