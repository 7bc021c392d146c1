"""Indexing: ``x[index]`` and ``x[index] = value`` as torch does them, ``copy_``, ``index_put``
and the gather/scatter family (index_select, gather, scatter, scatter_add, masked_fill,
masked_select, take).

Basic indices (ints, slices, None, Ellipsis) become views through ``select``, ``_slice`` and
``unsqueeze``, so writes through them reach the base. Advanced indices (integer or bool tensors,
lists, Python bools) make a copy through ``_index``; its VJP scatter-adds the gradient back.
Index tensors are turned once into a tuple of integer arrays, one entry per dim (None where a dim
is not indexed), bool masks expanded to their nonzero coordinates, negatives wrapped.

>>> x = ember.arange(12.).reshape(3, 4)
>>> x[1:, [0, 2]]
tensor([[ 4.,  6.],
        [ 8., 10.]])
"""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from .. import _dtype as D
from .._creation import ones_like, zeros_like
from .._creation import tensor as _tensor
from .._device import xp_of
from .._tensor import Tensor, _ptr
from ._util import wrap_dim
from .registry import _tname, apply, apply_inplace, composite, op
from .shape import _copy_variant, _expand_shape, _slice, cat, expand, select, unsqueeze

__all__ = ["install", "getitem", "setitem", "copy_", "index_put", "index_select", "gather",
           "scatter", "scatter_add", "masked_fill", "masked_select", "take"]  # fmt: skip


def _key(indices):
    return tuple(slice(None) if i is None else i for i in indices)


# -- primitive ops ----------------------------------------------------------------------------


@op(view=True, method=False, grad_name="AliasBackward0")
def _alias(xp, x):
    return x.view()


_alias.defvjp(lambda grad, out, x: grad)
_alias.samples = lambda rng: [((rng.uniform(size=(2, 3)),), {}), ((rng.uniform(size=()),), {})]
_alias.check = lambda lib, x: x[...]


@op(method=False, grad_name="IndexBackward0", onnx="Gather")
def _index(xp, x, *, indices, shape):
    # ``shape`` is x's: the rule needs it, and saving x itself would tie backward to x's version
    return x[_key(indices)]


@op(method=False, grad_name="IndexPutBackward0", onnx="ScatterND")
def _index_backward(xp, g, *, indices, shape):
    out = xp.zeros(shape, dtype=g.dtype)
    xp.add.at(out, _key(indices), g)
    return out


_index.defvjp(
    lambda grad, out, x, indices, shape: _index_backward(grad, indices=indices, shape=shape)
)
_index_backward.defvjp(
    lambda grad, out, g, indices, shape: _index(grad, indices=indices, shape=tuple(grad.shape))
)


def _index_samples(rng):
    x = rng.uniform(-1, 1, (4, 3))
    return [((x, (np.array([0, 2, 2]),)), {}), ((x, (x > 0,)), {}),
            ((x, (slice(None), np.array([[2], [0]]))), {}),
            ((x, (np.array([1, 3]), np.array([0, 2]))), {})]  # fmt: skip


def _is_torch(lib) -> bool:
    return lib.__name__ == "torch"


def _index_backward_check(lib, g, shape, index):
    if _is_torch(lib):
        return lib.zeros(shape, dtype=g.dtype).index_put(index, g, accumulate=True)
    pending = list(enumerate(index))
    return _index_backward(g, indices=_expand(shape, xp_of(g._data), pending), shape=shape)


# checked through x[index] and torch's index_put(accumulate=True) on zeros
_index.samples, _index.check = _index_samples, lambda lib, x, index: x[index]
_index_backward.samples = lambda rng: [
    ((rng.uniform(-1, 1, (3, 2)), (4, 2), (np.array([0, 3, 0]),)), {}),
    ((rng.uniform(-1, 1, (2,)), (4, 3), (np.array([1, 1]), np.array([2, 2]))), {}),
]
_index_backward.check = _index_backward_check


def _index_put_samples(rng):
    x = rng.uniform(-1, 1, (4, 3))
    i = np.array([0, 2, 2])  # a repeated index: the last write wins, additions add up
    return [((x, (np.array([3, 0, 2]),), rng.uniform(-1, 1, (3, 3))), {}),
            ((x, (i,), rng.uniform(-1, 1, (3,))), {"accumulate": True}),
            ((x, (x > 0,), rng.uniform(-1, 1, ())), {}),
            ((x, (np.array([1, 3]), np.array([0, 2])), rng.uniform(-1, 1, (2,))), {})]  # fmt: skip


@op(inplace=True, grad_name="IndexPutBackward0", onnx="ScatterND", samples=_index_put_samples)
def index_put(xp, x, values, *, indices, accumulate=False):
    """``x`` with ``values`` written (or added, ``accumulate=True``) at ``indices``, a tuple of
    index tensors as in ``x[indices] = values``.

    >>> ember.zeros(3).index_put((ember.tensor([0, 0]),), ember.tensor(1.), accumulate=True)
    tensor([2., 0., 0.])
    """
    out = x.copy()
    if accumulate:
        xp.add.at(out, _key(indices), values)
    else:
        out[_key(indices)] = values
    return out


def _put(x, values, indices, accumulate=False):
    return apply(index_put, (x, values), {"indices": indices, "accumulate": accumulate})


index_put.defvjp(
    lambda grad, out, x, values, indices, accumulate=False: (
        grad if accumulate else _put(grad, 0, indices)
    ),
    lambda grad, out, x, values, indices, accumulate=False: _index(
        grad, indices=indices, shape=tuple(grad.shape)
    ),
)


@index_put.parser
def _(input, indices, values, accumulate=False):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            "index_put(): argument 'indices' (position 2) must be tuple of Tensors, not "
            f"{_typename(indices)}"
        )
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{_typename(t)}")  # fmt: skip
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 3) must be Tensor, not "
                        f"{_typename(values)}")  # fmt: skip
    n = sum(_consumed(t) for t in indices)
    if n > input.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input.ndim} (got {n})")
    pending, d = [], 0
    for t in indices:
        pending.append((d, t))
        d += _consumed(t)
    arrays = _expand(input.shape, xp_of(input._data), pending)
    _check_put(input, arrays, values)
    return (input, values), {"indices": arrays, "accumulate": bool(accumulate)}


def _check_put(x, indices, values):
    if values.dtype is not x.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{_tname(x.dtype)} for the destination and {_tname(values.dtype)} for the source."
        )
    want = _indexed_shape(x.shape, indices)
    try:
        ok = np.broadcast_shapes(tuple(values.shape), want) == want
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(values.shape)} cannot be broadcast to "
            f"indexing result of shape {list(want)}"
        )
    return want


def _indexed_shape(shape, indices):
    """The shape of ``x[indices]`` (NumPy's rule: adjacent index arrays stay in place,
    separated ones move to the front), without computing it."""
    pos = [d for d, a in enumerate(indices) if a is not None]
    b = np.broadcast_shapes(*(indices[d].shape for d in pos))
    shape = tuple(shape)
    if pos == list(range(pos[0], pos[-1] + 1)):
        return shape[: pos[0]] + b + shape[pos[-1] + 1 :]
    return b + tuple(s for d, s in enumerate(shape) if d not in pos)


def _cast(xp, src, dtype):
    src = xp.asarray(src)
    if src.dtype.kind == "c" and dtype.kind != "c":
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning,
                      stacklevel=5)  # fmt: skip
        src = src.real
    return src.astype(dtype, copy=False)


@op(inplace=True, method=False, grad_name="torch::autograd::CopyBackwards")
def _copy(xp, x, src, *, non_blocking=False):
    return _cast(xp, src, x.dtype)  # the in-place machinery broadcasts it into x


def _fill_inplace_name(args, params):
    return "FillBackward3" if isinstance(args[1], Tensor) else "FillBackward2"


@op(inplace=True, method=False, grad_name=_fill_inplace_name)
def _fill(xp, x, value):
    return _cast(xp, value, x.dtype)


_copy.defvjp(lambda grad, out, x, src, non_blocking=False: zeros_like(grad),
             lambda grad, out, x, src, non_blocking=False: grad)  # fmt: skip
_copy.samples = lambda rng: [((rng.uniform(size=(2, 3)), rng.uniform(size=(3,))), {})]
_copy.check = lambda lib, x, src: (x * 1).copy_(src) * 1
_fill.samples = lambda rng: [((rng.uniform(size=(2, 3)), rng.uniform(size=())), {})]
_fill.check = lambda lib, x, value: _fill_check(lib, x * 1, value) * 1


def _fill_check(lib, x, value):
    return x.fill_(value) if _is_torch(lib) else apply_inplace(_fill, (x, value), {})


_fill.defvjp(lambda grad, out, x, value: zeros_like(grad), lambda grad, out, x, value: grad.sum())


def copy_(self, src, non_blocking=False):
    """Write ``src`` (broadcast, cast to this tensor's dtype) into this tensor, in place.

    >>> x = ember.zeros(2, 3)
    >>> x.copy_(ember.tensor([1, 2, 3]))[1]
    tensor([1., 2., 3.])
    """
    if not isinstance(src, Tensor):
        if not isinstance(src, (bool, int, float, complex)):
            raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                            f"{_typename(src)}")  # fmt: skip
        src = _tensor(src)
    _broadcast_check(self.shape, src.shape)
    return _write(_copy, self, src, {"non_blocking": non_blocking})


def _write(op, dst, v, params):
    """``op`` in place on ``dst`` with value ``v`` (broadcast to ``dst``)."""
    if op is _copy:
        _check_overlap(dst, v)
    return apply_inplace(op, (dst, v), params)


def _check_overlap(dst, src):
    """torch refuses a copy between dense tensors that share only part of their memory."""
    a, b = dst._data, src._data
    if not a.size or not b.size or not xp_of(a).may_share_memory(a, b):
        return
    if not (_dense(a) and _dense(b)):
        return  # torch's "too hard to tell": allowed
    if _ptr(a) == _ptr(b) and a.nbytes == b.nbytes and a.strides == b.strides:
        return
    raise RuntimeError(
        "unsupported operation: some elements of the input tensor and the written-to tensor "
        "refer to a single memory location. Please clone() the tensor before performing the "
        "operation."
    )


def _dense(a) -> bool:
    """Whether the elements fill their memory span without gaps or repeats (any dim order)."""
    expected = a.itemsize
    for st, n in sorted((abs(st), n) for n, st in zip(a.shape, a.strides) if n != 1):
        if st != expected:
            return False
        expected *= n
    return True


def _broadcast_check(a, b):
    for i in range(1, min(len(a), len(b)) + 1):
        if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
            raise RuntimeError(
                f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) at "
                f"non-singleton dimension {max(len(a), len(b)) - i}"
            )


# -- turning an index into views and index arrays ---------------------------------------------

_ONLY = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
         "valid indices (got {})")  # fmt: skip
_SEQ_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
    "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
    "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or "
    "a different result"
)
_ZERO_DIM = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")  # fmt: skip


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return "Tensor"
    t = type(obj)
    mod = t.__module__
    return t.__qualname__ if mod == "builtins" else f"{mod.split('.')[0]}.{t.__qualname__}"


def _is_mask(t) -> bool:
    return t._data.dtype == np.bool_ or t._data.dtype == np.uint8


def _consumed(t) -> int:
    """How many dims an index tensor consumes: a mask its ndim, an integer tensor one."""
    return t.ndim if _is_mask(t) else 1


def _as_int(obj):
    """The int an index stands for (Python and NumPy ints, ``__index__``), or None."""
    if type(obj) is bool or isinstance(obj, (Tensor, np.ndarray)):
        return None
    try:
        return operator.index(obj)
    except TypeError:
        return None


def _seq_as_tuple(seq) -> bool:
    """NumPy's old rule, kept by torch with a warning: a short list holding a tensor, a sequence,
    a slice, None or Ellipsis is a tuple of indices, not one index."""
    if not isinstance(seq, list) or len(seq) >= 32:
        return False
    for e in seq:
        if isinstance(e, (Tensor, np.ndarray, list, tuple, range, str, slice)) or e is None or \
                e is Ellipsis:  # fmt: skip
            warnings.warn(_SEQ_WARNING, UserWarning, stacklevel=4)
            return True
    return False


def _index_tensor(seq):
    """A list or NumPy array used as an index: bool (or uint8 array) masks stay masks, anything
    else becomes int64 (floats truncated), as torch's indexing_tensor_from_data."""
    if isinstance(seq, str):
        raise TypeError("new(): invalid data type 'str'")
    if isinstance(seq, np.ndarray):
        a = seq if seq.dtype in (np.bool_, np.uint8) else seq.astype(np.int64)
        return Tensor._wrap(np.array(a))
    t = _tensor(list(seq) if isinstance(seq, range) else seq)
    return t if t.dtype is D.bool_ else t.to(D.int64)


def _items(index) -> tuple:
    if isinstance(index, tuple):
        return index
    if _seq_as_tuple(index):
        return tuple(index)
    return (index,)


def _convert(item):
    if item is None or item is Ellipsis or type(item) is bool or isinstance(item, (slice, Tensor)):
        return item
    if isinstance(item, (list, tuple, range, np.ndarray, str)):
        return _index_tensor(item)
    i = _as_int(item)
    if i is None:
        raise IndexError(_ONLY.format(_typename(item)))
    return i


def _select(x, dim, i, real):
    if x.ndim == 0:
        raise IndexError(_ZERO_DIM)
    n = x.shape[dim] if dim < x.ndim else 0  # torch reports size 0 past the last dim
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of bounds for dimension {real} with size {n}")
    return select(x, dim, i)


def _apply_slice(x, dim, s, optimize):
    step = 1 if s.step is None else operator.index(s.step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step < 0:
        raise ValueError("step must be greater than zero")
    if x.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    n = x.shape[wrap_dim(dim, x.ndim)]
    start, stop, _ = slice(s.start, s.stop, step).indices(n)  # clamps as torch does
    # torch skips a slice written to keep the whole dim: from 0, to the end or past it
    if (optimize and step == 1 and (s.start is None or operator.index(s.start) == 0)
            and (s.stop is None or operator.index(s.stop) >= n)):  # fmt: skip
        return x
    return _slice(x, dim=dim, start=start, end=max(start, stop), step=step)


def _bool_index(value, x):
    xp = xp_of(x._data)
    return Tensor._wrap(xp.zeros(1 if value else 0, dtype=np.int64))


def _apply_slicing(x, items):
    """torch's applySlicing: basic items applied as views; advanced ones returned as
    ``(dim, tensor)`` pairs, ``dim`` counted in the view's dims."""
    items = [_convert(it) for it in items]
    spec = 0
    for it in items:
        if isinstance(it, Tensor):
            spec += _consumed(it)
        elif isinstance(it, (int, slice)) and type(it) is not bool:
            spec += 1
    if spec > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
    res, dim, pending = x, 0, []
    for real, it in enumerate(items):
        if it is None:
            res = unsqueeze(res, dim)
            dim += 1
        elif it is Ellipsis:
            dim += x.ndim - spec
        elif type(it) is bool:
            res = unsqueeze(res, dim)
            pending.append((dim, _bool_index(it, res)))
            dim += 1
        elif isinstance(it, int):
            res = _select(res, dim, it, real)
        elif isinstance(it, slice):
            res = _apply_slice(res, dim, it, optimize=True)
            dim += 1
        elif it.ndim == 0 and not _is_mask(it) and it.dtype.category == 1:
            res = _select(res, dim, int(it.item()), real)
        elif it.ndim == 0 and _is_mask(it):
            res = unsqueeze(res, dim)
            pending.append((dim, _bool_index(bool(it.item()), res)))
            dim += 1
        else:
            pending.append((dim, it))
            dim += _consumed(it)
    return res, pending


def _expand(shape, xp, pending):
    """``(dim, index tensor)`` pairs -> one entry per dim of ``shape``: None or an integer array
    of the backend ``xp``. Masks become their nonzero coordinates; shapes, dtypes and bounds are
    checked as torch checks them."""
    shape = tuple(shape)
    out: list = []
    for d, t in pending:
        out.extend([None] * (d - len(out)))
        a = xp.asarray(t._data)
        if a.dtype == np.bool_ or a.dtype == np.uint8:
            if a.dtype == np.uint8:
                warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a "
                              "dtype torch.bool instead.", UserWarning, stacklevel=4)  # fmt: skip
            for j, n in enumerate(a.shape):
                if d + j >= len(shape) or shape[d + j] != n:
                    raise IndexError(
                        f"The shape of the mask {list(a.shape)} at index {j} does not match the "
                        f"shape of the indexed tensor {list(shape)} at index {d + j}"
                    )
            out.extend(xp.nonzero(a))
        elif a.dtype == np.int64 or a.dtype == np.int32:
            out.append(a)
        else:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    used = [(d, a) for d, a in enumerate(out) if a is not None]
    try:
        b = np.broadcast_shapes(*(a.shape for _, a in used))
    except ValueError:
        raise IndexError(
            "shape mismatch: indexing tensors could not be broadcast together with shapes "
            + ", ".join(str(list(a.shape)) for _, a in used)
        ) from None
    if math.prod(b) and any(shape[d] == 0 for d, _ in used):
        raise IndexError("index is out of bounds for dimension with size 0")
    rest = math.prod(n for d, n in enumerate(shape) if d >= len(out) or out[d] is None)
    if not math.prod(b) or not rest:
        # torch checks bounds only while filling a non-empty result (NumPy always checks)
        return tuple(None if a is None else xp.clip(a, 0, max(shape[d] - 1, 0))
                     for d, a in enumerate(out))  # fmt: skip
    for d, a in used:
        n = shape[d]
        lo, hi = int(a.min()), int(a.max())
        if lo < -n or hi >= n:
            _out_of_bounds(used, shape, b)
        if lo < 0:
            out[d] = xp.where(a < 0, a + n, a)
    return tuple(out)


def _out_of_bounds(used, shape, b):
    # torch walks the broadcast index positions in order and reports the first bad one
    xp = xp_of(used[0][1])
    bads = [xp.broadcast_to((a < -shape[d]) | (a >= shape[d]), b).ravel() for d, a in used]
    first = int(xp.argmax(sum(bad.astype(np.int8) for bad in bads) > 0))
    for k, ((d, a), bad) in enumerate(zip(used, bads)):
        if bool(bad[first]):
            v = int(xp.broadcast_to(a, b).ravel()[first])
            raise IndexError(f"index {v} is out of bounds for dimension {k} with size {shape[d]}")


# -- __getitem__ / __setitem__ ----------------------------------------------------------------


def getitem(self, index):
    """``x[index]``: a view for basic indices, a copy (grad_fn IndexBackward0) for advanced."""
    if index is None:
        return unsqueeze(self, 0)
    if index is Ellipsis:
        return _alias(self)
    i = _as_int(index)
    if i is not None:
        return _select(self, 0, i, 0)
    if isinstance(index, slice):
        return _apply_slice(self, 0, index, optimize=False)
    res, pending = _apply_slicing(self, _items(index))
    if not pending:
        return _alias(res) if res is self else res
    indices = _expand(res.shape, xp_of(res._data), pending)
    return _index(res, indices=indices, shape=tuple(res.shape))


def setitem(self, index, value):
    """``x[index] = value``: a copy into the view for basic indices, ``index_put_`` for
    advanced ones. ``value`` is a tensor (broadcast, cast to x's dtype) or a Python number."""
    v = _value_tensor(self, value)
    if type(index) is bool and not index:
        return
    if index is Ellipsis:
        return _copy_to(self, v)
    if index is None or index is True:
        return _copy_to(unsqueeze(self, 0), v)
    i = _as_int(index)
    if i is not None:
        return _copy_to(_select(self, 0, i, 0), v)
    if isinstance(index, slice):
        return _copy_to(_apply_slice(self, 0, index, optimize=True), v)
    res, pending = _apply_slicing(self, _items(index))
    if not pending:
        return _copy_to(res, v)
    indices = _expand(res.shape, xp_of(res._data), pending)
    v = _strip_ones(v)
    _check_put(res, indices, v)
    _write(index_put, res, v, {"indices": indices, "accumulate": False})


def _strip_ones(v):
    """torch lets a value carry extra leading size-1 dims: (1, 1, 4) writes into (4,)."""
    shape = tuple(v.shape)
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return v.view(shape[i:]) if i else v


def _copy_to(dst, v):
    shape = tuple(dst.shape)
    if shape == tuple(v.shape):
        _write(_copy, dst, v, {})
    elif v.ndim == 0 and v.device.type == "cpu":
        _write(_fill, dst, v, {})
    else:
        v = _strip_ones(v)
        if tuple(v.shape) != shape:
            v = expand(v, shape)
        _write(_copy, dst, v, {})


_CTYPES = {"float32": "float", "float64": "double", "float16": "c10::Half",
           "bfloat16": "c10::BFloat16", "int64": "int64_t", "int32": "int", "int16": "int16_t",
           "int8": "int8_t", "uint8": "uint8_t", "complex64": "c10::complex<float>",
           "complex128": "c10::complex<double>"}  # fmt: skip


def _value_tensor(self, value):
    if isinstance(value, Tensor):
        return value
    if not isinstance(value, (bool, int, float, complex, np.integer)):
        raise TypeError(f"can't assign a {_typename(value)} to a {self.type()}")
    if isinstance(value, np.integer):
        value = int(value)
    if _overflows(value, self.dtype):
        raise RuntimeError(
            f"value cannot be converted to type {_CTYPES[self.dtype.name]} without overflow"
        )
    if isinstance(value, complex) and not self.dtype.is_complex:
        value = value.real
    return _tensor(value, dtype=self.dtype, device=self.device)


def _overflows(v, dt) -> bool:
    """torch's checked conversion of a Python number to ``dt`` (c10::overflows)."""
    if isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**63:
        raise ValueError("Overflow when unpacking long long")
    if isinstance(v, bool) or dt is D.bool_ or dt is D.float16 or dt is D.bfloat16:
        return False
    if dt.category == 3:
        big = float(np.finfo(D.to_numpy_dtype(dt)).max)
        return any(math.isfinite(p) and abs(p) > big for p in (complex(v).real, complex(v).imag))
    if isinstance(v, complex):
        if v.imag != 0:
            return True
        v = v.real
    info = np.finfo if dt.category == 2 else np.iinfo
    lim = info(D.to_numpy_dtype(dt))
    if dt.category == 2:
        return math.isfinite(v) and abs(v) > float(lim.max)
    if isinstance(v, float):
        return not math.isfinite(v) or v < int(lim.min) or v > int(lim.max)
    if lim.min == 0:  # unsigned: negatives wrap as in two's complement, down to -max
        return v > lim.max or -v > lim.max
    return v < lim.min or v > lim.max


# -- the gather / scatter family ----------------------------------------------------------------
# Each parser turns its index tensor into backend index arrays (params); the rules reuse _index
# (a gather) and _index_backward (a scatter-add into zeros), so second order works too.


def _int_index(t, name, int32=True):
    a = t._data
    if a.dtype == np.int64 or (int32 and a.dtype == np.int32):
        return a
    if not int32:
        raise RuntimeError(f"{name}(): Expected a long tensor for index, but got {_tname(t.dtype)}")
    raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _first(values, bad):
    return int(values[bad].ravel()[0]) if values.ndim else int(values)


def _index_select_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    return [((x, 0, np.array([2, 0, 2])), {}), ((x, 1, np.array([3])), {}),
            ((x, -1, np.array(1)), {}), ((rng.uniform(size=()), 0, np.array([0])), {})]  # fmt: skip


@op(grad_name="IndexSelectBackward0", onnx="Gather", samples=_index_select_samples)
def index_select(xp, x, *, key, shape):
    """The slices of ``input`` along ``dim`` at the positions in the 1-d ``index``.

    >>> ember.tensor([[1, 2], [3, 4]]).index_select(1, ember.tensor([1, 1]))
    tensor([[2, 2],
            [4, 4]])
    """
    return x.copy() if x.ndim == 0 else xp.ascontiguousarray(x[_key(key)])


index_select.defvjp(lambda grad, out, x, key, shape: (
    grad if not shape else _index_backward(grad, indices=key, shape=shape)))  # fmt: skip


@index_select.parser
def _(input, dim, index):
    dim = wrap_dim(dim, input.ndim)
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    a = xp_of(input._data).asarray(index._data).reshape(-1)
    if input.ndim == 0:
        if a.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{a.size} value(s)")  # fmt: skip
        if int(a[0]) != 0:
            raise IndexError("index out of range in self")
    else:
        n = input.shape[dim]
        bad = (a < 0) | (a >= n)
        if bad.any():
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={_first(a, bad)} "
                               f"axis_dim={n}")  # fmt: skip
    return (input,), {"key": (None,) * dim + (a,), "shape": tuple(input.shape)}


def _grid(xp, index, dim):
    """Index arrays that pick, for each position of ``index``, the element ``index`` names along
    ``dim`` and the same position along the other dims (gather/scatter addressing)."""
    nd = index.ndim
    if nd == 0:
        return (index,)
    return tuple(
        index if d == dim else xp.arange(index.shape[d]).reshape((-1,) + (1,) * (nd - 1 - d))
        for d in range(nd)
    )


def _gather_check(name, x, dim, index, src=None, before_bounds=None):
    nx = max(x.ndim, 1)
    if max(index.ndim, 1) != nx:
        raise RuntimeError(
            "Index tensor must have the same number of dimensions as input tensor"
            if name == "gather"
            else "Index tensor must have the same number of dimensions as self tensor"
        )
    if src is not None and max(src.ndim, 1) != max(index.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    ishape, xshape = tuple(index.shape), tuple(x.shape) or (1,)
    sshape = None if src is None else tuple(src.shape) or (1,)
    for d, n in enumerate(ishape):
        if d != dim and n > xshape[d] or (sshape is not None and n > sshape[d]):
            if name == "gather":
                raise RuntimeError(
                    f"Size does not match at dimension {d} expected index {list(ishape)} to be "
                    f"no larger than self {list(x.shape)} apart from dimension {dim}"
                )
            more = "" if sshape is None else f" and to be no larger size than src {list(sshape)}"
            raise RuntimeError(f"Expected index {list(ishape)} to be no larger than self "
                               f"{list(x.shape)} apart from dimension {dim}{more}")  # fmt: skip
    if before_bounds is not None:
        before_bounds()
    a = xp_of(x._data).asarray(_int_index(index, name))
    n = xshape[dim]
    bad = (a < 0) | (a >= n)
    if bad.any():
        raise RuntimeError(f"index {_first(a, bad)} is out of bounds for dimension {dim} with "
                           f"size {n}")  # fmt: skip
    return _grid(xp_of(x._data), a, dim)


def _gather_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    return [((x, 1, np.array([[0, 0], [3, 1], [2, 2]])), {}),
            ((x, 0, np.array([[2, 0, 1, 2]])), {}),
            ((x, -1, np.array([[1, 2, 3, 0, 0]] * 2)), {})]  # fmt: skip


@op(grad_name="GatherBackward0", onnx="GatherElements", samples=_gather_samples)
def gather(xp, x, *, key, shape):
    """Values of ``input`` along ``dim`` at ``index``: ``out[i][j] = input[i][index[i][j]]``
    for ``dim=1``.

    >>> ember.tensor([[1, 2], [3, 4]]).gather(1, ember.tensor([[1, 0], [0, 0]]))
    tensor([[2, 1],
            [3, 3]])
    """
    return x.reshape(shape)[_key(key)]


gather.defvjp(lambda grad, out, x, key, shape: _index_backward(grad, indices=key, shape=shape))


@gather.parser
def _(input, dim, index, *, sparse_grad=False):
    dim = wrap_dim(dim, input.ndim)
    key = _gather_check("gather", input, dim, index)
    return (input,), {"key": key, "shape": tuple(input.shape) or (1,)}


def _block(xp, shape):
    """Open-mesh aranges addressing the leading ``shape`` block of a bigger array."""
    nd = len(shape)
    return tuple(xp.arange(n).reshape((-1,) + (1,) * (nd - 1 - d)) for d, n in enumerate(shape))


def _scatter_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    i = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])
    return [((x, 0, i, rng.uniform(-1, 1, (2, 4))), {}),
            ((x, 1, i[:, :2], rng.uniform(size=(2, 2))), {}),
            ((x, 0, i, 0.5), {})]  # fmt: skip


def _src_grad(grad, key, src_shape, index_shape):
    g = _index(grad, indices=key, shape=tuple(grad.shape))
    if index_shape != src_shape:  # src was bigger than index: its other elements get zero
        g = _index_backward(g, indices=_block(xp_of(g._data), index_shape), shape=src_shape)
    return g


def _no_reduce_grad(reduce):
    if reduce is not None:
        raise RuntimeError("the derivative for 'scatter' with a reduce argument is not "
                           "implemented.")  # fmt: skip


def _scatter_name(args, params):
    return "ScatterBackward0" if isinstance(args[1], Tensor) else "ScatterBackward1"


@op(inplace=True, grad_name=_scatter_name, onnx="ScatterElements", samples=_scatter_samples)
def scatter(xp, x, src, *, key, index_shape, reduce=None):
    """``input`` with ``src`` (a tensor or a number) written along ``dim`` at ``index``:
    ``out[i][index[i][j]] = src[i][j]`` for ``dim=1``.

    >>> ember.zeros(2, 3).scatter(1, ember.tensor([[2], [0]]), 1.0)
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    out = x.copy()
    if hasattr(src, "shape"):
        src = src[tuple(slice(0, n) for n in index_shape)]
    if reduce is None:
        out[_key(key)] = src
    else:
        (xp.add if reduce == "add" else xp.multiply).at(out, _key(key), src)
    return out


scatter.defvjp(
    lambda grad, out, x, src, key, index_shape, reduce=None: (
        _no_reduce_grad(reduce) or _put(grad, 0, key)
    ),
    lambda grad, out, x, src, key, index_shape, reduce=None: (
        _no_reduce_grad(reduce) or _src_grad(grad, key, tuple(src.shape), index_shape)
    ),
)


def _scatter_parse(name, input, dim, index, src, reduce=None):
    dim = wrap_dim(dim, input.ndim)
    if isinstance(src, Tensor):
        if src.dtype is not input.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    elif name == "scatter_add":
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not "
                        f"{_typename(src)}")  # fmt: skip
    elif _overflows(src, input.dtype):
        raise RuntimeError(f"value cannot be converted to type {_CTYPES[input.dtype.name]} "
                           "without overflow")  # fmt: skip
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    key = _gather_check(name, input, dim, index, src if isinstance(src, Tensor) else None)
    if input.ndim == 0:  # a 0-d tensor scatters as a 1-element vector
        key = ()
    params = {"key": key, "index_shape": tuple(index.shape)}
    if name == "scatter":
        params["reduce"] = reduce
    return (input, src), params


@scatter.parser
def _(input, dim, index, src=None, *, value=None, reduce=None):
    return _scatter_parse("scatter", input, dim, index, value if src is None else src, reduce)


@op(inplace=True, grad_name="ScatterAddBackward0", onnx="ScatterElements",
    samples=lambda rng: [(args, kw) for args, kw in _scatter_samples(rng)[:2]])  # fmt: skip
def scatter_add(xp, x, src, *, key, index_shape):
    """``input`` with ``src`` added along ``dim`` at ``index`` (repeated indices add up).

    >>> ember.zeros(3).scatter_add(0, ember.tensor([0, 0, 2]), ember.ones(3))
    tensor([2., 0., 1.])
    """
    out = x.copy()
    xp.add.at(out, _key(key), src[tuple(slice(0, n) for n in index_shape)])
    return out


scatter_add.defvjp(
    lambda grad, out, x, src, key, index_shape: grad,
    lambda grad, out, x, src, key, index_shape: _src_grad(grad, key, tuple(src.shape),
                                                          index_shape),
)  # fmt: skip


@scatter_add.parser
def _(input, dim, index, src):
    return _scatter_parse("scatter_add", input, dim, index, src)


_MASK_TYPES = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
               "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
               "float16": "c10::Half", "bfloat16": "c10::BFloat16"}  # fmt: skip


def _masked_fill_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    return [((x, x > 0, 0.5), {}),
            ((x, np.array([True, False, True, False]), rng.uniform(size=())), {}),
            ((x[0], np.array([[True], [False]]), -1.0), {})]  # fmt: skip


def _masked_fill_name(args, params):
    return "MaskedFillBackward1" if isinstance(args[2], Tensor) else "MaskedFillBackward0"


@op(inplace=True, grad_name=_masked_fill_name, onnx="Where", samples=_masked_fill_samples)
def masked_fill(xp, x, mask, value):
    """``input`` with ``value`` where ``mask`` (bool, broadcast) is True.

    >>> ember.arange(4).masked_fill(ember.tensor([True, False, True, False]), -1)
    tensor([-1,  1, -1,  3])
    """
    return xp.where(mask, xp.asarray(value).astype(x.dtype), x)


masked_fill.defvjp(
    lambda grad, out, x, mask, value: where(mask, 0.0, grad),
    None,
    lambda grad, out, x, mask, value: where(mask, grad, 0.0).sum(),
)


@masked_fill.parser
def _(input, mask, value):
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_MASK_TYPES.get(mask.dtype.name, mask.dtype.name)}")  # fmt: skip
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")  # fmt: skip
    elif _overflows(value, input.dtype):
        raise RuntimeError(f"value cannot be converted to type {_CTYPES[input.dtype.name]} "
                           "without overflow")  # fmt: skip
    _broadcast_check(tuple(mask.shape), tuple(input.shape))
    return (input, mask, value), {}


def _masked_select_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    return [((x, x > 0), {}), ((x, np.array([True, False, True, True])), {}),
            ((x[0], np.array([[True], [False]])), {})]  # fmt: skip


@op(grad_name="MaskedSelectBackward0", samples=_masked_select_samples)
def masked_select(xp, x, *, key, shape):
    """The elements of ``input`` where ``mask`` (bool, broadcast) is True, as a 1-d tensor.

    >>> ember.arange(4).masked_select(ember.tensor([True, False, True, False]))
    tensor([0, 2])
    """
    return xp.broadcast_to(x, shape).reshape(shape or (1,))[key]  # 0-d as a 1-element vector


def _masked_select_grad(grad, out, x, key, shape):
    g = _index_backward(grad, indices=key, shape=shape or (1,))
    return g if shape else g.reshape(())


masked_select.defvjp(_masked_select_grad)


@masked_select.parser
def _(input, mask):
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    _broadcast_check(tuple(mask.shape), tuple(input.shape))
    shape = np.broadcast_shapes(tuple(mask.shape), tuple(input.shape))
    xp = xp_of(input._data)
    key = xp.nonzero(xp.broadcast_to(mask._data, shape).reshape(shape or (1,)))
    return (input,), {"key": key, "shape": shape}


def _take_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    return [((x, np.array([0, 11, -1, 5, 5])), {}), ((x, np.array([[2, 3], [-12, 0]])), {}),
            ((x, np.array(4)), {})]  # fmt: skip


@op(grad_name="TakeBackward0", onnx="Gather", samples=_take_samples)
def take(xp, x, *, key, shape):
    """Elements of ``input`` seen as 1-d, at ``index`` (any shape; negatives count from the end).

    >>> ember.tensor([[1, 2], [3, 4]]).take(ember.tensor([0, -1]))
    tensor([1, 4])
    """
    return x.reshape(-1)[key]


take.defvjp(lambda grad, out, x, key, shape: _index_backward(
    grad, indices=(key,), shape=(math.prod(shape),)).reshape(shape))  # fmt: skip


@take.parser
def _(input, index):
    a = xp_of(input._data).asarray(_int_index(index, "take", int32=False))
    n = input.numel()
    bad = (a < -n) | (a >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {_first(a, bad)} on a tensor of "
                         f"{n} elements.")  # fmt: skip
    return (input,), {"key": a % n if n else a, "shape": tuple(input.shape)}


# -- index_add / index_copy / index_fill / index_reduce, scatter_reduce, put, masked_scatter ----
# The parsers turn the index into backend index arrays (``key``) addressing the written elements;
# the forwards write through them and the rules gather (_pick), zero (_zero_at) or scatter-add
# (_add_at) gradients with the same key, so second order works as for gather/scatter. A 0-d
# tensor is addressed as a 1-element vector.


def _one(a):
    """An array or tensor, a 0-d one as a 1-element vector (the keys address it so)."""
    return a.reshape(1) if a.ndim == 0 else a


def _pick(g, key, shape=None):
    """``g`` at ``key`` (a gather), shaped ``shape`` when given."""
    g1 = _one(g)
    out = _index(g1, indices=key, shape=tuple(g1.shape))
    return out if shape is None else out.reshape(shape)


def _zero_at(g, key):
    """``g`` with zeros written at ``key``."""
    return _put(_one(g), 0, key).reshape(g.shape)


def _add_at(g, key, v):
    """``g`` with ``v`` (shaped as ``key`` broadcasts) added at ``key``."""
    g1 = _one(g)
    return (g1 + _index_backward(v, indices=key, shape=tuple(g1.shape))).reshape(g.shape)


def _dim_key(xp, index, dim, shape):
    """Index arrays addressing, for each position of a ``shape``-d source, the destination
    element at ``index[j]`` along ``dim`` (j: the source position along dim), the same
    position along the other dims."""
    nd = len(shape)
    return tuple((index if d == dim else xp.arange(n)).reshape((-1,) + (1,) * (nd - 1 - d))
                 for d, n in enumerate(shape))  # fmt: skip


def _vector_index(name, index):
    a = index._data
    if index.ndim > 1:
        raise IndexError(f"{name}_(): Index is supposed to be a vector, but got dim: "
                         f"{index.ndim} with type: {_tname(index.dtype)} and size: "
                         f"{list(index.shape)}")  # fmt: skip
    return a.reshape(-1)


def _index_func_check(name, input, dim, index, source):
    """torch's checks of index_add / index_reduce (index_func_meta_impl): the wrapped dim and
    the index as a 1-d backend array."""
    dim = wrap_dim(dim, input.ndim)
    a = _vector_index(name, index)
    if a.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{name}_(): Expected dtype int32/int64 for index but got: "
                           f"{_tname(index.dtype)}")  # fmt: skip
    if input.dtype is not source.dtype:
        raise RuntimeError(f"{name}_(): self ({_tname(input.dtype)}) and source "
                           f"({_tname(source.dtype)}) must have the same scalar type")  # fmt: skip
    if dim != 0 and dim >= source.ndim:
        raise RuntimeError(f"{name}_(): Indexing dim {dim} is out of bounds of the source tensor "
                           f"with dim {source.ndim}")  # fmt: skip
    n = 1 if source.ndim == 0 else source.shape[dim]
    if a.size != n:
        raise RuntimeError(f"{name}_(): Number of indices ({a.size}) should be equal to "
                           f"source.size(dim): ({n}), for dim: {dim}")  # fmt: skip
    xs, ss = list(input.shape), list(source.shape)
    if xs and ss:
        del xs[dim], ss[dim]
    if xs != ss:
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input.shape)} "
                           f"source.shape = {list(source.shape)}")  # fmt: skip
    return dim, a


def _index_add_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    return [((x, 0, np.array([2, 0, 2]), rng.uniform(-1, 1, (3, 4))), {}),
            ((x, 1, np.array([3, 1]), rng.uniform(-1, 1, (3, 2))), {"alpha": 2.5}),
            ((x, -1, np.array([0], dtype=np.int32), rng.uniform(-1, 1, (3, 1))), {})]  # fmt: skip


@op(inplace=True, samples=_index_add_samples)
def index_add(xp, x, src, *, key, alpha=1):
    """``input`` with ``alpha * source`` added into the slices at ``index`` along ``dim``
    (repeated indices add up).

    >>> ember.zeros(3).index_add(0, ember.tensor([0, 0, 2]), ember.tensor([1., 2., 3.]))
    tensor([3., 0., 3.])
    """
    out = x.copy()
    if alpha != 1:
        src = src * xp.asarray(alpha).astype(x.dtype)
    xp.add.at(_one(out), key, _one(src))
    return out


@index_add.parser
def _(input, dim, index, source, *, alpha=1):
    dim, a = _index_func_check("index_add", input, dim, index, source)
    n = input.shape[dim] if input.ndim else 1
    bad = (a < 0) | (a >= n)
    if bad.any():
        raise RuntimeError(f"index {_first(a, bad)} is out of bounds for dimension {dim} with "
                           f"size {n}")  # fmt: skip
    key = _dim_key(xp_of(input._data), a, dim, tuple(source.shape) or (1,))
    return (input, source), {"key": key, "alpha": alpha}


index_add.defvjp(
    lambda grad, out, x, src, key, alpha=1: grad,
    lambda grad, out, x, src, key, alpha=1: (
        _pick(grad, key, src.shape) if alpha == 1 else _pick(grad, key, src.shape) * alpha
    ),
)


def _index_copy_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    return [((x, 0, np.array([2, 0]), rng.uniform(-1, 1, (2, 4))), {}),
            ((x, 1, np.array([3, 1, 0]), rng.uniform(-1, 1, (3, 3))), {})]  # fmt: skip


@op(inplace=True, samples=_index_copy_samples)
def index_copy(xp, x, src, *, key):
    """``input`` with the slices at ``index`` along ``dim`` replaced by those of ``source``.

    >>> ember.zeros(3).index_copy(0, ember.tensor([2, 0]), ember.tensor([1., 2.]))
    tensor([2., 0., 1.])
    """
    out = x.copy()
    _one(out)[key] = _one(src)
    return out


@index_copy.parser
def _(input, dim, index, source):
    dim = wrap_dim(dim, input.ndim)
    if index.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    k = index.numel()
    if source.ndim == 0 and k != 1:
        raise IndexError("index_copy_(): When source is scalar, index should have one element "
                         f"(got {k})")  # fmt: skip
    if source.ndim != input.ndim and source.ndim and input.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.ndim}), "
                         f"destination dimensionality ({input.ndim})")  # fmt: skip
    a = _int_index(index, "index_copy_", int32=False).reshape(-1)
    if input.dtype is not source.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {_tname(input.dtype)} and (source) "
                           f"{_tname(source.dtype)}")  # fmt: skip
    xs, ss = list(input.shape), list(source.shape)
    if xs:
        del xs[dim]
    if ss:
        del ss[dim]
    if xs != ss:
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {' '.join(map(str, xs))} at dimension {dim} and source slice shape: "
            f"{' '.join(map(str, ss))} at dimension 0."
        )
    if source.ndim and k != source.shape[dim]:
        raise IndexError(f"index_copy_(): Number of indices ({k}) should be equal to "
                         f"source.size(dim) ({source.shape[dim]})")  # fmt: skip
    n = input.shape[dim] if input.ndim else 1
    bad = (a < 0) | (a >= n)
    if bad.any():
        raise IndexError(f"index_copy_(): index {_first(a, bad)} is out of bounds for dimension "
                         f"{dim} with size {n}")  # fmt: skip
    key = _dim_key(xp_of(input._data), a, dim, tuple(source.shape) or (1,))
    return (input, source), {"key": key}


index_copy.defvjp(
    lambda grad, out, x, src, key: _zero_at(grad, key),
    lambda grad, out, x, src, key: _pick(grad, key, src.shape),
)


def _index_fill_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    # (negative indices are fine, but torch's backward for a tensor value fails on them)
    return [((x, 0, np.array([2, 0]), 1.5), {}), ((x, 1, np.array([3, 1]), rng.uniform(size=())),
                                                 {})]  # fmt: skip


def _index_fill_name(args, params):
    return "IndexFillBackward1" if isinstance(args[1], Tensor) else "IndexFillBackward0"


@op(inplace=True, grad_name=_index_fill_name, samples=_index_fill_samples)
def index_fill(xp, x, value, *, key):
    """``input`` with ``value`` written into the slices at ``index`` along ``dim``.

    >>> ember.zeros(2, 3).index_fill(1, ember.tensor([0, 2]), -1.0).tolist()
    [[-1.0, 0.0, -1.0], [-1.0, 0.0, -1.0]]
    """
    out = x.copy(order="K")
    _one(out)[_key(key)] = _cast(xp, value, x.dtype)
    return out


@index_fill.parser
def _(input, dim, index, value):
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")  # fmt: skip
    elif _overflows(value, input.dtype):
        raise RuntimeError(f"value cannot be converted to type {_CTYPES[input.dtype.name]} "
                           "without overflow")  # fmt: skip
    if index._data.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    dim = wrap_dim(dim, input.ndim)
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    a = index._data.reshape(-1)
    n = input.shape[dim] if input.ndim else 1
    bad = (a < -n) | (a >= n)
    if bad.any():
        raise IndexError(f"index {_first(a, bad)} is out of bounds for dimension {dim} with size "
                         f"{n}")  # fmt: skip
    return (input, value), {"key": (None,) * dim + (a % n if n else a,)}


index_fill.defvjp(
    lambda grad, out, x, value, key: _zero_at(grad, key),
    lambda grad, out, x, value, key: _pick(grad, key).sum(),
)


def _put_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    return [((x, np.array([0, 11, -2]), rng.uniform(-1, 1, (3,))), {}),
            ((x, np.array([[5, 5], [1, 0]]), rng.uniform(-1, 1, (4,))), {"accumulate": True}),
            ((x, np.array(4), rng.uniform(-1, 1, ())), {})]  # fmt: skip


@op(inplace=True, samples=_put_samples)
def put(xp, x, src, *, key, accumulate=False):
    """``input`` with the elements of ``source`` written (or added, ``accumulate=True``) at the
    positions ``index`` of ``input`` seen as 1-d.

    >>> ember.zeros(2, 2).put(ember.tensor([3, 0]), ember.tensor([1., 2.])).tolist()
    [[2.0, 0.0], [0.0, 1.0]]
    """
    out = x.copy(order="K")
    if accumulate:
        xp.add.at(_one(out), key, src.reshape(-1))
    else:
        _one(out)[key] = src.reshape(-1)
    return out


@put.parser
def _(input, index, source, accumulate=False):
    if not isinstance(source, Tensor):
        raise TypeError(f"put(): argument 'source' (position 2) must be Tensor, not "
                        f"{_typename(source)}")  # fmt: skip
    a = _int_index(index, "put_", int32=False).reshape(-1)
    if input.dtype is not source.dtype:
        raise RuntimeError("put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_tname(input.dtype)} and source.dtype = "
                           f"{_tname(source.dtype)}")  # fmt: skip
    if a.size != source.numel():
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, "
            f"but got source.numel() = {source.numel()}, index.numel() = {a.size}"
        )
    n = input.numel()
    bad = (a < -n) | (a >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {_first(a, bad)} on a tensor of "
                         f"{n} elements.")  # fmt: skip
    xp = xp_of(input._data)
    key = xp.unravel_index(a % n if n else a, tuple(input.shape) or (1,))
    return (input, source), {"key": key, "accumulate": bool(accumulate)}


put.defvjp(
    lambda grad, out, x, src, key, accumulate=False: grad if accumulate else _zero_at(grad, key),
    lambda grad, out, x, src, key, accumulate=False: _pick(grad, key, src.shape),
)


def _masked_scatter_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    return [((x, x > 0, rng.uniform(-1, 1, (12,))), {}),
            ((x, np.array([True, False, False, True]), rng.uniform(-1, 1, (2, 4))), {}),
            ((x[:1], np.array([[True], [False]]), rng.uniform(-1, 1, (5,))), {})]  # fmt: skip


@op(inplace=True, samples=_masked_scatter_samples)
def masked_scatter(xp, x, mask, src):
    """``input`` (broadcast with ``mask``) with the first elements of ``source``, in order,
    written where ``mask`` is True.

    >>> ember.zeros(4).masked_scatter(ember.tensor([True, False, True, False]),
    ...                               ember.tensor([1., 2., 3.]))
    tensor([1., 0., 2., 0.])
    """
    shape = xp.broadcast_shapes(x.shape, mask.shape)
    out = xp.broadcast_to(x, shape).copy()
    m = xp.broadcast_to(mask, shape)
    k = int(m.sum())
    if k > src.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out[m] = src.reshape(-1)[:k]
    return out


@masked_scatter.parser
def _(input, mask, source):
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter(): argument 'source' (position 2) must be Tensor, not "
                        f"{_typename(source)}")  # fmt: skip
    _broadcast_check(tuple(mask.shape), tuple(input.shape))
    if source.dtype is not input.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{_tname(input.dtype)} and {_tname(source.dtype)}")  # fmt: skip
    if mask.dtype is not D.bool_:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_tname(mask.dtype)}")  # fmt: skip
    return (input, mask, source), {}


def _masked_scatter_src(grad, mask, shape):
    got = masked_select(grad, mask)
    n, k = math.prod(shape), got.shape[0]
    if n > k:
        got = cat([got, grad.new_zeros(n - k)])
    return got.reshape(shape)


masked_scatter.defvjp(
    lambda grad, out, x, mask, src: where(mask, 0.0, grad),
    None,
    lambda grad, out, x, mask, src: _masked_scatter_src(grad, mask, tuple(src.shape)),
)


@composite(function=False)
def masked_scatter_(input, mask, source):
    """In place: ``mask`` must broadcast to this tensor's shape."""
    if isinstance(mask, Tensor) and tuple(mask.shape) != tuple(input.shape):
        _expand_shape(mask, tuple(input.shape))
    return apply_inplace(masked_scatter, *masked_scatter.parse(input, mask, source))


_REDUCE_AT = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum",
              "amin": "minimum"}  # fmt: skip


def _identity(dtype, reduce):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype == np.bool_:
        return reduce == "amin"
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return info.min if reduce == "amax" else info.max
    return -math.inf if reduce == "amax" else math.inf


def _reduce_into(xp, x, src, key, reduce, include_self):
    """``x`` with ``src`` reduced into the elements at ``key`` (scatter_reduce's forward)."""
    out = x.copy()
    o = _one(out)
    if not include_self:
        o[key] = _identity(x.dtype, reduce)
    getattr(xp, _REDUCE_AT[reduce]).at(o, key, src)
    if reduce == "mean":
        count = xp.ones(o.shape, dtype=np.int64)
        if not include_self:
            count[key] = 0
        xp.add.at(count, key, 1)
        count = xp.maximum(count, 1)
        o[...] = xp.floor_divide(o, count) if x.dtype.kind in "iu" else o / count
    return out


def _block_of(src, shape):
    return src[tuple(slice(0, n) for n in shape)] if src.ndim else src


def _scatter_reduce_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    i = np.array([[0, 1, 2, 0], [2, 0, 0, 1], [0, 0, 1, 1]])
    s = rng.uniform(-1, 1, (3, 4))
    out = [((x, 0, i, s, r), {"include_self": inc})
           for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)]  # fmt: skip
    return out + [((x, 1, i[:2, :3], s[:2, :3], "sum"), {})]


@op(inplace=True, samples=_scatter_reduce_samples)
def scatter_reduce(xp, x, src, *, key, index_shape, reduce, include_self=True):
    """``input`` with the values of ``src`` reduced (sum, prod, mean, amax, amin) into the
    elements named by ``index`` along ``dim``; ``include_self=False`` leaves those elements'
    own values out.

    >>> ember.zeros(2).scatter_reduce(0, ember.tensor([0, 0, 1]), ember.tensor([1., 3., 5.]),
    ...                               "amax", include_self=False)
    tensor([3., 5.])
    """
    return _reduce_into(xp, x, _block_of(src, index_shape), key, reduce, include_self)


@scatter_reduce.parser
def _(input, dim, index, src, reduce, *, include_self=True):
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' (position 3) must be Tensor, not "
                        f"{_typename(src)}")  # fmt: skip
    dim = wrap_dim(dim, input.ndim)
    _int_index(index, "scatter")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")

    def check_reduce():  # torch checks the reduction after the shapes, before the bounds
        if reduce not in _REDUCE_AT:
            raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, "
                               f"got {reduce}")  # fmt: skip
        if reduce == "mean" and input.dtype is D.bool_:
            raise NotImplementedError(
                "\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'"
            )

    key = _gather_check("scatter", input, dim, index, src, before_bounds=check_reduce)
    return (input, src), {"key": key, "index_shape": tuple(index.shape), "reduce": reduce,
                          "include_self": bool(include_self)}  # fmt: skip


def _reduce_again(x, src, key, reduce, include_self):
    params = {"key": key, "index_shape": tuple(src.shape), "reduce": reduce,
              "include_self": include_self}  # fmt: skip
    return apply(scatter_reduce, (x, src), params)


def _reduce_grads(grad, out, x, s, key, reduce, include_self, shape):
    """torch's scatter_reduce_backward for the self gradient and the gradient of ``s`` (the part
    of src the index covers, of shape ``shape``)."""
    if reduce == "sum":
        gx, gs = grad, _pick(grad, key, shape)
    elif reduce == "mean":
        n = ones_like(grad) if include_self else zeros_like(grad)
        n = _add_at(n, key, ones_like(s))
        n = where(n == 0, 1.0, n)
        gx, gs = grad / n, _pick(grad, key, shape) / _pick(n, key, shape)
    elif reduce == "prod":
        # the products without each factor, where a factor is 0 (torch's formula)
        masked_x = where(x == 0, 1.0, x)
        gx = grad * _reduce_again(masked_x, s, key, reduce, include_self) / masked_x
        s_zero = s == 0
        zeros_there = _pick(_add_at(zeros_like(x), key, s_zero.to(x.dtype)), key, shape)
        single = s_zero & (zeros_there == 1)
        again = _reduce_again(x, where(single, 1.0, s), key, reduce, include_self)
        gs = where(single, _pick(grad * again, key, shape),
                   _pick(grad * out, key, shape) / where(s_zero, 1.0, s))  # fmt: skip
    else:  # amax, amin: the gradient is shared evenly between the elements equal to the result
        value = _pick(out, key, shape)
        x_is = (x == out).to(grad.dtype)
        s_is = (s == value).to(grad.dtype)
        spread = grad / _add_at(x_is, key, s_is)
        gx, gs = x_is * spread, s_is * _pick(spread, key, shape)
    if not include_self:
        gx = _zero_at(gx, key)
    return gx, gs


def _pad_src(g, src_shape, shape):
    if tuple(src_shape) == tuple(shape):
        return g
    return _index_backward(g, indices=_block(xp_of(g._data), shape), shape=tuple(src_shape))


def _src_block(src, shape):
    out = src
    for d, n in enumerate(shape):
        if out.shape[d] != n:
            out = _slice(out, dim=d, start=0, end=n, step=1)
    return out


def _sr_x(grad, out, x, src, key, index_shape, reduce, include_self=True):
    s = _src_block(src, index_shape)
    return _reduce_grads(grad, out, x, s, key, reduce, include_self, index_shape)[0]


def _sr_src(grad, out, x, src, key, index_shape, reduce, include_self=True):
    s = _src_block(src, index_shape)
    g = _reduce_grads(grad, out, x, s, key, reduce, include_self, index_shape)[1]
    return _pad_src(g, src.shape, index_shape)


scatter_reduce.defvjp(_sr_x, _sr_src)


def _index_reduce_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    s = rng.uniform(-1, 1, (3, 4))
    return [((x, 0, np.array([0, 2, 0]), s, r), {"include_self": inc})
            for r in ("prod", "mean", "amax", "amin") for inc in (True, False)]  # fmt: skip


@op(inplace=True, samples=_index_reduce_samples)
def index_reduce(xp, x, src, *, key, index_shape, reduce, include_self=True):
    """``input`` with the slices of ``source`` reduced (prod, mean, amax, amin) into the slices
    at ``index`` along ``dim``; ``include_self=False`` leaves those slices' own values out.

    >>> ember.ones(2).index_reduce(0, ember.tensor([0, 0]), ember.tensor([2., 3.]), "prod")
    tensor([6., 1.])
    """
    return _reduce_into(xp, x, src, key, reduce, include_self)


@index_reduce.parser
def _(input, dim, index, source, reduce, *, include_self=True):
    warnings.warn("index_reduce() is in beta and the API may change at any time.", UserWarning,
                  stacklevel=3)  # fmt: skip
    dim, a = _index_func_check("index_reduce", input, dim, index, source)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError("index_reduce(): Expected reduce to be one of prod, mean, amax or amin "
                           f"but got {reduce}.")  # fmt: skip
    n = input.shape[dim] if input.ndim else 1
    if ((a < 0) | (a >= n)).any():
        raise IndexError("index out of range in self")
    shape = tuple(source.shape) or (1,)
    key = _dim_key(xp_of(input._data), a, dim, shape)
    return (input, source), {"key": key, "index_shape": tuple(source.shape), "reduce": reduce,
                             "include_self": bool(include_self)}  # fmt: skip


index_reduce.defvjp(_sr_x, _sr_src)


# -- nonzero, fill -----------------------------------------------------------------------------


def _nonzero_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    return [((x > 0,), {}), ((np.array([0, 3, 0, -1]),), {}), ((np.array(2.0),), {}),
            ((np.zeros((2, 0, 3)),), {})]  # fmt: skip


@op(differentiable=False, samples=_nonzero_samples)
def argwhere(xp, x):
    """The indices of the nonzero elements, one row each (n, ndim), in row-major order; the
    same as ``nonzero(input)``.

    >>> ember.tensor([[0, 1], [2, 0]]).argwhere().tolist()
    [[0, 1], [1, 0]]
    """
    return xp.argwhere(x)


@op(multi=True, method=False, differentiable=False, samples=_nonzero_samples)
def _nonzero_tuple(xp, x):
    return tuple(xp.ascontiguousarray(i) for i in xp.nonzero(_one(x)))


_nonzero_tuple.check = lambda lib, x: lib.nonzero(x, as_tuple=True)


@composite()
def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero elements: an (n, ndim) tensor, or with ``as_tuple=True`` one
    1-d tensor per dim (a 0-d input counts as 1-d).

    >>> ember.tensor([0, 2, 3]).nonzero(as_tuple=True)
    (tensor([1, 2]),)
    """
    return _nonzero_tuple(input) if as_tuple else argwhere(input)


def _nonzero_static_samples(rng):
    x = np.array([[0, 1, 2], [3, 0, 0]])
    return [((x,), {"size": 2}), ((x,), {"size": 5, "fill_value": -7}), ((x,), {"size": 0})]


@op(differentiable=False, samples=_nonzero_static_samples)
def nonzero_static(xp, x, *, size, fill_value=-1):
    """``nonzero(input)`` cut or padded with ``fill_value`` rows to exactly ``size`` rows."""
    rows = xp.argwhere(x)[:size]
    out = xp.full((size, x.ndim), fill_value, dtype=np.int64)
    out[: rows.shape[0]] = rows
    return out


@nonzero_static.parser
def _(input, *, size, fill_value=-1):
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    return (input,), {"size": int(size), "fill_value": int(fill_value)}


def _fill_samples(rng):
    x = rng.uniform(size=(2, 3))
    return [((x, 2.5), {}), ((x, rng.uniform(size=())), {})]


def _fill_name(args, params):
    return "FillBackward1" if isinstance(args[1], Tensor) else "FillBackward0"


@op(method=False, grad_name=_fill_name, samples=_fill_samples)
def fill(xp, x, value):
    """A tensor like ``input`` (shape, dtype, layout) filled with ``value``."""
    out = xp.empty_like(x)
    out[...] = _cast(xp, value, x.dtype)
    return out


fill.defvjp(lambda grad, out, x, value: zeros_like(grad), lambda grad, out, x, value: grad.sum())


def _fill_value(input, value, name="fill_"):
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")  # fmt: skip
        return value
    if not isinstance(value, (bool, int, float, complex, np.number)):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({_typename(value)}), but expected one of:\n * (Tensor value)\n"
                        " * (Number value)\n")  # fmt: skip
    if isinstance(value, np.number):
        value = value.item()
    if _overflows(value, input.dtype):
        raise RuntimeError(f"value cannot be converted to type {_CTYPES[input.dtype.name]} "
                           "without overflow")  # fmt: skip
    return value


@fill.parser
def _(input, value):
    return (input, _fill_value(input, value, "fill")), {}


@composite()
def fill_(input, value):
    """Fill this tensor with ``value`` (a number or a 0-d tensor), in place.

    >>> ember.zeros(2).fill_(3)
    tensor([3., 3.])
    """
    return apply_inplace(_fill, (input, _fill_value(input, value)), {})


@op(inplace=True, method=False, grad_name="ZeroBackward0")
def _zero(xp, x):
    return xp.zeros((), dtype=x.dtype)


_zero.defvjp(lambda grad, out, x: zeros_like(grad))
_zero.samples = lambda rng: [((rng.uniform(size=(2, 3)),), {})]
_zero.check = lambda lib, x: _zero_check(lib, x * 1) * 1


def _zero_check(lib, x):
    return x.zero_() if _is_torch(lib) else apply_inplace(_zero, (x,), {})


@composite()
def zero_(input):
    """Fill this tensor with zeros, in place."""
    return apply_inplace(_zero, (input,), {})


@composite(function=False)
def fill_diagonal_(input, fill_value, wrap=False):
    """Write ``fill_value`` on the main diagonal (all dims equal for more than 2 dims); with
    ``wrap``, a tall matrix's diagonal starts again every ``ncols + 1`` rows.

    >>> ember.zeros(2, 3).fill_diagonal_(1).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    n = input.ndim
    if n < 2:
        raise RuntimeError("dimensions must larger than 1")
    h, w = input.shape[0], input.shape[1]
    if n > 2 and any(s != h for s in input.shape[1:]):
        raise RuntimeError("all dimensions of input must be of equal length")
    off = input.storage_offset()
    stride = sum(input.stride())
    size = min(h, w)
    input.as_strided((size,), (stride,), off).fill_(fill_value)
    if wrap and n == 2 and h > w + 1:
        step = w + 1
        rest = (input.numel() + step - 1) // step - size
        input.as_strided((rest,), (stride,), off + input.stride(0) * step).fill_(fill_value)
    return input


@composite(method=False)
def index_put_(input, indices, values, accumulate=False):
    """``input.index_put_(indices, values, accumulate)`` as a function."""
    return apply_inplace(index_put, *index_put.parse(input, indices, values, accumulate))


@composite(method=False)
def unravel_index(indices, shape):
    """Flat indices into a tensor of ``shape`` as one coordinate tensor per dim (views of one
    tensor, as torch's).

    >>> ember.unravel_index(ember.tensor([4, 1]), (3, 2))
    (tensor([2, 0]), tensor([0, 1]))
    """
    if indices.dtype.is_floating_point or indices.dtype.is_complex or indices.dtype is D.bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, int):
        shape = (shape,)
    elif isinstance(shape, (tuple, list)):
        for n in shape:
            if not isinstance(n, int):
                raise TypeError(
                    f"expected 'shape' sequence to only contain ints, but got {type(n)}"
                )
    else:
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    shape = tuple(shape)
    if any(n < 0 for n in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    coefs = [math.prod(shape[k + 1 :]) for k in range(len(shape))]
    dev = indices.device
    out = indices.unsqueeze(-1) // _tensor(coefs, dtype=D.int64, device=dev)
    return (out % _tensor(list(shape), dtype=D.int64, device=dev)).unbind(-1)


alias_copy = _copy_variant(_alias, "alias_copy")


from .elementwise import where  # noqa: E402


def install(T) -> None:
    """Put ``__getitem__``, ``__setitem__`` and ``copy_`` on the Tensor class."""
    T.__getitem__ = getitem
    T.__setitem__ = setitem
    T.copy_ = copy_
