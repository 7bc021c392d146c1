"""Pointwise ops beyond elementwise.py: trigonometry, the exp/log family, rounding, binary float
ops, gcd/lcm, tests of values (isnan, isclose), complex numbers, and torch's aliases.

Each op: a forward over ``xp`` (inputs already promoted when ``promote`` is set), VJP rules in
ember ops and sweep samples. Complex inputs follow torch's convention: the gradient of a
holomorphic ``f`` is ``grad * conj(f'(z))``.

ember has no lazy conjugate bit: ``conj()`` of a complex tensor is a new tensor (torch returns a
view flagged ``is_conj()``), so ``is_conj()`` is always False and ``resolve_conj`` returns its
input.
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from .. import _dtype as D
from .. import return_types
from .._creation import zeros_like
from .._device import to_numpy, xp_of
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from .elementwise import (
    _conj,
    _int_zero_division,
    _is_scalar,
    _no_bool,
    _quiet,
    _sign,
    _tensors_only,
    _torch_name,
    where,
)
from .registry import _CPU_NAME, OPS, _tname, apply_inplace, composite, op
from .registry import no_derivative as _no_derivative
from .samples import booleans, concat, integers, unary
from .shape import select, transpose

_LN2, _LN10 = math.log(2.0), math.log(10.0)


def _not_implemented(kernel, dtype):
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{_torch_name(dtype)}'")


def _complex_samples(low=-2.0, high=2.0, shapes=((2, 3), (4,))):
    """Complex128 samples (forward only in the sweep; tests/test_pointwise.py checks gradients)."""

    def make(rng):
        return [((rng.uniform(low, high, s) + 1j * rng.uniform(low, high, s),), {}) for s in shapes]

    return make


def _ints(low=-5, high=6):
    return integers(low, high, unary=True)


def _pair(low=-2.0, high=2.0, low2=None, high2=None, ints=True):
    """Tensor-tensor samples (ops that refuse a Python number as ``other``)."""
    low2, high2 = (low, high) if low2 is None else (low2, high2)

    def make(rng):
        shapes = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((0, 3), (3,))]
        out = [((rng.uniform(low, high, a), rng.uniform(low2, high2, b)), {}) for a, b in shapes]
        if ints:
            out.append(((rng.integers(-3, 4, (2, 3)), rng.uniform(low2, high2, (3,))), {}))
        return out

    return make


# -- unary float ops: trigonometry, hyperbolic, exp/log --------------------------------------


def _float_op(name, forward, rule, samples, *, onnx=None, grad_name=None):
    """A unary op computed in floating point (integers and bool give the default float dtype)."""

    def fwd(xp, x):
        with np.errstate(all="ignore"):  # torch returns inf/nan silently
            return forward(xp, x)

    fwd.__name__ = name
    o = op(name, promote="float", inplace=True, onnx=onnx, samples=samples, grad_name=grad_name)(
        fwd
    )
    o.defvjp(rule)
    return o


def _float_samples(low=-2.0, high=2.0, clow=None, chigh=None):
    c = _complex_samples(low if clow is None else clow, high if chigh is None else chigh)
    return concat(unary(low, high), _ints(-1, 2), c)


tan = _float_op("tan", lambda xp, x: xp.tan(x), lambda grad, out, x: grad * _conj(1 + out * out),
                _float_samples(-1.2, 1.2), onnx="Tan")  # fmt: skip
asin = _float_op("asin", lambda xp, x: xp.arcsin(x),
                 lambda grad, out, x: grad * _conj((1 - x * x).rsqrt()),
                 _float_samples(-0.9, 0.9), onnx="Asin")  # fmt: skip
acos = _float_op("acos", lambda xp, x: xp.arccos(x),
                 lambda grad, out, x: -grad * _conj((1 - x * x).rsqrt()),
                 _float_samples(-0.9, 0.9), onnx="Acos")  # fmt: skip
atan = _float_op("atan", lambda xp, x: xp.arctan(x), lambda grad, out, x: grad / _conj(1 + x * x),
                 _float_samples(clow=-0.7, chigh=0.7), onnx="Atan")  # fmt: skip
sinh = _float_op("sinh", lambda xp, x: xp.sinh(x), lambda grad, out, x: grad * _conj(x.cosh()),
                 _float_samples(), onnx="Sinh")  # fmt: skip
cosh = _float_op("cosh", lambda xp, x: xp.cosh(x), lambda grad, out, x: grad * _conj(x.sinh()),
                 _float_samples(), onnx="Cosh")  # fmt: skip
asinh = _float_op("asinh", lambda xp, x: xp.arcsinh(x),
                  lambda grad, out, x: grad * _conj((x * x + 1).rsqrt()),
                  _float_samples(clow=-0.7, chigh=0.7), onnx="Asinh")  # fmt: skip


def _acosh_grad(grad, out, x):
    if x.is_complex():  # sqrt(z + 1) * sqrt(z - 1): the branch of acosh itself, as torch
        return grad / _conj((x + 1).sqrt() * (x - 1).sqrt())
    return grad * (x * x - 1).rsqrt()


acosh = _float_op("acosh", lambda xp, x: xp.arccosh(x), _acosh_grad,
                  concat(unary(1.1, 3.0), _ints(1, 4), _complex_samples(1.1, 2.0)),
                  onnx="Acosh")  # fmt: skip
atanh = _float_op("atanh", lambda xp, x: xp.arctanh(x),
                  lambda grad, out, x: grad / _conj(1 - x * x),
                  _float_samples(-0.9, 0.9), onnx="Atanh")  # fmt: skip
exp2 = _float_op("exp2", lambda xp, x: xp.exp2(x) if x.dtype.kind != "c" else 2**x,
                 lambda grad, out, x: grad * _conj(out) * _LN2, _float_samples())  # fmt: skip
expm1 = _float_op("expm1", lambda xp, x: xp.expm1(x), lambda grad, out, x: grad * _conj(out + 1),
                  _float_samples())  # fmt: skip
log2 = _float_op("log2", lambda xp, x: xp.log2(x), lambda grad, out, x: grad / (_conj(x) * _LN2),
                 concat(unary(0.1, 3.0), _ints(0, 5), _complex_samples(0.1, 2.0)))  # fmt: skip
log10 = _float_op("log10", lambda xp, x: xp.log10(x),
                  lambda grad, out, x: grad / (_conj(x) * _LN10),
                  concat(unary(0.1, 3.0), _ints(0, 5), _complex_samples(0.1, 2.0)))  # fmt: skip
log1p = _float_op("log1p", lambda xp, x: xp.log1p(x), lambda grad, out, x: grad / _conj(x + 1),
                  concat(unary(-0.9, 3.0), _ints(-1, 5), _complex_samples(0.1, 2.0)),
                  grad_name="Log1PBackward0")  # fmt: skip
rsqrt = _float_op("rsqrt", lambda xp, x: 1 / xp.sqrt(x),
                  lambda grad, out, x: -0.5 * grad * _conj(out * out * out),
                  concat(unary(0.1, 3.0), _ints(0, 5), _complex_samples(0.1, 2.0)))  # fmt: skip


def _angle_const(name, factor, grad_name):
    def forward(xp, x):
        if x.dtype.kind == "c":
            raise RuntimeError(f"{name} is not supported for complex tensors.")
        return x * factor

    forward.__name__ = name
    return _float_op(name, forward, lambda grad, out, x: grad * factor,
                     concat(unary(-200.0, 200.0), _ints()), grad_name=grad_name)  # fmt: skip


deg2rad = _angle_const("deg2rad", math.pi / 180, "Deg2RadBackward0")
rad2deg = _angle_const("rad2deg", 180 / math.pi, "Rad2DegBackward0")


def _logit_samples(rng):
    return (unary(0.05, 0.95)(rng)
            + [((rng.uniform(0.05, 0.95, (2, 3)),), {"eps": e}) for e in (0.2, -1.0)]
            + [((rng.integers(0, 2, (4,)),), {"eps": 0.1})])  # fmt: skip


@op(promote="float", inplace=True, samples=_logit_samples)
@_quiet
def logit(xp, x, *, eps=None):
    """``log(x / (1 - x))``, with x first clamped into [eps, 1 - eps] when eps is given.

    >>> ember.logit(ember.tensor([0.5, 0.75]))
    tensor([0.0000, 1.0986])
    """
    if x.dtype.kind == "c":
        _not_implemented("logit_cpu", x.dtype)
    if eps is not None and eps >= 0:
        lo, hi = x.dtype.type(eps), x.dtype.type(1 - eps)
        x = xp.where(x < lo, lo, xp.where(x > hi, hi, x))  # torch's order when eps > 0.5
    return xp.log(x / (1 - x))


def _logit_grad(grad, out, x, eps=None):
    d = grad / (x * (1 - x)).abs()  # abs: at x = -0.0 as at 0.0, grad * inf (as torch)
    if eps is None or eps < 0:
        return where((x < 0) | (x > 1), math.nan, d)
    return where((x < eps) | (x > 1 - eps), 0.0, d)


logit.defvjp(_logit_grad)


# -- rounding ---------------------------------------------------------------------------------


def _zero_grad(grad, out, x, **params):
    return zeros_like(grad)


def _rounding(name, ufunc, onnx):
    def forward(xp, x):
        k = x.dtype.kind
        if k == "b":
            _not_implemented(f"{name}_vml_cpu", x.dtype)
        if k == "c":
            raise NotImplementedError(f"{name} is not supported for complex inputs")
        return x.copy() if k in "iu" else getattr(xp, ufunc)(x)

    forward.__name__ = name
    samples = concat(unary(-3.0, 3.0), _ints())
    return op(name, inplace=True, onnx=onnx, samples=samples)(forward).defvjp(_zero_grad)


floor = _rounding("floor", "floor", "Floor")
ceil = _rounding("ceil", "ceil", "Ceil")
trunc = _rounding("trunc", "trunc", None)


def _round_samples(rng):
    x = rng.uniform(-30, 30, (3, 4))
    out = concat(unary(-3.0, 3.0), _ints())(rng)
    return out + [((x,), {"decimals": d}) for d in (0, 1, 2, -1)]


@op(
    "round",
    inplace=True,
    onnx="Round",
    samples=_round_samples,
    grad_name=lambda a, p: "RoundBackward0" if p.get("decimals") is None else "RoundBackward1",
)
def _round(xp, x, *, decimals=None):
    """Round half to even; ``decimals`` digits after the point (negative: before it).

    >>> ember.round(ember.tensor([0.5, 1.5, 1.2345]), decimals=2)
    tensor([0.5000, 1.5000, 1.2300])
    """
    if decimals is not None and (type(decimals) is not int):
        raise TypeError(f"round(): argument 'decimals' must be int, not {type(decimals).__name__}")
    k = x.dtype.kind
    if k in "bc" or (decimals is not None and k in "iu"):
        _not_implemented("round_cpu" if decimals else "round_vml_cpu", x.dtype)
    if k in "iu":
        return x.copy()
    if not decimals:
        return xp.rint(x)
    # as torch: in float (float16 too), times 10**d, nearest even, divided back
    w = x if x.dtype.itemsize >= 4 else x.astype(np.float32)
    with np.errstate(all="ignore"):
        ten = w.dtype.type(10.0 ** builtins.abs(decimals))
        r = xp.rint(w / ten) * ten if decimals < 0 else xp.rint(w * ten) / ten
    return r.astype(x.dtype, copy=False)


_round.defvjp(_zero_grad)


@op(inplace=True, samples=unary(-3.0, 3.0))
def frac(xp, x):
    """``x - trunc(x)``: the fractional part, with the sign of x.

    >>> ember.frac(ember.tensor([1.5, -2.25]))
    tensor([ 0.5000, -0.2500])
    """
    if x.dtype.kind not in "fV":
        _not_implemented("frac_cpu", x.dtype)
    with np.errstate(invalid="ignore"):  # frac(inf) is nan
        return x - xp.trunc(x)


frac.defvjp(lambda grad, out, x: grad)


# -- signs and angles -------------------------------------------------------------------------


@op(inplace=True, samples=concat(unary(gap=0.1), _ints(), booleans(1), _complex_samples()))
def sgn(xp, x):
    """``x / |x|`` for complex x (0 at 0), ``sign(x)`` otherwise.

    >>> ember.sgn(ember.tensor([3 + 4j, 0j]))
    tensor([0.6000+0.8000j, 0.0000+0.0000j])
    """
    if x.dtype.kind == "b":
        return x.copy()
    if x.dtype.kind != "c":
        return _sign(xp, x)
    a = xp.abs(x)
    with np.errstate(invalid="ignore"):  # inf / inf is nan, as torch
        return xp.where(a == 0, 0, x / xp.where(a == 0, 1, a)).astype(x.dtype, copy=False)


def _sgn_grad(grad, out, x):
    if not x.is_complex():
        return zeros_like(grad)
    a = x.abs()
    # f = z / |z|: df/dz = 1 / (2|z|), df/dconj(z) = -sgn**2 / (2|z|)
    g = (grad - out * out * grad.conj()) / (2 * where(a == 0, 1.0, a))
    return where(a == 0, 0.0, g)


sgn.defvjp(_sgn_grad)


@op(differentiable=False, samples=concat(unary(), _ints(), booleans(1)))
def signbit(xp, x):
    """Whether the sign bit is set (True for -0.0 and negative values).

    >>> ember.signbit(ember.tensor([-0.0, 0.0, -1.0]))
    tensor([ True, False,  True])
    """
    k = x.dtype.kind
    if k == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    if k in "bu":
        return xp.zeros(x.shape, dtype=bool)
    return xp.signbit(x) if k != "i" else x < 0


@op(promote="float", samples=concat(unary(), _ints(), booleans(1), _complex_samples()))
def angle(xp, x):
    """The argument of complex values; for real ones pi where x < 0, else 0 (nan stays nan).

    >>> ember.angle(ember.tensor([-1.0, 2.0]))
    tensor([3.1416, 0.0000])
    """
    if x.dtype.kind == "c":
        return xp.angle(x)
    with np.errstate(invalid="ignore"):  # bfloat16 (ml_dtypes) warns comparing nan
        return xp.where(xp.isnan(x), x, xp.where(x < 0, math.pi, 0.0)).astype(x.dtype, copy=False)


def _angle_grad(grad, out, x):
    if not x.is_complex():
        return zeros_like(grad)
    a2 = x.abs() ** 2
    return where(x == 0, 0.0, grad * x / where(a2 == 0, 1.0, a2) * 1j)


angle.defvjp(_angle_grad)


@composite()
def positive(input):
    """``+input``: the input itself (torch refuses bool).

    >>> x = ember.tensor([1.0]); ember.positive(x) is x
    True
    """
    if input.dtype is D.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


@composite()
def square(input):
    """``input ** 2`` (bool gives int64, as torch).

    >>> ember.square(ember.tensor([3]))
    tensor([9])
    """
    return input.pow(2)


# -- binary float ops -------------------------------------------------------------------------


def _float_only(kernel, x):
    """For ops torch defines for floating results only (inputs come promoted: x has the dtype)."""
    if x.dtype.kind not in "fV":
        _not_implemented(kernel, x.dtype)


@op(promote="float", inplace=True, samples=_pair())
@_quiet
def atan2(xp, x, other):
    """The angle of the point (other, x): ``atan(x / other)`` in the right quadrant.

    >>> ember.atan2(ember.tensor([1.0]), ember.tensor([-1.0]))
    tensor([2.3562])
    """
    _tensors_only("atan2", other)
    _float_only("atan2_cpu", x)
    return xp.arctan2(x, other)


def _recip_sq(x, other):
    d = x * x + other * other
    return where(d == 0, 0.0, d.reciprocal())  # as torch: no gradient at (0, 0)


atan2.defvjp(
    lambda grad, out, x, other: grad * other * _recip_sq(x, other),
    lambda grad, out, x, other: -grad * x * _recip_sq(x, other),
)


@op(promote="common", inplace=True, samples=_pair(ints=False))
@_quiet
def hypot(xp, x, other):
    """``sqrt(x**2 + other**2)`` without overflow.

    >>> ember.hypot(ember.tensor([3.0]), ember.tensor([4.0]))
    tensor([5.])
    """
    _tensors_only("hypot", other)
    _float_only("hypot_cpu", x)
    return xp.hypot(x, other)


hypot.defvjp(
    lambda grad, out, x, other: grad * x / out,
    lambda grad, out, x, other: grad * other / out,
)


def _logaddexp_complex(xp, x, y):
    big = x.real >= y.real
    m, n = xp.where(big, x, y), xp.where(big, y, x)
    return m + xp.log1p(xp.exp(n - m))


def _logaddexp_samples(rng):
    c = [rng.uniform(-2, 2, s) + 1j * rng.uniform(-2, 2, s) for s in ((2, 3), (3,))]
    return _pair(-3.0, 3.0, ints=False)(rng) + [((c[0], c[1]), {})]


@op(promote="common", samples=_logaddexp_samples)
@_quiet
def logaddexp(xp, x, other):
    """``log(exp(x) + exp(other))`` without overflow.

    >>> ember.logaddexp(ember.tensor([1000.0]), ember.tensor([1000.0]))
    tensor([1000.6932])
    """
    _tensors_only("logaddexp", other)
    if x.dtype.kind == "c":
        return _logaddexp_complex(xp, x, other)
    _float_only("logaddexp_cpu", x)
    return xp.logaddexp(x, other)


logaddexp.defvjp(
    lambda grad, out, x, other: grad / _conj(1 + (other - x).exp()),
    lambda grad, out, x, other: grad / _conj(1 + (x - other).exp()),
)


@op(promote="common", samples=_pair(-3.0, 3.0, ints=False))
@_quiet
def logaddexp2(xp, x, other):
    """``log2(2**x + 2**other)`` without overflow.

    >>> ember.logaddexp2(ember.tensor([1.0]), ember.tensor([1.0]))
    tensor([2.])
    """
    _tensors_only("logaddexp2", other)
    _float_only("logaddexp2_cpu", x)
    return xp.logaddexp2(x, other)


logaddexp2.defvjp(
    lambda grad, out, x, other: grad / (1 + (other - x).exp2()),
    lambda grad, out, x, other: grad / (1 + (x - other).exp2()),
)


def _copysign_samples(rng):
    x = rng.uniform(-2, 2, (2, 3))
    return _pair()(rng) + [((x, -0.0), {}), ((x, 2), {}), ((rng.integers(-3, 4, (3,)), -1.5), {})]


@op(promote="float", inplace=True, samples=_copysign_samples,
    grad_name=lambda a, p: "CopysignBackward0" if isinstance(a[1], Tensor)
    else "CopysignBackward1")  # fmt: skip
def copysign(xp, x, other):
    """``|x|`` with the sign (bit) of other.

    >>> ember.copysign(ember.tensor([1.0, 2.0]), -0.0)
    tensor([-1., -2.])
    """
    _float_only("copysign_cpu", x)
    return xp.copysign(x, other)


copysign.defvjp(
    lambda grad, out, x, other: grad * where(x == 0, 0.0, out / x),
    lambda grad, out, x, other: zeros_like(other),
)


@op(promote="common", inplace=True, samples=_pair(ints=False))
def nextafter(xp, x, other):
    """The next representable float after x in the direction of other.

    >>> ember.nextafter(ember.tensor([1.0]), ember.tensor([2.0])) - 1
    tensor([1.1921e-07])
    """
    _tensors_only("nextafter", other)
    _float_only("nextafter_cpu", x)
    return xp.nextafter(x, other)


# as torch: x's gradient passes where the output moved off x (where x == other it is other)
nextafter.defvjp(
    lambda grad, out, x, other: where(x == other, 0.0, grad),
    lambda grad, out, x, other: zeros_like(other),
)


def _ldexp_samples(rng):
    # exponents >= 0: torch's gradient of x is wrong for negative integer ones (see the rule)
    x, e = rng.uniform(-2, 2, (2, 3)), rng.integers(0, 4, (2, 3))
    return [((x, e), {}), ((x, e[0].astype(np.int32)), {}), ((x, rng.uniform(-2, 2, (3,))), {}),
            ((e, e[1]), {})]  # fmt: skip


@op(promote="float", inplace=True, samples=_ldexp_samples)
@_quiet
def ldexp(xp, x, other):
    """``x * 2 ** other``.

    >>> ember.ldexp(ember.tensor([1.0]), ember.tensor([3]))
    tensor([8.])
    """
    return x * xp.exp2(other) if other.dtype.kind != "c" else x * 2**other


@ldexp.parser
def _(input, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"ldexp(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")  # fmt: skip
    if other.dtype is D.bool_ and isinstance(input, Tensor) and input.is_floating_point():
        _not_implemented("ldexp_cpu_exp", np.dtype(bool))
    return (input, other), {}


ldexp.defvjp(
    # torch computes 2 ** other in other's dtype, so an integer other < 0 gives x no gradient;
    # ember gives the true one
    lambda grad, out, x, other: grad * _conj(other.exp2()),
    lambda grad, out, x, other: grad * _conj(out) * _LN2,
)


def _fmod_samples(rng):
    x = rng.uniform(-5, 5, (2, 3))
    return [((x, rng.uniform(0.5, 2, (2, 3)) * rng.choice([-1, 1], (2, 3))), {}),
            ((x, rng.uniform(0.5, 2, (3,))), {}), ((x, 1.5), {}), ((x, -2), {}),
            ((rng.integers(-9, 10, (2, 3)), rng.integers(1, 4, (3,))), {}),
            ((rng.integers(-9, 10, (2, 3)), 4), {})]  # fmt: skip


@op(
    promote="common",
    inplace=True,
    samples=_fmod_samples,
    grad_name=lambda a, p: "FmodBackward1" if isinstance(a[1], Tensor) else "FmodBackward0",
)
@_quiet
def fmod(xp, x, other):
    """The C remainder: ``x - trunc(x / other) * other`` (the sign of x).

    >>> ember.fmod(ember.tensor([-5, 5]), 3)
    tensor([-2,  2])
    """
    _no_bool("fmod", x, other)
    _int_zero_division(xp, x, other)
    return xp.fmod(x, other)


fmod.defvjp(
    lambda grad, out, x, other: grad,
    lambda grad, out, x, other: -grad * x.div(other, rounding_mode="trunc"),
)


def _as(v, dt):
    if isinstance(v, Tensor):
        return v.to(dt)
    return complex(v) if dt.is_complex else float(v)


def _float_power_dtype(input, exponent):
    cplx = any(a.is_complex() if isinstance(a, Tensor) else isinstance(a, complex)
               for a in (input, exponent))  # fmt: skip
    return D.complex128 if cplx else D.float64


@composite()
def float_power(input, exponent):
    """``input ** exponent`` in double precision (float64, or complex128 for complex values).

    >>> ember.float_power(ember.tensor([2]), 3)
    tensor([8.], dtype=ember.float64)
    """
    dt = _float_power_dtype(input, exponent)
    return _as(input, dt) ** _as(exponent, dt)


@composite(function=False)
def float_power_(input, exponent):
    dt = _float_power_dtype(input, exponent)
    if input.dtype is not dt:
        raise RuntimeError(f"the base given to float_power_ has dtype {_tname(input.dtype)} but "
                           f"the operation's result requires dtype {_tname(dt)}")  # fmt: skip
    return input.pow_(_as(exponent, dt))


# -- integer ops, nan-aware extremes, one-sided clamps ----------------------------------------


def _gcd_lcm(name, ufunc):
    def forward(xp, x, other):
        _tensors_only(name, other)
        for a in (x, other):
            if a.dtype.kind not in "iu":
                _not_implemented(f"{name}_cpu", a.dtype)
        return getattr(xp, ufunc)(x, other)

    forward.__name__ = name
    zeros = ((np.array([-4, 0, 7, -9]), np.array([6, 0, -14, 0])), {})
    samples = concat(integers(-12, 13, scalars=()), lambda rng: [zeros])
    return op(name, promote="common", inplace=True, differentiable=False, samples=samples)(forward)


gcd = _gcd_lcm("gcd", "gcd")
lcm = _gcd_lcm("lcm", "lcm")


def _fminmax(name, ufunc, keep):
    def forward(xp, x, other):
        _tensors_only(name, other)
        if x.dtype.kind == "c":
            raise RuntimeError(f"{name} not implemented for complex tensors.")
        return getattr(xp, ufunc)(x, other)

    forward.__name__ = name
    samples = concat(_pair(), integers(scalars=()), booleans(scalar=False))
    o = op(name, promote="common", samples=samples)(forward)
    # the gradient goes to x where x wins (ties included) or other is nan, as torch
    o.defvjp(
        lambda grad, out, x, other: where(keep(x, other) | other.isnan(), grad, 0.0),
        lambda grad, out, x, other: where(keep(x, other) | other.isnan(), 0.0, grad),
    )
    return o


fmax = _fminmax("fmax", "fmax", lambda x, y: x >= y)
fmin = _fminmax("fmin", "fmin", lambda x, y: x <= y)


def _clamp_side(name, ufunc, keep, bound_wins):
    def forward(xp, x, bound):
        if x.dtype.kind == "b" and _is_scalar(bound):
            _not_implemented(f"{name}_scalar_cpu", x.dtype)
        if x.dtype.kind == "c":
            if _is_scalar(bound):
                raise NotImplementedError("clamp is not supported for complex types")
            _not_implemented(f"{ufunc}_cpu", x.dtype)
        return getattr(xp, ufunc)(x, bound)

    def samples(rng):
        x = rng.uniform(-2, 2, (3, 4))
        return [((x, 0.3), {}), ((x, -1), {}), ((x, rng.uniform(-1, 1, (4,))), {}),
                ((rng.integers(-3, 4, (5,)), 0.5), {}),
                ((rng.integers(-3, 4, (5,)), 1), {})]  # fmt: skip

    forward.__name__ = name
    base = "".join(p.capitalize() for p in name.split("_"))
    o = op(name, promote="common", inplace=True, samples=samples,
           grad_name=lambda a, p: base + ("Backward1" if isinstance(a[1], Tensor) else "Backward0"),
           )(forward)  # fmt: skip
    # a nan (in x or the bound) gives neither a gradient, as torch
    o.defvjp(
        lambda grad, out, x, bound: where(keep(x, bound), grad, 0.0),
        lambda grad, out, x, bound: where(bound_wins(x, bound), grad, 0.0),
    )
    return o


clamp_min = _clamp_side("clamp_min", "maximum", lambda x, b: x >= b, lambda x, b: x < b)
clamp_max = _clamp_side("clamp_max", "minimum", lambda x, b: x <= b, lambda x, b: x > b)


def _heaviside_samples(rng):
    # float x kept off 0, where finite differences would see the step (the rules raise anyway)
    x = rng.choice([-2.0, -1.0, 1.0, 2.0], (2, 3))
    return [((x, rng.uniform(size=(3,))), {}), ((x, np.array(0.5)), {}),
            ((rng.integers(-2, 3, (4,)), rng.integers(0, 3, (4,))), {})]  # fmt: skip


@op(inplace=True, samples=_heaviside_samples, grad_name="torch::autograd::NotImplemented")
def heaviside(xp, x, values):
    """0 where x < 0, ``values`` where x == 0, 1 where x > 0 (nan gives 0, as torch).

    >>> ember.heaviside(ember.tensor([-1.0, 0.0, 2.0]), ember.tensor([0.5]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    if not hasattr(values, "shape"):
        raise TypeError("heaviside(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")  # fmt: skip
    if x.dtype.kind == "c" or values.dtype.kind == "c":
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if x.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return xp.where(x == 0, values, x > 0).astype(x.dtype, copy=False)


def _detached(name):
    """The sweep's call for ops whose backward torch refuses: forward values only."""

    def call(lib, *args):
        return getattr(lib, name)(*[a.detach() if hasattr(a, "detach") else a for a in args])

    return call


heaviside.defvjp(_no_derivative("heaviside"), _no_derivative("heaviside"))
heaviside.check = _detached("heaviside")


# -- ternary: lerp, addcmul, addcdiv ----------------------------------------------------------


def _lerp_samples(rng):
    x, e = rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (2, 3))
    return [((x, e, 0.3), {}), ((x, e, 0.8), {}), ((x, rng.uniform(-2, 2, (3,)), 2), {}),
            ((x, e, rng.uniform(0, 1, (2, 3))), {}),
            ((x[:, :1], e, rng.uniform(0, 1, (3,))), {})]  # fmt: skip


@op(
    inplace=True,
    samples=_lerp_samples,
    grad_name=lambda a, p: "LerpBackward1" if isinstance(a[2], Tensor) else "LerpBackward0",
)
def lerp(xp, x, end, weight):
    """``x + weight * (end - x)`` (computed from the nearer end, as torch).

    >>> ember.lerp(ember.tensor([0.0]), ember.tensor([10.0]), 0.25)
    tensor([2.5000])
    """
    if not hasattr(end, "shape"):
        raise TypeError(f"lerp(): argument 'end' (position 2) must be Tensor, not "
                        f"{type(end).__name__}")  # fmt: skip
    scalar = _is_scalar(weight)
    if x.dtype.kind not in "fcV":
        _not_implemented("lerp_kernel_scalar" if scalar else "lerp_kernel_tensor", x.dtype)
    for what, a in (("end", end), ("weight", weight)):
        if not _is_scalar(a) and a.dtype != x.dtype:
            raise RuntimeError(f"expected dtype {_CPU_NAME[x.dtype.name]} for `{what}` but got "
                               f"dtype {_CPU_NAME[a.dtype.name]}")  # fmt: skip
    if scalar:
        near = builtins.abs(weight) < 0.5
        return x + weight * (end - x) if near else end - (end - x) * (1 - weight)
    return xp.where(xp.abs(weight) < 0.5, x + weight * (end - x), end - (end - x) * (1 - weight))


lerp.defvjp(
    lambda grad, out, x, end, weight: grad * _conj(1 - weight),
    lambda grad, out, x, end, weight: grad * _conj(weight),
    lambda grad, out, x, end, weight: grad * _conj(end - x),
)


def _addc_samples(rng):
    x, a, b = (rng.uniform(-2, 2, (2, 3)) for _ in range(3))
    ints = rng.integers(-3, 4, (2, 3))
    return [((x, a, b), {}), ((x, a, b), {"value": 0.5}), ((x[0], a, b[:, :1]), {"value": -2}),
            ((ints, ints, ints), {"value": 2}), ((ints, a, ints), {"value": 0.5})]  # fmt: skip


def _addc_check(name, x, t1, t2, value):
    for pos, (what, a) in enumerate((("tensor1", t1), ("tensor2", t2)), 2):
        if not hasattr(a, "shape"):
            raise TypeError(f"{name}(): argument '{what}' (position {pos}) must be Tensor, not "
                            f"{type(a).__name__}")  # fmt: skip
    k = x.dtype.kind
    if k == "b":
        _not_implemented(f"{name}_cpu_out", x.dtype)
    # torch casts value to the result dtype (an integer result truncates it)
    return int(value) if k in "iu" else value


@op(promote="common", inplace=True, samples=_addc_samples)
def addcmul(xp, x, tensor1, tensor2, *, value=1):
    """``x + value * tensor1 * tensor2``.

    >>> ember.addcmul(ember.tensor([1.0]), ember.tensor([2.0]), ember.tensor([3.0]), value=0.5)
    tensor([4.])
    """
    value = _addc_check("addcmul", x, tensor1, tensor2, value)
    return x + value * tensor1 * tensor2


addcmul.defvjp(
    lambda grad, out, x, tensor1, tensor2, value=1: grad,
    lambda grad, out, x, tensor1, tensor2, value=1: grad * _conj(tensor2 * value),
    lambda grad, out, x, tensor1, tensor2, value=1: grad * _conj(tensor1 * value),
)


def _addcdiv_samples(rng):
    x, a = rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (2, 3))
    b = rng.uniform(0.5, 2, (2, 3)) * rng.choice([-1, 1], (2, 3))
    return [((x, a, b), {}), ((x, a, b), {"value": 0.5}), ((x[0], a, b[:, :1]), {"value": -2}),
            ((x, rng.integers(-3, 4, (2, 3)), b), {"value": 2})]  # fmt: skip


@op(promote="common", inplace=True, samples=_addcdiv_samples)
@_quiet
def addcdiv(xp, x, tensor1, tensor2, *, value=1):
    """``x + value * tensor1 / tensor2``.

    >>> ember.addcdiv(ember.tensor([1.0]), ember.tensor([3.0]), ember.tensor([2.0]), value=2)
    tensor([4.])
    """
    value = _addc_check("addcdiv", x, tensor1, tensor2, value)
    return x + value * tensor1 / tensor2


_ADDCDIV_INT = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will "
    "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
    "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
    "behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all "
    "dtypes."
)


@addcdiv.parser
def _(input, tensor1, tensor2, *, value=1):
    # before promotion: integer tensors promoted by a float input must still be refused
    if isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor):
        if tensor1.dtype.category < 2 and tensor2.dtype.category < 2:
            raise RuntimeError(_ADDCDIV_INT)
    return (input, tensor1, tensor2), {"value": value}


addcdiv.defvjp(
    lambda grad, out, x, tensor1, tensor2, value=1: grad,
    lambda grad, out, x, tensor1, tensor2, value=1: grad * _conj(value / tensor2),
    lambda grad, out, x, tensor1, tensor2, value=1: (
        -grad * _conj(value * tensor1 / (tensor2 * tensor2))
    ),
)


# -- tests of values --------------------------------------------------------------------------


def _special_values(rng):
    x = rng.uniform(-2, 2, (3, 4))
    x.flat[::3] = [np.nan, np.inf, -np.inf, -0.0]
    return [((x,), {}), ((rng.integers(-2, 3, (5,)),), {}), ((rng.uniform(size=(4,)) > 0.5,), {})]


def _test_op(name, fn, complex_ok=True, onnx=None):
    def forward(xp, x):
        if not complex_ok and x.dtype.kind == "c":
            raise RuntimeError(f"{name} does not support complex inputs.")
        return fn(xp, x)

    forward.__name__ = name
    samples = concat(_special_values, _complex_samples()) if complex_ok else _special_values
    return op(name, differentiable=False, samples=samples, onnx=onnx)(forward)


def _floats(fn, other):
    """``fn`` for floating and complex arrays; ``other`` (all False / all True) for the rest."""

    def run(xp, x):
        if x.dtype.kind in "fcV":
            return fn(xp, x)
        return xp.full(x.shape, other)

    return run


isnan = _test_op("isnan", _floats(lambda xp, x: xp.isnan(x), False), onnx="IsNaN")
isinf = _test_op("isinf", _floats(lambda xp, x: xp.isinf(x), False), onnx="IsInf")
isfinite = _test_op("isfinite", _floats(lambda xp, x: xp.isfinite(x), True))
isposinf = _test_op("isposinf", _floats(lambda xp, x: x == math.inf, False), complex_ok=False)
isneginf = _test_op("isneginf", _floats(lambda xp, x: x == -math.inf, False), complex_ok=False)
isreal = _test_op(
    "isreal", lambda xp, x: x.imag == 0 if x.dtype.kind == "c" else xp.full(x.shape, True)
)


def _cplx(re, im):
    out = np.empty(re.shape, np.complex128)
    out.real, out.imag = re, im  # re + 1j * im would turn an infinite im into a nan real part
    return out


def _isclose_samples(rng):
    a = rng.uniform(-2, 2, (2, 3))
    b = a + rng.choice([0, 1e-9, 1e-6, 1e-3], (2, 3))
    b[0, 0], a[1, 1], b[1, 1], a[1, 2], b[1, 2] = np.nan, np.nan, np.nan, np.inf, np.inf
    i = rng.integers(-3, 4, (2, 3))
    return [((a, b), {}), ((a, b), {"equal_nan": True}), ((a, b), {"rtol": 1e-3, "atol": 0}),
            ((a, b[0]), {"rtol": 0, "atol": 0}),
            ((i, i + rng.integers(0, 2, (2, 3))), {"atol": 0.5}),
            ((i > 0, i >= 0), {}), ((_cplx(a, b), _cplx(a, a)), {})]  # fmt: skip


@op(differentiable=False, samples=_isclose_samples)
def isclose(xp, x, other, *, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|x - other| <= atol + rtol * |other|`` elementwise (equal infinities are close).

    >>> ember.isclose(ember.tensor([1.0, 2.0]), ember.tensor([1.0 + 1e-9, 2.1]))
    tensor([ True, False])
    """
    _tensors_only("isclose", other)
    if x.dtype != other.dtype:
        raise RuntimeError(f"{_torch_name(x.dtype)} did not match {_torch_name(other.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    close = x == other
    k = x.dtype.kind
    if equal_nan and k in "fcV":
        close |= xp.isnan(x) & xp.isnan(other)
    if rtol == 0 and atol == 0:
        return close
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: not finite, so not close
        if k in "biu":  # torch computes the errors in the default float dtype
            fdt = D.to_numpy_dtype(D.get_default_dtype())
            x, other = x.astype(fdt), other.astype(fdt)
        err = xp.abs(x - other)
        close |= xp.isfinite(err) & (err <= atol + xp.abs(rtol * other))
    return close


@composite()
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element of input is close to other (see isclose), as a Python bool.

    >>> ember.allclose(ember.tensor([1.0]), ember.tensor([1.0 + 1e-9]))
    True
    """
    return bool(isclose(input, other, rtol=rtol, atol=atol, equal_nan=equal_nan).all())


@composite()
def equal(input, other):
    """True when both have the same shape and values (nan is never equal), as a Python bool.

    >>> ember.equal(ember.tensor([1, 2]), ember.tensor([1.0, 2.0]))
    True
    """
    if not isinstance(other, Tensor):
        raise TypeError(f"equal(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")  # fmt: skip
    return input.shape == other.shape and bool((input == other).all())


@composite()
def is_nonzero(input):
    """The truth of a one-element tensor (as ``bool(input)``; nan is nonzero).

    >>> ember.tensor([0.0]).is_nonzero()
    False
    """
    n = input.numel()
    if n != 1:
        raise RuntimeError("Boolean value of Tensor with " + (
            "more than one value is ambiguous" if n else "no values is ambiguous"))  # fmt: skip
    return bool(input.item())


# -- nan_to_num, frexp ------------------------------------------------------------------------


def _nan_to_num_samples(rng):
    x = _special_values(rng)[0][0][0]
    return [((x,), {}), ((x,), {"nan": 1.5, "posinf": 100.0}), ((x,), {"neginf": -7.0}),
            ((rng.integers(-3, 4, (4,)),), {"nan": 0.5}), ((_cplx(x, x[::-1]),), {})]  # fmt: skip


@op(inplace=True, samples=_nan_to_num_samples)
def nan_to_num(xp, x, *, nan=0.0, posinf=None, neginf=None):
    """nan, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0, the
    largest and the lowest finite value of the dtype); integer tensors come back as they are.

    >>> ember.nan_to_num(ember.tensor([float("nan"), float("inf")]))
    tensor([0.0000e+00, 3.4028e+38])
    """
    if x.dtype.kind not in "fcV":
        return x.copy()
    if x.dtype.kind == "c":
        out = xp.empty_like(x)
        out.real = _replace(xp, x.real, nan, posinf, neginf)
        out.imag = _replace(xp, x.imag, nan, posinf, neginf)
        return out
    return _replace(xp, x, nan, posinf, neginf)


def _replace(xp, x, nan, posinf, neginf):
    info = D.finfo(D.from_numpy_dtype(x.dtype))
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    with np.errstate(over="ignore"):  # a value outside the dtype becomes inf, as torch
        vals = [xp.asarray(v).astype(x.dtype) for v in (nan, hi, lo)]
    out = xp.where(xp.isnan(x), vals[0], x)
    out = xp.where(x == math.inf, vals[1], out)
    return xp.where(x == -math.inf, vals[2], out).astype(x.dtype, copy=False)


@nan_to_num.parser
def _(input, nan=0.0, posinf=None, neginf=None):
    if STATE.grad and isinstance(input, Tensor) and input.requires_grad and input.is_complex():
        raise RuntimeError(
            "nan_to_num does not support automatic differentiation for outputs with complex dtype."
        )
    return (input,), {"nan": nan, "posinf": posinf, "neginf": neginf}


nan_to_num.defvjp(lambda grad, out, x, nan=0.0, posinf=None, neginf=None: grad * x.isfinite())


def _frexp_samples(rng):
    return [((rng.uniform(-8, 8, (2, 3)),), {}), ((rng.uniform(-100, 100, (4,)),), {})]


@op(method=False, multi=True, grad_name="FrexpBackward0", samples=_frexp_samples)
def _frexp(xp, x):
    if x.dtype.kind not in "fV":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    if x.dtype.kind == "V":  # bfloat16 (ml_dtypes) through float32: exact
        m, e = xp.frexp(x.astype(np.float32))
        return m.astype(x.dtype), e
    return xp.frexp(x)


_frexp.defvjp(lambda grad, out, x: grad[0] / out[1].exp2())
_frexp.check = lambda lib, x: lib.frexp(x)


@composite()
def frexp(input):
    """``(mantissa, exponent)`` with ``input = mantissa * 2 ** exponent``, 0.5 <= |mantissa| < 1.

    >>> ember.frexp(ember.tensor([8.0])).exponent
    tensor([4], dtype=ember.int32)
    """
    return return_types.frexp(_frexp(input))


# -- complex numbers --------------------------------------------------------------------------


@op(method=False, grad_name="ConjBackward0", samples=_complex_samples())
def _conj_op(xp, x):
    return xp.conj(x)


@op(method=False, inplace=True, grad_name="ConjPhysicalBackward0", samples=_complex_samples())
def _conj_physical(xp, x):
    return xp.conj(x)


_conj_op.defvjp(lambda grad, out, x: grad.conj())
_conj_physical.defvjp(lambda grad, out, x: grad.conj())
_conj_op.check = lambda lib, x: lib.conj(x)
_conj_physical.check = lambda lib, x: lib.conj_physical(x)


@composite()
def conj(input):
    """The complex conjugate; a real tensor comes back as it is. (ember computes it: torch
    returns a lazily conjugated view.)

    >>> ember.tensor([1 + 2j]).conj()
    tensor([1.-2.j])
    """
    return _conj_op(input) if input.is_complex() else input


@composite()
def conj_physical(input):
    """The complex conjugate, computed; a real tensor comes back as it is.

    >>> ember.conj_physical(ember.tensor([1 - 1j]))
    tensor([1.+1.j])
    """
    return _conj_physical(input) if input.is_complex() else input


@composite()
def conj_physical_(input):
    if input.is_complex():
        apply_inplace(_conj_physical, (input,), {})
    return input


@composite()
def resolve_conj(input):
    """The input itself: ember never holds a lazy conjugate."""
    return input


@composite()
def resolve_neg(input):
    """The input itself: ember never holds a lazy negation."""
    return input


@composite()
def is_conj(input):
    """False: ember's ``conj()`` computes the conjugate (torch flags a lazy view)."""
    return False


@composite()
def is_neg(input):
    """False: ember never holds a lazy negation."""
    return False


def _view_as_real_samples(rng):
    c = rng.normal(size=(2, 3)) + 1j * rng.normal(size=(2, 3))
    return [((c,), {}), ((c[:, ::2],), {}), ((np.array(1 - 2j),), {})]


@op(view=True, method=False, grad_name="ViewAsRealBackward0", samples=_view_as_real_samples)
def view_as_real(xp, x):
    """A complex tensor's memory seen as real: a last dimension of size 2 (real, imag).

    >>> ember.view_as_real(ember.tensor([1 + 2j]))
    tensor([[1., 2.]])
    """
    if x.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    r = x.real  # a view with x's strides, in bytes
    return xp.lib.stride_tricks.as_strided(r, x.shape + (2,), r.strides + (r.itemsize,))


def _view_as_complex_samples(rng):
    x = rng.normal(size=(3, 4, 2))
    return [((x,), {}), ((x[:, ::2],), {}), ((x[1],), {}), ((x[0, 0],), {})]


@op(view=True, method=False, grad_name="ViewAsComplexBackward0", samples=_view_as_complex_samples)
def view_as_complex(xp, x):
    """A float tensor with a last dimension of size 2 (stride 1) seen as complex.

    >>> ember.view_as_complex(ember.tensor([[1.0, 2.0]]))
    tensor([1.+2.j])
    """
    return x.view(np.complex128 if x.dtype == np.float64 else np.complex64)[..., 0]


@view_as_complex.parser
def _(input):
    if input.dtype not in (D.float32, D.float64):
        if input.dtype is D.float16:  # torch gives complex32, which ember lacks
            raise RuntimeError("view_as_complex: ember has no complex32 for a Half tensor")
        raise RuntimeError("view_as_complex is only supported for half, float and double tensors, "
                           f"but got a tensor of scalar type: {_tname(input.dtype)}")  # fmt: skip
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    st = input.stride()
    if st[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in st[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return (input,), {}


view_as_real.defvjp(lambda grad, out, x: view_as_complex(grad.contiguous()))
view_as_complex.defvjp(lambda grad, out, x: view_as_real(grad))


@composite(method=False)
def real(input):
    """The real part: a view of a complex tensor; a real tensor itself (also ``Tensor.real``).

    >>> ember.real(ember.tensor([1 + 2j]))
    tensor([1.])
    """
    return select(view_as_real(input), -1, 0) if input.is_complex() else input


@composite(method=False)
def imag(input):
    """The imaginary part of a complex tensor, as a view (also ``Tensor.imag``).

    >>> ember.imag(ember.tensor([1 + 2j]))
    tensor([2.])
    """
    if not input.is_complex():
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return select(view_as_real(input), -1, 1)


def _parts_check(name, a, b, second):
    if not hasattr(b, "shape"):
        raise TypeError(f"{name}(): argument '{second}' (position 2) must be Tensor, not "
                        f"{type(b).__name__}")  # fmt: skip
    da, db = a.dtype, b.dtype
    if da.kind != "f" or db.kind != "f":
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_torch_name(da)} and {_torch_name(db)}")  # fmt: skip
    if da != db:
        raise RuntimeError(f"Expected object of scalar type {_torch_name(da)} but got scalar type "
                           f"{_torch_name(db)} for second argument")  # fmt: skip
    if da == np.float16:
        _not_implemented(f"{name}_cpu", da)  # torch gives complex32, which ember lacks
    return np.broadcast_shapes(a.shape, b.shape), (
        np.complex128 if da == np.float64 else np.complex64
    )


def _parts_samples(rng):
    return [((rng.uniform(0, 2, (2, 3)), rng.uniform(-3, 3, (2, 3))), {}),
            ((rng.uniform(0, 2, (2, 1)), rng.uniform(-3, 3, (3,))), {})]  # fmt: skip


@op("complex", samples=_parts_samples, method=False)
def _complex(xp, real, imag):
    """The complex tensor ``real + imag * 1j`` (both float32 or both float64).

    >>> ember.complex(ember.tensor([1.0]), ember.tensor([2.0]))
    tensor([1.+2.j])
    """
    out = xp.empty(*_parts_check("complex", real, imag, "imag"))
    out.real, out.imag = real, imag  # inf * 1j would give a nan real part
    return out


_complex.defvjp(lambda grad, out, re, im: real(grad), lambda grad, out, re, im: imag(grad))


@op(samples=_parts_samples, method=False)
def polar(xp, abs, angle):
    """The complex tensor ``abs * (cos(angle) + sin(angle) * 1j)``.

    >>> ember.polar(ember.tensor([2.0]), ember.tensor([0.0]))
    tensor([2.+0.j])
    """
    out = xp.empty(*_parts_check("polar", abs, angle, "angle"))
    out.real, out.imag = abs * xp.cos(angle), abs * xp.sin(angle)
    return out


polar.defvjp(
    lambda grad, out, abs, angle: real(grad.conj() * out.sgn()),
    lambda grad, out, abs, angle: real(grad.conj() * out * 1j),
)


def _matrix_adjoint(input, what):
    if input.ndim < 2:
        raise RuntimeError(f"tensor.{what} is only supported on matrices or batches of matrices. "
                           f"Got {input.ndim}-D tensor.")  # fmt: skip
    return conj(transpose(input, -2, -1))


@composite()
def adjoint(input):
    """The conjugate transpose of the last two dimensions (``Tensor.mH``).

    >>> ember.adjoint(ember.tensor([[1j, 2.0]])).shape
    ember.Size([2, 1])
    """
    return _matrix_adjoint(input, "adjoint()")


def _H(self):
    if self.ndim == 0:
        warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().",
                      UserWarning, stacklevel=2)  # fmt: skip
        return conj(self)
    if self.ndim != 2:
        extra = ". For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""
        raise RuntimeError("tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.ndim}-D tensor.{extra}")  # fmt: skip
    return conj(transpose(self, 0, 1))


def _set_real(self, value):
    real(self).copy_(value)


def _set_imag(self, value):
    imag(self).copy_(value)


def install(T) -> None:
    """The properties torch gives Tensor: ``real`` and ``imag`` (views, assignable), ``H`` and
    ``mH`` (conjugate transposes)."""
    T.real = property(real, _set_real, doc="The real part (a view for complex tensors).")
    T.imag = property(imag, _set_imag, doc="The imaginary part of a complex tensor (a view).")
    T.H = property(_H, doc="The conjugate transpose of a matrix.")
    T.mH = property(lambda self: _matrix_adjoint(self, "mH"),
                    doc="The conjugate transpose of the last two dimensions.")  # fmt: skip


# -- Python callables per element -------------------------------------------------------------


def _no_grad_elements(input, what):
    """input's elements as Python values in C order (torch refuses a tensor that needs grad)."""
    if input.requires_grad:
        raise RuntimeError(f"Can't call {what}() on Variable that requires grad. Use "
                           f"var.detach().{what}() instead.")  # fmt: skip
    return _elements(input)


def _per_element(input, values):
    """Write ``values`` (one Python value per element, in C order) into input, in place."""
    kind = input._data.dtype.kind
    for v in values:
        if kind in "fV" and not isinstance(v, (bool, int, float, np.integer, np.floating)):
            raise TypeError(f"must be real number, not {type(v).__name__}")
    xp = xp_of(input._data)
    flat = np.array(values, dtype=input._data.dtype if kind != "V" else np.float32)
    input._data[...] = xp.asarray(flat.reshape(input._data.shape)).astype(input._data.dtype)
    input._bump()
    return input


def _elements(t):
    a = to_numpy(t._data)
    return (a.astype(np.float32) if a.dtype.kind == "V" else a).ravel().tolist()


@composite(function=False)
def apply_(input, callable):
    """Replace each element ``v`` by ``callable(v)``, in place, at Python speed (as torch, for
    small tensors and tests).

    >>> ember.tensor([1.0, 2.0]).apply_(lambda v: v * 10)
    tensor([10., 20.])
    """
    return _per_element(input, [callable(v) for v in _no_grad_elements(input, "apply_")])


@composite(function=False)
def map_(input, tensor, callable):
    """Replace each element ``a`` by ``callable(a, b)`` with ``b`` from ``tensor`` (broadcast to
    input's shape, same dtype), in place.

    >>> ember.tensor([1.0, 2.0]).map_(ember.tensor([10.0, 20.0]), lambda a, b: a + b)
    tensor([11., 22.])
    """
    if tensor.dtype is not input.dtype:
        raise TypeError(f"map_: expected torch.{input.dtype._tensor_type} for 'other' (got "
                        f"torch.{tensor.dtype._tensor_type})")  # fmt: skip
    pairs = zip(_no_grad_elements(input, "map_"), _elements(tensor.expand(input.shape)))
    return _per_element(input, [callable(a, b) for a, b in pairs])


# -- aliases and in-place function forms ------------------------------------------------------

# torch's other names for ops: alias -> op (as ember.<alias> and Tensor.<alias>)
_ALIASES = {
    "absolute": "abs", "negative": "neg", "multiply": "mul", "divide": "div",
    "subtract": "sub", "true_divide": "div", "greater": "gt", "greater_equal": "ge",
    "less": "lt", "less_equal": "le", "not_equal": "ne", "clip": "clamp", "fix": "trunc",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
    "arccosh": "acosh", "arctanh": "atanh", "arctan2": "atan2",
}  # fmt: skip
for _alias, _name in _ALIASES.items():
    composite(_alias)(OPS[_name])


def _inplace_alias(name, target, function=True, method=True):
    def fn(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")  # fmt: skip
        return getattr(input, target)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``input.{target}(...)``: in place."
    composite(name, function=function, method=method)(fn)


# in-place aliases: Tensor.<alias>_, and torch.<alias>_ where torch has the function
for _alias, _name in _ALIASES.items():
    _fn = _alias in ("negative", "clip", "fix") or _alias.startswith("arc") and _alias != "arctan2"
    _inplace_alias(_alias + "_", _name + "_", _fn)

# torch.<op>_(input, ...): the in-place function forms torch has at top level
for _name in ("acos acosh asin asinh atan atanh ceil clamp clamp_max clamp_min cos cosh "
              "deg2rad exp exp2 expm1 floor frac gcd lcm ldexp log log10 log1p log2 logit "
              "nan_to_num neg rad2deg reciprocal relu round rsqrt sigmoid sin sinh sqrt tan tanh "
              "trunc").split():  # fmt: skip
    _inplace_alias(_name + "_", _name + "_", method=False)


@composite()
def abs_(input):
    """``|input|`` in place (torch refuses complex input: the result is real)."""
    if input.is_complex():
        raise RuntimeError("In-place abs is not supported for complex tensors.")
    return apply_inplace(OPS["abs"], (input,), {})


@composite()
def square_(input):
    """``input.pow_(2)``."""
    return input.pow_(2)
