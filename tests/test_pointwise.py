"""Pointwise ops (ember/ops/pointwise.py) and complex numbers against torch: dtypes over bool,
integer, float and complex inputs, edge values (inf, nan, 0, -0), in-place and function forms,
aliases, gradients (complex ones with complex cotangents, and second order), complex views,
and error parity. The op sweep (tests/test_op_sweep.py) runs every op's samples as well."""

# ruff: noqa: B023 - the lambdas in loops are called at once by check(), never stored

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import assert_same, check, check_error, check_outcome, make_inputs  # noqa: E402

import ember  # noqa: E402
from ember.ops import pointwise  # noqa: E402

# ops/__init__.py installs these properties; installing again is harmless and keeps this file
# independent of the order the package wires its families in
pointwise.install(ember.Tensor)

DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64", "complex64",
          "complex128"]  # fmt: skip
EDGES = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -3.5, np.inf, -np.inf, np.nan, 1e-30, 40.0])


def arr(dtype, values=(-2, 0, 1, 3)):
    if dtype == "bool":
        return np.array(values) > 0
    a = np.array(values)
    return (np.abs(a) if dtype == "uint8" else a).astype(dtype)


def cplx(shape, rng, low=-2.0, high=2.0):
    return rng.uniform(low, high, shape) + 1j * rng.uniform(low, high, shape)


def check_complex_grad(fn, *args, seed=0, create_graph=False, atol=None, rtol=None):
    """Gradients of ``fn(lib, *tensors)`` through torch and ember with random complex cotangents
    on complex outputs (real ones on real outputs); with ``create_graph`` also the second order
    (the gradient of <grads, w> for random complex w)."""
    res = []
    for lib in (torch, ember):
        rng = np.random.default_rng(seed)
        targs, leaves = make_inputs(lib, args, requires_grad=True)
        outs = fn(lib, *targs)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        vs = [_like(lib, rng, o) for o in outs]
        gs = lib.autograd.grad(outs, leaves, vs, create_graph=create_graph, allow_unused=True)
        got = [g.detach().clone() for g in gs]
        if create_graph:
            pairs = [(g, _like(lib, rng, g)) for g in gs if g is not None and g.requires_grad]
            gg = lib.autograd.grad([g for g, _ in pairs], leaves, [w for _, w in pairs],
                                   allow_unused=True)  # fmt: skip
            got += [lib.zeros_like(t) if g is None else g for g, t in zip(gg, leaves)]
        res.append(got)
    for i, (t, e) in enumerate(zip(*res)):
        assert_same(torch, e, t, f"gradient {i}", atol=atol, rtol=rtol)


def _like(lib, rng, t):
    v = rng.standard_normal(tuple(t.shape))
    if t.dtype.is_complex:
        v = v + 1j * rng.standard_normal(tuple(t.shape))
    return lib.from_numpy(v).to(t.dtype)


# -- unary ops: dtypes, edge values, in-place, gradients ----------------------------------------

FLOAT_UNARY = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "exp2",
               "expm1", "log2", "log10", "log1p", "rsqrt", "deg2rad", "rad2deg", "logit",
               "sigmoid", "exp", "log", "sqrt", "sin", "cos", "tanh", "reciprocal"]  # fmt: skip
OTHER_UNARY = ["floor", "ceil", "round", "trunc", "fix", "frac", "sgn", "sign", "signbit",
               "positive", "angle", "nan_to_num", "isnan", "isinf", "isfinite", "isposinf",
               "isneginf", "isreal", "square", "conj", "conj_physical", "resolve_conj",
               "resolve_neg", "real", "abs", "absolute", "negative", "neg"]  # fmt: skip
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
           "arccosh": "acosh", "arctanh": "atanh"}  # fmt: skip
ALL_UNARY = FLOAT_UNARY + OTHER_UNARY + list(ALIASES)


@pytest.mark.parametrize("name", ALL_UNARY)
def test_unary_dtypes(name):
    for dt in DTYPES:
        check_outcome(lambda lib, x: getattr(lib, name)(x), arr(dt), grad=False)
        check_outcome(lambda lib, x: getattr(x, name)(), arr(dt, (2,)), grad=False)


@pytest.mark.parametrize("name", ALL_UNARY)
def test_unary_edge_values(name):
    for dt in ("float16", "float32", "float64"):
        check_outcome(lambda lib, x: getattr(lib, name)(x), EDGES.astype(dt), grad=False)
    # float64 gradients at the edges, nan and inf included, as torch
    check_outcome(lambda lib, x: getattr(lib, name)(x), EDGES)


NO_INPLACE = ("positive", "resolve_conj", "resolve_neg", "real", "conj", "signbit")


@pytest.mark.parametrize(
    "name", [n for n in ALL_UNARY if n not in NO_INPLACE and not n.startswith("is")]
)
def test_unary_inplace(name):
    """``x.op_()`` on a non-leaf float tensor (values, grad_fn, gradients) and on other dtypes
    (torch refuses a float result in an integer tensor)."""
    if name in ("angle",):  # no in-place form in torch
        assert not hasattr(ember.Tensor, name + "_")
        return
    # torch's asinh_, acosh_, atanh_ record ...Backward1 nodes whose backward raises (ember's
    # take gradients); torch records a node for conj_physical_ of a real tensor (ember returns it)
    torch_differs = name in ("asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh",
                             "conj_physical")  # fmt: skip
    x = np.linspace(0.1, 0.9, 6) + (1 if "cosh" in name else 0)
    check_outcome(lambda lib, x: getattr(x * 1, name + "_")(), x, grad=not torch_differs)
    for dt in DTYPES:
        check_outcome(lambda lib, x: getattr(x.clone(), name + "_")(), arr(dt), grad=False)


TORCH_INPLACE_FUNCTIONS = (
    "abs_ acos_ acosh_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ "
    "atanh_ ceil_ cos_ cosh_ deg2rad_ exp2_ exp_ expm1_ fix_ floor_ frac_ log10_ log1p_ log2_ "
    "log_ logit_ nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_ round_ rsqrt_ sigmoid_ "
    "sin_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ conj_physical_"
).split()


@pytest.mark.parametrize("name", TORCH_INPLACE_FUNCTIONS)
def test_torch_inplace_functions(name):
    def fn(lib, x):
        y = x.clone()
        out = getattr(lib, name)(y)
        assert out is y
        return y

    check(fn, np.linspace(0.1, 0.9, 6), grad=False)
    check(fn, np.linspace(0.1, 0.9, 6) + 0.5j, grad=False) if name in ("conj_physical_",) else None


def test_torch_inplace_binary_functions():
    a, b = np.array([4, 6, 9]), np.array([6, 4, 3])
    for name in ("gcd_", "lcm_"):
        check(lambda lib, x, y: getattr(lib, name)(x.clone(), y), a, b)
    x = np.linspace(-1, 1, 5)
    check(lambda lib, x: lib.clamp_(x.clone(), -0.5, 0.5), x, grad=False)
    check(lambda lib, x: lib.clamp_min_(x.clone(), 0.1), x, grad=False)
    check(lambda lib, x: lib.clamp_max_(x.clone(), 0.1), x, grad=False)
    check(lambda lib, x: lib.clip_(x.clone(), max=0.1), x, grad=False)
    check(lambda lib, x, e: lib.ldexp_(x.clone(), e), x, np.arange(5), grad=False)


def test_alias_names():
    x, y = np.linspace(0.1, 0.9, 6), np.linspace(1.0, 2.0, 6)
    binary = {"multiply": "mul", "divide": "div", "subtract": "sub", "true_divide": "div",
              "greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
              "not_equal": "ne", "arctan2": "atan2"}  # fmt: skip
    for alias in binary:
        check(lambda lib, a, b: getattr(lib, alias)(a, b), x, y)
        check(lambda lib, a, b: getattr(a, alias)(b), x, y)
        # (torch records a node for an in-place comparison of a tensor that requires grad)
        check(lambda lib, a, b: getattr(a * 1, alias + "_")(b), x, y, grad=alias in (
            "multiply", "divide", "subtract", "true_divide", "arctan2"))  # fmt: skip
    check(lambda lib, a, b: lib.divide(a, b, rounding_mode="floor"), x * 9, y)
    check(lambda lib, a, b: lib.subtract(a, b, alpha=2), x, y)
    check(lambda lib, a: (lib.clip(a, 0.2, 0.6), a.clip(min=0.3), (a * 1).clip_(max=0.4)), x)
    for alias in ("absolute", "negative", "fix", *ALIASES):  # (arc*h_: see test_unary_inplace)
        check(lambda lib, a: getattr(a * 1, alias + "_")(), x, grad="h" not in alias)
    check_error(lambda lib, a: lib.clip(a), x)


# -- rounding, signs ------------------------------------------------------------------------


def test_round_decimals():
    x = np.array([1.25, 2.35, -1.5, 1234.5, 0.125, 1.005, -0.0, np.inf, np.nan, 2.5, 3.5])
    for dt in ("float16", "float32", "float64"):
        for d in (0, 1, 2, 3, -1, -2):
            check(lambda lib, a: lib.round(a, decimals=d), x.astype(dt), grad=dt == "float64")
            check(lambda lib, a: a.round(decimals=d), x.astype(dt), grad=False)
            check(lambda lib, a: (a * 1).round_(decimals=d), x.astype(dt), grad=False)
    for dt in ("bool", "int64", "uint8"):
        for d in (0, 1, -1):
            check_error(lambda lib, a: lib.round(a, decimals=d), arr(dt))
    check_error(lambda lib, a: lib.round(a, decimals=1.5), x)


def test_sgn_signbit_angle():
    rng = np.random.default_rng(0)
    z = cplx((3, 4), rng)
    z.flat[:4] = [0, 3 + 4j, -1 + 0j, complex(-1, -0.0)]
    check(lambda lib, a: (lib.sgn(a), lib.angle(a), a.sgn(), (a * 1).sgn_()), z, grad=False)
    check_complex_grad(lambda lib, a: lib.sgn(a), z)
    check_complex_grad(lambda lib, a: lib.angle(a), z)
    # (second order away from 0, where torch's comes out nan and ember's finite)
    check_complex_grad(lambda lib, a: lib.sgn(a) * lib.angle(a), z[1:], create_graph=True)
    check(lambda lib, a: (lib.sgn(a), lib.angle(a), lib.signbit(a)), EDGES)
    check(lambda lib, a: lib.signbit(a), np.array([np.nan, -np.nan, -0.0]), grad=False)


def test_frac_floor_ceil_trunc_grads():
    x = np.array([-2.5, -0.3, 0.0, 0.7, 3.0])
    for name in ("floor", "ceil", "trunc", "round", "frac", "fix"):
        check(lambda lib, a: getattr(lib, name)(a), x)


def test_positive_square():
    check(lambda lib, a: (lib.positive(a), lib.square(a), a.square()), np.array([-2.0, 3.0]))
    b = np.array([True, False])
    check(lambda lib, a: lib.square(a), b)
    check_error(lambda lib, a: lib.positive(a), b)
    check_error(lambda lib, a: a.square_(), b)
    x = ember.ones(2)
    assert ember.positive(x) is x and x.conj() is x and x.resolve_conj() is x
    assert ember.real(x) is x and x.real is x and x.conj_physical() is x


# -- exp/log family ---------------------------------------------------------------------------


def test_logit_eps():
    x = np.array([-0.5, 0.0, 0.05, 0.3, 0.5, 0.95, 1.0, 2.0, np.nan])
    for eps in (None, 0.0, 0.1, 0.6, -1.0):
        check(lambda lib, a: lib.logit(a, eps=eps), x)
        check(lambda lib, a: lib.logit(a, eps), x)
        check(lambda lib, a: (a * 1).logit_(eps=eps), x)
    check(lambda lib, a: lib.logit(a, 0.2), np.array([0, 1, 0]))
    check_error(lambda lib, a: lib.logit(a), x.astype(complex))


def test_float_power():
    x = np.array([0.5, 2.0, 3.0])
    check(lambda lib, a: lib.float_power(a, 2), x.astype(np.float32))
    check(lambda lib, a, b: lib.float_power(a, b), x.astype(np.float32), x[::-1])
    check(lambda lib, a: lib.float_power(2, a), x.astype(np.float32))
    check(lambda lib, a: lib.float_power(a, 1j), x)
    check(lambda lib, a: (lib.float_power(a, 2), a.float_power(0.5)), np.array([2, 3]))
    check(lambda lib, a: (a * 1).float_power_(2), x)
    check_error(lambda lib, a: a.float_power_(2), x.astype(np.float32))
    check_error(lambda lib, a: a.float_power_(2j), x)


def test_nan_to_num():
    for dt in ("float16", "float32", "float64"):
        x = EDGES.astype(dt)
        check(lambda lib, a: lib.nan_to_num(a), x, grad=dt == "float64")
        check(lambda lib, a: lib.nan_to_num(a, 1.5, 100.0, -7.0), x, grad=dt == "float64")
        check(lambda lib, a: lib.nan_to_num(a, posinf=1e300), x, grad=False)
        check(lambda lib, a: (a * 1).nan_to_num_(nan=-1.0), x, grad=False)
    check(lambda lib, a: lib.nan_to_num(a, nan=0.5, posinf=1e10), np.array([1, 2]))
    z = np.empty(4, complex)
    z.real, z.imag = [np.nan, np.inf, 1, -np.inf], [np.inf, np.nan, -np.inf, 2]
    check(lambda lib, a: lib.nan_to_num(a), z, grad=False)
    for lib in (torch, ember):  # complex outputs take no gradient
        t = lib.from_numpy(z).requires_grad_()
        with pytest.raises(RuntimeError, match="does not support automatic differentiation"):
            lib.nan_to_num(t)
        with lib.no_grad():
            lib.nan_to_num(t)


def test_frexp():
    x = np.array([8.0, 0.0, -0.0, np.inf, -np.inf, np.nan, 0.3, -5.5, 1e-40, 3e38])
    for dt in ("float16", "float32", "float64"):
        check(lambda lib, a: lib.frexp(a), x.astype(dt), grad=dt == "float64")
        check(lambda lib, a: tuple(a.frexp()), x.astype(dt), grad=False)
    m, e = ember.frexp(ember.tensor([3.0]))
    r = ember.frexp(ember.tensor([3.0]))
    assert type(r).__name__ == "frexp" and r.mantissa is r[0] and r.exponent is r[1]
    assert m.item() == 0.75 and e.item() == 2
    check_error(lambda lib, a: lib.frexp(a), np.array([1, 2]))
    check_error(lambda lib, a: lib.frexp(a), np.array([1j]))


# -- binary ops -------------------------------------------------------------------------------

BINARY = ["atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "copysign", "nextafter",
          "ldexp", "fmod", "fmax", "fmin", "gcd", "lcm", "clamp_min", "clamp_max", "heaviside",
          "float_power", "isclose"]  # fmt: skip


@pytest.mark.parametrize("name", BINARY)
def test_binary_dtypes(name):
    f = lambda lib, x, y: getattr(lib, name)(x, y)  # noqa: E731
    for a in DTYPES:
        for b in DTYPES:
            if name in ("float_power", "ldexp") and "float16" in (a, b) and "complex" in a + b:
                continue  # torch makes the float16 complex32 and refuses it; ember computes
            check_outcome(f, arr(a), arr(b, (3, 1, 2, 2)), grad=False)
        for s in (2, 2.5, True, -0.0):
            check_outcome(f, arr(a), s, grad=False)


@pytest.mark.parametrize("name", BINARY)
def test_binary_edges_and_grads(name):
    x = np.repeat(EDGES, EDGES.size)
    y = np.tile(EDGES, EDGES.size)
    f = lambda lib, a, b: getattr(lib, name)(a, b)  # noqa: E731
    for dt in ("float16", "float32"):
        check_outcome(f, x.astype(dt), y.astype(dt), grad=False)
    if name in ("heaviside", "gcd", "lcm", "isclose"):
        check_outcome(f, x, y, grad=False)
    elif name == "ldexp":  # (torch: no gradient to x for an integer exponent < 0)
        check_outcome(f, x, y)
        check(f, EDGES, np.array(3))
    else:
        check_outcome(f, x, y)


@pytest.mark.parametrize("name", [n for n in BINARY if n not in ("isclose", "float_power",
                                                                   "logaddexp", "logaddexp2",
                                                                   "fmax", "fmin")])  # fmt: skip
def test_binary_inplace(name):
    x, y = np.linspace(-2, 2, 6), np.linspace(1.5, 0.5, 6)
    if name in ("gcd", "lcm"):
        x, y = np.arange(-3, 3), np.arange(6)
    # (torch's heaviside_ refuses its backward, as heaviside's: test_heaviside)
    check_outcome(lambda lib, a, b: getattr(a * 1, name + "_")(b), x, y, grad=name != "heaviside")
    for a in DTYPES:
        check_outcome(lambda lib, u, v: getattr(u.clone(), name + "_")(v), arr(a), arr("float32"),
                      grad=False)  # fmt: skip
        check_outcome(lambda lib, u, v: getattr(u.clone(), name + "_")(v), arr("float32"), arr(a),
                      grad=False)  # fmt: skip


def test_fmax_fmin_clamp_grads_at_ties_and_nan():
    a = np.array([1.0, np.nan, 2.0, np.nan, 0.5, -1.0])
    b = np.array([np.nan, 2.0, 2.0, np.nan, 0.5, 3.0])
    for name in ("fmax", "fmin", "clamp_min", "clamp_max", "maximum", "minimum"):
        check(lambda lib, x, y: getattr(lib, name)(x, y), a, b)
    for v in (0.5, -1, np.nan):
        check(lambda lib, x: (lib.clamp_min(x, v), lib.clamp_max(x, v)), a)
    check(lambda lib, x: lib.clamp_min(x, 0.5), np.array([0, 1, 2]))
    check_error(lambda lib, x: x.clamp_min_(0.5), np.array([0, 1, 2]))
    check_error(lambda lib, x, y: lib.fmax(x, y), a, 1.0)
    check_error(lambda lib, x: lib.clamp_min(x, 0.5), a + 1j)
    check_error(lambda lib, x, y: lib.clamp_max(x, y), a + 1j, b + 1j)


def test_copysign_atan2_hypot_at_zero():
    a = np.array([0.0, -0.0, 0.0, 3.0, -2.0, np.inf])
    b = np.array([0.0, 0.0, -0.0, -0.0, 4.0, np.inf])
    for name in ("copysign", "atan2", "hypot", "nextafter", "logaddexp", "logaddexp2"):
        check(lambda lib, x, y: getattr(lib, name)(x, y), a, b)
    check(lambda lib, x: (lib.copysign(x, -0.0), lib.copysign(x, 2)), a)
    check(lambda lib, x: lib.copysign(x, -1.5), np.array([1, -2, 0]))


def test_fmod():
    check(lambda lib, x, y: lib.fmod(x, y), np.array([5.0, -5.0, 5.5, -0.0]), np.array(
        [3.0, 3.0, -2.0, 1.0]))  # fmt: skip
    check(lambda lib, x: (lib.fmod(x, 1.5), lib.fmod(x, -2), x.fmod(3)), np.array([5.0, -5.0]))
    check(lambda lib, x: (lib.fmod(x, 3), lib.fmod(x, 1.5)), np.array([5, -5, 7]))
    check_error(lambda lib, x: lib.fmod(x, 0), np.array([5, -5]))
    check_error(lambda lib, x, y: lib.fmod(x, y), np.array([5, -5]), np.array([3, 0]))
    check(lambda lib, x: lib.fmod(x, 0), np.array([5.0, -5.0]), grad=False)


def test_gcd_lcm():
    a, b = np.array([-4, 0, 7, -9, 12, 0]), np.array([6, 0, -14, 0, 18, 5])
    for name in ("gcd", "lcm"):
        check(lambda lib, x, y: (getattr(lib, name)(x, y), getattr(x, name)(y)), a, b)
        check(lambda lib, x, y: getattr(lib, name)(x, y), a.astype(np.uint8) % 50, b.astype(
            np.int32))  # fmt: skip
        check_error(lambda lib, x: getattr(lib, name)(x, 2), a)


def test_heaviside():
    x = np.array([-1.0, 0.0, 2.0, np.nan, -0.0])
    v = np.array([0.5])
    check(lambda lib, a, b: lib.heaviside(a, b), x, v, grad=False)
    check(lambda lib, a, b: lib.heaviside(a, b), np.array([-2, 0, 3]), np.array([7]))
    check(lambda lib, a, b: (a * 1).heaviside_(b), x, v, grad=False)
    for lib in (torch, ember):  # the output requires grad but its backward is refused
        t = lib.tensor([1.0, 0.0], requires_grad=True)
        out = lib.heaviside(t, lib.tensor([0.5]))
        assert out.requires_grad and out.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::heaviside"):
            out.sum().backward()
    check_error(lambda lib, a, b: lib.heaviside(a, b), x, v.astype(np.float32))
    check_error(lambda lib, a: lib.heaviside(a, 0.5), x)
    check_error(lambda lib, a, b: lib.heaviside(a, b), x + 1j, v + 1j)


def test_nextafter_steps():
    x = np.array([1.0, 0.0, -0.0, np.inf, 1e308, 5e-324])
    y = np.array([2.0, -1.0, 1.0, 0.0, np.inf, 0.0])
    for dt in ("float32", "float64"):
        check(lambda lib, a, b: lib.nextafter(a, b), x.astype(dt), y.astype(dt))


def test_ldexp():
    x = np.array([1.0, -3.0, 0.5, np.inf])
    check(lambda lib, a, e: lib.ldexp(a, e), x, np.array([3, -2, 0, 1]), grad=False)
    check(lambda lib, a, e: lib.ldexp(a, e), x.astype(np.float16), np.array([3, 20, 0, 1]))
    check(lambda lib, a, e: lib.ldexp(a, e), x, np.array([3.0, -2.5, 0.0, 1.0]))
    check(lambda lib, a, e: lib.ldexp(a, e), np.array([1, 2]), np.array([3, 1]))
    check_error(lambda lib, a, e: lib.ldexp(a, e), x, np.array([True, False, True, True]))
    check_error(lambda lib, a: lib.ldexp(a, 2), x)
    # an exponent < 0: ember's gradient is the true 2**e (torch computes 2**e in integers)
    t = ember.tensor([3.0], requires_grad=True)
    ember.ldexp(t, ember.tensor([-2])).sum().backward()
    assert t.grad.item() == 0.25


# -- ternary ops ------------------------------------------------------------------------------


def test_lerp():
    rng = np.random.default_rng(0)
    x, e = rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (2, 3))
    for w in (0.0, 0.3, 0.5, 0.8, 1.0, 2, -1.5):
        check(lambda lib, a, b: (lib.lerp(a, b, w), a.lerp(b, w), (a * 1).lerp_(b, w)), x, e)
    w = rng.uniform(-0.5, 1.5, (3,))
    check(lambda lib, a, b, c: (lib.lerp(a, b, c), (a * 1).lerp_(b, c)), x, e, w)
    check(lambda lib, a, b, c: lib.lerp(a, b, c), x[:, :1], e[0], w.reshape(1, 3))
    z = cplx((2, 3), rng)
    check_complex_grad(lambda lib, a, b, c: lib.lerp(a, b, c), z, z[::-1], cplx((3,), rng))
    check_complex_grad(lambda lib, a, b: lib.lerp(a, b, 0.25 + 0.5j), z, z[::-1])
    check_error(lambda lib, a, b: lib.lerp(a, b, 0.5), x.astype(np.float32), e)
    check_error(lambda lib, a, b, c: lib.lerp(a, b, c), x, e, w.astype(np.float32))
    check_error(lambda lib, a, b: lib.lerp(a, b, 0.5), np.array([1, 2]), np.array([3, 4]))
    check_error(lambda lib, a: lib.lerp(a, 2.0, 0.5), x)


def test_addcmul_addcdiv():
    rng = np.random.default_rng(1)
    x, a, b = rng.uniform(-2, 2, (3, 2, 3))
    for value in (1, 0.5, -2):
        for name in ("addcmul", "addcdiv"):
            check(lambda lib, u, v, w: getattr(lib, name)(u, v, w, value=value), x, a, b)
            check(lambda lib, u, v, w: getattr(u * 1, name + "_")(v, w, value=value), x, a, b)
            check(lambda lib, u, v, w: getattr(u, name)(v[0], w[:, :1], value=value), x, a, b)
    i = np.array([1, 2, -3])
    for value in (2, 0.5, True):
        check(lambda lib, u: lib.addcmul(u, u, u, value=value), i)
        check(lambda lib, u, v: lib.addcdiv(u, v, v + 3, value=value), i, a[0])
    z = cplx((2, 3), rng)
    for name in ("addcmul", "addcdiv"):
        check_complex_grad(lambda lib, u, v, w: getattr(lib, name)(u, v, w, value=1 - 2j),
                           z, z[::-1], z + 3)  # fmt: skip
        check_error(lambda lib, u: getattr(lib, name)(u, u, 2), x)
    check_error(lambda lib, u: lib.addcmul(u, u, u), i > 0)
    check_error(lambda lib, u: lib.addcdiv(u, u, u), i)
    check_error(lambda lib, u, v: lib.addcdiv(v, u, u), i, x[0])


# -- tests of values --------------------------------------------------------------------------


def test_isclose_allclose_equal():
    a = np.array([1.0, 2.0, np.nan, np.inf, -np.inf, np.inf, 0.0, 1e-9])
    b = np.array([1.0 + 1e-6, 2.1, np.nan, np.inf, np.inf, 1e300, -0.0, 0.0])
    for dt in ("float16", "float32", "float64"):
        for kw in ({}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 0, "rtol": 0},
                   {"atol": 1e-8, "rtol": 0}):  # fmt: skip
            check(lambda lib, x, y: lib.isclose(x, y, **kw), a.astype(dt), b.astype(dt))
            check(lambda lib, x, y: (x.allclose(y, **kw), lib.allclose(x[:2], y[:2], **kw)),
                  a.astype(dt), b.astype(dt))  # fmt: skip
    i, j = np.array([1, 2, 3, -5]), np.array([1, 3, 5, 2**40])
    check(lambda lib, x, y: (lib.isclose(x, y), lib.isclose(x, y, atol=1), lib.isclose(
        x, y, rtol=0.5)), i, j)  # fmt: skip
    check(lambda lib, x, y: lib.isclose(x.to(lib.uint8), y.to(lib.uint8), atol=1), i % 7, j % 7)
    check(lambda lib, x, y: lib.isclose(x, y, atol=1), i > 0, j > 2)
    z = a + 1j * np.where(np.isfinite(b), b, 0)
    check(lambda lib, x: lib.isclose(x, x + 1e-6j), z)
    check_error(lambda lib, x, y: lib.isclose(x, y), a.astype(np.float32), b)
    check_error(lambda lib, x, y: lib.allclose(x, y), a.astype(np.float32), b)
    check_error(lambda lib, x: lib.isclose(x, x, rtol=-1), a)
    check_error(lambda lib, x: lib.isclose(x, x, atol=-1), a)
    check(lambda lib, x: lib.isclose(x, x.conj(), equal_nan=True), z * np.array(
        [1, np.nan, 1, 1, 1, 1, 1, 1]))  # fmt: skip
    check_error(lambda lib, x: lib.isclose(x, 1.0), a)
    # equal: same shape and values, across dtypes; nan is never equal
    for y in (i, i.astype(np.float64), i[None], i[:3], i + 1):
        check(lambda lib, x, y: (lib.equal(x, y), x.equal(y)), i, y)
    check(lambda lib, x: lib.equal(x, x), a)
    check_error(lambda lib, x: lib.equal(x, 1), a)


def test_is_nonzero():
    for v in ([0.0], [[1]], [np.nan], [True], [0j], [-0.0]):
        check(lambda lib, x: (x.is_nonzero(), lib.is_nonzero(x)), np.array(v), grad=False)
    check_error(lambda lib, x: x.is_nonzero(), np.array([1.0, 2.0]))
    check_error(lambda lib, x: x.is_nonzero(), np.zeros(0))


def test_value_tests_on_complex_and_errors():
    z = np.array([complex(np.inf, 0), complex(0, np.nan), 1 + 0j, 2j, complex(-np.inf, 1)])
    check(lambda lib, x: (lib.isnan(x), lib.isinf(x), lib.isfinite(x), lib.isreal(x)), z)
    check_error(lambda lib, x: lib.isposinf(x), z)
    check_error(lambda lib, x: lib.isneginf(x), z)


# -- complex numbers --------------------------------------------------------------------------


def test_real_imag_views():
    rng = np.random.default_rng(2)
    z = cplx((2, 3), rng)
    check(lambda lib, x: (lib.real(x), lib.imag(x), x.real, x.imag), z)
    check(lambda lib, x: (x.real * x.imag).sum() + x.t().real.sum(), z)
    check(lambda lib, x: (x.real.stride(), x.imag.stride(), x.imag.storage_offset(),
                          x.real.is_contiguous()), z, grad=False)  # fmt: skip
    for lib in (torch, ember):
        t = lib.zeros(3, dtype=lib.complex64)
        r, i = t.real, t.imag
        r += 1  # writes through the view
        t.imag = lib.tensor([1.0, 2.0, 3.0])
        t.real[0] = 5
        assert i.tolist() == [1.0, 2.0, 3.0] and t.tolist() == [5 + 1j, 1 + 2j, 1 + 3j]
        x = lib.zeros(2)
        x.real = lib.tensor(7.0)
        assert x.tolist() == [7.0, 7.0]
    check_error(lambda lib, x: lib.imag(x), np.ones(3))
    check_error(lambda lib, x: x.imag, np.ones(3))


def test_view_as_real_complex():
    rng = np.random.default_rng(3)
    z = cplx((3, 4), rng)
    x = rng.normal(size=(3, 4, 2))
    check(lambda lib, a: lib.view_as_real(a) * 2, z)
    check(lambda lib, a: lib.view_as_real(a[:, ::2]).sum(-1), z)
    check(lambda lib, a: lib.view_as_real(a[1, 1]), z)
    check(lambda lib, a: lib.view_as_complex(a) * (1 + 1j), x)
    check(lambda lib, a: lib.view_as_complex(a[:, ::2]), x)
    check(lambda lib, a: lib.view_as_complex(a[0, 0]), x)
    check(lambda lib, a: lib.view_as_complex(lib.view_as_real(a)), z)
    check(lambda lib, a: lib.view_as_complex(a.reshape(0, 2)), np.zeros(0))
    check_complex_grad(lambda lib, a: lib.view_as_complex(lib.view_as_real(a) * 2) * a, z)
    for lib in (torch, ember):  # memory is shared both ways
        c = lib.zeros(2, dtype=lib.complex128)
        lib.view_as_real(c)[0, 1] = 3.0
        f = lib.zeros(2, 2)
        lib.view_as_complex(f)[1] = 1 + 2j
        assert c.tolist() == [3j, 0j] and f.tolist() == [[0.0, 0.0], [1.0, 2.0]]
    check_error(lambda lib, a: lib.view_as_real(a), np.ones(3))
    # (a float16 tensor: torch gives complex32, which ember lacks, and raises)
    for bad in (np.ones(3), np.ones((2, 3)), np.ones((2, 3)).T, np.array([[1, 2]])):
        check_error(lambda lib, a: lib.view_as_complex(a), bad)
    # layouts (made on each side: the harness copies arrays into fresh memory)
    check_error(lambda lib, a: lib.view_as_complex(a.reshape(3, 2).t()), np.ones(6))
    check_error(lambda lib, a: lib.view_as_complex(a.reshape(3, 4)[:, 1:3]), np.ones(12))
    check_error(lambda lib, a: lib.view_as_complex(a.reshape(2, 3)[:, :2]), np.ones(6))
    check_error(lambda lib, a: lib.view_as_complex(a[1:].view(3, 2)), np.ones(7))
    check(lambda lib, a: lib.view_as_complex(a.reshape(3, 3, 2)[:, :2]), np.arange(18.0))


def test_conj_family():
    rng = np.random.default_rng(4)
    z = cplx((2, 3), rng)
    fns = [lambda lib, a: lib.conj(a), lambda lib, a: a.conj_physical(),
           lambda lib, a: lib.resolve_conj(a.conj()), lambda lib, a: lib.resolve_neg(a),
           lambda lib, a: (a * 1).conj_physical_(),
           lambda lib, a: lib.conj_physical_(a * 1)]  # fmt: skip
    for f in fns:
        check(f, z, grad=False)
        check_complex_grad(f, z)
    check(lambda lib, a: (a.conj() * a).real, z)
    for lib in (torch, ember):
        assert not lib.is_conj(lib.ones(1)) and not lib.ones(1).is_neg()
        assert not lib.is_neg(lib.ones(1, dtype=lib.complex64))
    # differs from torch: ember computes conj() (torch returns a view flagged is_conj)
    assert not ember.ones(1, dtype=ember.complex64).conj().is_conj()


def test_adjoint_H_mH():
    rng = np.random.default_rng(5)
    z = cplx((2, 3, 4), rng)
    check(lambda lib, a: (a.mH, a.adjoint(), lib.adjoint(a), a[0].H, a[0].mH), z)
    check(lambda lib, a: (a.mH, a[0].H, a[0].adjoint()), z.real)
    check_complex_grad(lambda lib, a: a[0].H @ a[1], z)
    for bad in (np.ones(3), z):
        check_error(lambda lib, a: a.H, bad)
    check_error(lambda lib, a: a.mH, np.ones(3))
    check_error(lambda lib, a: a.adjoint(), np.ones(3))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        check(lambda lib, a: a.H, np.array(2.0 + 1j), grad=False)
    assert any("deprecated on 0-D" in str(x.message) for x in w)


def test_complex_polar():
    rng = np.random.default_rng(6)
    r, t = rng.uniform(0.1, 2, (2, 3)), rng.uniform(-3, 3, (2, 3))
    for dt in ("float32", "float64"):
        check(lambda lib, a, b: (lib.complex(a, b), lib.polar(a, b)), r.astype(dt), t.astype(dt))
    check(lambda lib, a, b: (lib.complex(a, b), lib.polar(a, b)), r[:, :1], t[0])
    check_complex_grad(lambda lib, a, b: (lib.complex(a, b), lib.polar(a, b)), r, t)
    e = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0])
    check(lambda lib, a, b: lib.complex(a, b), e, e[::-1], grad=False)
    check(lambda lib, a, b: lib.polar(a, b), np.abs(e), np.array([0.0, 1.0, 2.0, 3.0, np.nan]),
          grad=False)  # fmt: skip
    for name in ("complex", "polar"):
        check_error(lambda lib, a, b: getattr(lib, name)(a, b), r.astype(np.float32), t)
        check_error(lambda lib, a, b: getattr(lib, name)(a, b), np.array([1, 2]), np.array([3, 4]))
        check_error(lambda lib, a: getattr(lib, name)(a, 1.0), r)
    check_error(lambda lib, a, b: lib.polar(a, b), r.astype(np.float16), t.astype(np.float16))


UNARY_COMPLEX = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
                 "exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "sigmoid", "exp", "log",
                 "sqrt", "sin", "cos", "tanh", "reciprocal", "abs", "neg", "sgn", "angle",
                 "square"]  # fmt: skip


@pytest.mark.parametrize("name", UNARY_COMPLEX)
def test_complex_unary(name):
    """Values and gradients (torch's conjugate convention) for complex64/complex128 inputs;
    the second order too, through a holomorphic product."""
    rng = np.random.default_rng(7)
    z = cplx((3, 4), rng, -1.5, 1.5)
    z.flat[0] = 0.5 + 0.25j
    check(lambda lib, a: getattr(lib, name)(a), z.astype(np.complex64), grad=False)
    check(lambda lib, a: getattr(lib, name)(a), z, grad=False)
    check_complex_grad(lambda lib, a: getattr(lib, name)(a), z)
    check_complex_grad(lambda lib, a: getattr(lib, name)(a) * a, z, create_graph=True)
    check(lambda lib, a: getattr(a * 1, name + "_")() if name not in ("angle", "abs", "square")
          else getattr(lib, name)(a), z, grad=False)  # fmt: skip


COMPLEX_BINARY = {
    "add": lambda lib, x, y: lib.add(x, y, alpha=2 - 1j), "sub": lambda lib, x, y: x - y * 1j,
    "rsub": lambda lib, x, y: lib.rsub(x, y, alpha=1j), "mul": lambda lib, x, y: x * y,
    "div": lambda lib, x, y: x / y, "pow": lambda lib, x, y: x**y,
    "pow_scalar": lambda lib, x, y: x**2.5 + x ** (1 + 1j) + (0.5 - 2j) ** y + 2.0**y,
    "mul_scalar": lambda lib, x, y: x * (1 + 2j) + (2 - 1j) / y, "where": lambda lib, x, y:
    lib.where(x.abs() > 1, x, y), "logaddexp": lambda lib, x, y: lib.logaddexp(x, y),
    "ldexp": lambda lib, x, y: lib.ldexp(x, lib.tensor([2])) * y,
    "real_by_complex": lambda lib, x, y: x.real * y + x.imag / y,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(COMPLEX_BINARY))
def test_complex_binary(name):
    rng = np.random.default_rng(8)
    x, y = cplx((2, 3), rng), cplx((3,), rng, 0.5, 2.0)
    f = COMPLEX_BINARY[name]
    check(f, x, y, grad=False)
    check_complex_grad(f, x, y)
    if name not in ("ldexp",):
        check_complex_grad(f, x, y, create_graph=True)
    # a real input meets a complex one: its gradient is the real part
    # (torch's where and logaddexp fail to give a real input its gradient)
    if name not in ("real_by_complex", "ldexp", "where", "logaddexp"):
        check_complex_grad(f, x, y.real)


def test_complex_refused_by_real_ops():
    z = np.array([1 + 2j, -1j])
    for f in (lambda lib, x: lib.sign(x), lambda lib, x: lib.relu(x),
              lambda lib, x: lib.clamp(x, 0, 1), lambda lib, x: lib.clamp(x, x, x),
              lambda lib, x: lib.maximum(x, x), lambda lib, x: lib.minimum(x, x),
              lambda lib, x: lib.remainder(x, x), lambda lib, x: lib.floor_divide(x, x),
              lambda lib, x: lib.div(x, x, rounding_mode="floor"),
              lambda lib, x: lib.div(x, x, rounding_mode="trunc"), lambda lib, x: x % 2,
              lambda lib, x: lib.fmod(x, x), lambda lib, x: lib.fmax(x, x),
              lambda lib, x: lib.atan2(x, x), lambda lib, x: lib.logit(x),
              lambda lib, x: lib.floor(x), lambda lib, x: lib.round(x),
              lambda lib, x: lib.frac(x), lambda lib, x: lib.signbit(x),
              lambda lib, x: lib.deg2rad(x), lambda lib, x: lib.copysign(x, x),
              lambda lib, x: lib.hypot(x, x), lambda lib, x: lib.logaddexp2(x, x),
              lambda lib, x: lib.nextafter(x, x), lambda lib, x: lib.gcd(x, x)):  # fmt: skip
        check_error(f, z)


def test_complex_double_backward_of_tanh_sigmoid():
    rng = np.random.default_rng(9)
    z = cplx((4,), rng, -1, 1)
    for name in ("tanh", "sigmoid"):
        check_complex_grad(lambda lib, a: getattr(lib, name)(a), z, create_graph=True)


def test_apply_map():
    x = np.array([[1.0, -2.5], [3.0, 0.25]])
    check(lambda lib, a: a.clone().apply_(lambda v: v * 2 + 1), x, grad=False)
    check(lambda lib, a: a.t().clone().apply_(lambda v: -v), x, grad=False)
    check(lambda lib, a: a.clone().apply_(lambda v: v / 3), np.array([1, 5, -7]))
    check(lambda lib, a: a.clone().apply_(lambda v: not v), np.array([True, False]))
    check(lambda lib, a, b: a.clone().map_(b, lambda u, v: u * 10 + v), x, x[0], grad=False)
    check_error(lambda lib, a: a.requires_grad_().apply_(lambda v: v), x)
    check_error(lambda lib, a: (a.requires_grad_() * 2).map_(a, lambda u, v: v), x)
    check_error(lambda lib, a: a.detach().apply_(lambda v: "x"), x)
    check_error(lambda lib, a: a.detach().apply_(lambda v: 1j), x)
    check_error(lambda lib, a, b: a.detach().map_(b, lambda u, v: u), x, x.astype(np.float32))
    check_error(lambda lib, a, b: a.detach()[0].map_(b, lambda u, v: u), x, x)
