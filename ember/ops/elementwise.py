"""Elementwise ops: arithmetic, unary math, comparisons, where, clamp, casts.

Each op: forward over ``xp`` (inputs already promoted to torch's result dtype by the registry),
VJP rules in ember ops (one per input; the engine unbroadcasts), and sweep samples.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .registry import op
from .samples import binary, compare, unary

# -- arithmetic -------------------------------------------------------------------------------


def _no_bool_sub(x, y):
    if x.dtype == np.bool_ and getattr(y, "dtype", type(y)) in (np.bool_, bool):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    if x.dtype == np.bool_ or getattr(y, "dtype", None) == np.bool_:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


@op(promote="common", inplace=True, onnx="Add", samples=binary(alpha=None))
def add(xp, x, y, *, alpha=None):
    if alpha is not None and alpha != 1:
        y = y * alpha
    return xp.add(x, y)


add.defvjp(
    lambda grad, out, x, y, alpha=None: grad,
    lambda grad, out, x, y, alpha=None: grad if alpha is None or alpha == 1 else grad * alpha,
)


@op(promote="common", inplace=True, onnx="Sub", samples=binary())
def sub(xp, x, y, *, alpha=None):
    _no_bool_sub(x, y)
    if alpha is not None and alpha != 1:
        y = y * alpha
    return xp.subtract(x, y)


sub.defvjp(
    lambda grad, out, x, y, alpha=None: grad,
    lambda grad, out, x, y, alpha=None: -grad if alpha is None or alpha == 1 else grad * -alpha,
)


@op(promote="common", method=True, grad_name=lambda a, p: "RsubBackward1"
    if not hasattr(a[1], "shape") else "RsubBackward0", samples=binary())  # fmt: skip
def rsub(xp, x, y, *, alpha=None):
    """``y - alpha * x``."""
    _no_bool_sub(x, y)
    if alpha is not None and alpha != 1:
        x = x * alpha
    return xp.subtract(y, x)


rsub.defvjp(
    lambda grad, out, x, y, alpha=None: -grad if alpha is None or alpha == 1 else grad * -alpha,
    lambda grad, out, x, y, alpha=None: grad,
)


@op(promote="common", inplace=True, onnx="Mul", samples=binary())
def mul(xp, x, y):
    return xp.multiply(x, y)


mul.defvjp(
    lambda grad, out, x, y: grad * y,
    lambda grad, out, x, y: grad * x,
)


def _div_forward(xp, x, y, rounding_mode):
    if rounding_mode is None:
        return xp.true_divide(x, y)
    if x.dtype.kind in "iu" and xp.any(y == 0):
        raise RuntimeError("ZeroDivisionError")
    if rounding_mode == "trunc":
        q = xp.true_divide(x, y)
        return xp.trunc(q).astype(x.dtype) if x.dtype.kind in "iu" else xp.trunc(q)
    if rounding_mode == "floor":
        return xp.floor_divide(x, y)
    raise RuntimeError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


def _div_mode(params):
    # with a rounding mode, integer division stays integral
    return "float" if params.get("rounding_mode") is None else "common"


@op(promote=_div_mode, inplace=True, onnx="Div", samples=binary(gap=0.3))
def div(xp, x, y, *, rounding_mode=None):
    return _div_forward(xp, x, y, rounding_mode)


div.defvjp(
    lambda grad, out, x, y, rounding_mode=None: grad / y if rounding_mode is None else grad * 0,
    lambda grad, out, x, y, rounding_mode=None: (
        -grad * out / y if rounding_mode is None else grad * 0
    ),
)


@op(promote="common", inplace=True, torch_name="remainder",
    samples=binary(gap=0.3, low2=0.5, high2=2.0))  # fmt: skip
def remainder(xp, x, y):
    if x.dtype.kind in "iu" and xp.any(xp.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")
    return xp.remainder(x, y)


remainder.defvjp(
    lambda grad, out, x, y: grad,
    lambda grad, out, x, y: grad * -((x - out) / y).round(),
)


@op(promote="common", inplace=True, differentiable=False)
def floor_divide(xp, x, y):
    if x.dtype.kind in "iu" and xp.any(xp.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")
    return xp.floor_divide(x, y)


@op(promote="common", inplace=True, onnx="Pow",
    grad_name=lambda a, p: "PowBackward1" if hasattr(a[1], "shape") and hasattr(a[0], "shape")
    else ("PowBackward0" if hasattr(a[0], "shape") else "PowBackward2"),
    samples=binary(low=0.5, high=2.0, scalars=(2, 0.5, 3.0)))  # fmt: skip
def pow(xp, x, y):
    if getattr(x, "dtype", np.dtype(float)).kind in "iu" and xp.any(xp.asarray(y) < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return xp.power(x, y)


def _pow_grad_x(grad, out, x, y):
    if not hasattr(y, "shape"):
        if y == 0:
            return grad * 0
        return grad * y * x ** (y - 1)
    return where(y == 0, 0.0, grad * y * x ** (y - 1))  # noqa: F821 - defined below


def _pow_grad_y(grad, out, x, y):
    if not hasattr(x, "shape"):
        return grad * out * float(np.log(x)) if x != 0 else grad * 0
    return where((x == 0) & (y >= 0), 0.0, grad * out * x.log())


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
    return xp.abs(x)


abs.defvjp(lambda grad, out, x: grad * x.sign())


@op(promote="common", inplace=True, onnx="Sign", samples=unary(gap=0.1))
def sign(xp, x):
    return xp.sign(x)


sign.defvjp(lambda grad, out, x: grad * 0)


exp = _unary_float("exp", lambda xp, x: xp.exp(x), lambda grad, out, x: grad * out, "Exp")
log = _unary_float("log", lambda xp, x: xp.log(x), lambda grad, out, x: grad / x, "Log",
                   unary(0.1, 3.0))  # fmt: skip
sqrt = _unary_float("sqrt", lambda xp, x: xp.sqrt(x), lambda grad, out, x: grad / (2 * out),
                    "Sqrt", unary(0.1, 3.0))  # fmt: skip
sin = _unary_float("sin", lambda xp, x: xp.sin(x), lambda grad, out, x: grad * x.cos(), "Sin")
cos = _unary_float("cos", lambda xp, x: xp.cos(x), lambda grad, out, x: -grad * x.sin(), "Cos")
tanh = _unary_float("tanh", lambda xp, x: xp.tanh(x), lambda grad, out, x: grad * (1 - out * out),
                    "Tanh")  # fmt: skip
reciprocal = _unary_float("reciprocal", lambda xp, x: xp.reciprocal(x),
                          lambda grad, out, x: -grad * out * out, "Reciprocal",
                          unary(gap=0.3))  # fmt: skip


def _sigmoid(xp, x):
    # 1 / (1 + exp(-x)) overflows for large negative x in float32; this form does not
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


sigmoid = _unary_float("sigmoid", _sigmoid, lambda grad, out, x: grad * out * (1 - out),
                       "Sigmoid")  # fmt: skip


@op(inplace=True, onnx="Relu", samples=unary(gap=0.1))
def relu(xp, x):
    if x.dtype == np.bool_:
        raise RuntimeError("\"clamp_min_cpu\" not implemented for 'Bool'")
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


@op(promote="common", inplace=True, onnx="Clip", samples=_clamp_samples,
    grad_name=lambda a, p: "ClampBackward0" if any(hasattr(b, "shape") for b in a[1:])
    else "ClampBackward1")  # fmt: skip
def clamp(xp, x, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
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


clamp.defvjp(
    _clamp_grad_x,
    lambda grad, out, x, min=None, max=None: grad * (x < min),
    lambda grad, out, x, min=None, max=None: grad * (x > max),
)


def _where_samples(rng):
    c = rng.uniform(size=(2, 3)) > 0.5
    return [
        ((c, rng.normal(size=(2, 3)), rng.normal(size=(2, 3))), {}),
        ((c, rng.normal(size=(3,)), rng.normal(size=(2, 1))), {}),
        ((c, rng.normal(size=(2, 3)), 0.0), {}),
    ]


@op(promote="common", promote_args=(1, 2), onnx="Where", samples=_where_samples)
def where(xp, condition, input, other):
    if condition.dtype != np.bool_:
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_torch_name(condition.dtype)}"
        )
    return xp.where(condition, input, other)


where.defvjp(
    None,
    lambda grad, out, condition, input, other: where(condition, grad, 0.0),
    lambda grad, out, condition, input, other: where(condition, 0.0, grad),
)


@op(promote="common", onnx="Max", samples=binary())
def maximum(xp, x, y):
    return xp.maximum(x, y)


@op(promote="common", onnx="Min", samples=binary())
def minimum(xp, x, y):
    return xp.minimum(x, y)


# ties split the gradient evenly, as torch does
maximum.defvjp(
    lambda grad, out, x, y: where(x == y, grad / 2, grad * (x > y)),
    lambda grad, out, x, y: where(x == y, grad / 2, grad * (y > x)),
)
minimum.defvjp(
    lambda grad, out, x, y: where(x == y, grad / 2, grad * (x < y)),
    lambda grad, out, x, y: where(x == y, grad / 2, grad * (y < x)),
)


# -- comparisons and logic (no gradients) -----------------------------------------------------


def _compare(name, ufunc, onnx):
    def fwd(xp, x, y):
        return getattr(xp, ufunc)(x, y)

    fwd.__name__ = name
    return op(name, promote="common", inplace=True, differentiable=False, onnx=onnx,
              samples=compare())(fwd)  # fmt: skip


eq = _compare("eq", "equal", "Equal")
ne = _compare("ne", "not_equal", None)
lt = _compare("lt", "less", "Less")
le = _compare("le", "less_equal", "LessOrEqual")
gt = _compare("gt", "greater", "Greater")
ge = _compare("ge", "greater_equal", "GreaterOrEqual")


def _logic(name, ufunc, nin):
    if nin == 1:
        fwd = lambda xp, x: getattr(xp, ufunc)(x)  # noqa: E731
    else:
        fwd = lambda xp, x, y: getattr(xp, ufunc)(x, y)  # noqa: E731
    fwd.__name__ = name
    return op(name, inplace=True, differentiable=False, samples=None)(fwd)


logical_not = _logic("logical_not", "logical_not", 1)
logical_and = _logic("logical_and", "logical_and", 2)
logical_or = _logic("logical_or", "logical_or", 2)
logical_xor = _logic("logical_xor", "logical_xor", 2)


def _bitwise(name, ufunc, nin):
    def check(x):
        if getattr(x, "dtype", np.dtype(int)).kind == "f" or isinstance(x, float):
            raise RuntimeError(f"\"{name}_cpu\" not implemented for 'Float'")

    if nin == 1:

        def fwd(xp, x):
            check(x)
            return getattr(xp, ufunc)(x)
    else:

        def fwd(xp, x, y):
            check(x)
            check(y)
            return getattr(xp, ufunc)(x, y)

    fwd.__name__ = name
    return op(name, promote="common", inplace=True, differentiable=False)(fwd)


bitwise_not = _bitwise("bitwise_not", "invert", 1)
bitwise_and = _bitwise("bitwise_and", "bitwise_and", 2)
bitwise_or = _bitwise("bitwise_or", "bitwise_or", 2)
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor", 2)
bitwise_left_shift = _bitwise("bitwise_left_shift", "left_shift", 2)
bitwise_right_shift = _bitwise("bitwise_right_shift", "right_shift", 2)


# -- copies and casts -------------------------------------------------------------------------


@op(samples=unary(), onnx="Identity")
def clone(xp, x, *, memory_format=None):
    return x.copy()


clone.defvjp(lambda grad, out, x, memory_format=None: grad)


@op(method=False, grad_name="ToCopyBackward0", onnx="Cast")
def _to_dtype(xp, x, *, dtype):
    npd = D.to_numpy_dtype(dtype)
    if x.dtype.kind == "c" and npd.kind != "c":
        x = x.real  # torch warns and drops the imaginary part
    return x.astype(npd)


_to_dtype.defvjp(lambda grad, out, x, dtype: grad)


def _torch_name(npd) -> str:
    from .registry import _tname

    return _tname(D.from_numpy_dtype(npd))
