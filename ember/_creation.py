"""Tensor creation: tensor, as_tensor, asarray, from_numpy, zeros/ones/empty/full, arange,
linspace, logspace, eye, the *_like forms, random creation (rand, randn, randint, randperm)
drawing from an ember Generator, index grids (tril/triu_indices, meshgrid, cartesian_prod,
combinations), windows, empty_strided/empty_permuted, range, frombuffer/from_file and the legacy
constructors (ember.FloatTensor ...).

Random creation: the same seed gives the same numbers in ember every time, but not the numbers
torch gives (ember's generator is NumPy's PCG64, torch's a Mersenne Twister).

Dtype inference, the checks on values that do not fit a dtype, the lengths of ranges and the
exceptions follow torch's C++ (tensor_new.cpp, RangeFactories.cpp, c10's checked_convert).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from . import _dtype as D
from . import _generator as G
from ._device import CPU, canonical, device_of, get_xp
from ._generator import numpy_rng
from ._tensor import Size, Tensor, _c_strides
from .autograd.grad_mode import STATE

__all__ = [
    "tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full", "arange",
    "linspace", "logspace", "eye", "zeros_like", "ones_like", "empty_like", "full_like", "rand",
    "randn", "randint", "rand_like", "randn_like", "randint_like", "scalar_tensor", "randperm",
    "tril_indices", "triu_indices", "meshgrid", "cartesian_prod", "combinations", "hann_window",
    "hamming_window", "blackman_window", "bartlett_window", "kaiser_window", "empty_strided",
    "empty_permuted", "range", "frombuffer", "from_file", "FloatTensor", "DoubleTensor",
    "HalfTensor", "BFloat16Tensor", "ByteTensor", "CharTensor", "ShortTensor", "IntTensor",
    "LongTensor", "BoolTensor", "set_default_tensor_type",
]  # fmt: skip


def _finish(arr, device, requires_grad, out=None, fn="") -> Tensor:
    dev = canonical(device) if device is not None else CPU
    if arr.size == 0 and arr.ndim > 1 and not any(arr.strides):
        arr = _empty_as(arr, arr.dtype, np)  # torch's strides, so views of it stride as torch's
    if dev is not CPU:
        arr = get_xp(dev).asarray(arr)
    if out is not None:
        if out._requires_grad and fn in ("empty", "randn"):  # these resize out, in any mode
            raise RuntimeError("cannot resize variables that require grad")
        if out._requires_grad and STATE.grad:
            raise RuntimeError(_OUT_GRAD.format(f"aten::{fn}"))
        _into(out, arr)
        return out.requires_grad_(True) if requires_grad else out
    t = Tensor._wrap(arr)
    if dev is not CPU:
        t._device = dev
    if STATE.inference:
        t._is_inference = True
    if requires_grad:
        if D.from_numpy_dtype(arr.dtype).category < 2:
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        t.requires_grad_(True)
    return t


_OUT_GRAD = (
    "{}(): functions with out=... arguments don't support automatic differentiation, but "
    "one of the arguments requires grad."
)


def _into(out: Tensor, arr) -> Tensor:
    """Write a result into ``out=`` (resized when its shape differs, as torch does)."""
    if out._data.shape == arr.shape:
        out._data[...] = arr
    else:
        out._data = arr.astype(out._data.dtype)
    out._bump()
    return out


def _write_result(result, out, fn: str):
    """Hand a computed ``result`` (a tensor or a tuple of them) over to ``out=`` as torch's
    out variants do: the dtypes must match, ``out`` is resized, no autograd through it."""
    from .ops.registry import _CPU_NAME

    if isinstance(result, tuple):
        outs = [_write_result(r, o, fn) for r, o in zip(result, out)]
        return tuple(outs) if type(result) is tuple else type(result)(outs)
    if out.dtype is not result.dtype:
        raise RuntimeError(
            f"Expected out tensor to have dtype {_CPU_NAME.get(result.dtype.name)}, but got "
            f"{_CPU_NAME.get(out.dtype.name)} instead"
        )
    if result.requires_grad and STATE.grad:
        raise RuntimeError(_OUT_GRAD.format(fn))
    return _into(out, result._data)


def _dtype_arg(dtype, out=None):
    if dtype is None:
        return None if out is None else out.dtype
    if not isinstance(dtype, D.dtype):
        raise TypeError(f"argument 'dtype' must be ember.dtype, not {type(dtype).__name__}")
    if out is not None and out.dtype is not dtype:
        raise RuntimeError(f"dtype {_type_name(dtype)} does not match dtype of out parameter "
                           f"({_type_name(out.dtype)})")  # fmt: skip
    return dtype


def _sizes(size, fn="zeros") -> tuple:
    """torch's ``*size`` argument: ints, or one tuple/list/Size of ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
        packed = True
    else:
        packed = len(size) != 1
    out = []
    for i, s in enumerate(size):
        if type(s) is not int:
            if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
                s = int(s)
            elif isinstance(s, Tensor) and s.numel() == 1 and s.dtype.category == 1:
                s = int(s)
            elif packed:
                raise TypeError(
                    f"{fn}(): argument 'size' failed to unpack the object at pos {i + 1} with "
                    f'error "type must be tuple of ints,but got {type(s).__name__}"'
                )
            else:
                raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, "
                                f"not {type(s).__name__}")  # fmt: skip
        out.append(s)
    if any(s < 0 for s in out):
        if fn == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        bad = next(s for s in out if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {out}")
    return tuple(out)


def _no_size(fn):
    raise TypeError(f'{fn}() missing 1 required positional arguments: "size"')


# -- values that do not fit a dtype (c10::overflows / checked_convert) --------------------------

# the C type names torch's messages use for a Scalar that does not fit
_C_NAMES = {
    "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
    "uint16": "uint16_t", "uint32": "uint32_t", "uint64": "uint64_t", "float16": "c10::Half",
    "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
    "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
}  # fmt: skip
_FLOAT_MAX = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38,
              "float32": 3.4028234663852886e38, "float64": 1.7976931348623157e308}  # fmt: skip


def _limits(dt):
    if dt.category == 1:
        i = np.iinfo(dt.np)
        return int(i.min), int(i.max)
    m = _FLOAT_MAX[dt.to_real().name]
    return -m, m


def _overflows(v, dt) -> bool:
    """Whether the Python number ``v`` does not fit ``dt`` under c10's rules: nothing overflows
    bool; negative ints wrap into unsigned types down to -max; inf and nan fit float types only;
    a complex number with an imaginary part fits complex types only."""
    if dt is D.bool_ or isinstance(v, bool):
        return False
    if isinstance(v, complex):
        if dt.category != 3 and v.imag != 0:
            return True
        return _overflows(v.real, dt) or _overflows(v.imag, dt)
    lo, hi = _limits(dt)
    if isinstance(v, float) and not math.isfinite(v):
        return dt.category == 1
    if isinstance(v, int) and dt.category == 1 and not dt.is_signed and v < 0:
        return -v > hi
    return v < lo or v > hi


def _check_fits(v, dt) -> None:
    if _overflows(v, dt):
        name = _C_NAMES[dt.name]
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")


def _cast_scalar(v, dt):
    """A Python number that fits ``dt``, as the value stored (C casts: truncation, wrapping)."""
    if dt is D.bool_:
        return bool(v)
    if dt.category == 3:
        return complex(v)
    v = v.real if isinstance(v, complex) else v
    if dt.category == 2:
        return float(v)
    v = int(v)
    return v % (1 << (8 * dt.itemsize)) if v < 0 and not dt.is_signed else v


def _py_int(v):
    """A Python int torch can hold as a Scalar (int64 or uint64)."""
    if not -(2**63) <= v < 2**64:
        raise OverflowError("int too big to convert")
    return v


# -- tensor(data) -------------------------------------------------------------------------------

_PY_NUMBERS = frozenset((bool, int, float, complex))
_MAX_DIMS = 64


def _py_dtype(t):
    if t is bool:
        return D.bool_
    if t is int:
        return D.int64
    if t is float:
        return D.get_default_dtype()
    return D.default_complex()


def _is_seq(x) -> bool:
    return isinstance(x, (list, tuple, range, str, bytes, np.ndarray)) or (
        isinstance(x, Sequence) and not isinstance(x, Tensor)
    )


def _shape_of(data) -> list:
    """The shape torch reads from nested sequences: the lengths along the first elements."""
    sizes = []
    x = data
    while _is_seq(x):
        if isinstance(x, np.ndarray):
            if x.ndim == 0 and sizes:
                raise TypeError("len() of unsized object")
            sizes.extend(x.shape)
            break
        n = len(x)
        sizes.append(n)
        if len(sizes) > _MAX_DIMS:
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        if n == 0:
            break
        x = x[0]
    return sizes


def _infer(x):
    """torch's infer_scalar_type: Python numbers take the default dtypes, tensors and NumPy
    values keep theirs, and a sequence promotes over its items (empty: the default float)."""
    t = type(x)
    if t in _PY_NUMBERS:
        return _py_dtype(t)
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{t.__name__}'")
    if isinstance(x, (np.ndarray, np.generic)):
        return D.from_numpy_dtype(x.dtype)
    for py in (bool, int, float, complex):  # subclasses (IntEnum ...)
        if isinstance(x, py):
            return _py_dtype(py)
    if _is_seq(x):
        if len(x) == 0:
            return D.get_default_dtype()
        types = set(map(type, x))
        items = [_py_dtype(t) for t in types] if types <= _PY_NUMBERS else map(_infer, x)
        r = None
        for d in items:
            r = d if r is None else D.promote_types(r, d)
            if r is D.complex128:
                break
        return r
    raise RuntimeError(f"Could not infer dtype of {t.__name__}")


def _leaf_error(x, target):
    name = type(x).__name__
    if target.category < 2:
        raise TypeError(f"'{name}' object cannot be interpreted as an integer")
    raise TypeError(f"must be real number, not {name}")


def _check_leaf(x, target) -> bool:
    """Raise torch's error for a value that cannot be stored; True when it must be unpacked
    (a one-element tensor)."""
    t = type(x)
    if t in _PY_NUMBERS or isinstance(x, np.generic):
        if isinstance(x, (complex, np.complexfloating)) and 1 <= target.category <= 2:
            _leaf_error(x, target)
        return False
    if isinstance(x, Tensor):
        if x.numel() != 1 or (target.category == 1 and x.dtype.category > 1):
            if target.category < 2:
                raise TypeError(
                    "only integer tensors of a single element can be converted to an index"
                )
            raise ValueError("only one element tensors can be converted to Python scalars")
        return True
    if isinstance(x, np.ndarray) and x.ndim == 0 or isinstance(x, (int, float, complex)):
        return False
    _leaf_error(x, target)


def _check(x, sizes, dim, target) -> bool:
    """Check that ``x`` has the shape ``sizes[dim:]`` (torch's recursive_store); True when
    some leaf must be unpacked."""
    if dim == len(sizes):
        return _check_leaf(x, target)
    if isinstance(x, np.ndarray):
        if x.shape == tuple(sizes[dim:]):
            return False
        x = x.tolist() if x.ndim else x  # walk it to report where it differs
    if not _is_seq(x) or isinstance(x, np.ndarray):
        raise TypeError("not a sequence")
    n = len(x)
    if n != sizes[dim]:
        raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {n})")
    if dim + 1 == len(sizes):
        types = set(map(type, x))
        if types <= _PY_NUMBERS:
            if complex in types and 1 <= target.category <= 2:
                _leaf_error(1j, target)
            return False
    unpack = False
    for item in x:
        unpack |= _check(item, sizes, dim + 1, target)
    return unpack


def _unpack(x):
    if isinstance(x, Tensor):
        return x.item()
    if isinstance(x, (list, tuple)):
        return [_unpack(y) for y in x]
    return x


def _from_python(data, dtype):
    """Nested Python data as a NumPy array of torch's dtype (inferred when None)."""
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    sizes = _shape_of(data)
    target = dtype if dtype is not None else _infer(data)
    if 0 in sizes:  # torch stores nothing, so it checks nothing
        return np.zeros(sizes, dtype=D.to_numpy_dtype(target))
    if _check(data, sizes, 0, target):
        data = _unpack(data)
    npd = D.to_numpy_dtype(target)
    if target.category != 1:
        with np.errstate(over="ignore"):  # torch stores doubles into float16 etc. unchecked
            return np.array(data, dtype=npd).reshape(sizes)
    wide = np.array(data)
    if (
        wide.dtype.kind not in "biuf"
        or wide.dtype == np.uint64
        or (wide.dtype.kind == "f" and not (np.abs(wide) < 2**53).all())
    ):
        wide = _exact_ints(data, target)  # beyond what float64 holds exactly
    elif target is not D.int64 and wide.dtype.kind in "iu" or wide.dtype.kind == "f":
        lo, hi = _limits(target)
        if not target.is_signed and wide.dtype.kind != "f":
            lo = -hi  # negative ints wrap into unsigned types (c10::overflows)
        if not ((wide >= lo) & (wide <= hi)).all():
            _store_overflow(target)
    return wide.astype(npd).reshape(sizes)


def _store_overflow(target):
    raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")


def _exact_ints(data, target):
    """Python ints and floats checked one by one, in exact arithmetic, as torch stores them."""
    lo, hi = _limits(target)
    out = []
    for v in np.array(data, dtype=object).reshape(-1):
        if isinstance(v, float):
            if not (math.isfinite(v) and lo <= v <= hi):
                _store_overflow(target)
        else:
            v = int(v)
            if not -(2**63) <= v < 2**63:
                raise ValueError("Overflow when unpacking long long")
            if not (lo <= v <= hi or not target.is_signed and -hi <= v < 0):
                _store_overflow(target)
        out.append(int(v))
    return np.array(out, dtype=np.int64)


def _check_ndarray(a: np.ndarray) -> None:
    if any(s < 0 for s in a.strides) and a.size:
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with negative "
            "strides are not currently supported. (You can probably work around this by making a "
            "copy of your array  with array.copy().) "
        )
    if not a.dtype.isnative:
        raise ValueError(
            "given numpy array has byte order different from the native byte order. Conversion "
            "between byte orders is currently not supported."
        )


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor copying ``data``: nested lists or tuples of numbers, NumPy arrays and
    scalars, tensors. Python ints become int64, floats the default dtype (float32), bools
    bool, complex numbers complex64; NumPy data keeps its dtype.

    >>> ember.tensor([[1., 2.]], requires_grad=True)
    tensor([[1., 2.]], requires_grad=True)
    >>> ember.tensor([1, 2.5]).dtype
    ember.float32
    """
    dtype = _dtype_arg(dtype)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "ember.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        npd = D.to_numpy_dtype(dtype or data.dtype)
        arr = data._data.astype(npd, copy=True)
        return _finish(arr, device if device is not None else data._device, requires_grad)
    if not isinstance(data, (np.ndarray, np.generic)) and not _is_seq(data):
        if not isinstance(data, (bool, int, float, complex)) and hasattr(data, "__array__"):
            data = np.asarray(data)
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
        _check_ndarray(arr)
        npd = arr.dtype if dtype is None else D.to_numpy_dtype(dtype)
        D.from_numpy_dtype(arr.dtype)
        arr = arr.astype(npd, order="K", copy=True)
    else:
        arr = _from_python(data, dtype)
    return _finish(arr, device, requires_grad)


def _alias_source(obj, dtype):
    """``obj`` as a Tensor sharing its memory when it has memory to share (a Tensor, a NumPy
    array, anything with ``__dlpack__``, ``__array_interface__``, ``__cuda_array_interface__``
    or the buffer protocol), else None (sequences, scalars: those are copied).

    The buffer protocol is read as raw bytes of ``dtype`` (default: the default dtype), as
    torch does; ``__array_interface__`` is ember's addition (torch refuses such objects).
    """
    if isinstance(obj, Tensor):
        return obj
    if isinstance(obj, np.ndarray):
        return from_numpy(obj)
    if isinstance(obj, (np.generic, list, tuple, range, str)):
        return None
    if hasattr(obj, "__dlpack__") or type(obj).__name__ == "PyCapsule":
        from .ops.misc import from_dlpack

        return from_dlpack(obj)
    if hasattr(obj, "__cuda_array_interface__"):
        arr = get_xp(canonical("cuda")).asarray(obj)  # CuPy wraps it without a copy
        t = Tensor._wrap(arr)
        t._device = device_of(arr)
        return t
    if hasattr(obj, "__array_interface__"):
        return _alias_source(np.asarray(obj), dtype)
    try:
        memoryview(obj)
    except TypeError:
        return None
    return frombuffer(obj, dtype=dtype or D.get_default_dtype())


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, sharing memory with a NumPy array, tensor or DLPack producer when
    dtype and device allow (then writes through either are seen by both); otherwise like
    ``tensor``.

    >>> a = np.zeros(2); _ = ember.as_tensor(a).add_(1); a
    array([1., 1.])
    """
    dtype = _dtype_arg(dtype)
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if isinstance(data, np.ndarray) and (dtype is None or D.to_numpy_dtype(dtype) == data.dtype):
        if device is None or canonical(device) is CPU:
            return from_numpy(data)
    if not isinstance(data, (np.ndarray, np.generic)) and (
        hasattr(data, "__dlpack__") or hasattr(data, "__array_interface__")
        or hasattr(data, "__cuda_array_interface__")
    ):  # fmt: skip
        return _alias_source(data, dtype).to(device=device, dtype=dtype)
    return tensor(data, dtype=dtype, device=device)


def _type_name(d) -> str:
    return d._tensor_type[:-6]


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None) -> Tensor:
    """``obj`` as a tensor. ``copy=None`` shares memory when it can (tensors, NumPy arrays,
    DLPack producers, ``__array_interface__`` objects, buffers), ``True`` always copies,
    ``False`` never does (and raises where it would have to). ``requires_grad=None`` keeps a
    tensor's own flag.

    >>> ember.asarray([1, 2], dtype=ember.float64)
    tensor([1., 2.], dtype=ember.float64)
    """
    dtype = _dtype_arg(dtype)
    t = _alias_source(obj, dtype)
    if t is None:
        if copy is False and isinstance(obj, np.generic):
            raise RuntimeError("can't alias NumPy scalars. Either remove copy=False or transform "
                               "it in a ndarray. ")  # fmt: skip
        if copy is False:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        t = tensor(obj, dtype=dtype, device=device)
    else:
        wrong_device = device is not None and canonical(device) != t.device
        wrong_dtype = dtype is not None and dtype is not t.dtype
        if copy or (copy is None and (wrong_device or wrong_dtype)):
            if wrong_device or wrong_dtype:
                t = t.to(device=device or t.device, dtype=dtype or t.dtype, copy=bool(copy))
            else:
                t = t.clone()
        elif wrong_device:
            raise ValueError(f"can't alias tensor from device '{t.device}' to '{device}'.")
        elif wrong_dtype:
            raise ValueError(f"can't alias tensor with dtype '{_type_name(t.dtype)}' into dtype "
                             f"'{_type_name(dtype)}'.")  # fmt: skip
    if requires_grad is not None and requires_grad != t.requires_grad:
        # as torch: a leaf (even the caller's own tensor) changes its flag in place; a
        # non-leaf asked for requires_grad=False gives a detached alias
        t = t.requires_grad_(requires_grad) if t.is_leaf else t.detach()
    return t


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``: writes through either are seen by both.

    >>> a = np.arange(3); _ = ember.from_numpy(a).mul_(2); a
    array([0, 2, 4])
    """
    if not isinstance(ndarray, np.ndarray):
        t = type(ndarray)
        name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"
        raise TypeError(f"expected np.ndarray (got {name})")
    _check_ndarray(ndarray)
    D.from_numpy_dtype(ndarray.dtype)
    if not ndarray.flags.writeable:
        warnings.warn(
            "The given NumPy array is not writable, and ember does not support non-writable "
            "tensors. This means writing to this tensor will fail. You may want to copy the "
            "array to protect its data or make it writable before converting it to a tensor.",
            UserWarning,
            stacklevel=2,
        )
    t = Tensor._wrap(ndarray)
    if STATE.inference:
        t._is_inference = True
    return t


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A 0-d tensor holding ``s`` in ``dtype`` (default: the default float dtype)."""
    dt = _dtype_arg(dtype) or D.get_default_dtype()
    return _finish(np.array(s, dtype=D.to_numpy_dtype(dt)), device, requires_grad)


# -- filled -------------------------------------------------------------------------------------


def _filled(fill, shape, dt, device, requires_grad, out=None, like=None, fn=""):
    npd = D.to_numpy_dtype(dt)
    xp = get_xp(canonical(device)) if device is not None else np
    if _keeps_layout(like):
        arr = _empty_as(like, npd, xp)
        if fill is not None:
            arr.fill(fill)
    elif fill is None:
        arr = xp.empty(shape, dtype=npd)
    elif fill == 0:
        arr = xp.zeros(shape, dtype=npd)
    else:
        arr = xp.full(shape, fill, dtype=npd)
    return _finish(arr, device, requires_grad, out, fn)


def _keeps_layout(like) -> bool:
    """Whether a *_like result copies ``like``'s strides: torch does so for a dense input (its
    elements fill its memory with no gaps or overlaps) that is not plainly contiguous."""
    if like is None or like.flags.c_contiguous and like.size:
        return False
    if like.size == 0:
        return any(like.strides)
    dims = sorted((abs(s), n) for s, n in zip(like.strides, like.shape) if n != 1)
    expected = like.itemsize
    for s, n in dims:
        if s != expected:
            return False
        expected *= n
    return True


def _empty_as(like, npd, xp):
    """An uninitialized array with ``like``'s shape and strides (in elements)."""
    if like.size == 0:  # NumPy gives new empty arrays zero strides: set torch's
        st = [s // like.itemsize for s in like.strides] if any(like.strides) else _c_strides(
            like.shape)  # fmt: skip
        st = tuple(s * npd.itemsize for s in st)
        return xp.lib.stride_tricks.as_strided(xp.empty(0, npd), like.shape, st)
    return xp.empty_like(like, dtype=npd, order="K")


def _like_random(t, like):
    """A *_like random result with ``like``'s layout where torch keeps it."""
    if _keeps_layout(like):
        arr = _empty_as(like, t._data.dtype, np)
        arr[...] = t._data
        t._data = arr
    return t


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``.

    >>> ember.zeros(2, dtype=ember.int32)
    tensor([0, 0], dtype=ember.int32)
    """
    if not size:
        _no_size("zeros")
    dt = _dtype_arg(dtype, out) or D.get_default_dtype()
    return _filled(0, _sizes(size, "zeros"), dt, device, requires_grad, out, fn="zeros")


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    if not size:
        _no_size("ones")
    dt = _dtype_arg(dtype, out) or D.get_default_dtype()
    return _filled(1, _sizes(size, "ones"), dt, device, requires_grad, out, fn="ones")


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:  # fmt: skip
    """An uninitialized tensor: ``empty(2, 3)`` or ``empty((2, 3))``."""
    if not size:
        _no_size("empty")
    dt = _dtype_arg(dtype, out) or D.get_default_dtype()
    return _filled(None, _sizes(size, "empty"), dt, device, requires_grad, out, fn="empty")


def _fill_number(v, fn="full"):
    """``fill_value`` as a Python number. Like torch, NumPy integers count as ints and other
    NumPy scalars as floats; a tensor must hold one element."""
    if isinstance(v, bool) or type(v) in (int, float, complex):
        return _py_int(v) if type(v) is int else v
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.generic) and v.dtype.kind in "bfc":
        return float(v.real)
    if isinstance(v, Tensor) and v.numel() == 1:
        return v.item()
    for py in (int, float, complex):  # subclasses (IntEnum ...)
        if isinstance(v, py):
            return py(v)
    raise TypeError(
        f"{fn}(): argument 'fill_value' (position 2) must be Number, not {type(v).__name__}"
    )


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:  # fmt: skip
    """A tensor of shape ``size`` filled with ``fill_value``; without ``dtype`` its dtype
    follows the value (bool, int64, the default float, complex).

    >>> ember.full((2,), 7)
    tensor([7, 7])
    """
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")  # fmt: skip
    v = _fill_number(fill_value)
    dt = _dtype_arg(dtype, out) or D.scalar_dtype(v)
    _check_fits(v, dt)
    return _filled(
        _cast_scalar(v, dt), _sizes((size,), "full"), dt, device, requires_grad, out, fn="full"
    )


def _like(t, dtype, device, memory_format):
    dt = _dtype_arg(dtype) or t.dtype
    dev = device if device is not None else (t._device if t._device is not CPU else None)
    keep = memory_format is None or "preserve" in str(memory_format)
    return dt, dev, (t._data if keep else None)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:  # fmt: skip
    """Zeros with ``input``'s shape, dtype, device (and layout, when dense)."""
    dt, dev, like = _like(input, dtype, device, memory_format)
    return _filled(0, input._data.shape, dt, dev, requires_grad, like=like)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:  # fmt: skip
    """Ones with ``input``'s shape, dtype, device (and layout, when dense)."""
    dt, dev, like = _like(input, dtype, device, memory_format)
    return _filled(1, input._data.shape, dt, dev, requires_grad, like=like)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:  # fmt: skip
    """An uninitialized tensor like ``input``."""
    dt, dev, like = _like(input, dtype, device, memory_format)
    return _filled(None, input._data.shape, dt, dev, requires_grad, like=like)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:  # fmt: skip
    """``input``'s shape filled with ``fill_value`` in ``input``'s dtype (unless given)."""
    dt, dev, like = _like(input, dtype, device, memory_format)
    v = _fill_number(fill_value, "full_like")
    _check_fits(v, dt)
    return _filled(_cast_scalar(v, dt), input._data.shape, dt, dev, requires_grad, like=like)


# -- ranges -------------------------------------------------------------------------------------


def _range_number(v, fn, arg, pos):
    if isinstance(v, Tensor):
        if v.numel() != 1:
            raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Number, not Tensor")
        return v.item()
    if isinstance(v, np.generic) and v.dtype.kind in "biufc":
        return v.item()
    if not isinstance(v, (bool, int, float, complex)):
        raise TypeError(
            f"{fn}(): argument '{arg}' (position {pos}) must be Number, not {type(v).__name__}"
        )
    return v


def _not_implemented(kernel, dt):
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(dt)}'")


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:  # fmt: skip
    """Values from ``start`` up to ``end`` (exclusive) by ``step``: int64 unless one of them
    is a float, then the default dtype. Its length is ``ceil((end - start) / step)`` computed
    in double precision, as torch does.

    >>> ember.arange(1, 2.5, 0.5)
    tensor([1.0000, 1.5000, 2.0000])
    """
    if end is None:
        args = [(0, "start", 0), (start, "end", 1), (step, "step", 2)]
    else:
        args = [(start, "start", 1), (end, "end", 2), (step, "step", 3)]
    vals = [_range_number(v, "arange", name, pos) for v, name, pos in args]
    for i, v in enumerate(vals):
        if isinstance(v, complex):  # torch reads the bounds as doubles
            _check_fits(v, D.float64)
            vals[i] = v.real
    start, end, step = vals
    dt = _dtype_arg(dtype, out)
    if dt is None:
        dt = D.get_default_dtype() if any(isinstance(v, float) for v in vals) else D.int64
    if dt.category in (0, 3):
        _not_implemented("arange_cpu", dt)
    fs, fe, fp = float(start), float(end), float(step)
    if fp == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(fs) and math.isfinite(fe)):
        raise RuntimeError(f"unsupported range: {fs:g} -> {fe:g}")
    if not (fp > 0 and fe >= fs or fp < 0 and fe <= fs):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dt is D.int64:
        xs, xe, xp_ = int(start), int(end), int(step)
        if xp_ == 0:
            raise ValueError("step must be nonzero")
        num = (xe - xs + xp_ - (1 if xp_ > 0 else -1) + 2**63) % 2**64 - 2**63  # wraps as int64
        n = abs(num) // abs(xp_) * (1 if (num >= 0) == (xp_ > 0) else -1)  # C's truncation
    else:
        n = math.ceil((fe - fs) / fp)
    if not 0 <= n <= 2**63 - 1:
        raise RuntimeError("invalid size, possible overflow?")
    idx = np.arange(n, dtype=np.int64)
    if dt.category == 1:  # accumulated in int64
        arr = (int(start) + idx * int(step)).astype(dt.np)
    else:  # in float for half types, in double otherwise (torch's CPU acc_type)
        acc = np.float32 if dt.itemsize == 2 else np.float64
        arr = (acc(start) + acc(step) * idx.astype(acc)).astype(D.to_numpy_dtype(dt))
    return _finish(arr, device, requires_grad, out, "arange")


def _space_args(fn, start, end, steps, dtype, out):
    for arg, v in (("start", start), ("end", end)):
        if isinstance(v, Tensor) and v.ndim != 0:
            raise RuntimeError(f"{fn} only supports 0-dimensional start and end tensors, but got "
                               f"{arg} with {v.ndim} dimension(s).")  # fmt: skip
    start, end = (_range_number(v, fn, a, p) for v, a, p in ((start, "start", 1), (end, "end", 2)))
    if isinstance(steps, Tensor) or isinstance(steps, np.integer):
        steps = int(steps)
    if type(steps) is not int:
        raise TypeError(f"{fn}() received an invalid combination of arguments - got "
                        f"({type(start).__name__}, {type(end).__name__}, "
                        f"{type(steps).__name__}), but expected (Number start, Number end, "
                        f"int steps)")  # fmt: skip
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    inferred = (D.default_complex() if isinstance(start, complex) or isinstance(end, complex)
                else D.get_default_dtype())  # fmt: skip
    dt = _dtype_arg(dtype, out) or inferred
    if inferred.category == 3 and dt.category != 3:
        raise RuntimeError(
            f"ember.{fn}(): inferred dtype c10::complex<float> can't be safely cast to passed "
            f"dtype {_type_name(dt)}"
        )
    if dt is D.bool_:
        _not_implemented(f"{fn}_cpu", dt)
    return start, end, steps, dt


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:  # fmt: skip
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    >>> ember.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    start, end, steps, dt = _space_args("linspace", start, end, steps, dtype, out)
    npd = D.to_numpy_dtype(dt)
    i = np.arange(steps, dtype=np.int64)
    if steps == 1:
        arr = np.full(1, _cast_scalar(start, dt), dtype=npd)
    elif dt.category == 1:  # int ends, a double step, truncated like C
        s, e = int(start.real if isinstance(start, complex) else start), int(
            end.real if isinstance(end, complex) else end)  # fmt: skip
        step = (float(e) - float(s)) / (steps - 1)
        arr = np.where(i < steps // 2, s + step * i, e - step * (steps - i - 1))
        arr = np.trunc(arr).astype(np.int64).astype(npd)
    else:  # in the dtype itself, from both ends toward the middle (torch's CPU kernel)
        s, e = npd.type(start), npd.type(end)
        step = (e - s) / npd.type(steps - 1)
        with np.errstate(over="ignore", invalid="ignore"):
            lo = s + step * i.astype(npd)
            hi = e - step * (steps - i - 1).astype(npd)
        arr = np.where(i < steps // 2, lo, hi).astype(npd)
    return _finish(arr, device, requires_grad, out, "linspace")


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:  # fmt: skip
    """``steps`` values ``base ** x`` for x evenly spaced from ``start`` to ``end``.

    >>> ember.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    start, end, steps, dt = _space_args("logspace", start, end, steps, dtype, out)
    npd = D.to_numpy_dtype(dt)
    i = np.arange(steps, dtype=np.int64)
    if steps == 1:
        arr = np.full(1, base**start, dtype=np.complex128 if dt.category == 3 else np.float64)
    elif dt.category == 3:
        s, e = complex(start), complex(end)
        step = (e - s) / (steps - 1)
        arr = np.where(i < steps // 2, s + step * i, e - step * (steps - i - 1))
        arr = np.power(complex(base), arr)
    else:
        if dt.category == 1:  # int ends and a float base, as the CPU kernel
            s, e, b = int(start.real), int(end.real), float(np.float32(base))
        else:  # ends rounded to the dtype, exponents and power in double
            s, e, b = float(npd.type(start)), float(npd.type(end)), float(base)
        step = float(npd.type(e) - npd.type(s)) / (steps - 1) if dt.category == 2 else (
            (e - s) / (steps - 1))  # fmt: skip
        exps = np.where(i < steps // 2, s + step * i, e - step * (steps - i - 1))
        with np.errstate(over="ignore", invalid="ignore"):
            arr = np.power(b, exps)
    with np.errstate(over="ignore", invalid="ignore"):
        arr = (np.trunc(arr.real) if dt.category == 1 else arr).astype(npd)
    return _finish(arr, device, requires_grad, out, "logspace")


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad=False) -> Tensor:  # fmt: skip
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``).

    >>> ember.eye(2, 3)
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    for arg, pos, v in (("n", 1, n), ("m", 2, m)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
            raise TypeError(f"eye(): argument '{arg}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")  # fmt: skip
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dt = _dtype_arg(dtype, out) or D.get_default_dtype()
    return _finish(np.eye(n, m, dtype=D.to_numpy_dtype(dt)), device, requires_grad, out, "eye")


# -- random -------------------------------------------------------------------------------------
# The same seed gives the same numbers in ember every time, but not the numbers torch gives:
# ember's generator is NumPy's PCG64, torch's a Mersenne Twister. Distributions, dtypes, shapes
# and errors are torch's.


def _random_float(kind, size, generator, dtype, device, requires_grad, out=None):
    if not size:
        _no_size(kind)
    shape = _sizes(size, kind)
    dt = _dtype_arg(dtype, out) or D.get_default_dtype()
    if dt.category < 2:
        _not_implemented("normal_kernel_cpu" if kind == "randn" else "check_uniform_bounds", dt)
    rng, npd = numpy_rng(generator), D.to_numpy_dtype(dt)
    if kind == "randn":  # a complex sample has variance 1/2 in each part, as torch
        arr = G.sample(G.normal, rng, shape, npd, 0.0, math.sqrt(0.5) if dt.category == 3 else 1.0)
    else:
        arr = G.sample(G.uniform, rng, shape, npd)
    return _finish(arr, device, requires_grad, out, kind)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:  # fmt: skip
    """Samples uniform on [0, 1): ``rand(2, 3)`` or ``rand((2, 3))``. The same seed gives the
    same numbers in ember (not the numbers torch gives)."""
    return _random_float("rand", size, generator, dtype, device, requires_grad, out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False) -> Tensor:  # fmt: skip
    """Standard normal samples: ``randn(2, 3)`` or ``randn((2, 3))``."""
    return _random_float("randn", size, generator, dtype, device, requires_grad, out)


# C type names in torch's bounds messages
_RANDOM_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short int",
                 "int32": "int", "int64": "long int", "bool": "bool", "float16": "c10::Half",
                 "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
                 "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
                 "uint16": "unsigned short", "uint32": "unsigned int",
                 "uint64": "unsigned long"}  # fmt: skip
_INT64 = (-(2**63), 2**63 - 1)
_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}  # significand bits


def _as_float_int(v, dt):
    """``static_cast<int64_t>(static_cast<scalar_t>(v))``, overflow giving INT64_MIN as on
    x86 (so out-of-range bounds reach torch's out-of-bounds errors)."""
    f = float(D.to_numpy_dtype(dt).type(v))
    return int(f) if math.isfinite(f) and _INT64[0] <= f < 2**63 else _INT64[0]


def _update_from(v, dt):
    """torch's update_from: raise ``from`` to a value the float dtype holds exactly."""
    up = _as_float_int(v + 1, dt)
    if up < v:
        v = up + (1 << ((abs(v + 1).bit_length() - 1) - _DIGITS[dt.name] + 1))
    return v


def _update_to(v, dt):
    """torch's update_to: lower ``to`` to a value the float dtype holds exactly."""
    down = _as_float_int(v - 1, dt)
    if down >= v:
        v = down - (1 << ((abs(v - 1).bit_length() - 1) - _DIGITS[dt.name] + 1))
    return v


def _check_random_range(low, high_inc, dt):
    """torch's check_from_to_in_range: errors outside the dtype, warnings past the floats'
    exact integers."""
    name = _RANDOM_NAMES.get(dt.name, dt.name)
    if dt.category == 2:
        lo, hi = _limits(dt)
    elif dt.category < 2:
        lo, hi = (0, 1) if dt is D.bool_ else _limits(dt)
    else:
        raise RuntimeError(
            "check_random_bounds handles only integral, floating-point and boolean types"
        )
    for what, v in (("from", low), ("to - 1", high_inc)):
        if not lo <= v <= hi:
            raise RuntimeError(f"{what} is out of bounds for {name}")
    if dt.category == 2:
        d = _DIGITS[dt.name]
        for what, v in (("from", low), ("to - 1", high_inc)):
            if not -(2**d) <= v <= 2**d:
                warnings.warn(
                    f"{what} is out of bounds [-(2^{d}), 2^{d}]. Due to precision limitations "
                    f"{name} can support discrete uniform distribution only within this range.",
                    UserWarning,
                    stacklevel=4,
                )


def random_range(low, high, dt):
    """The inclusive range ``[lo, hi]`` that ``random_(low, high)`` (``high=None``: up to the
    dtype's limit) draws from on ``dt``, with torch's checks (random_from_to_impl)."""
    if high is not None:
        if low >= high:
            raise RuntimeError(
                f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
            )
        if dt.category == 2:
            low, high = _update_from(low, dt), _update_to(high, dt)
            if low >= high:
                raise RuntimeError(
                    "random_ expects 'from' casted to dtype to be less than 'to' casted to "
                    f"dtype, but got from={low} >= to={high}"
                )
        _check_random_range(low, high - 1, dt)
        return low, high - 1
    if low == _INT64[0]:  # the full 64-bit range, for a few dtypes only
        if dt.name in ("bool", "float16") or dt.category == 3:
            _not_implemented("random_full_64_bits_range_kernel_cpu", dt)
        if dt.name not in ("int64", "float64", "float32", "bfloat16"):
            raise RuntimeError(
                "random_full_64_bits_range_kernel_cpu handles only int64, double, float and "
                "bfloat16"
            )
        return _INT64
    if dt.category == 2:
        top = min(2 ** _DIGITS[dt.name], _INT64[1])
        low = _update_from(low, dt)
        if low >= top:
            raise RuntimeError(
                "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                f"casted to dtype, but got from={low} > to_inc={top}"
            )
    elif dt.category < 2:
        top = 1 if dt is D.bool_ else _limits(dt)[1]
    else:
        raise RuntimeError(
            "random_from_to_impl handles only integral, floating-point and boolean types"
        )
    _check_random_range(low, top, dt)
    return low, top


def random_integers(rng, shape, low, high_inc, npd):
    """Integers uniform on [low, high_inc] stored in ``npd`` (floats round as torch's do)."""
    if high_inc > _INT64[1]:  # uint64's range: draw unsigned
        return rng.integers(low, high_inc, shape, dtype=np.uint64, endpoint=True).astype(npd)
    return rng.integers(low, high_inc, shape, dtype=np.int64, endpoint=True).astype(npd)


def randint(*args, low=None, high=None, size=None, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False) -> Tensor:  # fmt: skip
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``.

    >>> ember.randint(3, 7, (2, 2)).shape
    ember.Size([2, 2])
    """
    args = list(args)
    if size is None and len(args) >= 2:
        size = args.pop()
    if high is None and args:
        high = args.pop()
    if low is None and args:
        low = args.pop()
    if size is None or high is None or args:
        raise TypeError("randint() received an invalid combination of arguments: expected "
                        "(int high, tuple of ints size) or (int low, int high, tuple of ints "
                        "size)")  # fmt: skip
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position {2 if low is None else 3}) must be "
                        f"tuple of ints, not {type(size).__name__}")  # fmt: skip
    for arg, v, pos in (("low", low, 1), ("high", high, 1 if low is None else 2)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer, Tensor))):
            raise TypeError(f"randint(): argument '{arg}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")  # fmt: skip
    low = 0 if low is None else low
    low, high = int(low), int(high)
    if not (_INT64[0] <= low <= _INT64[1] and _INT64[0] <= high <= _INT64[1]):
        raise ValueError("Overflow when unpacking long long")
    dt = _dtype_arg(dtype, out) or D.int64
    lo, hi = random_range(low, high, dt)
    a = random_integers(numpy_rng(generator), _sizes((size,), "randint"), lo, hi, dt.np)
    return _finish(a, device, requires_grad, out, "randint")


_RANDPERM_MAX = {"float16": (2049, "2049", "Half"), "float32": (2**24 + 1, "2^24+1", "Float"),
                 "float64": (2**53 + 1, "2^53+1", "Double")}  # fmt: skip


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:  # fmt: skip
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` says otherwise).

    >>> sorted(ember.randperm(4).tolist())
    [0, 1, 2, 3]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")  # fmt: skip
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = _dtype_arg(dtype, out) or D.int64
    if dt.category in (0, 3):
        _not_implemented("randperm", dt)
    if dt.name in _RANDPERM_MAX:
        top, text, name = _RANDPERM_MAX[dt.name]
        if n > top:
            raise RuntimeError(f"n cannot be greater than {text} for {name} type.")
    elif n and dt.category == 1:
        _check_fits(n - 1, dt)
    arr = numpy_rng(generator).permutation(n).astype(D.to_numpy_dtype(dt))
    return _finish(arr, device, requires_grad, out, "randperm")


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None) -> Tensor:  # fmt: skip
    """Uniform [0, 1) samples shaped like ``input``."""
    dt, dev, like = _like(input, dtype, device, memory_format)
    return _like_random(rand(input.shape, generator=generator, dtype=dt, device=dev,
                             requires_grad=requires_grad), like)  # fmt: skip


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None) -> Tensor:  # fmt: skip
    """Standard normal samples shaped like ``input``."""
    dt, dev, like = _like(input, dtype, device, memory_format)
    return _like_random(randn(input.shape, generator=generator, dtype=dt, device=dev,
                              requires_grad=requires_grad), like)  # fmt: skip


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None) -> Tensor:  # fmt: skip
    """Integers on [low, high) shaped like ``input``, in its dtype: ``randint_like(x, high)``
    or ``randint_like(x, low, high)``."""
    if high is None:
        low, high = 0, low
    dt, dev, like = _like(input, dtype, device, memory_format)
    return _like_random(randint(low, high, input.shape, generator=generator, dtype=dt,
                                device=dev, requires_grad=requires_grad), like)  # fmt: skip


# -- index grids --------------------------------------------------------------------------------


def _int_arg(fn, name, pos, v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(
            f"{fn}(): argument '{name}' (position {pos}) must be int, not {type(v).__name__}"
        )
    return int(v)


def _tri_indices(fn, row, col, offset, dtype, device, upper):
    row, col, offset = (_int_arg(fn, n, i + 1, v) for i, (n, v) in
                        enumerate((("row", row), ("col", col), ("offset", offset))))  # fmt: skip
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dt = _dtype_arg(dtype) or D.int64
    if dt not in (D.int32, D.int64):
        _not_implemented(fn, dt)
    rows, cols = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    return _finish(np.stack([rows, cols]).astype(dt.np), device, False)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle of a ``row`` x ``col`` matrix
    (``offset`` > 0 takes diagonals above the main one too).

    >>> ember.tril_indices(3, 3)
    tensor([[0, 1, 1, 2, 2, 2],
            [0, 0, 1, 0, 1, 2]])
    """
    return _tri_indices("tril_indices", row, col, offset, dtype, device, False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) row and column indices of the upper triangle of a ``row`` x ``col`` matrix.

    >>> ember.triu_indices(2, 3)
    tensor([[0, 0, 0, 1, 1],
            [0, 1, 2, 1, 2]])
    """
    return _tri_indices("triu_indices", row, col, offset, dtype, device, True)


def _meshgrid(tensors, indexing):
    """torch's meshgrid kernel: each input viewed along its own dim and expanded (views, so
    gradients flow back to the inputs)."""
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for a, b in zip(tensors, tensors[1:]):
        if a.dtype is not b.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if a.device != b.device:
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    swap = indexing == "xy" and len(tensors) >= 2
    if indexing not in ("xy", "ij"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")  # fmt: skip
    ts = list(tensors)
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t.dtype} tensor of shape {list(t.shape)}")  # fmt: skip
    shape = [t.numel() for t in ts]
    grids = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = -1
        grids.append(t.view(view).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return grids


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-d tensors: with ``indexing='ij'`` output i varies along dim i;
    ``'xy'`` swaps the first two dims (Cartesian). The grids are expanded views of the inputs.

    >>> x, y = ember.meshgrid(ember.arange(3), ember.arange(2), indexing='ij'); x.shape
    ember.Size([3, 2])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)  # fmt: skip
        indexing = "ij"
    return tuple(_meshgrid(list(tensors), indexing))


def _vectors(tensors):
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")


def cartesian_prod(*tensors) -> Tensor:
    """The Cartesian product of 1-d tensors as rows (itertools.product's order).

    >>> ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4]))
    tensor([[1, 3],
            [1, 4],
            [2, 3],
            [2, 4]])
    """
    from .ops.shape import stack

    _vectors(tensors)
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.flatten() for g in _meshgrid(list(tensors), "ij")], 1)


def combinations(input, r=2, with_replacement=False) -> Tensor:
    """The length-``r`` combinations of a 1-d tensor's elements as rows (itertools'
    combinations order; ``with_replacement`` allows repeats).

    >>> ember.combinations(ember.tensor([1, 2, 3]))
    tensor([[1, 2],
            [1, 3],
            [2, 3]])
    """
    from .ops.shape import stack

    _vectors([input])
    r = _int_arg("combinations", "r", 2, r)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return empty(0, dtype=input.dtype, device=input.device)
    idx = np.indices((input.shape[0],) * r)  # torch's mask: i < j < k ... (or <=)
    keep = np.ones(idx.shape[1:], dtype=bool)
    for a, b in zip(idx, idx[1:]):
        keep &= (a <= b) if with_replacement else (a < b)
    mask = _finish(keep, input.device if input.device.type != "cpu" else None, False)
    return stack([g.masked_select(mask) for g in _meshgrid([input] * r, "ij")], 1)


# -- windows ------------------------------------------------------------------------------------
# Computed in double and rounded once to the dtype; torch rounds after each step in the dtype, so
# half-precision values can differ from torch's by an ulp or two.


def _window(fn, window_length, periodic, dtype, device, requires_grad, body):
    window_length = _int_arg(fn, "window_length", 1, window_length)
    dt = _dtype_arg(dtype) or D.get_default_dtype()
    if dt.category < 2:
        raise RuntimeError(
            f"{fn} expects floating point dtypes, got: TensorOptions(dtype="
            f"{_RANDOM_NAMES.get(dt.name, dt.name)}, device=cpu, layout=Strided (default), "
            "requires_grad=false (default), pinned_memory=false, memory_format=(nullopt))"
        )
    if window_length < 0:
        raise RuntimeError(
            f"{fn} requires non-negative window_length, got window_length={window_length}"
        )
    npd = D.to_numpy_dtype(dt)
    if window_length <= 1:
        return _finish(np.ones(window_length, npd), device, requires_grad)
    if dt.category == 3:
        _not_implemented("arange_cpu", dt)
    n = window_length + 1 if periodic else window_length  # periodic: N + 1 points, last dropped
    w = body(np.arange(n, dtype=np.float64), n)
    return _finish(w[:window_length].astype(npd), device, requires_grad)


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, pin_memory=False,
                   requires_grad=False) -> Tensor:  # fmt: skip
    """``alpha - beta * cos(2 pi n / (N - 1))``; ``periodic`` drops the last of N + 1 points.

    >>> ember.hamming_window(3, periodic=False)
    tensor([0.0800, 1.0000, 0.0800])
    """
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: alpha - beta * np.cos(2 * math.pi * k / (n - 1)))  # fmt: skip


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                pin_memory=False, requires_grad=False) -> Tensor:  # fmt: skip
    """``0.5 - 0.5 cos(2 pi n / (N - 1))`` (periodic by default, for spectral analysis).

    >>> ember.hann_window(4)
    tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: 0.5 - 0.5 * np.cos(2 * math.pi * k / (n - 1)))  # fmt: skip


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False) -> Tensor:  # fmt: skip
    """``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``.

    >>> ember.blackman_window(3, periodic=False)[1]  # ends within rounding of 0
    tensor(1.)
    """

    def body(k, n):
        return 0.42 - 0.5 * np.cos(2 * math.pi * k / (n - 1)) + 0.08 * np.cos(
            4 * math.pi * k / (n - 1))  # fmt: skip

    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, body)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False) -> Tensor:  # fmt: skip
    """The triangular window ``1 - |2n / (N - 1) - 1|``.

    >>> ember.bartlett_window(5, periodic=False)
    tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """

    def body(k, n):
        w = k * (2.0 / (n - 1))
        half = ((n - 1) >> 1) + 1  # torch's split: the rising half, then 2 - w
        w[half:] = 2 - w[half:]
        return w

    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, body)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, pin_memory=False, requires_grad=False) -> Tensor:  # fmt: skip
    """``I0(beta sqrt(1 - ((n - a) / a)^2)) / I0(beta)`` with ``a = (N - 1) / 2``.

    >>> ember.kaiser_window(3, periodic=False, beta=0.0)
    tensor([1., 1., 1.])
    """

    def body(k, n):
        a = (n - 1) / 2.0
        return np.i0(beta * np.sqrt(np.abs(1 - ((k - a) / a) ** 2))) / np.i0(beta)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, body)


# -- memory layouts and buffers -----------------------------------------------------------------


def _int_list(fn, name, pos, v) -> list:
    if not isinstance(v, (tuple, list)):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be tuple of ints, not "
                        f"{type(v).__name__}")  # fmt: skip
    return [_int_arg(fn, name, pos, x) for x in v]


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False) -> Tensor:  # fmt: skip
    """An uninitialized tensor with the given ``stride()`` (in elements; overlapping strides
    such as 0 are allowed).

    >>> ember.empty_strided((2, 3), (1, 2)).stride()
    (1, 2)
    """
    size = _int_list("empty_strided", "size", 1, size)
    stride = _int_list("empty_strided", "stride", 2, stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of "
                           f"strides ({len(stride)})")  # fmt: skip
    _sizes((size,), "empty_strided")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={size} and "
                           f"strides={stride}")  # fmt: skip
    npd = D.to_numpy_dtype(_dtype_arg(dtype) or D.get_default_dtype())
    n = 0 if 0 in size else 1 + sum((s - 1) * st for s, st in zip(size, stride))
    arr = np.lib.stride_tricks.as_strided(
        np.empty(n, npd), size, [st * npd.itemsize for st in stride]
    )
    return _finish(arr, device, requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False) -> Tensor:  # fmt: skip
    """An uninitialized tensor of shape ``size`` whose dims are laid out in memory in the
    order ``physical_layout`` (outermost first).

    >>> ember.empty_permuted((2, 3, 4), (2, 0, 1)).stride()
    (3, 1, 6)
    """
    size = _int_list("empty_permuted", "size", 1, size)
    perm = _int_list("empty_permuted", "physical_layout", 2, physical_layout)
    if len(size) != len(perm):
        raise RuntimeError(
            "Number of dimensions in size does not match the length of the physical_layout; "
            f"i.e. len(size) = {len(size)} is not equal to len(physical_layout) = {len(perm)}"
        )
    for i, p in enumerate(perm):
        if not 0 <= p < len(size):
            raise RuntimeError(
                f"Dimension out of range (expected to be between 0 and {len(size) - 1}, but got "
                f"{p} at index {i}).  NB: negative dims not currently supported; file an issue "
                "if you want it."
            )
    if len(set(perm)) != len(perm):
        raise RuntimeError("Duplicate dim not allowed")
    phys = _c_strides([size[p] for p in perm])  # torch's strides, zero sizes counted as 1
    stride = [0] * len(size)
    for i, p in enumerate(perm):
        stride[p] = phys[i]
    return empty_strided(size, stride, dtype=dtype, device=device, requires_grad=requires_grad)


def _range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:  # fmt: skip
    """Deprecated (as in torch): values from ``start`` to ``end`` inclusive, in the default
    float dtype unless ``dtype`` is given. Use ``arange`` (``end`` excluded).

    >>> import warnings; warnings.simplefilter("ignore")
    >>> ember.range(1, 3)
    tensor([1., 2., 3.])
    """
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its behavior "
        "is inconsistent with Python's range builtin. Instead, use torch.arange, which produces "
        "values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    vals = [_range_number(v, "range", a, i + 1) for i, (v, a) in
            enumerate(((start, "start"), (end, "end"), (step, "step")))]  # fmt: skip
    dt = _dtype_arg(dtype, out) or D.get_default_dtype()
    if dt.category in (0, 3):
        _not_implemented("range_cpu", dt)
    acc = int if dt.category == 1 else np.float32 if dt.itemsize == 2 else np.float64
    xs, xe, xst = (acc(v.real if isinstance(v, complex) else v) for v in vals)
    if xst == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(xs) and math.isfinite(xe)):
        raise RuntimeError(f"unsupported range: {xs:g} -> {xe:g}")
    if not (xst > 0 and xe >= xs or xst < 0 and xe <= xs):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int((xe - xs) // xst if acc is int else (xe - xs) / xst) + 1
    i = np.arange(n, dtype=np.int64)
    arr = (xs + i * xst) if acc is int else acc(xs) + i.astype(acc) * acc(xst)
    return _finish(arr.astype(D.to_numpy_dtype(dt)), device, requires_grad, out, "range")


_range.__name__ = _range.__qualname__ = "range"


def __getattr__(name):
    # ``ember.range`` comes from here (``from ._creation import *``) without a module-level
    # ``range`` that would shadow the builtin in this module's functions
    if name == "range":
        return _range
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False) -> Tensor:
    """A 1-d tensor sharing memory with an object exposing the buffer protocol (bytearray,
    array.array, mmap ...): writes through either are seen by both.

    >>> b = bytearray(b"\\x01\\x02"); t = ember.frombuffer(b, dtype=ember.uint8); t
    tensor([1, 2], dtype=ember.uint8)
    """
    dt = _dtype_arg(dtype)
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    n, size = view.nbytes, dt.itemsize
    count, offset = int(count), int(offset)
    if n <= 0 or count == 0:
        raise ValueError(f"both buffer length ({n}) and count ({count}) must not be 0")
    if not 0 <= offset < n:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({n} bytes) minus 1")  # fmt: skip
    if count < 0 and (n - offset) % size:
        raise ValueError(f"buffer length ({n - offset} bytes) after offset ({offset} bytes) must "
                         f"be a multiple of element size ({size})")  # fmt: skip
    count = (n - offset) // size if count < 0 else count
    if offset + count * size > n:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({n} bytes)")  # fmt: skip
    if view.readonly:
        warnings.warn(
            "The given buffer is not writable, and ember does not support non-writable tensors. "
            "This means you can write to the underlying (supposedly non-writable) buffer using "
            "the tensor. You may want to copy the buffer to protect its data or make it writable "
            "before converting it to a tensor.",
            UserWarning,
            stacklevel=2,
        )
    arr = np.frombuffer(view.cast("B"), D.to_numpy_dtype(dt), count, offset)
    return _finish(arr, None, requires_grad)


def from_file(filename, shared=None, size=0, *, dtype=None, layout=None, device=None,
              pin_memory=False, requires_grad=False) -> Tensor:  # fmt: skip
    """``size`` elements read from a binary file. ``shared=True`` maps the file: writes to the
    tensor reach the file (which is created or extended to fit); otherwise the tensor is a
    private copy.

    >>> import tempfile, os; p = os.path.join(tempfile.mkdtemp(), "x.bin")
    >>> ember.from_file(p, shared=True, size=2, dtype=ember.int32)
    tensor([0, 0], dtype=ember.int32)
    """
    import os

    npd = D.to_numpy_dtype(_dtype_arg(dtype) or D.get_default_dtype())
    size = _int_arg("from_file", "size", 3, size)
    nbytes = size * npd.itemsize
    if size < 0:
        raise RuntimeError(f"unable to mmap {nbytes} bytes from file <{filename}>: Cannot "
                           "allocate memory (12)")  # fmt: skip
    if shared:
        with open(filename, "ab") as f:  # created if missing, as torch's shared mapping
            if f.tell() < nbytes:
                f.truncate(nbytes)
        arr = np.empty(0, npd) if size == 0 else np.memmap(filename, npd, "r+", shape=(size,))
        arr = arr.view(np.ndarray)  # a plain array that keeps the mapping alive
    else:
        if not os.path.exists(filename):
            raise RuntimeError(f"unable to open file <{filename}> in read-only mode: No such "
                               "file or directory (2)")  # fmt: skip
        have = os.path.getsize(filename)
        if have < nbytes:
            raise RuntimeError(f"file <{filename}> size <{have}> is smaller than the required "
                               f"mapping size <{nbytes}>")  # fmt: skip
        arr = np.fromfile(filename, npd, count=size)
    return _finish(arr, device, requires_grad)


# -- legacy constructors: ember.FloatTensor(2, 3), isinstance(t, ember.FloatTensor) ------------


class _LegacyTensorType(type):
    """The type of ``ember.FloatTensor`` and kin: calling one builds a CPU tensor of its dtype,
    and ``isinstance(t, ember.FloatTensor)`` is true for float32 CPU tensors (as torch's
    ``torch.tensortype``)."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.device.type == "cpu"

    def __call__(cls, *args, device=None, **kwargs):
        if kwargs:
            raise TypeError(f"new() received an invalid combination of arguments - got "
                            f"unexpected keyword arguments {sorted(kwargs)}")  # fmt: skip
        if device is not None and canonical(device).type != "cpu":
            raise RuntimeError(f"legacy constructor expects device type: cpu but device type: "
                               f"{canonical(device).type} was passed")  # fmt: skip
        return _legacy_new(cls.dtype, args)


def _legacy_new(dt, args) -> Tensor:
    if not args:
        return empty(0, dtype=dt)
    a = args[0]
    if len(args) == 1 and isinstance(a, Tensor):
        if a.dtype is not dt:
            raise TypeError(f"expected {_RANDOM_NAMES[dt.name]} tensor, got "
                            f"{_RANDOM_NAMES.get(a.dtype.name, a.dtype.name)}")  # fmt: skip
        return a.view(a.shape)  # an alias sharing memory and history, as torch
    if len(args) == 1 and not isinstance(a, bool) and not isinstance(a, (int, np.integer)):
        if isinstance(a, Size):
            return empty(a, dtype=dt)
        if isinstance(a, (float, complex, bool, np.generic)):
            raise TypeError(f"new(): data must be a sequence (got {type(a).__name__})")
        return tensor(a, dtype=dt)
    if isinstance(a, bool):
        raise TypeError(f"new(): data must be a sequence (got {type(a).__name__})")
    return empty(_sizes(args, "new"), dtype=dt)


def _legacy_type(name, dt):
    cls = _LegacyTensorType(name, (), {"dtype": dt, "is_cuda": False, "is_sparse": False,
                                       "__module__": "ember"})  # fmt: skip
    cls.__doc__ = f"Legacy constructor of {dt} CPU tensors: ``ember.{name}([1, 2])``."
    return cls


FloatTensor = _legacy_type("FloatTensor", D.float32)
DoubleTensor = _legacy_type("DoubleTensor", D.float64)
HalfTensor = _legacy_type("HalfTensor", D.float16)
BFloat16Tensor = _legacy_type("BFloat16Tensor", D.bfloat16)
ByteTensor = _legacy_type("ByteTensor", D.uint8)
CharTensor = _legacy_type("CharTensor", D.int8)
ShortTensor = _legacy_type("ShortTensor", D.int16)
IntTensor = _legacy_type("IntTensor", D.int32)
LongTensor = _legacy_type("LongTensor", D.int64)
BoolTensor = _legacy_type("BoolTensor", D.bool_)


def set_default_tensor_type(t) -> None:
    """Deprecated (as in torch): set the default float dtype from a legacy type such as
    ``ember.DoubleTensor`` or its name ``"torch.DoubleTensor"``. Use ``set_default_dtype``.

    >>> import warnings; warnings.simplefilter("ignore")
    >>> ember.set_default_tensor_type(ember.FloatTensor); ember.get_default_dtype()
    ember.float32
    """
    warnings.warn(
        "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
        "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
        UserWarning,
        stacklevel=2,
    )
    if isinstance(t, str):  # a dotted name: "torch.DoubleTensor" (or "ember.DoubleTensor")
        prefix, _, name = t.rpartition(".")
        if prefix not in ("torch", "ember"):
            raise ModuleNotFoundError(f"No module named '{t.split('.')[0]}'")
        if not isinstance(globals().get(name), _LegacyTensorType):
            raise AttributeError(f"module '{prefix}' has no attribute '{name}'")
        t = globals()[name]
    if not isinstance(t, _LegacyTensorType):
        raise TypeError("invalid type object: only floating-point types are supported as the "
                        "default type")  # fmt: skip
    if t.dtype.category != 2:
        raise TypeError("only floating-point types are supported as the default type")
    D.set_default_dtype(t.dtype)
