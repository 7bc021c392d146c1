"""Sorting and counting against torch: sort, argsort, msort, topk, searchsorted, bucketize,
unique, unique_consecutive, bincount, histc, histogram.

Values, dtypes, shapes, indices, grad_fn names and gradients are compared with torch over
shapes from 0-d to 4-d (empty ones included), transposed layouts, every dim, and float, int and
bool dtypes; where torch raises, ember raises the same exception type. Stable sorts must give
torch's indices exactly; where torch leaves the order of ties open (the default sort, topk), the
values must match and the indices must pick them.
"""

# The lambdas below are called inside the loops that define them (never later):
# ruff: noqa: B023

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import check, check_error, check_gradgrad, gradcheck, make_inputs  # noqa: E402

import ember  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")

SHAPES = [(), (0,), (1,), (5,), (0, 3), (2, 3), (3, 1, 4), (2, 0, 3), (2, 3, 4, 2)]
DTYPES = [np.float32, np.float64, np.int64, np.bool_]
NAN = np.nan


def _data(rng, shape, dtype, distinct=True, transposed=False):
    """Distinct values (ties only where ``distinct`` is off, or for bool)."""
    if transposed:
        return _data(rng, shape[::-1], dtype, distinct).T
    n = int(np.prod(shape))
    if dtype == np.bool_:
        return np.asarray(rng.uniform(size=shape) > 0.5)
    if not distinct:
        return np.asarray(rng.integers(-2, 3, shape), dtype=dtype)
    vals = rng.permutation(n).reshape(shape) - n // 2
    return np.asarray(vals / 4.0 if np.dtype(dtype).kind == "f" else vals, dtype=dtype)


def _inputs(dtype, distinct=True, seed=0):
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        yield shape, _data(rng, shape, dtype, distinct)
        if len(shape) >= 2:
            yield shape, _data(rng, shape, dtype, distinct, transposed=True)


def _dims(n):
    return sorted({0, -1} | set(range(n)))


def _torch_raises(fn, args) -> bool:
    targs, _ = make_inputs(torch, args)
    try:
        fn(torch, *targs)
    except Exception:
        return True
    return False


def _same(fn, *args, what="", **kw):
    """ember == torch for ``fn(lib, *args)``: outputs and gradients, or the exception type."""
    try:
        if _torch_raises(fn, args):
            check_error(fn, *args)
        else:
            check(fn, *args, **kw)
    except (Exception, pytest.fail.Exception) as e:
        raise AssertionError(f"{what}: {type(e).__name__}: {e}") from e


def _both(fn, *args):
    """``fn`` through ember and torch on the same inputs (no gradients)."""
    (eargs, _), (targs, _) = make_inputs(ember, args), make_inputs(torch, args)
    return fn(ember, *eargs), fn(torch, *targs), eargs[0]


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _assert_valid_sort(e, t, x, dim, k=None):
    """ember's values equal torch's; its indices pick them from x, each index at most once."""
    ev, ei, tv = _np(e[0]), _np(e[1]), _np(t[0])
    np.testing.assert_array_equal(ev, tv)
    assert e[0].dtype == ember.from_numpy(tv).dtype and e[1].dtype is ember.int64
    xa = _np(x)
    if xa.ndim == 0:
        assert ei.shape == () and ei == 0
        return
    np.testing.assert_array_equal(np.take_along_axis(xa, ei, dim), ev)
    s = np.sort(ei, axis=dim)
    assert (np.diff(s, axis=dim) > 0).all(), f"repeated indices {ei}"
    if k is None:  # a full sort: a permutation
        np.testing.assert_array_equal(s, np.broadcast_to(
            np.arange(xa.shape[dim]).reshape([-1 if a == dim % xa.ndim else 1
                                              for a in range(xa.ndim)]), s.shape))  # fmt: skip


# -- sort, argsort, msort ---------------------------------------------------------------------


def _sort_calls(n):
    yield "default", lambda lib, x: lib.sort(x)
    yield "method", lambda lib, x: x.sort()
    for d in _dims(n):
        for desc in (False, True):
            yield f"dim={d} desc={desc}", lambda lib, x, d=d, s=desc: lib.sort(x, d, s)
            yield (
                f"stable dim={d} desc={desc}",
                (lambda lib, x, d=d, s=desc: lib.sort(x, stable=True, dim=d, descending=s)),
            )
            yield f"argsort dim={d} desc={desc}", (
                lambda lib, x, d=d, s=desc: lib.argsort(x, d, s))  # fmt: skip
            yield (
                f"stable argsort dim={d} desc={desc}",
                (lambda lib, x, d=d, s=desc: x.argsort(stable=True, dim=d, descending=s)),
            )
    yield "msort", lambda lib, x: lib.msort(x)
    yield "Tensor.msort", lambda lib, x: x.msort()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_sort_sweep(dtype):
    # distinct values: every sort has one answer, indices and gradients included
    for shape, a in _inputs(dtype):
        for desc, fn in _sort_calls(len(shape)):
            _same(fn, a, what=f"sort {shape} strides={a.strides} {desc}")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_stable_sort_ties(dtype):
    # stable sorts keep equal elements in their order, descending too: exactly torch's indices
    for shape, a in _inputs(dtype, distinct=False, seed=1):
        for d in _dims(len(shape)):
            for s in (False, True):
                _same(lambda lib, x: lib.sort(x, stable=True, dim=d, descending=s), a,
                      what=f"{shape} {d} {s}")  # fmt: skip
                _same(lambda lib, x: lib.argsort(x, stable=True, dim=d, descending=s), a,
                      what=f"{shape} {d} {s}")  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_unstable_sort_ties(dtype):
    # torch leaves the order of ties open: values match and indices are a permutation picking them
    for shape, a in _inputs(dtype, distinct=False, seed=2):
        for d in _dims(len(shape)):
            for s in (False, True):
                e, t, x = _both(lambda lib, x: lib.sort(x, d, s), a)
                _assert_valid_sort(e, t, x, d)


def test_sort_nan():
    a = np.array([[3.0, NAN, 1.0, 3.0, -NAN, 1.0, np.inf, -np.inf], [NAN] * 4 + [0.0] * 4])
    for dt in (np.float32, np.float64, np.float16):
        for s in (False, True):
            check(lambda lib, x: lib.sort(x, stable=True, descending=s), a.astype(dt))
            check(lambda lib, x: lib.sort(x, 0, s), a.astype(dt))
            check(lambda lib, x: lib.argsort(x, stable=True, descending=s), a.astype(dt))
            e, t, x = _both(lambda lib, x: lib.topk(x, 3, largest=s), a.astype(dt))
            _assert_valid_sort(e, t, x, 1, 3)  # which of equal elements: torch leaves it open


def test_sort_grad_of_ties():
    # stable: the gradient follows torch's (stable) permutation exactly
    a = np.array([[1.0, 3.0, 1.0, 2.0, 3.0, 1.0], [0.0] * 6])
    check(lambda lib, x: lib.sort(x, stable=True, descending=True), a)
    check(lambda lib, x: lib.sort(x, dim=0, stable=True), a.T)
    check(lambda lib, x: lib.msort(x), a.T)


def test_sort_gradients():
    rng = np.random.default_rng(3)
    x = _data(rng, (3, 4, 5), np.float64) + rng.uniform(-0.01, 0.01, (3, 4, 5))
    for fn in (lambda x: x.sort(1).values, lambda x: x.sort(-1, True)[0] ** 2,
               lambda x: x.msort() * x, lambda x: x.topk(2, 0).values.exp()):  # fmt: skip
        gradcheck(fn, [x])
        check_gradgrad(lambda lib, x: fn(x), x)


def test_sort_signatures():
    a = _data(np.random.default_rng(4), (3, 4), np.float32)
    check(lambda lib, x: lib.sort(x, dim=0, descending=True), a)
    check(lambda lib, x: lib.sort(input=x, dim=1), a)
    check(lambda lib, x: x.sort(stable=False), a)
    check(lambda lib, x: x.sort(stable=None, dim=0), a)  # the stable overload: SortBackward1
    check(lambda lib, x: lib.argsort(x, dim=0, descending=True), a)
    for fn in (
        lambda lib, x: lib.sort(x, 1, stable=True),
        lambda lib, x: lib.sort(x, 1, True, True),
        lambda lib, x: lib.argsort(x, 1, stable=True),
        lambda lib, x: lib.sort(x, 2),
        lambda lib, x: lib.argsort(x, -3),
        lambda lib, x: lib.sort(x.to(lib.complex64)),
        lambda lib, x: lib.argsort(x.to(lib.complex64)),
        lambda lib, x: lib.msort(x.to(lib.complex64)),
    ):
        check_error(fn, a)


def test_sort_return_type():
    (ex,), (tx,) = make_inputs(ember, (np.array([2.0, 1.0]),))[0], make_inputs(torch, (
        np.array([2.0, 1.0]),))[0]  # fmt: skip
    for name, fn in (("sort", lambda lib, x: lib.sort(x)), ("topk", lambda lib, x: x.topk(1))):
        e, t = fn(ember, ex), fn(torch, tx)
        assert type(e).__name__ == type(t).__name__ == name
        assert type(e).__module__ == "ember.return_types"
        assert repr(e) == repr(t).replace("torch.", "ember.")
        assert e.values is e[0] and e.indices is e[1]


# -- topk -------------------------------------------------------------------------------------


def _topk_calls(shape):
    n = len(shape)
    for d in _dims(n):
        size = shape[d] if shape else 1
        for k in sorted({0, 1, size, size + 1, max(size - 1, 0)}):
            for largest in (True, False):
                yield f"k={k} dim={d} largest={largest}", (
                    lambda lib, x, k=k, d=d, g=largest: lib.topk(x, k, d, g))  # fmt: skip
    yield "default dim", lambda lib, x: x.topk(1)
    yield "keywords", lambda lib, x: lib.topk(x, k=1, dim=-1, largest=False, sorted=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_topk_sweep(dtype):
    for shape, a in _inputs(dtype):
        for desc, fn in _topk_calls(shape):
            _same(fn, a, what=f"topk {shape} strides={a.strides} {desc}")


def test_topk_ties_and_unsorted():
    rng = np.random.default_rng(5)
    for shape in [(7,), (3, 6), (2, 5, 4)]:
        a = rng.integers(-2, 3, shape).astype(np.float64)
        for d in _dims(len(shape)):
            for k in range(shape[d] + 1):
                for largest in (True, False):
                    e, t, x = _both(lambda lib, x: lib.topk(x, k, d, largest), a)
                    _assert_valid_sort(e, t, x, d, k)
                    # sorted=False: torch's order is open; the same elements come back
                    e, t, x = _both(lambda lib, x: lib.topk(x, k, d, largest, False), a)
                    e = ember.sort(e.values, d, largest)
                    np.testing.assert_array_equal(_np(e.values), _np(t.values.sort(d, largest)[0]))


# -- searchsorted, bucketize ------------------------------------------------------------------


def _boundaries(rng, shape, dtype):
    b = np.sort(rng.integers(-6, 7, shape), axis=-1)  # repeats included
    return (b / 2 if np.dtype(dtype).kind == "f" else b).astype(dtype)


@pytest.mark.parametrize("bdt", [np.float32, np.float64, np.int64, np.int32], ids=str)
@pytest.mark.parametrize("vdt", [np.float32, np.float64, np.int64], ids=str)
def test_searchsorted_sweep(bdt, vdt):
    rng = np.random.default_rng(6)
    cases = [((0,), (4,)), ((1,), (3,)), ((6,), ()), ((6,), (2, 3)), ((5,), (0, 2)),
             ((2, 5), (2, 3)), ((2, 3, 4), (2, 3, 5)), ((2, 0), (2, 3)),
             ((2, 4), (2, 0))]  # fmt: skip
    for bshape, vshape in cases:
        b = _boundaries(rng, bshape, bdt)
        v = (rng.integers(-8, 9, vshape) / 2).astype(vdt)
        for kw in ({}, {"right": True}, {"side": "right"}, {"side": "left"},
                   {"out_int32": True, "right": True},
                   {"right": False, "side": "right"}):  # fmt: skip
            _same(lambda lib, b, v: lib.searchsorted(b, v, **kw), b, v, what=f"{bshape} {kw}")
            if len(bshape) == 1:
                _same(lambda lib, b, v: lib.bucketize(v, b, **{k: w for k, w in kw.items()
                                                              if k != "side"}), b, v)  # fmt: skip
                for s in (2, -3.5, 0.5):
                    _same(lambda lib, b: lib.searchsorted(b, s, **kw), b, what=f"scalar {s}")
                    _same(lambda lib, b: lib.bucketize(s, b, right=kw.get("right", False)), b)


def test_searchsorted_nan_and_inf():
    b = np.array([-np.inf, 1.0, 3.0, 3.0, 5.0, np.inf, NAN, NAN])
    v = np.array([[NAN, -np.inf, 3.0, 6.0], [np.inf, 1.0, 0.0, 7.0]])
    for dt in (np.float32, np.float64):
        for right in (False, True):
            check(lambda lib, b, v: lib.searchsorted(b, v, right=right), b.astype(dt), v.astype(dt))
            check(lambda lib, b, v: lib.searchsorted(b, v, right=right), b[:6].astype(dt),
                  v.astype(dt))  # fmt: skip
            check(lambda lib, b, v: lib.searchsorted(b, v, right=right),
                  np.stack([b, b[::-1]]).astype(dt), v.astype(dt))  # fmt: skip
            check(lambda lib, b, v: lib.bucketize(v, b, right=right), b.astype(dt), v.astype(dt))


def test_searchsorted_sorter():
    rng = np.random.default_rng(7)
    b = rng.integers(-5, 5, (2, 6)).astype(np.float64)
    sorter = np.argsort(b, axis=-1, kind="stable")
    v = rng.integers(-6, 6, (2, 4)).astype(np.float64)
    check(lambda lib, b, v, s: lib.searchsorted(b, v, sorter=s), b, v, sorter)
    check(lambda lib, b, v, s: lib.searchsorted(b, v, side="right", sorter=s), b, v, sorter)
    check(lambda lib, b, v, s: lib.searchsorted(b[0], v, sorter=s[0]), b, v, sorter)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, b, v: lib.searchsorted(b, v, side="middle"),
        lambda lib, b, v: lib.searchsorted(b, v, side="left", right=True),
        lambda lib, b, v: lib.searchsorted(b[0, 0], v),
        lambda lib, b, v: lib.searchsorted(b, v[:1]),
        lambda lib, b, v: lib.searchsorted(b, v[0]),
        lambda lib, b, v: lib.searchsorted(b, 3.0),
        lambda lib, b, v: lib.searchsorted(b[0], v, sorter=lib.tensor([0, 1])),
        lambda lib, b, v: lib.searchsorted(b[0], v, sorter=lib.tensor([0, 1, 2.0])),
        lambda lib, b, v: lib.searchsorted(b[0], v, sorter=lib.tensor([0, 1, 3])),
        lambda lib, b, v: lib.searchsorted(b > 0, v > 0),
        lambda lib, b, v: lib.searchsorted(b.to(lib.complex64), v.to(lib.complex64)),
        lambda lib, b, v: lib.bucketize(v, b),
        lambda lib, b, v: lib.bucketize(v, b[0, 0]),
    ],
)
def test_searchsorted_errors(fn):
    check_error(fn, np.array([[1.0, 2.0, 3.0], [0.0, 5.0, 6.0]]), np.array([[1.5], [7.0]]))


def test_searchsorted_messages():
    b, v = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.5])
    check_error(lambda lib, b, v: lib.searchsorted(b, v), b, v, match="first N-1 dimensions")
    check_error(lambda lib, b, v: lib.searchsorted(b, v, side="x"), b, v, match="side can only")
    check_error(lambda lib, b, v: lib.bucketize(v, b), b, v, match="must be 1 dimension")


# -- unique, unique_consecutive ---------------------------------------------------------------


def _unique_calls(n):
    for inv in (False, True):
        for cnt in (False, True):
            yield (
                f"inv={inv} cnt={cnt}",
                (lambda lib, x, i=inv, c=cnt: lib.unique(x, return_inverse=i, return_counts=c)),
            )
            yield f"consecutive inv={inv} cnt={cnt}", (
                lambda lib, x, i=inv, c=cnt: lib.unique_consecutive(
                    x, return_inverse=i, return_counts=c))  # fmt: skip
            for d in _dims(n) if n else [0]:
                yield f"dim={d} inv={inv} cnt={cnt}", (
                    lambda lib, x, i=inv, c=cnt, d=d: lib.unique(x, True, i, c, d))  # fmt: skip
                yield f"consecutive dim={d} inv={inv} cnt={cnt}", (
                    lambda lib, x, i=inv, c=cnt, d=d: x.unique_consecutive(i, c, d))  # fmt: skip
    # (torch.unique_consecutive's positional flags are mixed up by its dispatch; ember reads
    # them in signature order, so only keywords are compared)
    yield "sorted=False", lambda lib, x: lib.unique(x, sorted=False, return_inverse=True)
    yield "method", lambda lib, x: x.unique(return_counts=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_unique_sweep(dtype):
    # repeated values; torch's unique has no derivative, so the check stays with values
    for shape, a in _inputs(dtype, distinct=False, seed=8):
        for desc, fn in _unique_calls(len(shape)):
            _same(fn, a, what=f"unique {shape} strides={a.strides} {desc}", grad=False)
    rows = np.array([[1, 2, 0], [0, 5, 1], [1, 2, 0], [0, 1, 2], [0, 5, 1]]).astype(dtype)
    for desc, fn in _unique_calls(2):
        _same(fn, rows, what=f"rows {desc}", grad=False)


def test_unique_nan():
    # every NaN is its own value, sorted last
    a = np.array([[3.0, NAN, 1.0], [NAN, 1.0, 3.0], [NAN, NAN, 1.0]])
    for dt in (np.float32, np.float64):
        for fn in (lambda lib, x: lib.unique(x, return_inverse=True, return_counts=True),
                   lambda lib, x: lib.unique_consecutive(x, return_inverse=True,
                                                         return_counts=True),
                   lambda lib, x: lib.unique(x[:, [0]], dim=0, return_counts=True),
                   lambda lib, x: lib.unique(x[:2], dim=1, return_inverse=True)):  # fmt: skip
            check(fn, a.astype(dt), grad=False)


def test_unique_has_no_derivative():
    a = np.array([2.0, 1.0, 2.0])
    for fn in (lambda lib, x: lib.unique(x), lambda lib, x: lib.unique(x, return_inverse=True),
               lambda lib, x: lib.unique(x.reshape(3, 1), dim=0),
               lambda lib, x: lib.unique_consecutive(x, return_counts=True),
               lambda lib, x: lib.unique_consecutive(x.reshape(3, 1), dim=0)):  # fmt: skip
        outs = []
        for lib in (torch, ember):
            (x,), _ = make_inputs(lib, (a,), requires_grad=True)
            out = fn(lib, x)
            out = out[0] if isinstance(out, tuple) else out
            outs.append((out.requires_grad, out.grad_fn.name()))
        assert outs[0] == outs[1]
        check_error(lambda lib, x: (lambda o: (o[0] if isinstance(o, tuple) else o).sum())(
            fn(lib, x.requires_grad_())).backward(), a)  # fmt: skip


@pytest.mark.parametrize(
    "fn,arg",
    [
        (lambda lib, x: lib.unique(x, dim=2), np.zeros((2, 3))),
        (lambda lib, x: lib.unique(x, dim=0), np.array(1.0)),
        (lambda lib, x: lib.unique(x, dim=1), np.zeros((0, 3))),
        (lambda lib, x: lib.unique(x, dim=0), np.zeros((2, 0))),
        (lambda lib, x: lib.unique_consecutive(x, dim=1), np.zeros((0, 3))),
        (lambda lib, x: lib.unique_consecutive(x, dim=0), np.array(1.0)),
        (lambda lib, x: lib.unique(x.to(lib.complex64)), np.zeros(3)),
    ],
)
def test_unique_errors(fn, arg):
    check_error(fn, arg)


# -- bincount, histc, histogram ---------------------------------------------------------------


def test_bincount():
    rng = np.random.default_rng(9)
    i = rng.integers(0, 6, 20)
    for idt in (np.int64, np.int32, np.int16, np.int8, np.uint8):
        for minlength in (0, 3, 10):
            check(lambda lib, i: lib.bincount(i, minlength=minlength), i.astype(idt))
            check(lambda lib, i: i.bincount(None, minlength), i.astype(idt))
            for w in (rng.uniform(-1, 1, 20), rng.integers(-3, 3, 20), rng.uniform(size=20) > 0.5):
                for wdt in ({np.float64, np.float32, np.float16} if w.dtype.kind == "f"
                            else {w.dtype}):  # fmt: skip
                    check(lambda lib, i, w: lib.bincount(i, w, minlength), i.astype(idt),
                          w.astype(wdt), grad=False)  # fmt: skip
    check(lambda lib, i: lib.bincount(i), np.zeros(0, np.int64))
    check(lambda lib, i: lib.bincount(i, minlength=4), np.zeros(0, np.int64))
    check(lambda lib, i, w: lib.bincount(i, w, 2), np.zeros(0, np.int64), np.zeros(0), grad=False)


def test_bincount_weights_have_no_derivative():
    i, w = np.array([0, 2, 2]), np.array([0.5, 1.0, 2.0])
    (ei, ew), _ = make_inputs(ember, (i, w), requires_grad=True)
    (ti, tw), _ = make_inputs(torch, (i, w), requires_grad=True)
    e, t = ember.bincount(ei, ew), torch.bincount(ti, tw)
    assert e.requires_grad == t.requires_grad and e.grad_fn.name() == t.grad_fn.name()
    check_error(lambda lib, i, w: lib.bincount(i, w.requires_grad_()).sum().backward(), i, w)


@pytest.mark.parametrize(
    "fn,args",
    [
        (lambda lib, i: lib.bincount(i), (np.array([1, -2]),)),
        (lambda lib, i: lib.bincount(i), (np.array([[1, 2]]),)),
        (lambda lib, i: lib.bincount(i), (np.array(1),)),
        (lambda lib, i: lib.bincount(i), (np.array([1.0, 2.0]),)),
        (lambda lib, i: lib.bincount(i), (np.array([True, False]),)),
        (lambda lib, i: lib.bincount(i, minlength=-1), (np.array([1, 2]),)),
        (lambda lib, i, w: lib.bincount(i, w), (np.array([1, 2]), np.ones(3))),
        (lambda lib, i, w: lib.bincount(i, w), (np.array([1, 2]), np.ones((2, 1)))),
    ],
)
def test_bincount_errors(fn, args):
    check_error(fn, *args)


def _hist_data(dt):
    rng = np.random.default_rng(10)
    return (rng.uniform(-3, 3, (4, 6)).round(1)).astype(dt)  # values on bin edges too


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_histc(dt):
    x = _hist_data(dt)
    for kw in ({}, {"bins": 4}, {"bins": 7, "min": -1, "max": 2}, {"bins": 3, "min": 0.1,
               "max": 0.7}, {"bins": 5, "min": -10, "max": 10}, {"min": 1, "max": 1}):  # fmt: skip
        check(lambda lib, x: lib.histc(x, **kw), x)
        check(lambda lib, x: x.histc(**kw), x.T)
    check(lambda lib, x: lib.histc(x, 4), np.ones(5, dt))  # constant: [min - 1, max + 1]
    check(lambda lib, x: lib.histc(x, 4), np.zeros(0, dt))
    check(lambda lib, x: lib.histc(x, 3), np.array(2.0, dt))
    check(lambda lib, x: lib.histc(x, 4, 0, 3), np.array([1.0, 2, 1, 5, -1, NAN, 3, 0], dt))
    check(lambda lib, x: lib.histc(x, 4, 0, 3), np.array([1.0, 2, 1], dt), grad=True)
    check(lambda lib, x: lib.histc(x.half(), 5), x)


@pytest.mark.parametrize(
    "fn,arg",
    [
        (lambda lib, x: lib.histc(x, 4, 3, 0), np.array([1.0, 2.0])),
        (lambda lib, x: lib.histc(x, 0), np.array([1.0, 2.0])),
        (lambda lib, x: lib.histc(x, -3), np.array([1.0, 2.0])),
        (lambda lib, x: lib.histc(x, 3), np.array([1.0, NAN])),
        (lambda lib, x: lib.histc(x, 3), np.array([1.0, np.inf])),
        (lambda lib, x: lib.histc(x, 3, float("inf"), 3), np.array([1.0, 2.0])),
        (lambda lib, x: lib.histc(x, 3), np.array([1, 2])),
        (lambda lib, x: lib.histc(x, 3), np.array([True])),
    ],
)
def test_histc_errors(fn, arg):
    check_error(fn, arg)


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_histogram(dt):
    x = _hist_data(dt)
    w = np.random.default_rng(11).uniform(0, 2, x.shape).astype(dt)
    edges = np.array([-3.0, -1.5, 0.0, 0.2, 2.5], dt)
    for kw in ({}, {"range": (-1.0, 2.0)}, {"range": (-1, 2), "density": True},
               {"density": True}):  # fmt: skip
        for bins in (1, 4, 9):
            check(lambda lib, x: lib.histogram(x, bins, **kw), x, grad=False)
            check(lambda lib, x, w: lib.histogram(x, bins, weight=w, **kw), x, w, grad=False)
        check(lambda lib, x, e: lib.histogram(x, e, density=kw.get("density", False)), x, edges,
              grad=False)  # fmt: skip
        check(lambda lib, x, e, w: x.histogram(e, weight=w), x, edges, w, grad=False)
    check(lambda lib, x: lib.histogram(x, 4), np.ones(3, dt), grad=False)  # [min - .5, max + .5]
    check(lambda lib, x: lib.histogram(x, 3), np.zeros(0, dt), grad=False)  # [0, 1]
    check(lambda lib, x: lib.histogram(x, 3), np.array(0.5, dt), grad=False)
    check(lambda lib, x, e: lib.histogram(x, e), x, edges[::-1].copy(), grad=False)


def test_histogram_has_no_derivative():
    a = np.array([1.0, 2.0, 1.0])
    (ex,), _ = make_inputs(ember, (a,), requires_grad=True)
    (tx,), _ = make_inputs(torch, (a,), requires_grad=True)
    e, t = ember.histogram(ex, 3), torch.histogram(tx, 3)
    assert type(e).__name__ == type(t).__name__ == "histogram"
    for eo, to in zip(e, t):
        assert eo.requires_grad == to.requires_grad and eo.grad_fn.name() == to.grad_fn.name()
    check_error(lambda lib, x: lib.histogram(x.requires_grad_(), 3).hist.sum().backward(), a)
    check(lambda lib, x: lib.histc(x, 3), a)  # histc's output does not require grad


@pytest.mark.parametrize(
    "fn,args",
    [
        (lambda lib, x: lib.histogram(x, 0), (np.array([1.0, 2.0]),)),
        (lambda lib, x: lib.histogram(x, 3, range=(3.0, 1.0)), (np.array([1.0, 2.0]),)),
        (lambda lib, x: lib.histogram(x, 3), (np.array([1.0, NAN]),)),
        (lambda lib, x: lib.histogram(x, 3), (np.array([1, 2]),)),
        (lambda lib, x: lib.histogram(x.half(), 3), (np.array([1.0, 2.0]),)),
        (lambda lib, x, w: lib.histogram(x, 3, weight=w), (np.array([1.0, 2.0]), np.ones(3))),
        (
            lambda lib, x, w: lib.histogram(x, 3, weight=w),
            (np.array([1.0, 2.0]), np.ones(2, np.float32)),
        ),
        (lambda lib, x, e: lib.histogram(x, e), (np.array([1.0, 2.0]), np.ones(3, np.float32))),
    ],
)
def test_histogram_errors(fn, args):
    check_error(fn, *args)


def test_methods_follow_torch():
    names = ["sort", "argsort", "msort", "topk", "searchsorted", "bucketize", "unique",
             "unique_consecutive", "bincount", "histc", "histogram"]  # fmt: skip
    for name in names:
        assert hasattr(ember.Tensor, name) == hasattr(torch.Tensor, name), name
        assert hasattr(ember, name) == hasattr(torch, name), name


def test_long_rows():
    # rows longer than the stable-sort cutoff go through a partition (topk, kthvalue, median)
    rng = np.random.default_rng(12)
    x = (rng.permutation(600).reshape(3, 200) - 300) / 7.0
    nan = x.copy()
    nan[0, 5] = nan[2, 150] = NAN  # one per row: two NaNs are a tie, in an order torch leaves open
    for a in (x, nan, x.astype(np.float32)):
        for fn in (lambda lib, x: lib.topk(x, 5, 1), lambda lib, x: lib.topk(x, 7, 1, False),
                   lambda lib, x: lib.topk(x.t(), 4, 0), lambda lib, x: lib.topk(x, 60, 1),
                   lambda lib, x: lib.kthvalue(x, 17, 1), lambda lib, x: lib.kthvalue(x.t(), 3, 0),
                   lambda lib, x: lib.median(x, 1), lambda lib, x: lib.nanmedian(x, 1, True),
                   lambda lib, x: (lib.median(x), lib.nanmedian(x), lib.median(x[1])),
                   lambda lib, x: lib.quantile(x, 0.37, 1),
                   lambda lib, x: lib.mode(x, 1)):  # fmt: skip
            check(fn, a)
    ties = rng.integers(-20, 20, (3, 200)).astype(np.float64)
    for fn, k in ((lambda lib, x: lib.topk(x, 5, 1), 5),
                  (lambda lib, x: lib.topk(x, 9, 1, False), 9),
                  (lambda lib, x: lib.kthvalue(x, 50, 1, True), 1),
                  (lambda lib, x: lib.median(x, 1, True), 1)):  # fmt: skip
        e, t, xe = _both(fn, ties)
        _assert_valid_sort(e, t, xe, 1, k)
