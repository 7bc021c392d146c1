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

from helpers import check, check_error, check_gradgrad, make_inputs  # noqa: E402

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
