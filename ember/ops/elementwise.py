"""Elementwise ops: arithmetic, unary math, comparisons, where, clamp, casts.

Each op: forward over ``xp`` (inputs already promoted to torch's result dtype by the registry),
VJP rules in ember ops (one per input; the engine unbroadcasts), and sweep samples.
"""

from __future__ import annotations

import functools
import numbers
import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from .registry import composite, op
from .samples import binary, booleans, compare, concat, integers, unary, with_kwargs

# -- arithmetic -------------------------------------------------------------------------------


def _quiet(forward):
    """torch returns inf and nan silently where NumPy would warn (x / 0, log(0), exp(1000))."""

    @functools.wraps(forward)  # the registry reads the signature through __wrapped__
    def run(xp, *args, **params):
        with np.errstate(all="ignore"):
            return forward(xp, *args, **params)

    return run


def _is_scalar(a) -> bool:
    return isinstance(a, (numbers.Number, np.generic))


def _conj(v):
    """The complex conjugate, for rules: torch's complex gradients are ``grad * conj(df/dz)``
    for holomorphic ``f``. Real tensors and numbers come back as they are."""
    if isinstance(v, Tensor):
        return v.conj() if v._data.dtype.kind == "c" else v
    return v.conjugate() if isinstance(v, (complex, np.complexfloating)) else v


def _kind(a) -> str:
    """The NumPy dtype kind of an array or scalar input ('b', 'i', 'u', 'f', 'c')."""
    return np.asarray(a).dtype.kind if _is_scalar(a) else a.dtype.kind


def _scaled(xp, x, y, alpha):
    """``alpha * y`` for add/sub, with torch's checks of alpha against the result dtype."""
    if alpha is None:
        return y
    kind = _kind(x if hasattr(x, "shape") and not _is_scalar(x) else y)
    if isinstance(alpha, (bool, np.bool_)) and kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if kind in "biu" and isinstance(alpha, (float, np.floating)):
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )
    if alpha == 1:
        return y
    if kind == "b":
        return xp.logical_and(y, bool(alpha))
    return y * alpha


def _is_bool(a) -> bool:
    if isinstance(a, Tensor):
        return a._data.dtype == np.bool_
    return isinstance(a, bool)  # torch takes np.bool_ as a number here


def _sub_args(input, other, *, alpha=None):
    """torch's sub/rsub signature; bools are refused on the inputs' own dtypes (the forward
    only sees them promoted)."""
    if _is_bool(input) and _is_bool(other):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    if _is_bool(input) or _is_bool(other):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return (input, other), {"alpha": alpha}


def _no_bool(name, x, y):
    """Integer ops that torch does not define when the result dtype is bool (or complex)."""
    if _kind(x) == "b" and _kind(y) == "b":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
    for a in (x, y):
        if not _is_scalar(a) and a.dtype.kind == "c":  # inputs come promoted: one has the dtype
            raise NotImplementedError(
                f"\"{name}_cpu\" not implemented for '{_torch_name(a.dtype)}'"
            )


@op(promote="common", inplace=True, onnx="Add",
    samples=with_kwargs(binary(), {"alpha": 2}, {"alpha": -0.5}))  # fmt: skip
def add(xp, x, y, *, alpha=None):
    return xp.add(x, _scaled(xp, x, y, alpha))  # NumPy adds bools as logical or, as torch


add.defvjp(
    lambda grad, out, x, y, alpha=None: grad,
    lambda grad, out, x, y, alpha=None: (
        grad if alpha is None or alpha == 1 else grad * _conj(alpha)
    ),
)


@op(promote="common", inplace=True, onnx="Sub",
    samples=with_kwargs(binary(), {"alpha": 2}, {"alpha": -0.5}))  # fmt: skip
def sub(xp, x, y, *, alpha=None):
    return xp.subtract(x, _scaled(xp, x, y, alpha))


sub.parser(_sub_args)

sub.defvjp(
    lambda grad, out, x, y, alpha=None: grad,
    lambda grad, out, x, y, alpha=None: (
        -grad if alpha is None or alpha == 1 else grad * _conj(-alpha)
    ),
)


@op(promote="common", method=True, grad_name=lambda a, p: "RsubBackward0"
    if isinstance(a[1], Tensor) else "RsubBackward1",
    samples=with_kwargs(binary(), {"alpha": 2}))  # fmt: skip
def rsub(xp, x, y, *, alpha=None):
    """``y - alpha * x``."""
    return xp.subtract(y, _scaled(xp, x, x, alpha))


rsub.parser(_sub_args)

rsub.defvjp(
    lambda grad, out, x, y, alpha=None: (
        -grad if alpha is None or alpha == 1 else grad * _conj(-alpha)
    ),
    lambda grad, out, x, y, alpha=None: grad,
)


@op(promote="common", inplace=True, onnx="Mul", samples=binary())
def mul(xp, x, y):
    return xp.multiply(x, y)


mul.defvjp(
    lambda grad, out, x, y: grad * _conj(y),
    lambda grad, out, x, y: grad * _conj(x),
)


def _int_zero_division(xp, x, y):
    # torch raises only for an element it computes: an empty result divides nothing
    if (
        _kind(x) in "biu"
        and _kind(y) in "biu"
        and getattr(x, "size", 1)
        and xp.any(xp.asarray(y) == 0)
    ):
        raise RuntimeError("ZeroDivisionError")


def _div_forward(xp, x, y, rounding_mode):
    if rounding_mode is None:
        return xp.true_divide(x, y)
    if rounding_mode in ("trunc", "floor"):
        _no_bool(f"div_{rounding_mode}", x, y)
    _int_zero_division(xp, x, y)
    if rounding_mode == "trunc":
        if _kind(x) in "iu" and _kind(y) in "iu":  # exact, where float division would round
            q = xp.floor_divide(x, y)
            return q + ((q < 0) & (q * y != x))
        return xp.trunc(xp.true_divide(x, y))
    if rounding_mode == "floor":
        return xp.floor_divide(x, y)
    raise RuntimeError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


def _div_mode(params):
    # with a rounding mode, integer division stays integral
    return "float" if params.get("rounding_mode") is None else "common"


def _div_samples(rng):
    floats = binary(gap=0.3)(rng)
    ints = integers(nonzero=True, scalars=(3, -2))(rng)
    out = floats + ints
    for mode in ("trunc", "floor"):
        out += [(a, {"rounding_mode": mode}) for a, _ in floats[:2] + floats[-1:] + ints]
    return out


@op(promote=_div_mode, inplace=True, onnx="Div", samples=_div_samples,
    grad_name=lambda a, p: "DivBackward2" if "rounding_mode" in p else "DivBackward0")  # fmt: skip
@_quiet
def div(xp, x, y, *, rounding_mode=None):
    return _div_forward(xp, x, y, rounding_mode)


div.defvjp(
    lambda grad, out, x, y, rounding_mode=None: (
        grad / _conj(y) if rounding_mode is None else grad * 0
    ),
    # from x and y, not out (as torch): a later in-place write to out must not break backward
    lambda grad, out, x, y, rounding_mode=None: (
        -grad * _conj(x / (y * y)) if rounding_mode is None else grad * 0
    ),
)


@op(promote="common", inplace=True, torch_name="remainder",
    grad_name=lambda a, p: "RemainderBackward" + ("1" if isinstance(a[1], Tensor) else "0"),
    samples=concat(binary(gap=0.3, low2=0.5, high2=2.0), integers(nonzero=True, scalars=(3, -2))),
)  # fmt: skip
@_quiet
def remainder(xp, x, y):
    _no_bool("remainder", x, y)
    _int_zero_division(xp, x, y)
    return xp.remainder(x, y)


remainder.defvjp(
    lambda grad, out, x, y: grad,
    lambda grad, out, x, y: -grad * div(x, y, rounding_mode="floor"),
)


@op(promote="common", inplace=True, differentiable=False,
    samples=concat(binary(gap=0.3), integers(nonzero=True, scalars=(3, -2))))  # fmt: skip
@_quiet
def floor_divide(xp, x, y):
    _no_bool("div_floor", x, y)
    _int_zero_division(xp, x, y)
    return xp.floor_divide(x, y)


def _pow_samples(rng):
    out = binary(low=0.5, high=2.0, scalars=(2, 0.5, 3.0, 0))(rng)
    base = rng.integers(-3, 4, (2, 3))
    out += [((2.5, rng.uniform(-1, 1, (2, 3))), {}), ((base, rng.integers(0, 4, (3,))), {}),
            ((base, 2), {}), ((base, 0.5), {}), ((base.astype(np.float64), 3), {}),
            ((rng.uniform(0.5, 2, (2, 3)), rng.integers(-2, 3, (3,))), {})]  # fmt: skip
    return out


@op(promote="common", inplace=True, onnx="Pow",
    grad_name=lambda a, p: "PowBackward1" if isinstance(a[1], Tensor) and isinstance(a[0], Tensor)
    else ("PowBackward0" if isinstance(a[0], Tensor) else "PowBackward2"),
    samples=_pow_samples)  # fmt: skip
@_quiet
def pow(xp, x, y):
    kx, ky = _kind(x), _kind(y)
    if kx == "b" and ky == "b":
        if _is_scalar(y) and y and not _is_scalar(x):
            return x.copy()  # torch's pow(tensor, 1) is a copy, so bool ** True works
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if kx in "biu" and ky in "biu":
        if _is_scalar(y):
            if y < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
        elif xp.any(y < 0):  # a tensor exponent: torch computes 1/x**n in integers
            r = xp.power(x, xp.where(y < 0, 0, y))
            inv = xp.where(x == 1, 1, xp.where(x == -1, 1 - 2 * (y % 2), 0))
            return xp.where(y < 0, inv, r).astype(r.dtype)
    if _is_scalar(y) and y in (3, -2, -0.5) and getattr(x, "dtype", None) in _F32_F64:
        # torch's kernel special-cases these exponents; the products are its exact values
        # (powf differs by an ulp) and ~100x faster than NumPy's power on negative bases
        if y == 3:
            return x * x * x
        return 1 / (x * x) if y == -2 else 1 / xp.sqrt(x)
    return xp.power(x, y)


_F32_F64 = (np.dtype(np.float32), np.dtype(np.float64))


def _pow_grad_x(grad, out, x, y):
    if not isinstance(y, Tensor):
        if y == 0:
            return grad * 0
        return grad * _conj(y * x ** (y - 1))
    # y == 0 takes x ** 1 (times y: 0) rather than 0 * x ** -1, which is nan at x == 0 (and
    # would be in double backward under the mask); the mask gives 0 at x = inf too, as torch
    d = grad * _conj(y * x ** where(y == 0, 1, y - 1))  # noqa: F821 - defined below
    return where(y == 0, 0.0, d)  # noqa: F821


def _pow_grad_y(grad, out, x, y):
    # x ** y again rather than out: reading out would save it for x ** scalar too (the registry
    # saves what any rule reads), and torch lets x.pow_(2) be written in place afterwards
    if not isinstance(x, Tensor):
        if x == 0:
            return grad * 0
        with np.errstate(all="ignore"):
            log_x = np.log(x).item()  # a complex base keeps its complex log
        return grad * _conj(x**y * log_x)
    if y.is_complex():
        from .pointwise import imag, real

        zero = (x == 0) & (imag(y) == 0) & (real(y) >= 0)
    else:
        zero = (x == 0) & (y >= 0)
    safe = where(zero, 1.0, x)  # keeps 0 * log(0) = nan (and NumPy's warning) out of the masked
    if y.is_complex() and not x.is_complex():
        safe = safe.to(D.promote_types(x.dtype, y.dtype))  # as torch: a complex log of x < 0
    return where(zero, 0.0, grad * _conj(safe**y * safe.log()))


pow.defvjp(_pow_grad_x, _pow_grad_y)


# -- unary math -------------------------------------------------------------------------------


def _unary_float(name, fn, rule, onnx=None, samples=None):
    o = op(name, promote="float", inplace=True, onnx=onnx, samples=samples or unary())(fn)
    o.defvjp(rule)
    return o


@op(promote="common", inplace=True, onnx="Neg", samples=unary())
def neg(xp, x):
    if x.dtype == np.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return xp.negative(x)


neg.defvjp(lambda grad, out, x: -grad)


@op(promote="common", inplace=True, onnx="Abs", samples=unary(gap=0.1))
def abs(xp, x):
    if x.dtype == np.bool_:
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return xp.abs(x)


abs.defvjp(lambda grad, out, x: grad * x.sgn())  # sgn: z / |z| for complex, sign for real


@op(promote="common", inplace=True, onnx="Sign", samples=unary(gap=0.1))
def sign(xp, x):
    if x.dtype.kind == "c":
        raise NotImplementedError(
            "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
            "torch.sgn instead."
        )
    return x.copy() if x.dtype == np.bool_ else _sign(xp, x)


def _sign(xp, x):
    s = xp.sign(x)
    return xp.where(xp.isnan(s), 0, s) if x.dtype.kind in "fV" else s  # torch: sign(nan) is 0


sign.defvjp(lambda grad, out, x: grad * 0)


# complex inputs: the gradient is grad * conj(f'(z)), as torch
exp = _unary_float("exp", _quiet(lambda xp, x: xp.exp(x)),
                   lambda grad, out, x: grad * _conj(out), "Exp")  # fmt: skip
log = _unary_float("log", _quiet(lambda xp, x: xp.log(x)), lambda grad, out, x: grad / _conj(x),
                   "Log", unary(0.1, 3.0))  # fmt: skip
sqrt = _unary_float("sqrt", _quiet(lambda xp, x: xp.sqrt(x)),
                    lambda grad, out, x: grad / (2 * _conj(out)), "Sqrt",
                    unary(0.1, 3.0))  # fmt: skip
sin = _unary_float("sin", lambda xp, x: xp.sin(x),
                   lambda grad, out, x: grad * _conj(x.cos()), "Sin")  # fmt: skip
cos = _unary_float("cos", lambda xp, x: xp.cos(x),
                   lambda grad, out, x: -grad * _conj(x.sin()), "Cos")  # fmt: skip
tanh = _unary_float("tanh", lambda xp, x: xp.tanh(x),
                    lambda grad, out, x: _tanh_backward(grad, out), "Tanh")  # fmt: skip
reciprocal = _unary_float("reciprocal", _quiet(lambda xp, x: xp.reciprocal(x)),
                          lambda grad, out, x: -grad * _conj(out * out), "Reciprocal",
                          unary(gap=0.3))  # fmt: skip


def _sigmoid(xp, x):
    if x.dtype.kind == "c":  # only this form can overflow (and warn)
        with np.errstate(all="ignore"):
            return 1 / (1 + xp.exp(-x))
    # 1 / (1 + exp(-x)) overflows for large negative x in float32; this form does not
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


sigmoid = _unary_float("sigmoid", _sigmoid,
                       lambda grad, out, x: _sigmoid_backward(grad, out), "Sigmoid")  # fmt: skip


# Backward of tanh and sigmoid as ops of their own (as torch's tanh_backward): one op instead of
# three in every backward pass, with their own rules for double backward.
@op(method=False, promote="common", grad_name="TanhBackwardBackward0")
def _tanh_backward(xp, grad, out):
    d = 1 - out * out
    return grad * (xp.conj(d) if d.dtype.kind == "c" else d)


# grad * conj(1 - out**2) is linear in grad and antiholomorphic in out
_tanh_backward.defvjp(
    lambda g, o, grad, out: _tanh_backward(g, _conj(out)),
    lambda g, o, grad, out: -2 * _conj(g) * grad * _conj(out),
)
_tanh_backward.samples = binary(low=-0.9, high=0.9, scalars=())
_tanh_backward.check = lambda lib, g, o: _aten(lib, "tanh_backward", _tanh_backward)(g, o)


@op(method=False, promote="common", grad_name="SigmoidBackwardBackward0")
def _sigmoid_backward(xp, grad, out):
    d = out * (1 - out)
    return grad * (xp.conj(d) if d.dtype.kind == "c" else d)


_sigmoid_backward.defvjp(
    lambda g, o, grad, out: _sigmoid_backward(g, _conj(out)),
    lambda g, o, grad, out: _conj(g) * grad * (1 - 2 * _conj(out)),
)
_sigmoid_backward.samples = binary(low=0.05, high=0.95, scalars=())
_sigmoid_backward.check = lambda lib, g, o: _aten(lib, "sigmoid_backward", _sigmoid_backward)(g, o)


def _aten(lib, name, ours):
    """The sweep's oracle for an internal op: torch's aten op of that name, else ours."""
    return getattr(lib.ops.aten, name) if lib.__name__ == "torch" else ours


@op(inplace=True, onnx="Relu", samples=unary(gap=0.1))
def relu(xp, x):
    if x.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    _no_complex_clamp(x)
    return xp.maximum(x, 0, dtype=x.dtype)


relu.defvjp(lambda grad, out, x: grad * (out > 0))


# -- clamp, where, maximum, minimum -----------------------------------------------------------


def _clamp_samples(rng):
    x = rng.uniform(-2, 2, (3, 4))
    return [
        ((x,), {"min": -0.5, "max": 0.7}),
        ((x,), {"min": -0.5}),
        ((x,), {"max": 0.3}),
        ((x, rng.uniform(-1, 0, (4,)), rng.uniform(0.1, 1, (3, 1))), {}),
    ]


def _no_complex_clamp(x):
    if x.dtype.kind == "c":
        raise NotImplementedError("clamp is not supported for complex types")


@op(promote="common", inplace=True, onnx="Clip", samples=_clamp_samples,
    grad_name=lambda a, p: "ClampBackward0" if any(hasattr(b, "shape") for b in a[1:])
    else "ClampBackward1")  # fmt: skip
def clamp(xp, x, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    _no_complex_clamp(x)
    if min is not None:
        x = xp.maximum(x, min)
    if max is not None:
        x = xp.minimum(x, max)
    return x


def _clamp_grad_x(grad, out, x, min=None, max=None):
    mask = None
    if min is not None:
        mask = x >= min
    if max is not None:
        m = x <= max
        mask = m if mask is None else mask & m
    return grad * mask


def _clamp_grad_min(grad, out, x, min=None, max=None):
    mask = x < min
    if max is not None:
        mask = mask & (min <= max)  # min > max: the output is max, min takes no gradient
    return grad * mask


def _clamp_grad_max(grad, out, x, min=None, max=None):
    mask = x > max
    if min is not None:
        mask = mask | (min > max)
    return grad * mask


clamp.defvjp(_clamp_grad_x, _clamp_grad_min, _clamp_grad_max)


def _where_samples(rng):
    c = rng.uniform(size=(2, 3)) > 0.5
    return [
        ((c, rng.normal(size=(2, 3)), rng.normal(size=(2, 3))), {}),
        ((c, rng.normal(size=(3,)), rng.normal(size=(2, 1))), {}),
        ((c, rng.normal(size=(2, 3)), 0.0), {}),
    ]


@op(promote="common", promote_args=(1, 2), onnx="Where", samples=_where_samples)
def where(xp, condition, input, other):
    if condition.dtype == np.uint8:
        warnings.warn(
            "where received a uint8 condition tensor. This behavior is deprecated and will be "
            "removed in a future version of PyTorch. Use a boolean condition instead.",
            UserWarning, stacklevel=4,
        )  # fmt: skip
        condition = condition.astype(bool)
    elif condition.dtype != np.bool_:
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_torch_name(condition.dtype)}"
        )
    out = xp.where(condition, input, other)
    if _is_scalar(input) and _is_scalar(other):  # no tensor to take a dtype from
        s = [D.scalar_dtype(a.item() if isinstance(a, np.generic) else a) for a in (input, other)]
        out = out.astype(D.to_numpy_dtype(D.result_types([], [], s)))
    return out


where.defvjp(
    None,
    lambda grad, out, condition, input, other: where(condition, grad, 0.0),
    lambda grad, out, condition, input, other: where(condition, 0.0, grad),
)
_where = where


@composite("where", method=False)
def where(condition, input=None, other=None):
    """``where(condition, input, other)`` picks elementwise; ``where(condition)`` is
    ``nonzero(condition, as_tuple=True)``, as torch."""
    if input is None and other is None:
        from .index import nonzero

        return nonzero(condition, as_tuple=True)
    return _where(condition, input, other)


def _tensors_only(name, y):
    if not hasattr(y, "shape"):
        raise TypeError(
            f"{name}(): argument 'other' (position 2) must be Tensor, not {type(y).__name__}"
        )


def _no_complex_minmax(name, x):
    if x.dtype.kind == "c":  # inputs come promoted: x has the result dtype
        raise RuntimeError(f"{name} not implemented for complex tensors.")


@op(promote="common", onnx="Max", samples=concat(binary(scalars=()), integers(scalars=())))
def maximum(xp, x, y):
    _tensors_only("maximum", y)
    _no_complex_minmax("maximum", x)
    return xp.maximum(x, y)


@op(promote="common", onnx="Min", samples=concat(binary(scalars=()), integers(scalars=())))
def minimum(xp, x, y):
    _tensors_only("minimum", y)
    _no_complex_minmax("minimum", x)
    return xp.minimum(x, y)


# ties split the gradient evenly and a nan passes it to both, as torch does
maximum.defvjp(
    lambda grad, out, x, y: where(x == y, grad / 2, grad * ~(x < y)),
    lambda grad, out, x, y: where(x == y, grad / 2, grad * ~(y < x)),
)
minimum.defvjp(
    lambda grad, out, x, y: where(x == y, grad / 2, grad * ~(x > y)),
    lambda grad, out, x, y: where(x == y, grad / 2, grad * ~(y > x)),
)


# -- comparisons and logic (no gradients) -----------------------------------------------------


def _compare(name, ufunc, onnx):
    ordered = name not in ("eq", "ne")

    def fwd(xp, x, y):
        if ordered and (x.dtype.kind == "c" or getattr(y, "dtype", x.dtype).kind == "c"):
            kind = x.dtype if x.dtype.kind == "c" else y.dtype
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_torch_name(kind)}'")
        return getattr(xp, ufunc)(x, y)

    fwd.__name__ = name
    return op(name, promote="common", inplace="cast", differentiable=False, onnx=onnx,
              samples=concat(compare(), integers(-2, 3), booleans()))(fwd)  # fmt: skip


eq = _compare("eq", "equal", "Equal")
ne = _compare("ne", "not_equal", None)
lt = _compare("lt", "less", "Less")
le = _compare("le", "less_equal", "LessOrEqual")
gt = _compare("gt", "greater", "Greater")
ge = _compare("ge", "greater_equal", "GreaterOrEqual")


def _logic(name, ufunc, nin):
    if nin == 1:

        def fwd(xp, x):
            return getattr(xp, ufunc)(x)
    else:

        def fwd(xp, x, y):
            _tensors_only(name, y)
            return getattr(xp, ufunc)(x, y)

    fwd.__name__ = name
    samples = concat(
        booleans(nin, scalar=False), integers(-1, 2, scalars=(), unary=nin == 1), _mixed_logic(nin)
    )
    return op(name, inplace="cast", differentiable=False, samples=samples)(fwd)


def _mixed_logic(nin):
    def make(rng):
        x = rng.integers(-1, 2, (2, 3)).astype(np.float64)  # zeros are False
        if nin == 1:
            return [((x,), {})]
        return [((x, rng.uniform(size=(3,)) > 0.5), {}), ((x, rng.integers(-1, 2, (2, 1))), {})]

    return make


logical_not = _logic("logical_not", "logical_not", 1)
logical_and = _logic("logical_and", "logical_and", 2)
logical_or = _logic("logical_or", "logical_or", 2)
logical_xor = _logic("logical_xor", "logical_xor", 2)


def _bitwise(name, ufunc, nin, kernel=None):
    kernel = kernel or name  # torch's kernel name, in its error messages
    shift = "shift" in name

    def check(x):
        if _kind(x) in "fcV":
            dt = x.dtype if hasattr(x, "dtype") else D.to_numpy_dtype(D.get_default_dtype())
            raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{_torch_name(dt)}'")

    if nin == 1:

        def fwd(xp, x):
            check(x)
            return getattr(xp, ufunc)(x)
    else:

        def fwd(xp, x, y):
            check(x)
            check(y)
            if shift:
                _no_bool(kernel, x, y)
            return getattr(xp, ufunc)(x, y)

    fwd.__name__ = name
    samples = integers(0 if shift else -8, 8 if shift else 9, scalars=(3,), unary=nin == 1)
    if not shift:
        samples = concat(samples, booleans(nin))
    return op(name, promote="common", inplace=True, differentiable=False, samples=samples)(fwd)


bitwise_not = _bitwise("bitwise_not", "invert", 1)
bitwise_and = _bitwise("bitwise_and", "bitwise_and", 2)
bitwise_or = _bitwise("bitwise_or", "bitwise_or", 2)
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor", 2)
bitwise_left_shift = _bitwise("bitwise_left_shift", "left_shift", 2, "lshift")
bitwise_right_shift = _bitwise("bitwise_right_shift", "right_shift", 2, "rshift")


# -- copies and casts -------------------------------------------------------------------------


@op(samples=unary(), onnx="Identity")
def clone(xp, x, *, memory_format=None):
    return x.copy()


clone.defvjp(lambda grad, out, x, memory_format=None: grad)


def _to_dtype_samples(rng):
    x = rng.uniform(-3, 3, (2, 3))
    return [((x,), {"dtype": d}) for d in ("float32", "float64", "float16", "int64", "bool")]


@op(method=False, grad_name="ToCopyBackward0", onnx="Cast", samples=_to_dtype_samples)
def _to_dtype(xp, x, *, dtype):
    npd = D.to_numpy_dtype(dtype)
    if x.dtype.kind == "c" and npd.kind != "c":
        x = x.real  # torch warns and drops the imaginary part
    return x.astype(npd)


_to_dtype.defvjp(lambda grad, out, x, dtype: grad)
_to_dtype.check = lambda lib, x, dtype: x.to(getattr(lib, dtype))  # the sweep passes names


def _torch_name(npd) -> str:
    from .registry import _tname

    return _tname(D.from_numpy_dtype(npd))
