"""Reductions and scans against torch: values, dtypes, shapes, grad_fn names, gradients of a
random projection, second order, errors, and the named tuples of ``max(dim)``/``min(dim)``.

The sweep below runs every op over shapes from 0-d to 4-d (empty ones included), contiguous
and transposed layouts, float32/float64/int64/bool inputs and every dim/keepdim combination.
Where torch raises for a case, ember must raise the same exception type.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import (  # noqa: E402
    check,
    check_error,
    check_gradgrad,
    gradcheck,
    gradgradcheck,
    make_inputs,
)

import ember  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")

SHAPES = [(), (0,), (5,), (0, 3), (2, 3), (3, 1, 4), (2, 0, 3), (2, 3, 4, 2)]
DTYPES = [np.float32, np.float64, np.int64, np.bool_]


def _data(rng, shape, dtype, transposed=False):
    """Distinct float values (no ties, no overflow in prod), small ints, random bools."""
    if transposed:
        return _data(rng, shape[::-1], dtype).T  # same shape, non-contiguous strides
    if dtype == np.bool_:
        return np.asarray(rng.uniform(size=shape) > 0.4)
    if dtype == np.int64:
        return rng.integers(-3, 4, shape).astype(np.int64)
    n = int(np.prod(shape))
    mag = 0.5 + rng.permutation(n).reshape(shape) / max(n, 1)
    return np.asarray(mag * rng.choice([-1.0, 1.0], shape)).astype(dtype)


def _inputs(dtype, seed=0):
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        yield shape, _data(rng, shape, dtype)
        if len(shape) >= 2:
            yield shape, _data(rng, shape, dtype, transposed=True)


def _int_dims(n):
    return sorted({0, -1} | set(range(n)))


def _tuple_dims(n):
    return [(0, -1), tuple(range(n))] if n >= 2 else []


def _torch_raises(fn, args) -> bool:
    targs, _ = make_inputs(torch, args)
    try:
        fn(torch, *targs)
    except Exception:
        return True
    return False


def _same(fn, *args, what=""):
    """ember == torch for ``fn(lib, *args)``: outputs and gradients, or the exception type."""
    try:
        if _torch_raises(fn, args):
            check_error(fn, *args)
        else:
            check(fn, *args)
    except (Exception, pytest.fail.Exception) as e:
        raise AssertionError(f"{what}: {type(e).__name__}: {e}") from e


# -- the sweep --------------------------------------------------------------------------------


def _any_dims(n):
    return _int_dims(n) + _tuple_dims(n)


# name: the dims to try for an n-d input (the full reduction, without dim, is always tried)
REDUCTIONS = {
    "sum": _any_dims,
    "mean": _any_dims,
    "prod": _int_dims,
    "amax": _any_dims,
    "amin": _any_dims,
    "argmax": _int_dims,
    "argmin": _int_dims,
    "all": _any_dims,
    "any": _any_dims,
    "std": _any_dims,
    "var": _any_dims,
    "std_mean": _any_dims,
    "var_mean": _any_dims,
}


def _reduction_calls(name, n):
    yield "full", lambda lib, x: getattr(lib, name)(x)
    for d in REDUCTIONS[name](n):
        for k in (False, True):
            yield f"dim={d} keepdim={k}", lambda lib, x, d=d, k=k: getattr(lib, name)(x, d, k)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_sweep(name, dtype):
    for shape, a in _inputs(dtype):
        for desc, fn in _reduction_calls(name, len(shape)):
            _same(fn, a, what=f"{name} {shape} strides={a.strides} {desc}")


def _max_calls(name, n):
    yield "full", lambda lib, x: getattr(lib, name)(x)
    for d in _int_dims(n):
        for k in (False, True):
            yield f"dim={d} keepdim={k}", lambda lib, x, d=d, k=k: getattr(lib, name)(x, d, k)
            yield f"Tensor.{name}(dim={d}, keepdim={k})", (
                lambda lib, x, d=d, k=k: getattr(x, name)(dim=d, keepdim=k))  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_sweep(name, dtype):
    for shape, a in _inputs(dtype):
        for desc, fn in _max_calls(name, len(shape)):
            _same(fn, a, what=f"{name} {shape} strides={a.strides} {desc}")


def _dim_calls(name, n):
    if name == "logsumexp":
        for d in _any_dims(n):
            for k in (False, True):
                yield f"dim={d} keepdim={k}", lambda lib, x, d=d, k=k: lib.logsumexp(x, d, k)
    else:
        for d in _int_dims(n):
            yield f"dim={d}", lambda lib, x, d=d: getattr(lib, name)(x, d)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["logsumexp", "cumsum", "cumprod"])
def test_dim_required_sweep(name, dtype):
    for shape, a in _inputs(dtype):
        for desc, fn in _dim_calls(name, len(shape)):
            _same(fn, a, what=f"{name} {shape} strides={a.strides} {desc}")


CORRECTIONS = [
    lambda f, x: f(x, unbiased=False),
    lambda f, x: f(x, False),
    lambda f, x: f(x, 1, False),
    lambda f, x: f(x, (0, 2), True, True),
    lambda f, x: f(x, 1, correction=0),
    lambda f, x: f(x, correction=2, keepdim=True),
    lambda f, x: f(x, [0, 1], correction=0.5),
    lambda f, x: f(x, None, correction=0),
    lambda f, x: f(x, dim=-1, unbiased=True, keepdim=True),
    lambda f, x: f(x, 1, correction=4),  # n - correction < 0
    lambda f, x: f(x, 1, correction=3),  # n - correction == 0
    lambda f, x: f(x, correction=24),  # the same, over all elements
]


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("call", CORRECTIONS)
@pytest.mark.parametrize("name", ["std", "var", "std_mean", "var_mean"])
def test_correction(name, call, dt):
    a = _data(np.random.default_rng(1), (3, 4, 2), dt)
    check(lambda lib, x: call(getattr(lib, name), x), a)


# -- dtypes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.sum(),
        lambda lib, x: x.prod(),
        lambda lib, x: x.prod(0),
        lambda lib, x: x.cumsum(0),
        lambda lib, x: x.cumprod(1),
        lambda lib, x: x.amax(0),
        lambda lib, x: x.max(),
        lambda lib, x: x.min(1),
        lambda lib, x: x.argmax(1),
        lambda lib, x: x.all(),
        lambda lib, x: x.any(1),
        lambda lib, x: x.logsumexp(1),
    ],
)
@pytest.mark.parametrize("dt", ["int32", "int8", "uint8", "int16", "bool"])
def test_small_int_dtypes(fn, dt):
    if dt == "bool":
        a = np.array([[True, False, True], [True, True, True]])
    else:
        a = np.array([[1, 2, 0], [3, 1, 2]], dtype=dt)
    _same(fn, a, what=dt)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.sum(dtype=lib.float64),
        lambda lib, x: x.sum(1, dtype=lib.float64),
        lambda lib, x: lib.prod(x, dtype=lib.float64),
        lambda lib, x: lib.prod(x, 1, True, dtype=lib.float64),
        lambda lib, x: x.mean(dtype=lib.float64),
        lambda lib, x: lib.cumsum(x, 0, dtype=lib.float64),
        lambda lib, x: lib.cumprod(x, 1, dtype=lib.float64),
        lambda lib, x: x.float().sum(dtype=lib.float64),
        lambda lib, x: x.float().cumsum(1, dtype=lib.float64),
    ],
)
@pytest.mark.parametrize("dt", [np.float32, np.int64, np.bool_], ids=["f32", "i64", "bool"])
def test_dtype_kwarg(fn, dt):
    a = _data(np.random.default_rng(2), (3, 4), dt)
    _same(fn, a)


def test_mean_int_dtype_kwarg():
    check(lambda lib, x: x.mean(dtype=lib.float32), np.arange(6).reshape(2, 3))
    check(lambda lib, x: x.mean(0, dtype=lib.float64), np.arange(6).reshape(2, 3))


# -- gradients in the corners -----------------------------------------------------------------


TIES = np.array([[1.0, 3.0, 3.0, -2.0], [2.0, 0.0, 2.0, 2.0], [-1.0, -1.0, -1.0, -1.0]])


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.max(),
        lambda lib, x: x.min(),
        lambda lib, x: x.max(1),
        lambda lib, x: x.min(0, keepdim=True),
        lambda lib, x: x.amax(),
        lambda lib, x: x.amax(1),
        lambda lib, x: x.amin(0, keepdim=True),
        lambda lib, x: x.amax((0, 1), keepdim=True),
        lambda lib, x: x.amin(-1),
        lambda lib, x: x.argmax(1),
        lambda lib, x: x.argmin(0),
        lambda lib, x: x.argmax(),
    ],
)
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_ties(fn, dt):
    # the full reductions and amax/amin share the gradient among ties; max(dim) picks an index
    check(fn, TIES.astype(dt))
    check(fn, TIES.T.astype(dt))


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.max(),
        lambda lib, x: x.min(),
        lambda lib, x: x.max(1),
        lambda lib, x: x.min(1),
        lambda lib, x: x.amax(1),
        lambda lib, x: x.amin(),
        lambda lib, x: x.argmax(1),
        lambda lib, x: x.argmin(),
        lambda lib, x: x.logsumexp(1),
        lambda lib, x: x.sum(1),
        lambda lib, x: x.cumsum(1),
    ],
)
def test_nan(fn):
    a = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 5.0, -1.0, 0.0]])
    check(fn, a)


def test_logsumexp_infinities():
    inf = np.inf
    a = np.array([[-inf, -inf], [inf, 1.0], [inf, inf], [-inf, 2.0], [1000.0, 1000.0]])
    for dt in (np.float32, np.float64):
        check(lambda lib, x: x.logsumexp(1), a.astype(dt))
        check(lambda lib, x: x.logsumexp(1, keepdim=True), a[3:].astype(dt))


ZEROS = np.array([[0.0, 2.0, 3.0, 1.5], [0.0, 0.0, 5.0, 2.0], [1.0, 2.0, 3.0, 0.5],
                  [2.0, 0.0, 3.0, 0.0]])  # fmt: skip


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.prod(1),
        lambda lib, x: x.prod(0, keepdim=True),
        lambda lib, x: x.prod(),
        lambda lib, x: x.select(0, 2).prod(),
        lambda lib, x: x.select(0, 0).prod(),
        lambda lib, x: x.cumprod(1),
        lambda lib, x: x.cumprod(0),
        lambda lib, x: x.cumprod(-1) * 3,
    ],
)
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_zeros_in_products(fn, dt):
    check(fn, ZEROS.astype(dt))
    check(fn, ZEROS.T.astype(dt))
    check_gradgrad(fn, ZEROS.astype(np.float64))


def test_std_of_constant_has_zero_grad():
    check(lambda lib, x: x.std(), np.ones(4))
    check(lambda lib, x: x.std(1), np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]]))
    check(lambda lib, x: lib.std_mean(x, 1)[0], np.array([[2.0, 2.0], [1.0, 2.0]]))


# -- second order -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.sum(1) ** 2,
        lambda lib, x: x.mean((0, 2)) ** 2,
        lambda lib, x: x.prod(1),
        lambda lib, x: x.prod(),
        lambda lib, x: x.max() * x.sum(),
        lambda lib, x: x.max(1).values ** 2,
        lambda lib, x: x.min(2, keepdim=True)[0] * x,
        lambda lib, x: x.amax((0, 2)) ** 2,
        lambda lib, x: x.std(1),
        lambda lib, x: x.var(),
        lambda lib, x: x.var(2, correction=0, keepdim=True),
        lambda lib, x: lib.std_mean(x, 1),
        lambda lib, x: lib.var_mean(x, (0, 1)),
        lambda lib, x: x.logsumexp(1),
        lambda lib, x: x.logsumexp((0, 2), keepdim=True),
        lambda lib, x: x.cumsum(2) ** 2,
        lambda lib, x: x.cumprod(1),
    ],
)
def test_second_order(fn):
    rng = np.random.default_rng(3)
    check_gradgrad(fn, _data(rng, (2, 3, 4), np.float64))


# -- max(dim) / min(dim) return types ---------------------------------------------------------


def test_return_type_is_named_tuple():
    a = np.array([[1.0, 5.0, 2.0], [4.0, 2.0, 7.0]], dtype=np.float32)
    (ex,), (tx,) = make_inputs(ember, (a,), True)[0], make_inputs(torch, (a,), True)[0]
    for name in ("max", "min"):
        e, t = getattr(ember, name)(ex, 1), getattr(torch, name)(tx, 1)
        assert type(e).__name__ == type(t).__name__ == name
        assert type(e).__module__ == "ember.return_types"
        assert isinstance(e, tuple) and len(e) == len(t) == 2
        assert e.n_fields == t.n_fields
        values, indices = e
        assert values is e.values is e[0] and indices is e.indices is e[1]
        assert e.indices.tolist() == t.indices.tolist()
        assert repr(e) == repr(t).replace("torch.", "ember.")
        assert str(e) == repr(e)
        with pytest.raises(AttributeError):
            e.values = values
        back = pickle.loads(pickle.dumps(getattr(ember, name)(ex.detach(), 1)))
        assert type(back) is type(e) and back.indices.tolist() == e.indices.tolist()
    assert ember.return_types.max((1, 2)) == (1, 2)
    with pytest.raises(TypeError):
        ember.return_types.max((1, 2, 3))
    with pytest.raises(TypeError):
        torch.return_types.max((1, 2, 3))


def test_max_with_other_is_maximum():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3,))
    check(lambda lib, x, y: lib.max(x, y), a, b)
    check(lambda lib, x, y: lib.min(x, y), a, b)
    check(lambda lib, x, y: x.max(y), a, b)
    check(lambda lib, x, y: lib.max(x, other=y), a, b)
    check(lambda lib, x, y: lib.min(input=x, other=y), a, b)
    check(lambda lib, x: lib.max(x, x), a)  # all ties: split evenly


def test_keyword_forms():
    a = _data(np.random.default_rng(5), (2, 3), np.float64)
    check(lambda lib, x: lib.max(x, dim=1, keepdim=True), a)
    check(lambda lib, x: lib.min(input=x, dim=0), a)
    check(lambda lib, x: lib.amax(x, dim=(0, 1)), a)
    check(lambda lib, x: lib.argmin(x, dim=None, keepdim=True), a)
    check(lambda lib, x: lib.logsumexp(x, dim=[0]), a)
    check(lambda lib, x: lib.cumsum(x, dim=1), a)
    check(lambda lib, x: lib.all(x, dim=()), a)  # no dims: an elementwise test in torch
    check(lambda lib, x: lib.any(x, ()), a)
    check(lambda lib, x: lib.sum(x, ()), a)
    check(lambda lib, x: lib.mean(x, [], keepdim=True), a)
    check(lambda lib, x: lib.amax(x, ()), a)


def test_inplace_scans():
    a = _data(np.random.default_rng(6), (3, 4), np.float64)
    check(lambda lib, x: (x * 1).cumsum_(1), a)
    check(lambda lib, x: (x * 1).cumprod_(0), a)
    check(lambda lib, x: x.clone().cumsum_(-1, dtype=lib.float32), a.astype(np.float32))


def test_methods_follow_torch():
    for name in ["max", "min", "amax", "amin", "argmax", "argmin", "prod", "all", "any", "std",
                 "var", "logsumexp", "cumsum", "cumprod", "cumsum_", "cumprod_", "var_mean",
                 "std_mean", "sum", "mean"]:  # fmt: skip
        assert hasattr(ember.Tensor, name) == hasattr(torch.Tensor, name), name
        assert hasattr(ember, name) == hasattr(torch, name), name


# -- errors -----------------------------------------------------------------------------------

A = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize(
    "fn,arg",
    [
        (lambda lib, x: x.max(), np.zeros(0)),
        (lambda lib, x: x.min(), np.zeros((0, 3))),
        (lambda lib, x: x.max(0), np.zeros((0, 3))),
        (lambda lib, x: x.min(1, True), np.zeros((3, 0))),
        (lambda lib, x: x.amax(), np.zeros((0, 3))),
        (lambda lib, x: x.amin(0), np.zeros((0, 3))),
        (lambda lib, x: x.amax((0, 1)), np.zeros((2, 0))),
        (lambda lib, x: x.argmax(), np.zeros((0, 3))),
        (lambda lib, x: x.argmin(0), np.zeros((0, 3))),
        (lambda lib, x: x.max(2), A),
        (lambda lib, x: x.max(-3), A),
        (lambda lib, x: x.amax((0, 2)), A),
        (lambda lib, x: x.amax((0, 0)), A),
        (lambda lib, x: x.argmax(5), A),
        (lambda lib, x: x.sum(2), A),
        (lambda lib, x: x.prod(2), A),
        (lambda lib, x: x.std(3), A),
        (lambda lib, x: x.logsumexp(2), A),
        (lambda lib, x: x.cumsum(2), A),
        (lambda lib, x: x.cumprod(-3), A),
        (lambda lib, x: x.all(2), A),
        (lambda lib, x: lib.max(x, 1, True, True), A),
        (lambda lib, x: lib.max(x, keepdim=True), A),
        (lambda lib, x: lib.max(x, 1.0), A),
        (lambda lib, x: lib.max(x, (0,)), A),
        (lambda lib, x: lib.min(x, dim=None), A),
        (lambda lib, x: lib.prod(x, (0, 1)), A),
        (lambda lib, x: lib.argmax(x, (0,)), A),
        (lambda lib, x: lib.logsumexp(x), A),
        (lambda lib, x: lib.cumsum(x), A),
        (lambda lib, x: lib.std(x, unbiased=True, correction=0), A),
        (lambda lib, x: x.argmax(), A > 2),
        (lambda lib, x: x.argmin(1), A > 2),
        (lambda lib, x: x.std(), np.arange(4)),
        (lambda lib, x: x.var(0), A > 2),
        (lambda lib, x: lib.var_mean(x), np.arange(4)),
        (lambda lib, x: x.mean(), np.arange(4)),
        (lambda lib, x: x.mean(0), A > 2),
    ],
)
def test_errors(fn, arg):
    check_error(fn, arg)


def test_error_messages():
    check_error(lambda lib, x: x.max(), np.zeros(0), match="Expected reduction dim to be specified")
    check_error(lambda lib, x: x.max(0), np.zeros((0, 2)), match="reduction dim 0 to have non-zero")
    check_error(lambda lib, x: x.argmax(), A > 0, match="does not support bool input")
    check_error(lambda lib, x: x.var(), np.arange(3), match="std and var only support floating")
    check_error(lambda lib, x: x.amax((1, 1)), A, match="appears multiple times")
    check_error(lambda lib, x: x.max(5), A, match="Dimension out of range")


def test_dof_warning():
    x = ember.ones(1)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        x.var()


# == the rest: NaN-aware sums, counts, medians, mode, kthvalue, quantiles, aminmax, scans =====


def _distinct(rng, shape, dtype, transposed=False):
    """As _data, with distinct integers too: ops that return the index of one of several equal
    values may pick any of them (tests of ties below check such indices for validity)."""
    if transposed:
        return _distinct(rng, shape[::-1], dtype).T
    if dtype == np.int64:
        n = int(np.prod(shape))
        return (rng.permutation(n) - n // 2).reshape(shape).astype(np.int64)
    return _data(rng, shape, dtype)


def _distinct_inputs(dtype, seed=0):
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        yield shape, _distinct(rng, shape, dtype)
        if len(shape) >= 2:
            yield shape, _distinct(rng, shape, dtype, transposed=True)


def _full_and_dims(name, dims, **kw):
    yield "full", lambda lib, x: getattr(lib, name)(x, **kw)
    for d in dims:
        for k in (False, True):
            yield f"dim={d} keepdim={k}", (
                lambda lib, x, d=d, k=k: getattr(lib, name)(x, d, k, **kw))  # fmt: skip


def _quantile_calls(name, n, shape):
    def q(lib, x):
        return lib.tensor([0.0, 0.3, 0.75, 1.0]).to(x.dtype)

    f = lambda lib: getattr(lib, name)  # noqa: E731
    yield "full q=0.3", lambda lib, x: f(lib)(x, 0.3)
    yield "full q tensor keepdim", lambda lib, x: f(lib)(x, q(lib, x), None, True)
    for d in _int_dims(n):
        for k in (False, True):
            yield f"dim={d} keepdim={k}", lambda lib, x, d=d, k=k: f(lib)(x, 0.4, d, k)
            yield f"dim={d} keepdim={k} q tensor", (
                lambda lib, x, d=d, k=k: f(lib)(x, q(lib, x), d, k))  # fmt: skip
    for mode in ("lower", "higher", "midpoint", "nearest"):
        yield mode, lambda lib, x, m=mode: f(lib)(x, q(lib, x), -1, interpolation=m)


def _more_calls(name, shape):
    n = len(shape)
    if name in ("nansum", "nanmean"):
        yield from _full_and_dims(name, _any_dims(n))
        if name == "nansum":
            yield "dtype", lambda lib, x: lib.nansum(x, -1, dtype=lib.float64)
    elif name == "count_nonzero":
        yield "full", lambda lib, x: lib.count_nonzero(x)
        for d in _any_dims(n):
            yield f"dim={d}", lambda lib, x, d=d: lib.count_nonzero(x, d)
    elif name in ("median", "nanmedian"):
        yield from _full_and_dims(name, _int_dims(n))
        yield "method", lambda lib, x: getattr(x, name)(dim=-1, keepdim=True)
    elif name == "mode":
        yield "default dim", lambda lib, x: lib.mode(x)
        yield from list(_full_and_dims(name, _int_dims(n)))[1:]
    elif name == "kthvalue":
        for d in _int_dims(n):
            size = shape[d] if shape else 1
            for kk in sorted({1, max(size, 1), (size + 1) // 2 or 1}):
                for k in (False, True):
                    yield f"k={kk} dim={d} keepdim={k}", (
                        lambda lib, x, kk=kk, d=d, k=k: lib.kthvalue(x, kk, d, k))  # fmt: skip
    elif name == "aminmax":
        yield "full", lambda lib, x: lib.aminmax(x)
        yield "full keepdim", lambda lib, x: lib.aminmax(x, keepdim=True)
        for d in _int_dims(n):
            for k in (False, True):
                yield f"dim={d} keepdim={k}", (
                    lambda lib, x, d=d, k=k: x.aminmax(dim=d, keepdim=k))  # fmt: skip
    elif name in ("cummax", "cummin", "logcumsumexp"):
        for d in _int_dims(n):
            yield f"dim={d}", lambda lib, x, d=d: getattr(lib, name)(x, d)
    else:
        yield from _quantile_calls(name, n, shape)


MORE = ["nansum", "nanmean", "count_nonzero", "median", "nanmedian", "mode", "kthvalue",
        "aminmax", "cummax", "cummin", "logcumsumexp", "quantile", "nanquantile"]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", MORE)
def test_more_reductions_sweep(name, dtype):
    # shapes 0-d to 4-d (empty ones included), transposed layouts, every dim and keepdim;
    # values, dtypes, indices, grad_fn names and gradients against torch, or its exception
    for shape, a in _distinct_inputs(dtype):
        for desc, fn in _more_calls(name, shape):
            _same(fn, a, what=f"{name} {shape} strides={a.strides} {desc}")


@pytest.mark.parametrize("dt", ["int32", "int8", "uint8", "int16", "float16"])
@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.nansum(1),
        lambda lib, x: x.count_nonzero(0),
        lambda lib, x: x.median(),
        lambda lib, x: x.median(1),
        lambda lib, x: x.nanmedian(0),
        lambda lib, x: x.mode(1),
        lambda lib, x: x.kthvalue(2, 1),
        lambda lib, x: x.aminmax(dim=0),
        lambda lib, x: x.cummax(1),
        lambda lib, x: x.cummin(0),
        lambda lib, x: x.logcumsumexp(1),
        lambda lib, x: x.quantile(0.5),
    ],
)
def test_more_small_dtypes(fn, dt):
    _same(fn, np.array([[1, 4, 0], [3, 2, 5]], dtype=dt), what=dt)


def _nan_data():
    nan = np.nan
    return np.array([[1.0, nan, 3.0, nan, 0.5], [2.0, 5.0, -1.0, 0.0, 4.0],
                     [nan, nan, nan, nan, nan], [nan, 2.5, 2.0, 1.0, -3.0]])  # fmt: skip


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.nansum(),
        lambda lib, x: x.nansum(1, keepdim=True),
        lambda lib, x: x.nanmean(),
        lambda lib, x: x.nanmean(1),
        lambda lib, x: lib.nanmean(x, (0, 1), True),
        lambda lib, x: x.count_nonzero(1),
        lambda lib, x: x.median(),
        lambda lib, x: x[1:].median(),
        lambda lib, x: x.nanmedian(),
        lambda lib, x: x[2].nanmedian(),
        lambda lib, x: x.median(1),
        lambda lib, x: x.median(0, True),
        lambda lib, x: x[[0, 1, 3]].nanmedian(1),  # all NaN: torch's index is arbitrary
        lambda lib, x: x[[0, 1, 3]].kthvalue(2, 1),
        lambda lib, x: x.aminmax(),
        lambda lib, x: x.aminmax(dim=1),
        lambda lib, x: x.cummax(1),
        lambda lib, x: x.cummin(0),
        lambda lib, x: x.logcumsumexp(1),
        lambda lib, x: x.quantile(0.3, 1),
        lambda lib, x: x.quantile(lib.tensor([0.2, 0.6], dtype=x.dtype), 0, True),
        lambda lib, x: x.nanquantile(0.3, 1),
        lambda lib, x: x.nanquantile(lib.tensor([0.0, 0.6, 1.0], dtype=x.dtype), 1),
        lambda lib, x: x.nanquantile(0.7),
        lambda lib, x: x.quantile(0.7).detach(),  # which NaN takes the gradient: arbitrary
    ],
)
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_more_nan(fn, dt):
    check(fn, _nan_data().astype(dt))
    check(fn, np.ascontiguousarray(_nan_data().T).astype(dt).T)


def _valid_picks(lib_out, x, dim, keepdim):
    """ember's (values, indices) pick equal values of x (NaN matching NaN)."""
    values, indices = lib_out
    idx = indices if keepdim else indices.unsqueeze(dim)
    got = x.gather(dim, idx)
    want = values if keepdim else values.unsqueeze(dim)
    same = (got == want) | ((got != got) & (want != want))
    assert bool(same.all()), f"indices {indices} do not pick {values} from {x}"


@pytest.mark.parametrize(
    "name,fn",
    [
        ("nanmedian", lambda lib, x: lib.nanmedian(x, 1)),
        ("kthvalue", lambda lib, x: lib.kthvalue(x, 4, 1)),
        ("kthvalue", lambda lib, x: lib.kthvalue(x, 5, 1, True)),
        ("median", lambda lib, x: lib.median(x, 1)),
        ("mode", lambda lib, x: lib.mode(x, 1)),
    ],
)
def test_indices_of_nan_and_ties(name, fn):
    # where torch's index is implementation-defined (NaN, ties), values match and indices pick them
    for a in (
        _nan_data(),
        np.array([[3.0, 1.0, 3.0, 1.0, 2.0], [5.0] * 5, [1.0, 2.0] * 2 + [2.0]]),
    ):
        if name == "mode" and np.isnan(a).any():
            continue  # torch's mode with NaN depends on its sort's handling of NaN
        (ex,), (tx,) = make_inputs(ember, (a,))[0], make_inputs(torch, (a,))[0]
        e, t = fn(ember, ex), fn(torch, tx)
        torch.testing.assert_close(torch.from_numpy(e.values.numpy()), t.values, equal_nan=True)
        _valid_picks(e, ex, 1, e.values.ndim == ex.ndim)


TIES_MORE = np.array([[1.0, 3.0, 3.0, -2.0, 1.0], [2.0, 0.0, 2.0, 2.0, 0.0], [-1.0] * 5])


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.median(),
        lambda lib, x: x[:, :4].median(),
        lambda lib, x: x.nanmedian(),
        lambda lib, x: x.aminmax(),
        lambda lib, x: x.aminmax(dim=1),
        lambda lib, x: x.aminmax(dim=0, keepdim=True),
        lambda lib, x: x.cummax(1),
        lambda lib, x: x.cummin(1),
        lambda lib, x: x.cummax(0),
        lambda lib, x: x.mode(1),
        lambda lib, x: x.mode(0),
        lambda lib, x: x.quantile(0.5, 1),
        lambda lib, x: x.sort(dim=1, stable=True),
    ],
)
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_more_ties(fn, dt):
    # full reductions and aminmax share the gradient among ties; cummax/cummin move their index
    # to the last equal element; mode reports the last occurrence of the smallest mode
    check(fn, TIES_MORE.astype(dt))
    check(fn, TIES_MORE.T.astype(dt))


def test_median_is_lower():
    for n in range(1, 7):
        a = np.random.default_rng(n).permutation(n).astype(np.float64)
        check(lambda lib, x: (x.median(), x.median(0), x.nanmedian(0)), a)


@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("mode", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_quantile_interpolation(name, mode, dt):
    rng = np.random.default_rng(7)
    x = _data(rng, (3, 5), dt)
    q = np.array([0.0, 0.125, 0.25, 0.5, 0.6, 0.875, 1.0], dtype=dt)  # exact ranks and between
    check(lambda lib, x, q: getattr(lib, name)(x, q, 1, interpolation=mode), x, q)
    check(lambda lib, x, q: getattr(lib, name)(x, q, interpolation=mode), x, q)
    for qq in (0.0, 0.5, 0.625, 1.0, 1):
        check(lambda lib, x, qq=qq: getattr(x, name)(qq, 0, True, interpolation=mode), x)


@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantile_grad_of_q(name):
    rng = np.random.default_rng(8)
    x, q = _data(rng, (3, 6), np.float64), np.array([0.13, 0.5, 0.91])
    f = getattr(ember, name)
    check(lambda lib, x, q: getattr(lib, name)(x, q, 1), x, q)
    check(lambda lib, x, q: getattr(lib, name)(x, q[1]), x, q)
    check_gradgrad(lambda lib, x, q: getattr(lib, name)(x, q, 0, True) ** 2, x, q)
    gradcheck(lambda x, q: f(x, q, 1), [x, q])
    gradgradcheck(lambda x, q: f(x, q, -1, True) ** 2, [x, q])
    gradcheck(lambda x, q: f(x, q), [x, q])


def test_logcumsumexp_extremes():
    inf = np.inf
    a = np.array([[1000.0, 999.0, -1000.0, 0.5], [-inf, -inf, 0.0, 1.0], [-inf, inf, 1.0, 2.0],
                  [3.0, -2.0, 0.0, 1e-3]])  # fmt: skip
    for dt in (np.float32, np.float64):
        check(lambda lib, x: x.logcumsumexp(1), a[[0, 3]].astype(dt))
        check(lambda lib, x: x.logcumsumexp(0), a[[0, 3]].astype(dt))
        check(lambda lib, x: x.logcumsumexp(1), a.astype(dt), grad=False)
    gradcheck(lambda x: x.logcumsumexp(1), [a[[0, 3]] / 100])
    gradgradcheck(lambda x: x.logcumsumexp(0), [a[[0, 3]] / 100])


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.nansum(1) ** 2,
        lambda lib, x: x.nanmean((0, 2)) ** 2,
        lambda lib, x: x.median() * x.sum(),
        lambda lib, x: x.median(1).values ** 2,
        lambda lib, x: x.nanmedian(2, True)[0] * x,
        lambda lib, x: x.mode(1)[0] ** 2,
        lambda lib, x: x.kthvalue(2, 0)[0] ** 2,
        lambda lib, x: lib.aminmax(x, dim=1)[0] * lib.aminmax(x, dim=1)[1],
        lambda lib, x: x.cummax(2)[0] ** 2,
        lambda lib, x: x.cummin(1)[0] * x,
        lambda lib, x: x.logcumsumexp(1),
        lambda lib, x: x.quantile(0.3, 1) ** 2,
        lambda lib, x: x.nanquantile(lib.tensor([0.2, 0.7], dtype=x.dtype), 2) ** 2,
    ],
)
def test_more_second_order(fn):
    check_gradgrad(fn, _data(np.random.default_rng(9), (2, 3, 4), np.float64))


def test_more_return_types():
    a = np.array([[1.0, 5.0, 2.0], [4.0, 2.0, 7.0]], dtype=np.float32)
    (ex,), (tx,) = make_inputs(ember, (a,), True)[0], make_inputs(torch, (a,), True)[0]
    calls = {
        "median": lambda lib, x: lib.median(x, 1),
        "nanmedian": lambda lib, x: lib.nanmedian(x, 1),
        "mode": lambda lib, x: lib.mode(x),
        "kthvalue": lambda lib, x: lib.kthvalue(x, 2),
        "aminmax": lambda lib, x: lib.aminmax(x, dim=0),
        "cummax": lambda lib, x: lib.cummax(x, 1),
        "cummin": lambda lib, x: lib.cummin(x, 0),
    }
    for name, fn in calls.items():
        e, t = fn(ember, ex), fn(torch, tx)
        assert type(e).__name__ == type(t).__name__ == name
        assert type(e).__module__ == "ember.return_types"
        assert e.n_fields == t.n_fields == 2
        # the repr names the fields: values/indices, or min/max
        assert repr(e) == repr(t).replace("torch.", "ember.")
        first, second = e
        assert first is e[0] and second is e[1]


def test_more_methods_follow_torch():
    for name in MORE + ["median", "nanmedian"]:
        assert hasattr(ember.Tensor, name) == hasattr(torch.Tensor, name), name
        assert hasattr(ember, name) == hasattr(torch, name), name


def test_more_keyword_forms():
    a = _data(np.random.default_rng(10), (2, 3), np.float64)
    check(lambda lib, x: lib.nansum(x, dim=(0, 1), keepdim=True), a)
    check(lambda lib, x: lib.nanmean(input=x, dim=1), a)
    check(lambda lib, x: lib.count_nonzero(x, dim=[0]), a)
    check(lambda lib, x: lib.median(x, dim=1, keepdim=True), a)
    check(lambda lib, x: lib.kthvalue(x, k=2, dim=0), a)
    check(lambda lib, x: lib.mode(x, dim=0, keepdim=True), a)
    check(lambda lib, x: lib.quantile(x, q=0.3, dim=1, keepdim=True, interpolation="lower"), a)
    check(lambda lib, x: lib.cummax(x, dim=0), a)
    check(lambda lib, x: lib.logcumsumexp(x, dim=-1), a)
    check(lambda lib, x: lib.aminmax(x, dim=-1, keepdim=False), a)


@pytest.mark.parametrize(
    "fn,arg",
    [
        (lambda lib, x: x.nansum(2), A),
        (lambda lib, x: x.nansum((0, 0)), A),
        (lambda lib, x: x.nanmean(), np.arange(4)),
        (lambda lib, x: x.count_nonzero(2), A),
        (lambda lib, x: lib.count_nonzero(x, 1, keepdim=True), A),
        (lambda lib, x: x.median(), A > 1),
        (lambda lib, x: x.median(0), A > 1),
        (lambda lib, x: x.nanmedian(), A > 1),
        (lambda lib, x: x.median(0), np.zeros((0, 3))),
        (lambda lib, x: x.median(dim=None), A),
        (lambda lib, x: x.median((0,)), A),
        (lambda lib, x: x.median(2), A),
        (lambda lib, x: x.mode(0), np.zeros((0, 3))),
        (lambda lib, x: x.mode(5), A),
        (lambda lib, x: x.kthvalue(4, 1), A),
        (lambda lib, x: x.kthvalue(0), A),
        (lambda lib, x: x.kthvalue(2), np.array(3.0)),
        (lambda lib, x: x.kthvalue(1, 0), np.zeros((0, 3))),
        (lambda lib, x: x.kthvalue(1), A > 1),
        (lambda lib, x: x.aminmax(), np.zeros((0, 3))),
        (lambda lib, x: x.aminmax(dim=0), np.zeros((0, 3))),
        (lambda lib, x: x.aminmax(dim=(0,)), A),
        (lambda lib, x: lib.aminmax(x, 1), A),
        (lambda lib, x: x.cummax(2), A),
        (lambda lib, x: x.logcumsumexp(0), np.arange(3)),
        (lambda lib, x: x.logcumsumexp(0), np.arange(3) > 0),
        (lambda lib, x: x.logcumsumexp(3), A),
        (lambda lib, x: x.quantile(1.5), A),
        (lambda lib, x: x.quantile(-0.5), A),
        (lambda lib, x: x.quantile(lib.tensor([0.5, 1.5], dtype=x.dtype)), A),
        (lambda lib, x: x.quantile(lib.tensor([[0.5]], dtype=x.dtype)), A),
        (lambda lib, x: x.quantile(lib.tensor([0.5], dtype=lib.float32)), A),
        (lambda lib, x: x.quantile(0.5), np.arange(4)),
        (lambda lib, x: x.quantile(0.5), np.zeros((0, 3))),
        (lambda lib, x: x.quantile(0.5, 0), np.zeros((0, 3))),
        (lambda lib, x: x.quantile(0.5, interpolation="cubic"), A),
        (lambda lib, x: x.quantile(0.5, 2), A),
        (lambda lib, x: x.nanquantile(2.0, 1), A),
    ],
)
def test_more_errors(fn, arg):
    check_error(fn, arg)


def test_more_error_messages():
    check_error(lambda lib, x: x.kthvalue(4, 1), A, match="selected number k out of range")
    check_error(lambda lib, x: x.median(0), np.zeros((0, 2)), match="dim 0 to have non-zero")
    check_error(lambda lib, x: x.median(), A > 0, match="not implemented for 'Bool'")
    check_error(lambda lib, x: x.quantile(1.5), A, match="q must be in the range [0, 1]")
    check_error(lambda lib, x: x.quantile(0.5), np.arange(3), match="must be either float or")
    check_error(lambda lib, x: x.quantile(0.5, interpolation="x"), A, match="interpolation must")
    check_error(lambda lib, x: x.aminmax(), np.zeros(0), match="cannot compute aminmax")
    check_error(lambda lib, x: x.nanmean(), np.arange(3), match="expected input to have floating")
    check_error(lambda lib, x: x.logcumsumexp(0), np.arange(3), match="not implemented for 'Long'")
