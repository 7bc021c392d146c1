"""ember.nn.functional activations (as torch.nn.functional).

softmax, log_softmax and gelu are ops with fused rules (``ember/ops/nn_ops.py``); the others
are written from ops.
"""

from __future__ import annotations

import functools
import inspect
import warnings

import ember

from ...ops.nn_ops import _gelu

__all__ = [
    "relu", "relu_", "relu6", "elu", "elu_", "selu", "selu_", "celu", "celu_", "gelu", "silu",
    "mish", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish", "hardshrink", "softshrink",
    "tanhshrink", "threshold", "threshold_", "leaky_relu", "leaky_relu_", "prelu", "rrelu",
    "rrelu_", "glu", "logsigmoid", "softplus", "softsign", "softmin", "softmax", "log_softmax",
    "gumbel_softmax", "sigmoid", "tanh",
]  # fmt: skip


def _inplace(fn):
    """The ``_`` variant of ``fn``: the result written back into the input."""

    def run(input, *args, **kwargs):
        # the math runs on a copy: writing into a tensor the rules saved would break backward
        return input.copy_(fn(input.clone(), *args, **kwargs))

    run.__name__ = fn.__name__ + "_"
    return run


def _inplace_flag(fn):
    """Runs ``fn(..., inplace=True)`` on a copy of the input and writes the result back: the
    rules of the math saved the input, which an in-place write would invalidate."""
    at = list(inspect.signature(fn).parameters).index("inplace")

    @functools.wraps(fn)
    def run(*args, **kwargs):
        if not kwargs.pop("inplace", args[at] if len(args) > at else False):
            return fn(*args[:at], *args[at + 1 :], **kwargs)
        args = list(args[:at])
        input = args[0] if args else kwargs.pop("input")
        return input.copy_(fn(input.clone(), *args[1:], **kwargs))

    return run


def relu(input, inplace=False):
    """``max(x, 0)``.

    >>> F.relu(ember.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return input.relu_() if inplace else ember.relu(input)


def relu_(input):
    return input.relu_()


@_inplace_flag
def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold`` else ``value``."""
    out = ember.where(input > threshold, input, ember.tensor(value, dtype=input.dtype))
    return out


threshold_ = _inplace(threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``clamp(x, min_val, max_val)``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return input.clamp_(min_val, max_val) if inplace else input.clamp(min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


@_inplace_flag
def elu(input, alpha=1.0, inplace=False):
    """``x`` for ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    out = ember.where(input > 0, input, alpha * ember.expm1(input.clamp(max=0)))
    return out


elu_ = _inplace(elu)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@_inplace_flag
def selu(input, inplace=False):
    """``scale * elu(x, alpha)`` with the self-normalizing constants."""
    out = _SELU_SCALE * elu(input, _SELU_ALPHA)
    return out


selu_ = _inplace(selu)


@_inplace_flag
def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    out = ember.where(input > 0, input, alpha * ember.expm1(input.clamp(max=0) / alpha))
    return out


celu_ = _inplace(celu)


def gelu(input, approximate="none"):
    """``x * Phi(x)`` (``approximate='tanh'``: the tanh approximation).

    >>> F.gelu(ember.tensor([0.0, 1.0]))
    tensor([0.0000, 0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _gelu(input, approximate=approximate)


def sigmoid(input):
    return ember.sigmoid(input)


def tanh(input):
    return ember.tanh(input)


@_inplace_flag
def silu(input, inplace=False):
    """``x * sigmoid(x)``."""
    out = input * ember.sigmoid(input)
    return out


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""
    bx = input * beta
    soft = ember.log1p(ember.exp(-bx.abs())) + bx.clamp(min=0)
    return ember.where(bx > threshold, input, soft / beta)


@_inplace_flag
def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    out = input * ember.tanh(softplus(input))
    return out


@_inplace_flag
def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``."""
    out = (input + 3).clamp(0, 6) / 6
    return out


@_inplace_flag
def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``."""
    out = input * (input + 3).clamp(0, 6) / 6
    return out


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd`` else 0."""
    return ember.where(input.abs() > lambd, input, ember.zeros_like(input))


def softshrink(input, lambd=0.5):
    """``x - lambd * sign(x)`` where ``|x| > lambd`` else 0."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {float(lambd)}.")
    return ember.where(input.abs() > lambd, input - lambd * input.sign(), ember.zeros_like(input))


def tanhshrink(input):
    """``x - tanh(x)``."""
    return input - ember.tanh(input)


@_inplace_flag
def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` for ``x > 0`` else ``negative_slope * x``."""
    out = ember.where(input > 0, input, input * negative_slope)
    return out


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def prelu(input, weight):
    """leaky_relu with a learned slope per channel (dim 1)."""
    if weight.numel() != 1:
        c = input.shape[1] if input.ndim >= 2 else 1
        if weight.numel() != c:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {weight.numel()} and channel size = {c}."
            )
        if input.ndim >= 2:
            weight = weight.reshape((c,) + (1,) * (input.ndim - 2))
    return ember.where(input > 0, input, input * weight)


@_inplace_flag
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """leaky_relu with a slope drawn from U(lower, upper) in training, the mean otherwise."""
    if training:
        a = ember.empty_like(input).uniform_(lower, upper)
        out = ember.where(input >= 0, input, input * a)
    else:
        out = leaky_relu(input, (lower + upper) / 2)
    return out


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def glu(input, dim=-1):
    """``a * sigmoid(b)`` for the halves ``a, b`` of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim % input.ndim} is size "
            f"{input.shape[dim]}"
        )
    a, b = input.chunk(2, dim)
    return a * ember.sigmoid(b)


def logsigmoid(input):
    """``log(sigmoid(x))`` = ``-softplus(-x)``, without overflow."""
    return -(ember.log1p(ember.exp(-input.abs())) + (-input).clamp(min=0))


def softsign(input):
    """``x / (1 + |x|)``."""
    return input / (1 + input.abs())


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``.

    >>> F.softmax(ember.tensor([0.0, 0.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return ember.softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-x)``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    return ember.softmax(-input if dtype is None else -input.to(dtype), dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``log(softmax(x))`` along ``dim``, computed without overflow."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return ember.log_softmax(input, dim, dtype=dtype)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """softmax of ``(logits + Gumbel noise) / tau``; ``hard``: one-hot forward, soft gradient."""
    gumbels = -ember.empty_like(logits).exponential_().log()
    y = ember.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y
    index = y.argmax(dim, keepdim=True)
    y_hard = ember.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y.detach() + y
