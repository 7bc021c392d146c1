"""Special functions against torch: values over wide ranges (tails, poles, negative arguments,
nan/inf) in float32 and float64, dtypes, gradients at the awkward points, aliases, methods,
errors; and float64 accuracy against mpmath where torch's C library is itself accurate."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import (  # noqa: E402
    assert_same,
    check,
    check_error,
    check_gradgrad,
    check_outcome,
    gradcheck,
)

import ember  # noqa: E402

RNG = np.random.default_rng(0)
SPECIALS = np.array([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, np.inf, -np.inf, np.nan])


def grid(lo, hi, n=600):
    """Evenly spaced and random points in [lo, hi], plus signed zeros, units, inf and nan (the
    same points whatever order the tests run in)."""
    rng = np.random.default_rng([int(abs(lo) * 1000), int(abs(hi) * 1000), n])
    return np.concatenate([np.linspace(lo, hi, n), rng.uniform(lo, hi, n), SPECIALS])


def _f(path):
    """``lib.<path>`` for a dotted path such as ``special.erfcx``."""

    def get(lib):
        obj = lib
        for p in path.split("."):
            obj = getattr(obj, p)
        return obj

    return get


def _fn(path, *before, after=(), **kw):
    """``fn(lib, *tensors)`` calling ``lib.<path>(*before, *tensors, *after, **kw)``."""
    return lambda lib, *a: _f(path)(lib)(*before, *a, *after, **kw)


def _method(name, *args):
    """``fn(lib, x)`` calling ``x.<name>(*args)``."""
    return lambda lib, x, *a: getattr(x, name)(*a, *args)


# name, domain; values compared with torch's default tolerances (float32: 1.3e-6 relative and
# 1e-5 absolute; float64: 1e-7 and 1e-7)
UNARY = [
    ("erf", (-8, 8)), ("erfc", (-8, 30)), ("erfinv", (-1, 1)), ("lgamma", (-40, 60)),
    ("digamma", (-30, 40)), ("i0", (-80, 80)), ("sinc", (-12, 12)),
    ("special.erfcx", (-5, 60)), ("special.i0e", (-200, 200)), ("special.i1", (-80, 80)),
    ("special.i1e", (-200, 200)), ("special.ndtri", (-0.1, 1.1)), ("special.log_ndtr", (-40, 10)),
    ("special.entr", (-1, 6)), ("special.ndtr", (-8, 8)), ("special.gammaln", (-40, 60)),
    ("special.psi", (-30, 40)), ("special.expit", (-30, 30)), ("special.logit", (-0.1, 1.1)),
    ("special.airy_ai", (-30, 110)), ("special.bessel_j0", (-60, 60)),
    ("special.bessel_j1", (-60, 60)), ("special.bessel_y0", (-1, 60)),
    ("special.bessel_y1", (-1, 60)), ("special.modified_bessel_i0", (-80, 80)),
    ("special.modified_bessel_i1", (-80, 80)), ("special.modified_bessel_k0", (-1, 60)),
    ("special.modified_bessel_k1", (-1, 60)), ("special.scaled_modified_bessel_k0", (-1, 200)),
    ("special.scaled_modified_bessel_k1", (-1, 200)), ("special.spherical_bessel_j0", (-40, 40)),
]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,domain", UNARY, ids=[n for n, _ in UNARY])
def test_unary_values(name, domain, dtype):
    x = grid(*domain).astype(dtype)
    if dtype == np.float32 and name in ("special.bessel_j0", "special.bessel_j1",
                                        "special.bessel_y0", "special.bessel_y1"):  # fmt: skip
        x = x[np.abs(x) < 25]  # torch's float32 sin(x - pi/4) loses digits beyond
    rtol = 4e-6 if dtype == np.float32 and name == "special.erfcx" else None  # exp(x*x) in f32
    check(lambda lib, x: _f(name)(lib)(x), x, grad=False, rtol=rtol, atol=rtol and 1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_negative_arguments_and_poles(dtype):
    # reflection formulas: near and at the poles of gamma (inf for lgamma, nan for digamma)
    x = np.concatenate([-np.arange(0, 20.0), -np.arange(0, 20) - 0.5, -np.arange(1, 9) + 1e-3,
                        -np.arange(1, 9) - 1e-3, -RNG.uniform(0, 200, 200)])  # fmt: skip
    x = x.astype(dtype)
    for name in ("lgamma", "digamma"):
        check(_fn(name), x, grad=False)
    check(lambda lib, x: lib.polygamma(2, x), x[20:60], grad=False)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_polygamma(dtype):
    x = grid(-6, 30).astype(dtype)
    if dtype == np.float32:  # float32 poles differ: sin(pi * x) is not 0 there
        x = x[~np.isfinite(x) | (np.abs(x - np.round(np.nan_to_num(x))) > 1e-2)]
    for n in range(6):
        # torch's float32 polygamma multiplies exp(lgamma(n + 1)) and zeta in single precision
        tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {}
        check(_fn("polygamma", n), x, grad=False, **tol)
        check(_fn("special.polygamma", n), x[:50], grad=False, **tol)
        check(_method("polygamma", n), x[:50], grad=False, **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mvlgamma(dtype):
    x = grid(-3, 40).astype(dtype)
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {}  # torch sums in float32
    for p in (1, 2, 5):
        check(_fn("mvlgamma", after=(p,)), x, grad=False, **tol)
        check(_fn("special.multigammaln", p=p), x, grad=False, **tol)
        check(_method("mvlgamma", p), x, grad=False, **tol)


BINARY = [("xlogy", (-3, 3), (-1, 5)), ("special.xlogy", (-3, 3), (-1, 5)),
          ("special.xlog1py", (-3, 3), (-2, 5)), ("special.zeta", (0.5, 12), (-6, 12)),
          ("special.gammainc", (0, 60), (0, 80)), ("special.gammaincc", (0, 60), (0, 80)),
          ("igamma", (0, 300), (0, 350)), ("igammac", (0, 300), (0, 350))]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,dx,dy", BINARY, ids=[n for n, _, _ in BINARY])
def test_binary_values(name, dx, dy, dtype):
    x, y = grid(*dx, n=300).astype(dtype), grid(*dy, n=300).astype(dtype)
    check(lambda lib, x, y: _f(name)(lib)(x, y), x, y, grad=False)
    check(lambda lib, x, y: _f(name)(lib)(x, y), x[:40, None], y[None, :40], grad=False)


def test_incomplete_gamma_large_parameters():
    # a ~ x large: torch takes an asymptotic series here (accurate to ~2e-9), ember the series
    # and continued fraction (accurate to ~1e-14; see test_accuracy_against_mpmath)
    a = np.concatenate([RNG.uniform(20, 2000, 400), [1e5, 1e6, 1e6, 4e6]])
    x = a * np.concatenate([RNG.uniform(0.7, 1.3, 400), [0.999, 1.0, 1.0005, 0.9999]])
    for name in ("igamma", "igammac"):
        check(_fn(name), a, x, grad=False, rtol=1e-8, atol=1e-12)


def test_scalar_operands():
    y = RNG.uniform(0.1, 3, (2, 3))
    for name in ("xlogy", "special.xlogy", "special.xlog1py", "special.zeta"):
        check(_fn(name, 2.5), y, grad=False)
        check(_fn(name, after=(2.0,)), y + 1, grad=False)
        check(_fn(name, 0), y, grad=False)


POLYS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
         "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
         "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
         "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
         "laguerre_polynomial_l", "legendre_polynomial_p"]  # fmt: skip


@pytest.mark.parametrize("name", POLYS)
def test_polynomials(name):
    # every branch: n < 0, n = 0, 1, the recurrence, the trigonometric forms for large n inside
    # [-1, 1], the values at +-1 and 0, and x outside [-1, 1]
    fn = _f("special." + name)
    x = np.concatenate([RNG.uniform(-1.5, 1.5, 300), [-1.0, 1.0, 0.0, 0.5, 1.0, 0.0, -1.0]])
    n = np.concatenate([RNG.integers(-2, 16, 300), [9, 10, 11, 12, 3, 7, 6]])
    check(lambda lib, x, n: fn(lib)(x, n), x, n, grad=False)
    check(lambda lib, x, n: fn(lib)(x, n), x, n.astype(np.float64), grad=False)
    check(lambda lib, x: fn(lib)(x, 4), x.astype(np.float32), grad=False)
    check(lambda lib, n: fn(lib)(0.25, n), n, grad=False)
    check(lambda lib, x, n: fn(lib)(x, n), x[:30, None], n[None, :12], grad=False)
    check(lambda lib, x: fn(lib)(x, 3.7), RNG.integers(-3, 4, (5,)), grad=False)  # float n: trunc
    big = np.array([600.0, 130.0, np.inf, np.nan])
    check(lambda lib, x, n: fn(lib)(x, n), np.full(4, 0.3), big, grad=False)


def test_polynomial_float32_small_degrees():
    x = RNG.uniform(-1, 1, 200).astype(np.float32)
    for name in POLYS:
        check(_fn("special." + name, after=(3,)), x, grad=False)


# -- dtypes -----------------------------------------------------------------------------------

DTYPE_CASES = [("erf", 1), ("erfc", 1), ("erfinv", 1), ("lgamma", 1), ("digamma", 1), ("i0", 1),
               ("sinc", 1), ("special.erfcx", 1), ("special.i1e", 1), ("special.ndtri", 1),
               ("special.entr", 1), ("special.bessel_j0", 1), ("special.ndtr", 1),
               ("xlogy", 2), ("special.xlog1py", 2), ("special.zeta", 2),
               ("special.chebyshev_polynomial_t", 2),
               ("special.hermite_polynomial_h", 2)]  # fmt: skip


@pytest.mark.parametrize("name,nin", DTYPE_CASES)
def test_integer_bool_and_half_inputs(name, nin):
    # integers and bools compute in the default float dtype; float16 stays float16
    fn = _f(name)
    ints = [RNG.integers(0, 4, (2, 3)) for _ in range(nin)]
    check(lambda lib, *a: fn(lib)(*a), *ints, grad=False)
    check(lambda lib, *a: fn(lib)(*a), *[a.astype(bool) for a in ints], grad=False)
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    check(lambda lib, *a: fn(lib)(*a), *ints, grad=False)
    ember.set_default_dtype(ember.float32)
    torch.set_default_dtype(torch.float32)
    for half in (np.float16, ember.bfloat16.np):
        halves = [RNG.uniform(0.1, 0.9, (2, 3)).astype(half) for _ in range(nin)]
        check_outcome(lambda lib, *a: fn(lib)(*a), *halves, grad=False, rtol=1e-2, atol=1e-3)


def test_mixed_float_dtypes_promote():
    a32, b64 = RNG.uniform(1, 2, (3,)).astype(np.float32), RNG.uniform(1, 2, (3,))
    for name in ("xlogy", "igamma", "special.zeta", "special.legendre_polynomial_p"):
        check(_fn(name), a32, b64, grad=False)


@pytest.mark.parametrize("name", [n for n, _ in UNARY if n not in (
    "sinc", "special.ndtr", "special.expit")])  # fmt: skip
def test_complex_inputs_raise(name):
    check_error(lambda lib, x: _f(name)(lib)(x), np.array([1j, 2.0]))


def test_complex_sinc_and_binary_complex_errors():
    check(lambda lib, x: lib.sinc(x), np.array([0.5 + 0.2j, 1.3 - 0.4j, 0j]), grad=False)
    z = np.array([1j, 2.0])
    for name in ("xlogy", "special.xlog1py", "special.zeta", "igamma", "igammac",
                 "special.chebyshev_polynomial_t", "special.laguerre_polynomial_l"):  # fmt: skip
        check_error(_fn(name), z, z, match="not implemented for")
    check_error(lambda lib, x: lib.polygamma(1, x), z, match='"trigamma" not implemented')
    check_error(lambda lib, x: lib.polygamma(3, x), z, match='"polygamma" not implemented')
    check_error(lambda lib, x: lib.mvlgamma(x, 2), z, match="not implemented")


# -- gradients --------------------------------------------------------------------------------

GRAD_CASES = [
    ("erf", np.array([-4.0, -1.0, 0.0, 0.3, 2.5])),
    ("erfc", np.array([-3.0, 0.0, 1.5, 6.0])),
    ("erfinv", np.array([-0.999, -0.5, 0.0, 0.7, 0.9999])),
    ("lgamma", np.array([-2.5, -1.3, -0.4, 0.2, 1.0, 2.0, 7.5])),
    ("digamma", np.array([-2.5, -1.3, -0.4, 0.2, 1.0, 7.5])),
    ("i0", np.array([-5.0, 0.0, 1e-20, 3.0, 12.0])),
    ("sinc", np.array([-2.5, -1.0, 0.0, 1e-8, 0.5, 3.0])),
    ("special.erfcx", np.array([-2.0, 0.0, 3.0, 40.0, 100.0])),
    ("special.i0e", np.array([-5.0, -1e-3, 2.0, 30.0])),
    ("special.i1", np.array([-5.0, 0.0, 1e-30, 2.0, 9.0])),
    ("special.i1e", np.array([-5.0, 0.0, 1e-30, 2.0, 30.0])),
    ("special.ndtri", np.array([1e-10, 0.01, 0.5, 0.9, 1 - 1e-10])),
    ("special.log_ndtr", np.array([-30.0, -5.0, -1.0, 0.0, 3.0])),
    ("special.entr", np.array([0.0, 0.3, 1.0, 4.0])),
    ("special.ndtr", np.array([-3.0, 0.0, 2.0])),
    ("special.logit", np.array([-0.5, 0.0, 0.2, 0.5, 1.0, 1.5])),
]  # fmt: skip


@pytest.mark.parametrize("name,x", GRAD_CASES, ids=[n for n, _ in GRAD_CASES])
def test_gradients_at_awkward_points(name, x):
    # ndtr is written from erf, as torch's: values and gradients match, the grad_fn is not
    # MulBackward1 (ember has one mul)
    check(lambda lib, x: _f(name)(lib)(x), x, grad_fn=name != "special.ndtr")


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_polygamma_gradients(n):
    x = np.array([-1.5, -0.4, 0.6, 2.0, 9.0])
    check(lambda lib, x: lib.polygamma(n, x), x)
    check_gradgrad(lambda lib, x: lib.polygamma(n, x), x)
    gradcheck(lambda x: ember.polygamma(n, x), [x])


def test_binary_gradients():
    x = np.array([[0.0, -1.5, 2.0], [0.0, 0.5, 3.0]])
    y = np.array([[0.0, 2.0, -0.5], [1.5, 0.0, 2.0]])
    check(lambda lib, x, y: lib.xlogy(x, y), x, y)  # x == 0 and y <= 0: no gradient in x
    check(lambda lib, x, y: lib.special.xlog1py(x, y - 1), x, y)
    check(lambda lib, y: lib.xlogy(2.5, y), y + 1)
    check(lambda lib, x: lib.xlogy(x, 0.0), x)
    check(lambda lib, x: lib.special.xlog1py(x, -1.0), x)
    check(lambda lib, x: lib.special.xlog1py(x, 2.0), x)
    q = np.array([0.5, 1.5, 3.0])
    check(lambda lib, q: lib.special.zeta(3.0, q), q)
    check(lambda lib, q: lib.special.zeta(lib.tensor([2.0, 4.0, 6.0], dtype=lib.float64), q), q)
    a = np.array([0.5, 2.0, 9.0])
    check(lambda lib, x: lib.igamma(lib.tensor(a), x), np.array([0.3, 2.5, 8.0]))
    check(lambda lib, x: lib.igammac(lib.tensor(a), x), np.array([0.3, 2.5, 8.0]))
    check_gradgrad(lambda lib, x: lib.igamma(lib.tensor(a), x), np.array([0.3, 2.5, 8.0]))


def _backward_in_first(name):
    return lambda lib, a, x: _f(name)(lib)(a.requires_grad_(), x).sum().backward()


def test_underivable_inputs_raise_at_backward():
    for name in ("special.zeta", "igamma", "special.gammaincc"):
        check_error(_backward_in_first(name), np.array([2.0, 3.0]), np.array([1.5, 2.0]),
                    match="is not implemented")  # fmt: skip


def test_mvlgamma_gradients():
    x = np.array([2.1, 3.5, 7.0])
    for p in (1, 3):
        check(_fn("mvlgamma", after=(p,)), x)
        check_gradgrad(_fn("mvlgamma", after=(p,)), x)


def test_second_order():
    for name, x in GRAD_CASES:
        if name in ("special.logit", "special.entr", "special.ndtri", "special.i1e", "sinc"):
            continue  # kinks, or second derivatives nan at the chosen edge points
        check_gradgrad(_fn(name), x[1:-1] if len(x) > 3 else x)


def test_logit_eps_gradient():
    x = np.array([-0.5, 0.0, 0.05, 0.1, 0.5, 0.9, 0.95, 1.0, 1.5])
    check(lambda lib, x: lib.special.logit(x, eps=0.1), x)
    check(lambda lib, x: lib.special.logit(x, 0.1), x)


def test_non_differentiable_functions():
    x = ember.tensor([0.5, 1.5], requires_grad=True)
    for name in ("airy_ai", "bessel_j0", "modified_bessel_k1", "spherical_bessel_j0"):
        out = getattr(ember.special, name)(x)
        assert not out.requires_grad and out.grad_fn is None
    out = ember.special.legendre_polynomial_p(x, 3)
    assert not out.requires_grad


# -- aliases, methods, in-place, composites ---------------------------------------------------


def test_aliases_are_the_same_functions():
    s = ember.special
    pairs = [(s.erf, ember.erf), (s.erfc, ember.erfc), (s.erfinv, ember.erfinv),
             (s.gammaln, ember.lgamma), (s.digamma, ember.digamma), (s.psi, ember.digamma),
             (s.polygamma, ember.polygamma), (s.multigammaln, ember.mvlgamma), (s.i0, ember.i0),
             (s.sinc, ember.sinc), (s.xlogy, ember.xlogy), (s.gammainc, ember.igamma),
             (s.gammaincc, ember.igammac), (s.expit, ember.sigmoid), (s.logit, ember.logit),
             (s.logsumexp, ember.logsumexp)]  # fmt: skip
    for a, b in pairs:
        assert a is b
    assert "gammaln" in dir(s) and "erfcx" in dir(s)
    with pytest.raises(AttributeError):
        s.no_such_function  # noqa: B018


def _inplace(name):
    return lambda lib, x: getattr(x * 1, name + "_")()


def test_methods_and_inplace():
    x = RNG.uniform(0.2, 0.9, (2, 3))
    for name in ("erf", "erfc", "erfinv", "lgamma", "digamma", "i0", "sinc"):
        check(_method(name), x)
        check(_inplace(name), x)
    check(lambda lib, x: x.polygamma(2), x)
    check(lambda lib, x: (x * 1).polygamma_(1), x, grad_fn=False)  # torch: PolygammaBackward1
    check(lambda lib, x: (x + 2).mvlgamma_(2), x)
    check(lambda lib, x, y: x.xlogy(y), x, x + 1)
    check(lambda lib, x, y: (x * 1).xlogy_(y), x, x + 1)
    check(lambda lib, x, y: x.detach().igamma(y), x, x + 1)  # no derivative in x
    check(lambda lib, x, y: (x.detach() * 1).igammac_(y), x, x + 1)
    check_error(lambda lib, x: x.erf_(), np.array([1, 2]), match="can't be cast")


def _with_dtype(name, dim, dtype):
    return lambda lib, x: _f(name)(lib)(x, dim, dtype=getattr(lib, dtype))


def test_softmax_log_softmax_logsumexp():
    x = np.array([[1.0, 2.0, 3.0], [-1e30, 0.0, 5.0], [-np.inf, -np.inf, -np.inf]])
    for name in ("special.softmax", "special.log_softmax"):
        for dim in (0, 1, -1):
            check(_fn(name, after=(dim,)), x, grad_fn=False)
        check(_fn(name, after=(1,)), x[:2], grad_fn=False)
        check(_fn(name, after=(0,)), np.array(2.0), grad_fn=False)
        check(_fn(name, after=(1,)), np.zeros((0, 3)), grad_fn=False)
        check(_with_dtype(name, 1, "float64"), x[:2].astype(np.float32), grad_fn=False)
        check(_with_dtype(name, 0, "float32"), np.array([1, 2, 3]), grad=False)
        check_error(_fn(name, after=(0,)), np.array([1, 2]), match="not implemented for 'Long'")
    check(lambda lib, x: lib.special.logsumexp(x, 1), x)
    check(lambda lib, x: lib.special.logsumexp(x, (0, 1), keepdim=True), x[:2])


# -- errors -----------------------------------------------------------------------------------


def test_errors():
    x = np.array([1.5, 2.5])
    check_error(lambda lib, x: lib.polygamma(-1, x), x, match="does not support negative n")
    check_error(lambda lib, x: lib.polygamma(1.5, x), x)
    check_error(lambda lib, x: lib.mvlgamma(x, 0), x, match="p has to be greater than or equal")
    check_error(lambda lib: lib.xlogy(2.0, 3.0))
    check_error(lambda lib: lib.special.zeta(2.0, 3.0))
    check_error(lambda lib, x: lib.igamma(x, 2.0), x, match="must be Tensor, not float")
    check_error(lambda lib, x: lib.igamma(x, x), np.array([1, 2]), match='"igamma_cpu"')
    check_error(lambda lib, x: lib.igammac(x, x), np.array([True]), match="'Bool'")


# -- accuracy where torch's C library is accurate too -----------------------------------------


def test_accuracy_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30

    def rel_err(fn, ref, xs):
        got = fn(ember.tensor(xs, dtype=ember.float64)).numpy()
        want = np.array([float(ref(mpmath.mpf(float(v)))) for v in xs])
        return np.max(np.abs(got - want) / np.abs(want))

    tails = np.concatenate([np.linspace(-6, 6, 97), np.linspace(1, 26, 51)])
    assert rel_err(ember.erf, mpmath.erf, tails[tails != 0]) < 2e-15
    assert rel_err(ember.erfc, mpmath.erfc, tails) < 1e-14  # the tail is not 1 - erf
    assert rel_err(ember.special.erfcx, lambda v: mpmath.exp(v * v) * mpmath.erfc(v),
                   np.linspace(-20, 1e4, 301)) < 1e-14  # fmt: skip
    near_roots = np.concatenate([np.linspace(0.99, 1.01, 40), np.linspace(1.99, 2.01, 40)])
    near_roots = near_roots[(near_roots != 1) & (near_roots != 2)]
    assert rel_err(ember.lgamma, mpmath.loggamma, near_roots) < 1e-13
    assert rel_err(ember.lgamma, mpmath.loggamma, np.linspace(0.01, 200, 301)) < 1e-14
    assert rel_err(ember.special.log_ndtr, lambda v: mpmath.log(mpmath.ncdf(v)),
                   np.linspace(-35, 5, 81)) < 1e-14  # fmt: skip
    nonzero = np.linspace(-0.99, 0.99, 101)[np.arange(101) != 50]
    assert rel_err(ember.erfinv, mpmath.erfinv, nonzero) < 1e-14
    a = np.linspace(0.5, 150, 60)
    got = ember.igamma(ember.tensor(a), ember.tensor(a * 1.05)).numpy()
    want = np.array([float(mpmath.gammainc(v, 0, 1.05 * v, regularized=True)) for v in a])
    assert np.max(np.abs(got - want) / want) < 1e-13
    three, one = ember.tensor([3.0], dtype=ember.float64), ember.tensor([1.0], dtype=ember.float64)
    assert math.isclose(ember.special.zeta(three, one).item(),
                        float(mpmath.zeta(3)), rel_tol=1e-15)  # fmt: skip


def test_values_match_to_float64_precision():
    # within 1e-14 of torch (glibc) for the NumPy implementations of what the C library has
    x = np.concatenate([np.linspace(-6, 6, 1001), np.linspace(0.1, 50, 1001)])
    for name in ("erf", "erfc", "lgamma", "digamma", "i0", "special.i0e", "special.i1",
                 "special.ndtri"):  # fmt: skip
        xs = np.clip(x, 1e-6, 1 - 1e-6) if name == "special.ndtri" else x
        tx, ex = torch.from_numpy(xs), ember.from_numpy(xs)
        t, e = _f(name)(torch)(tx), _f(name)(ember)(ex)
        assert_same(torch, e, t, name, rtol=1e-14, atol=1e-15)
