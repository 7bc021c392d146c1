"""Adafactor: Adam-like steps with a factored (row x column) second moment."""

from __future__ import annotations

from .._dtype import finfo
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .optimizer import (
    Optimizer,
    ParamsT,
    _get_value,
    _restored_options,
    _run_closure,
    _to_scalar,
    _zero_step,
)

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor, as ``torch.optim.Adafactor`` (Shazeer & Stern, 2018, with torch's changes).

    For each parameter :math:`\theta` (step :math:`t`, gradient :math:`G`)::

        G = -G if maximize
        beta2_hat = 1 - t ** beta2_decay
        rho = min(lr, 1 / sqrt(t))
        alpha = max(eps2, RMS(theta)) * rho            (RMS taken before weight decay)
        theta = theta * (1 - lr * weight_decay)
        if G has 2 or more dims (factored over the last two):
            R = beta2_hat R + (1 - beta2_hat) mean(G * G, dim=-1)      (row factor)
            C = beta2_hat C + (1 - beta2_hat) mean(G * G, dim=-2)      (column factor)
            V = R @ C / max(mean(R, dim=-2), eps1)
        else:
            V = beta2_hat V + (1 - beta2_hat) G * G
        U = G / max(sqrt(V), eps1)
        U = U / max(1, RMS(U) / d)                      (update clipping)
        theta = theta - alpha U

    ``eps1=None`` means the machine epsilon of the parameter's dtype. The running averages
    are written as ``lerp`` towards the new mean with weight ``1 - beta2_hat``.

    Args:
        params: parameters or parameter groups.
        lr (float): the cap on the relative step size ``rho`` and the weight decay factor
            (default: 1e-2).
        beta2_decay (float): decay exponent of ``beta2`` (default: -0.8).
        eps (tuple): ``(eps1, eps2)``: the floor of the denominators, and of the parameter
            scale (default: ``(None, 1e-3)``).
        d (float): clipping threshold of the update's RMS (default: 1.0).
        weight_decay (float): decoupled weight decay (default: 0.0).
        foreach (bool, optional): accepted for torch compatibility; ignored.
        maximize (bool): maximize the objective (default: False).

    State per parameter: ``step`` (a 0-d tensor), and either ``row_var`` and ``col_var``
    (2-D and up) or ``variance`` (vectors and scalars).

    >>> import ember as torch
    >>> w = torch.ones(2, 3, requires_grad=True)
    >>> opt = torch.optim.Adafactor([w])
    >>> (w * w).sum().backward(); opt.step(); w.shape
    ember.Size([2, 3])
    """

    _group_defaults = _restored_options("foreach")
    _scalar_state = ("step",)

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group):
        if len(state) == 0:
            state["step"] = _zero_step()
            grad = p.grad
            if grad.dim() > 1:
                # the factors keep the leading dims; the last two reduce to 1 in turn
                state["row_var"] = grad.new_zeros([*grad.shape[:-1], 1])
                state["col_var"] = grad.new_zeros([*grad.shape[:-2], 1, grad.shape[-1]])
            else:
                state["variance"] = grad.new_zeros(grad.shape)

    @no_grad()
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the loss and returns it."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr = _get_value(_to_scalar(group["lr"]))
            eps1, eps2 = group["eps"]
            beta2_decay, d = group["beta2_decay"], group["d"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in self._checked_params(group, "Adafactor"):
                if eps1 is None:
                    # as torch: the first parameter's dtype sets it for the whole group
                    eps1 = finfo(p.dtype).eps
                grad = p.grad.neg() if maximize else p.grad
                _adafactor_update(p, grad, self.state[p], lr=lr, beta2_decay=beta2_decay,
                                  eps1=eps1, eps2=eps2, d=d, weight_decay=weight_decay)  # fmt: skip
        return loss


def _rms(t: Tensor) -> float:
    return t.norm(2).item() / (t.numel() ** 0.5)


def _adafactor_update(param, grad, state, *, lr, beta2_decay, eps1, eps2, d, weight_decay):
    state["step"] += 1
    step = state["step"].item()
    one_minus_beta2 = step**beta2_decay
    rho = min(lr, 1 / (step**0.5))
    alpha = max(eps2, _rms(param)) * rho

    if weight_decay != 0:
        param.mul_(1 - lr * weight_decay)

    if grad.dim() > 1:
        row_var, col_var = state["row_var"], state["col_var"]
        # mean of G * G along a dim, as a squared norm (no G-sized temporary)
        row_mean = grad.norm(dim=-1, keepdim=True).square_().div_(grad.size(-1))
        row_var.lerp_(row_mean, one_minus_beta2)
        col_mean = grad.norm(dim=-2, keepdim=True).square_().div_(grad.size(-2))
        col_var.lerp_(col_mean, one_minus_beta2)
        var_estimate = row_var @ col_var
        var_estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
    else:
        variance = state["variance"]
        variance.lerp_(grad * grad, one_minus_beta2)
        var_estimate = variance.clone()

    # max(sqrt(V), eps1) as sqrt(max(V, eps1 ** 2))
    update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_().mul_(grad)
    denom = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * d))
    param.add_(update, alpha=-alpha / denom)
