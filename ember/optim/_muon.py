"""Muon: momentum SGD whose update is orthogonalized by a Newton-Schulz iteration."""

from __future__ import annotations

import math

from .. import _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, ParamsT, _get_value, _run_closure, _to_scalar

__all__ = ["Muon"]

# Keller Jordan's constants (https://kellerjordan.github.io/posts/muon/), as torch
EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def _round_to_bfloat16(x: Tensor) -> Tensor:
    """Each element rounded to the nearest bfloat16 value (ties to even); dtype kept.

    torch runs Muon's Newton-Schulz iteration in bfloat16: every op computes in float32
    and rounds its result to bfloat16. ember computes in float64 and rounds here: to
    float32 first, then keeps the top 16 bits of the float32 pattern, rounding on the 16
    bits dropped (adding 0x7FFF plus the lowest kept bit is round-half-to-even on the bit
    pattern; a carry moves into the exponent, as it should). NaNs are kept as they are.
    """
    x32 = x.to(_dtype.float32)
    bits = x32.view(_dtype.int32)
    bits = (bits + ((bits >> 16) & 1) + 0x7FFF) & -65536  # int32 arithmetic wraps, as C's
    rounded = bits.view(_dtype.float32)
    return rounded.where(x32 == x32, x32).to(x.dtype)


def _zeropower_via_newtonschulz(grad: Tensor, ns_coefficients: tuple[float, float, float],
                                ns_steps: int, eps: float) -> Tensor:  # fmt: skip
    """An approximate orthogonalization ``U S' V^T`` of ``grad = U S V^T`` (``S'`` near 1).

    ``k`` steps of the quintic iteration ``X = a X + (b A + c A A) X`` with ``A = X X^T``,
    started from ``X = G / ||G||_F`` (spectral norm at most 1); the wide orientation is used
    so ``A`` is the smaller Gram matrix. The coefficients maximize the slope at 0, so the
    singular values land in about [0.7, 1.2] rather than converging to exactly 1, which is
    what Muon wants. Every intermediate is rounded to bfloat16, as torch computes it.
    Returns a float64 tensor holding bfloat16 values.
    """
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if len(grad.shape) != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    bf16 = _round_to_bfloat16
    X = bf16(grad.to(_dtype.float64))
    tall = grad.size(0) > grad.size(1)
    if tall:
        X = X.T
    norm = bf16(bf16(X.norm()).clamp(min=eps))
    X = bf16(X / norm)
    for _ in range(ns_steps):
        A = bf16(X @ X.T)
        B = bf16(b * A + c * (A @ A))
        X = bf16(a * X + B @ X)
    return X.T if tall else X


def _adjust_lr(lr: float, adjust_lr_fn: str | None, param_shape) -> float:
    """Scale ``lr`` so updates of different shapes have a comparable RMS."""
    A, B = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, A / B))  # Keller Jordan's
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(A, B))  # Moonshot's: the RMS of an AdamW update
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    r"""Muon, as ``torch.optim.Muon``: for the 2-D weights of hidden layers.

    For each parameter :math:`\theta` (a matrix of shape ``A x B``) with gradient :math:`g`::

        B = mu B + g                  (kept as B.lerp_(g, 1 - mu): a scaled copy of it)
        B~ = g + mu B if nesterov else B          (g.lerp(B, mu))
        O = NS_k^(a,b,c)(B~; eps)      (Newton-Schulz orthogonalization, in bfloat16)
        theta = theta - lr * weight_decay * theta
        theta = theta - AdjustLR(lr; A, B) * O

    ``AdjustLR`` is ``lr * sqrt(max(1, A / B))`` ("original", the default) or
    ``lr * 0.2 * sqrt(max(A, B))`` ("match_rms_adamw").

    Args:
        params: 2-D parameters or parameter groups (biases and embeddings belong to another
            optimizer, e.g. AdamW).
        lr (float): learning rate (default: 1e-3).
        weight_decay (float): decoupled weight decay (default: 0.1).
        momentum (float): momentum factor (default: 0.95).
        nesterov (bool): Nesterov momentum (default: True).
        ns_coefficients (tuple): ``(a, b, c)`` of the iteration
            (default: (3.4445, -4.7750, 2.0315)).
        eps (float): floor of the Frobenius norm that scales the input (default: 1e-7).
        ns_steps (int): Newton-Schulz steps (default: 5).
        adjust_lr_fn (str, optional): ``"original"`` or ``"match_rms_adamw"``.

    State per parameter: ``momentum_buffer``.

    >>> import ember as torch
    >>> w = torch.ones(3, 2, requires_grad=True)
    >>> opt = torch.optim.Muon([w], lr=0.02)
    >>> (w * w).sum().backward(); opt.step(); w.shape
    ember.Size([3, 2])
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B, DEFAULT_C),
        eps: float = EPS,
        ns_steps: int = DEFAULT_NS_STEPS,
        adjust_lr_fn: str | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {
            "lr": lr,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "nesterov": nesterov,
            "ns_coefficients": ns_coefficients,
            "eps": eps,
            "ns_steps": ns_steps,
            "adjust_lr_fn": adjust_lr_fn,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        "Muon only supports 2D parameters whereas we found a parameter "
                        f"with size: {p.size()}"
                    )

    def _init_state(self, state, p, group):
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = p.grad.new_zeros(p.grad.shape)

    @no_grad()
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the loss and returns it."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr = _get_value(_to_scalar(group["lr"]))
            momentum, weight_decay = group["momentum"], group["weight_decay"]
            for p in self._checked_params(group, "Muon"):
                grad = p.grad
                if grad.ndim != 2:
                    raise ValueError("Param gradient must be a 2D matrix")
                buf = self.state[p]["momentum_buffer"]
                buf.lerp_(grad, 1 - momentum)
                update = grad.lerp(buf, momentum) if group["nesterov"] else buf
                update = _zeropower_via_newtonschulz(
                    update, group["ns_coefficients"], group["ns_steps"], group["eps"]
                ).to(p.dtype)
                adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], p.shape)
                p.mul_(1 - lr * weight_decay)
                p.add_(update, alpha=-adjusted_lr)
        return loss
