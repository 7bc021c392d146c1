"""Sorting and counting: sort, argsort, msort, topk, searchsorted, bucketize, unique,
unique_consecutive, bincount, histc, histogram.

Sorts are stable, NaN counts as the largest value (last ascending, first descending), as in
torch. The gradient of anything that picks values by index (sort, topk, and the selecting
reductions in reduce.py) goes back to those indices through ``select_backward``.

>>> ember.tensor([3.0, 1.0, 2.0]).sort()
ember.return_types.sort(
values=tensor([1., 2., 3.]),
indices=tensor([1, 2, 0]))
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import _dtype as D
from .. import return_types
from .._creation import linspace
from .._tensor import Tensor
from ._util import wrap_dim
from .index import _grid, _index, _index_backward
from .registry import _CPU_NAME, _tname, composite, op
from .registry import no_derivative as _no_derivative

_NO = object()  # "not given", where torch's overload depends on whether an argument is passed

# -- helpers shared with reduce.py ------------------------------------------------------------


def not_implemented(kernel, npd):
    """torch's error for a kernel without a dtype: ``"sort" not implemented for 'Bool'``."""
    raise NotImplementedError(
        f"\"{kernel}\" not implemented for '{_tname(D.from_numpy_dtype(npd))}'"
    )


def stable_argsort(xp, x, axis, descending=False):
    """Indices (int64) that sort ``x`` along ``axis`` as torch's stable sort: ties keep their
    order and NaN is the largest value, last ascending and first descending."""
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable").astype(np.int64, copy=False)
    # sorting the reversed array and reversing back keeps ties in order, NaN first
    r = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
    return (x.shape[axis] - 1 - xp.flip(r, axis)).astype(np.int64, copy=False)


_SHORT = 32  # rows up to this long are sorted; longer ones partitioned (10x faster at 1000)


def kth_smallest(xp, x, k, axis):
    """Indices (int64, ``axis`` kept with size 1) of the ``k``-th smallest element (from 0) along
    ``axis``, NaN the largest. Which of several equal elements is picked is left open, as
    torch's nth_element leaves it."""
    if x.shape[axis] <= _SHORT:
        return xp.take(stable_argsort(xp, x, axis), [k], axis=axis)
    return xp.take(xp.argpartition(x, k, axis=axis), [k], axis=axis).astype(np.int64, copy=False)


def take_along(xp, a, idx, axis):
    """``take_along_axis``, with quick paths for 1-d and 2-d arrays (its own costs ~10 us)."""
    if a.ndim == 1:
        return a[idx]
    if a.ndim == 2:
        if axis in (1, -1):
            return a[xp.arange(a.shape[0])[:, None], idx]
        return a[idx, xp.arange(a.shape[1])]
    return xp.take_along_axis(a, idx, axis=axis)


def select_backward(grad, idx, dim, shape):
    """The gradient of values taken along ``dim`` at ``idx`` (same rank as ``shape``): added
    into zeros of ``shape`` at those indices (torch's value_selecting_reduction_backward)."""
    if not shape:
        return grad.reshape(())
    key = _grid(_xp(idx), idx._data, dim)
    return _index_backward(grad, indices=key, shape=tuple(shape))


def _xp(t):
    from .._device import xp_of

    return xp_of(t._data)


def _first_k(a, dim, k):
    return a[(slice(None),) * dim + (slice(0, k),)]


def _no_complex(x, msg):
    if x.dtype.kind == "c":
        raise RuntimeError(msg)


# -- sort, argsort, msort ---------------------------------------------------------------------


def _sort_samples(rng):
    x = rng.permutation(24).reshape(2, 3, 4) / 7.0 - 1.5
    ties = np.array([[1, 3, 1, 2, 3], [0, 0, 0, 1, 1]])  # no gradient at ties: integers
    return [((x,), {}), ((x, 1), {}), ((x, 0, True), {}),
            ((x,), {"dim": -1, "descending": True, "stable": True}),
            ((ties,), {"stable": True}), ((ties,), {"dim": 1, "descending": True, "stable": False}),
            ((rng.uniform(size=()),), {}), ((rng.uniform(size=(0, 3)), 0), {}),
            ((rng.integers(-3, 3, (3, 4)), 1), {}), ((x[0, 0] > 0,), {"stable": True})]  # fmt: skip


def _sort_name(args, params):
    return "SortBackward0" if params["stable"] is None else "SortBackward1"


@op(multi=True, method=False, grad_name=_sort_name, onnx="TopK", samples=_sort_samples)
def _sort(xp, x, *, dim, descending, stable=None):
    _no_complex(x, "Sort does not support complex dtypes on CPU")
    if x.ndim == 0:
        return x.copy(), xp.zeros((), dtype=np.int64)
    idx = stable_argsort(xp, x, dim, descending)  # always stable: one order for both overloads
    return take_along(xp, x, idx, dim), idx


@_sort.parser
def _(input, dim=-1, descending=False, *, stable=_NO):
    stable = None if stable is _NO else bool(stable)
    return (input,), {"dim": wrap_dim(dim, input.ndim), "descending": bool(descending),
                      "stable": stable}  # fmt: skip


def _sort_grad(grad, out, x, dim, descending, stable=None):
    if x.ndim == 0:
        return grad[0]
    # a permutation: gather the gradient through the inverse permutation
    idx = out[1]._data
    xp = _xp(out[1])
    inv = xp.empty_like(idx)
    inv[_grid(xp, idx, dim)] = xp.arange(idx.shape[dim]).reshape(
        (-1,) + (1,) * (idx.ndim - 1 - dim)
    )
    return _index(grad[0], indices=_grid(xp, inv, dim), shape=tuple(x.shape))


_sort.defvjp(_sort_grad)
_sort.check = lambda lib, *a, **kw: lib.sort(*a, **kw)


def _overload(name, args, dim, descending, stable):
    """torch's two signatures: ``(input, dim=-1, descending=False)`` and
    ``(input, *, stable, dim=-1, descending=False)``: with ``stable``, the rest are keywords."""
    if len(args) > 2 or (args and stable is not _NO):
        got = ", ".join(["Tensor"] + [type(a).__name__ for a in args])
        if stable is not _NO:
            got += f", stable={type(stable).__name__}"
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got ({got}), but expected "
            "one of:\n * (Tensor input, *, bool stable, int dim = -1, bool descending = False)\n"
            " * (Tensor input, int dim = -1, bool descending = False)"
        )
    dim, descending = (tuple(args) + (dim, descending)[len(args) :])[:2]
    return dim, descending


@composite()
def sort(input, *args, stable=_NO, dim=-1, descending=False):
    """``(values, indices)`` sorted along ``dim``; stable, NaN last (first when descending).
    Called as ``sort(input, dim=-1, descending=False)`` or with ``stable=`` and keywords.

    >>> ember.sort(ember.tensor([2.0, float("nan"), 1.0]), descending=True).indices
    tensor([1, 0, 2])
    """
    dim, descending = _overload("sort", args, dim, descending, stable)
    return return_types.sort(_sort(input, dim, descending, stable=stable))


def _argsort_samples(rng):
    x = rng.permutation(12).reshape(3, 4) / 5.0
    ties = np.array([[1, 3, 1, 2, 3], [0, 0, 0, 1, 1]])
    return [((x,), {}), ((x, 0, True), {}), ((ties,), {"stable": True}),
            ((ties,), {"stable": True, "descending": True}), ((rng.uniform(size=()),), {}),
            ((np.array([2.0, np.nan, 1.0, np.nan]),),
             {"descending": True, "stable": True})]  # fmt: skip


@op(differentiable=False, samples=_argsort_samples)
def argsort(xp, x, *, dim=-1, descending=False, stable=False):
    """Indices that sort ``input`` along ``dim`` (``sort(...).indices``).

    >>> ember.tensor([3, 1, 2]).argsort()
    tensor([1, 2, 0])
    """
    return _sort.forward(xp, x, dim=dim, descending=descending)[1]


@argsort.parser
def _(input, *args, stable=_NO, dim=-1, descending=False):
    dim, descending = _overload("argsort", args, dim, descending, stable)
    stable = stable is not _NO and stable
    return (input,), {"dim": wrap_dim(dim, input.ndim), "descending": bool(descending),
                      "stable": bool(stable)}  # fmt: skip


@composite()
def msort(input):
    """``input`` sorted along its first dim (``sort(input, 0).values``).

    >>> ember.msort(ember.tensor([[2, 1], [1, 3]]))
    tensor([[1, 1],
            [2, 3]])
    """
    return _sort(input, 0)[0]


# -- topk -------------------------------------------------------------------------------------


def _topk_samples(rng):
    x = rng.permutation(24).reshape(2, 3, 4) / 7.0 - 1.5
    return [((x, 2), {}), ((x, 1, 1), {}), ((x, 3), {"dim": -1, "largest": False}),
            ((x, 2, 0), {"sorted": True}), ((x, 0), {}), ((rng.uniform(size=()), 1), {}),
            ((rng.integers(-5, 5, (4, 3)), 2, 0), {}),
            ((rng.uniform(size=(0, 3)), 2), {})]  # fmt: skip


@op(multi=True, method=False, grad_name="TopkBackward0", onnx="TopK", samples=_topk_samples)
def _topk(xp, x, *, k, dim, largest=True, sorted=True):
    if x.dtype.kind in "bc":
        raise RuntimeError(
            f"topk does not support {'bool' if x.dtype.kind == 'b' else 'complex'} dtypes on CPU"
        )
    n = x.shape[dim] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if x.ndim == 0:  # torch returns the element itself, even for k=0
        return x.copy(), xp.zeros((), dtype=np.int64)
    if 0 < k < n // 4 and n > _SHORT:  # partition first: sort only the k picked
        part = xp.argpartition(x, n - k if largest else k - 1, axis=dim)
        cand = part[(slice(None),) * dim + (slice(n - k, n) if largest else slice(0, k),)]
        cand = xp.sort(cand, axis=dim)  # input order: the stable sort below keeps ties so
        idx = take_along(xp, cand, stable_argsort(xp, take_along(xp, x, cand, dim), dim, largest),
                         dim)  # fmt: skip
    else:
        idx = _first_k(stable_argsort(xp, x, dim, largest), dim, k)
    return take_along(xp, x, idx, dim), idx


@_topk.parser
def _(input, k, dim=-1, largest=True, sorted=True):
    return (input,), {"k": operator.index(k), "dim": wrap_dim(dim, input.ndim),
                      "largest": bool(largest), "sorted": bool(sorted)}  # fmt: skip


_topk.defvjp(lambda grad, out, x, k, dim, largest=True, sorted=True: select_backward(
    grad[0], out[1], dim, x.shape))  # fmt: skip
_topk.check = lambda lib, *a, **kw: lib.topk(*a, **kw)


@composite()
def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim``: ``(values, indices)``.

    >>> ember.topk(ember.tensor([1.0, 5.0, 3.0]), 2)
    ember.return_types.topk(
    values=tensor([5., 3.]),
    indices=tensor([1, 2]))
    """
    return return_types.topk(_topk(input, k, dim, largest, sorted))


# -- searchsorted, bucketize ------------------------------------------------------------------


def _bisect(xp, seq, v, right):
    """torch's binary search, row by row (``seq`` (rows, n), ``v`` (rows, m)): it moves right
    while ``not (b >= v)`` (``not (b > v)`` for ``right``), so NaNs land where torch puts them."""
    n = seq.shape[-1]
    lo = xp.zeros(v.shape, dtype=np.int64)
    hi = xp.full(v.shape, n, dtype=np.int64)
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        b = take_along(xp, seq, xp.minimum(mid, n - 1), -1)
        go = ~(b > v) if right else ~(b >= v)
        lo = xp.where(active & go, mid + 1, lo)
        hi = xp.where(active & ~go, mid, hi)


def _searchsorted_samples(rng):
    b = np.sort(rng.uniform(-2, 2, 6))
    b2 = np.sort(rng.integers(-5, 5, (2, 3, 5)), -1)
    return [((b, rng.uniform(-3, 3, (2, 4))), {}), ((b, rng.uniform(-3, 3, (5,))), {"right": True}),
            ((b, b), {"side": "right"}), ((b, b[2:4]), {"out_int32": True}), ((b, 0.5), {}),
            ((b2, rng.integers(-6, 6, (2, 3, 4))), {}), ((b2, b2), {"right": True}),
            ((np.array([5, 1, 3, 2]), np.array([0, 2, 3, 6]), np.array([1, 3, 2, 0])), {}),
            ((np.array([1.0, 2.0, np.nan]), np.array([0.5, 2.0, 3.0, np.nan])), {}),
            ((np.array([1.0, 2.0, np.nan]), np.array([1.0, 2.0, 3.0, np.nan])), {"right": True}),
            ((b, np.zeros(0)), {}), ((np.zeros(0), b), {})]  # fmt: skip


@op(promote="common", promote_args=(0, 1), differentiable=False, method=False,
    samples=_searchsorted_samples)  # fmt: skip
def searchsorted(xp, seq, values, sorter=None, *, right=False, out_int32=False):
    """Where each value of ``input`` would go in the sorted last dim of ``sorted_sequence``
    to keep it sorted (the first such index, the last with ``right=True``/``side="right"``).

    >>> ember.searchsorted(ember.tensor([1, 3, 5]), ember.tensor([3, 4]))
    tensor([1, 2])
    """
    if seq.dtype.kind in "bc":
        not_implemented("searchsorted_out_cpu", seq.dtype)
    v = xp.asarray(values, dtype=seq.dtype)
    if sorter is not None:
        if sorter.size and (sorter.min() < 0 or sorter.max() >= seq.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
        seq = take_along(xp, seq, sorter, -1)
    if seq.ndim == 1 and not (seq.dtype.kind == "f" and xp.isnan(seq).any()):
        out = xp.searchsorted(seq, v, side="right" if right else "left")
    else:
        rows = seq.reshape(int(np.prod(seq.shape[:-1])), seq.shape[-1])
        out = _bisect(xp, rows, v.reshape(rows.shape[0], -1), right).reshape(v.shape)
    return xp.asarray(out, dtype=np.int32 if out_int32 else np.int64)


# the sweep passes tensors positionally: the sorter is the third
searchsorted.check = lambda lib, seq, v, sorter=None, **kw: lib.searchsorted(seq, v, sorter=sorter,
                                                                            **kw)  # fmt: skip


@searchsorted.parser
def _(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    if side is not None and side not in ("left", "right"):
        raise RuntimeError(
            f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
        )
    if side == "left" and right:
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got "
                           "side of left while right was True")  # fmt: skip
    seq = sorted_sequence
    if not isinstance(input, Tensor) and seq.ndim != 1:
        raise RuntimeError(
            "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
            f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) and input value's "
            "dim(0) numel(1)"
        )
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")  # fmt: skip
    if seq.ndim != 1 and (input.ndim != seq.ndim or input.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(seq.shape)} and input value tensor {list(input.shape)}"
        )
    if sorter is not None:
        if sorter.dtype is not D.int64:
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but "
                               f"got dtype {_tname(sorter.dtype)}")  # fmt: skip
        if sorter.shape != seq.shape:
            raise RuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same size, but got "
                f"boundary tensor {list(seq.shape)}and got sorter tensor {list(sorter.shape)}"
            )
    return (seq, input, sorter), {"right": bool(right) or side == "right",
                                  "out_int32": bool(out_int32)}  # fmt: skip


@composite(method=False)
def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of ``input`` among the 1-d sorted ``boundaries``: the index
    ``i`` with ``boundaries[i-1] < x <= boundaries[i]`` (``<=``, ``<`` with ``right=True``).

    >>> ember.bucketize(ember.tensor([0.5, 1.0, 7.0]), ember.tensor([1.0, 5.0]))
    tensor([0, 0, 2])
    """
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# -- unique -----------------------------------------------------------------------------------


def _unique_rule(name):
    def rule(grad, out, x, **params):
        raise NotImplementedError(f"the derivative for '{name}' is not implemented.")

    return rule


def _runs(xp, new):
    """From a mask of run starts: (run id of each element, length of each run)."""
    ids = xp.cumsum(new) - 1
    starts = xp.flatnonzero(new)
    counts = xp.diff(xp.append(starts, new.shape[0]))
    return ids.astype(np.int64, copy=False), counts.astype(np.int64, copy=False)


def _starts(xp, a, axis_any=False):
    """Where a new run begins in ``a`` (rows when ``axis_any``); NaN never equals NaN."""
    new = xp.ones(a.shape[0], dtype=bool)
    if a.shape[0] > 1:
        diff = a[1:] != a[:-1]
        new[1:] = diff.reshape(diff.shape[0], -1).any(1) if axis_any else diff
    return new


def _unique_samples(rng):
    ints = rng.integers(-3, 3, (3, 4))
    return [((ints,), {}), ((ints,), {"return_inverse": True, "return_counts": True}),
            ((ints > 0,), {"return_counts": True}), ((np.array(3),), {"return_inverse": True}),
            ((np.zeros((0, 2), np.int64),), {"return_inverse": True, "return_counts": True}),
            ((ints,), {"sorted": False, "return_inverse": True})]  # fmt: skip


def _check_unique_dtype(x):
    if x.dtype.kind == "c":
        not_implemented("unique", x.dtype)


@op(multi=True, method=False, grad_name="Unique2Backward0", samples=_unique_samples)
def _unique2(xp, x, *, sorted=True):
    _check_unique_dtype(x)
    flat = x.reshape(-1)
    perm = stable_argsort(xp, flat, 0)  # torch sorts even when sorted=False (on CPU)
    s = flat[perm]
    new = _starts(xp, s)
    ids, counts = _runs(xp, new)
    inv = xp.empty_like(ids)
    inv[perm] = ids
    return s[new], inv.reshape(x.shape), counts


_unique2.defvjp(_unique_rule("_unique2"))
_unique2.check = lambda lib, x, **kw: lib.unique(x, **kw)


def _move_rows(xp, x, dim):
    """``x`` with ``dim`` first, flattened to rows (n, rest)."""
    m = xp.moveaxis(x, dim, 0)
    return m, m.reshape(m.shape[0], int(np.prod(m.shape[1:], dtype=np.int64)))


def _unique_dim_check(x, dim):
    _check_unique_dtype(x)
    if any(n == 0 for i, n in enumerate(x.shape) if i != dim) and x.shape[dim] != 0:
        raise RuntimeError(
            "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied"
        )


def _unique_dim_samples(rng):
    rows = rng.integers(0, 2, (5, 3))
    return [((rows,), {"dim": 0}), ((rows,), {"dim": 1, "return_inverse": True}),
            ((rows,), {"dim": -2, "return_inverse": True, "return_counts": True}),
            ((rng.integers(0, 2, (2, 4, 2)) > 0,), {"dim": 1, "return_counts": True}),
            ((np.zeros((0, 3), np.int64),), {"dim": 0, "return_counts": True})]  # fmt: skip


@op(multi=True, method=False, grad_name="UniqueDimBackward0", samples=_unique_dim_samples)
def _unique_dim(xp, x, *, dim, sorted=True):
    _unique_dim_check(x, dim)
    m, rows = _move_rows(xp, x, dim)
    if rows.shape[0] and rows.shape[1]:
        perm = xp.lexsort(rows.T[::-1]).astype(np.int64)  # rows in lexicographic order
    else:
        perm = xp.arange(rows.shape[0], dtype=np.int64)
    s = rows[perm]
    new = _starts(xp, s, axis_any=True)
    ids, counts = _runs(xp, new)
    inv = xp.empty_like(ids)
    inv[perm] = ids
    vals = m[perm][new]
    return xp.moveaxis(vals, 0, dim), inv, counts


_unique_dim.defvjp(_unique_rule("unique_dim"))
_unique_dim.check = lambda lib, x, **kw: lib.unique(x, **kw)


def _unique_parse(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    if dim is None:
        return (input,), {"sorted": bool(sorted)}
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return (input,), {"dim": wrap_dim(dim, input.ndim), "sorted": bool(sorted)}


_unique2.parser(lambda input, sorted=True, return_inverse=False, return_counts=False, dim=None:
                _unique_parse(input, sorted))  # fmt: skip
_unique_dim.parser(_unique_parse)


def _pick(outs, return_inverse, return_counts):
    res = (
        (outs[0],) + ((outs[1],) if return_inverse else ()) + ((outs[2],) if return_counts else ())
    )
    return res[0] if len(res) == 1 else res


@composite()
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements of ``input`` (or distinct slices along ``dim``), sorted; with
    ``return_inverse`` where each element went, with ``return_counts`` how often each occurs.
    Every NaN is distinct, as in torch.

    >>> ember.unique(ember.tensor([3, 1, 3]), return_counts=True)
    (tensor([1, 3]), tensor([1, 2]))
    """
    o = _unique2 if dim is None else _unique_dim
    outs = o(input, sorted, return_inverse, return_counts, dim)
    return _pick(outs, return_inverse, return_counts)


def _unique_consecutive_samples(rng):
    ints = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    rows = np.array([[1, 2], [1, 2], [0, 5], [1, 2]])
    return [((ints,), {"return_inverse": True, "return_counts": True}), ((ints > 1,), {}),
            ((rows,), {"dim": 0, "return_inverse": True, "return_counts": True}),
            ((rows,), {"dim": 1}), ((np.array(2),), {"return_inverse": True}),
            ((np.zeros(0, np.int64),), {"return_counts": True})]  # fmt: skip


@op(multi=True, method=False, grad_name="UniqueConsecutiveBackward0",
    samples=_unique_consecutive_samples)  # fmt: skip
def _unique_consecutive(xp, x, *, dim=None):
    if dim is None:
        _check_unique_dtype(x)
        flat = x.reshape(-1)
        new = _starts(xp, flat)
        ids, counts = _runs(xp, new)
        return flat[new], ids.reshape(x.shape), counts
    _unique_dim_check(x, dim)
    m, rows = _move_rows(xp, x, dim)
    new = _starts(xp, rows, axis_any=True)
    ids, counts = _runs(xp, new)
    return xp.moveaxis(m[new], 0, dim), ids, counts


@_unique_consecutive.parser
def _(input, return_inverse=False, return_counts=False, dim=None):
    if dim is None:
        return (input,), {"dim": None}
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return (input,), {"dim": wrap_dim(dim, input.ndim)}


_unique_consecutive.defvjp(_unique_rule("unique_consecutive"))
_unique_consecutive.check = lambda lib, x, **kw: lib.unique_consecutive(x, **kw)


@composite()
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """As ``unique``, but only consecutive repeats collapse, and nothing is sorted.

    >>> ember.unique_consecutive(ember.tensor([1, 1, 2, 1]))
    tensor([1, 2, 1])
    """
    outs = _unique_consecutive(input, return_inverse, return_counts, dim)
    return _pick(outs, return_inverse, return_counts)


# -- bincount, histc, histogram ---------------------------------------------------------------

_NOT_IMPLEMENTED = "torch::autograd::NotImplemented"


def _bincount_samples(rng):
    i = rng.integers(0, 5, 12)
    return [((i,), {}), ((i,), {"minlength": 8}), ((i, rng.integers(-3, 3, 12)), {}),
            ((i.astype(np.int32), i > 2), {"minlength": 2}),
            ((np.zeros(0, np.int64),), {"minlength": 3})]  # fmt: skip


@op(grad_name=_NOT_IMPLEMENTED, samples=_bincount_samples)
def bincount(xp, x, weights=None, *, minlength=0):
    """How often each value 0, 1, ... occurs in the 1-d non-negative integer ``input``, or the
    sum of ``weights`` at each; at least ``minlength`` bins.

    >>> ember.bincount(ember.tensor([1, 3, 1]))
    tensor([0, 2, 0, 1])
    """
    if x.dtype.kind not in "iu":
        not_implemented("bincount_cpu", x.dtype)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.ndim == 1 and x.size == 0:
        return xp.zeros(minlength, dtype=np.int64)
    if x.ndim != 1 or x.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != x.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    n = builtins.max(int(x.max()) + 1, minlength)
    if weights is None:
        return xp.bincount(x, minlength=n).astype(np.int64, copy=False)
    if weights.dtype == np.float32:  # torch adds float32 weights in float32, in order
        out = xp.zeros(n, dtype=np.float32)
        xp.add.at(out, x, weights)
        return out
    return xp.bincount(x, weights=weights.astype(np.float64), minlength=n)


@bincount.parser
def _(input, weights=None, minlength=0):
    return (input, weights), {"minlength": operator.index(minlength)}


bincount.defvjp(None, _no_derivative("bincount"))


def _float_only(x, kernel):
    if x.dtype.kind not in "fV":
        not_implemented(kernel, x.dtype)


def _check_bins(bins):
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")


def _num(v: float) -> str:
    """A double printed as C++ streams print it (1, 2.5, inf, nan)."""
    return f"{v:g}"


def _histc_samples(rng):
    x = rng.uniform(-2, 2, (3, 5))
    return [((x,), {}), ((x, 4), {}), ((x,), {"bins": 6, "min": -1, "max": 1.5}),
            ((np.array([1.0, 1.0, 1.0]), 4), {}), ((np.array([1.0, 2.0, 5.0, -1.0, np.nan]),),
            {"bins": 4, "min": 0, "max": 3}), ((np.zeros(0), 3), {}),
            ((rng.uniform(size=()), 3), {})]  # fmt: skip


@op(differentiable=False, samples=_histc_samples)
def histc(xp, x, *, bins=100, min=0, max=0):
    """A histogram of ``input`` in ``bins`` equal bins over ``[min, max]`` (the data's range when
    both are equal); values outside are ignored.

    >>> ember.histc(ember.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
    tensor([0., 2., 1., 0.])
    """
    _float_only(x, "histogram_cpu")
    _check_bins(bins)
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_num(lo)}, {_num(hi)}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    t = x.dtype.type
    lo, hi = t(lo), t(hi)
    flat = x.reshape(-1)
    flat = flat[(flat >= lo) & (flat <= hi)]
    # torch's linear interpolation, in the input's dtype; the last bin includes its right edge
    pos = ((flat - lo) * t(bins) / (hi - lo)).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)
    return xp.bincount(pos, minlength=bins).astype(x.dtype)


@histc.parser
def _(input, bins=100, min=0, max=0):
    return (input,), {"bins": operator.index(bins), "min": min, "max": max}


def _histogram_samples(rng):
    # edges that do not move with the input: the sweep's finite differences see zero gradients
    x = rng.uniform(-2, 2, (3, 5))
    return [((x, 4, (-2.0, 2.0)), {}), ((x, 3, (-1.0, 1.0)), {"density": True}),
            ((np.zeros(0), 3, (0.0, 1.0)), {}),
            ((rng.uniform(size=()), 2, (0.0, 1.0)), {})]  # fmt: skip


@op(multi=True, method=False, grad_name=_NOT_IMPLEMENTED, samples=_histogram_samples)
def _histogram(xp, x, edges, weight, *, bins, range, density):
    if x.dtype not in (np.float32, np.float64):
        not_implemented("histogramdd", x.dtype)
    if edges is None:
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif x.size:
            lo, hi = float(x.min()), float(x.max())
        else:
            lo, hi = 0.0, 1.0
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{_num(lo)}, {_num(hi)}] "
                               "is not finite")  # fmt: skip
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{_num(lo)} max {_num(hi)} for dimension 0")  # fmt: skip
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = xp.asarray(linspace(lo, hi, bins + 1, dtype=D.from_numpy_dtype(x.dtype))._data)
    nb = edges.shape[0] - 1
    flat = x.reshape(-1)
    keep = (flat >= edges[0]) & (flat <= edges[-1])
    pos = xp.searchsorted(edges, flat[keep], side="right") - 1
    pos = xp.minimum(pos, nb - 1)  # the last bin includes its right edge
    w = None if weight is None else weight.reshape(-1)[keep]
    hist = xp.zeros(nb, dtype=x.dtype)
    xp.add.at(hist, pos, 1 if w is None else w)
    if density:
        hist = hist / hist.sum() / xp.diff(edges)
    return hist, edges.copy()


@_histogram.parser
def _(input, bins=100, *, range=None, weight=None, density=False):
    edges = bins if isinstance(bins, Tensor) else None
    if edges is None:
        bins = operator.index(bins)
        _check_bins(bins)
    elif edges.dtype is not input.dtype:
        raise RuntimeError(
            "torch.histogramdd: input tensor and bins tensors should have the same dtype, but got "
            f"input with dtype {_ctype(input.dtype)} and bins for dimension 0 with dtype "
            f"{_ctype(edges.dtype)}"
        )
    if weight is not None:
        if weight.shape != input.shape:
            raise RuntimeError(
                "torch.histogramdd: if weight tensor is provided it should have the same shape as "
                "the input tensor excluding its innermost dimension, but got input with shape "
                f"{[input.numel(), 1]} and weight with shape {list(weight.shape)}"
            )
        if weight.dtype is not input.dtype:
            raise RuntimeError(
                "torch.histogramdd: if weight tensor is provided, input tensor and weight tensor "
                f"should have the same dtype, but got input({_ctype(input.dtype)}), and "
                f"weight({_ctype(weight.dtype)})"
            )
    params = {"bins": None if edges is not None else bins, "range": range, "density": density}
    return (input, edges, weight), params


def _ctype(dt) -> str:
    return _CPU_NAME.get(D.to_numpy_dtype(dt).name, str(dt))


_histogram.defvjp(_no_derivative("histogram"), None, _no_derivative("histogram"))


# torch has no derivative here: the sweep checks values (tests/test_sorting.py the grad_fn)
def _histogram_check(lib, x, bins, range=None, **kw):
    # torch has no derivative here: the sweep checks values, tests/test_sorting.py the rest
    return lib.histogram(x.detach(), bins, range=range, **kw)


_histogram.check = _histogram_check


@composite()
def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)`` of ``input``: ``bins`` equal bins over ``range`` (the data's range by
    default) or the given edges; ``weight`` per element, ``density`` to normalize.

    >>> ember.histogram(ember.tensor([1.0, 2.0, 1.0]), bins=2).hist
    tensor([2., 1.])
    """
    return return_types.histogram(
        _histogram(input, bins, range=range, weight=weight, density=density)
    )
