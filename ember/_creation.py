"""Tensor creation: tensor, as_tensor, from_numpy, zeros/ones/empty/full, arange, linspace, eye,
the *_like forms, and random creation drawing from an ember Generator."""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _dtype as D
from ._device import CPU, canonical, get_xp, to_numpy
from ._generator import numpy_rng
from ._tensor import Size, Tensor

__all__ = [
    "tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full", "arange",
    "linspace", "logspace", "eye", "zeros_like", "ones_like", "empty_like", "full_like", "rand",
    "randn", "randint", "rand_like", "randn_like", "randint_like", "scalar_tensor",
]  # fmt: skip


def _finish(arr, device, requires_grad) -> Tensor:
    dev = canonical(device) if device is not None else CPU
    if dev is not CPU:
        arr = get_xp(dev).asarray(arr)
    t = Tensor._wrap(arr)
    if dev is not CPU:
        t._device = dev
    if requires_grad:
        t.requires_grad_(True)
    return t


def _np_dtype(dtype):
    return None if dtype is None else D.to_numpy_dtype(dtype)


def _sizes(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(
                f"zeros(): argument 'size' (position 1) must be tuple of ints, but found element "
                f"of type {type(s).__name__} at pos {len(out)}"
            )
        out.append(int(s))
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


# -- from data --------------------------------------------------------------------------------


def _infer_dtype(arr: np.ndarray, from_python: bool):
    k = arr.dtype.kind
    if k == "b":
        return D.bool_
    if k in "iu":
        return D.int64 if from_python else D.from_numpy_dtype(arr.dtype)
    if k == "f":
        return D.get_default_dtype() if from_python else D.from_numpy_dtype(arr.dtype)
    if k == "c":
        return D.default_complex() if from_python else D.from_numpy_dtype(arr.dtype)
    if k == "O":
        raise RuntimeError("Could not infer dtype of object")
    return D.from_numpy_dtype(arr.dtype)


def _to_array(data):
    """Nested Python data (or tensors, or arrays) as a NumPy array, and whether it came from
    Python numbers (which take torch's default dtypes) rather than typed arrays."""
    if isinstance(data, Tensor):
        return to_numpy(data._data), False
    if isinstance(data, np.ndarray):
        return data, False
    if isinstance(data, np.generic):
        return np.asarray(data), False
    if isinstance(data, (list, tuple)):
        _check_ragged(data, 0)
        items = [_item(x) for x in _flat(data)]
        if any(isinstance(x, np.ndarray) for x in items):
            # typed arrays inside a list: stack them, keeping their dtype
            arrs = [_to_array(x)[0] for x in data]
            return np.stack(arrs) if arrs else np.zeros((0,)), False
    elif not isinstance(data, numbers.Number):
        if hasattr(data, "__array__"):
            return np.asarray(data), False
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    try:
        arr = np.array(_pyify(data))
    except OverflowError:
        raise RuntimeError("Overflow when unpacking long") from None
    if arr.dtype.kind == "O":
        raise RuntimeError("Overflow when unpacking long")
    return arr, True


def _item(x):
    return x


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _pyify(data):
    if isinstance(data, (list, tuple)):
        return [_pyify(x) for x in data]
    if isinstance(data, Tensor):
        if data.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return data.item()
    return data


def _check_ragged(data, dim):
    if not data or not isinstance(data[0], (list, tuple)):
        for x in data:
            if isinstance(x, (list, tuple)):
                raise ValueError(f"expected sequence of length {0} at dim {dim} (got {len(x)})")
        return
    n = len(data[0])
    for x in data:
        if not isinstance(x, (list, tuple)):
            raise TypeError("not a sequence")
        if len(x) != n:
            raise ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {len(x)})")
    for x in data:
        _check_ragged(x, dim + 1)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor copying ``data`` (nested lists, numbers, NumPy arrays, tensors).

    >>> ember.tensor([[1., 2.]], requires_grad=True)
    tensor([[1., 2.]], requires_grad=True)
    """
    arr, from_python = _to_array(data)
    dt = dtype if dtype is not None else _infer_dtype(arr, from_python)
    arr = np.array(arr, dtype=D.to_numpy_dtype(dt), copy=True, order="C")
    return _finish(arr, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor):
        t = data
        if dtype is not None or device is not None:
            t = t.to(device=device, dtype=dtype)
        return t
    if isinstance(data, np.ndarray) and (dtype is None or D.to_numpy_dtype(dtype) == data.dtype):
        if device is None or canonical(device) is CPU:
            return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    t = tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (writes through either are seen by both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if any(s < 0 for s in ndarray.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with negative "
            "strides are not currently supported. (You can probably work around this by making a "
            "copy of your array  with array.copy().) "
        )
    D.from_numpy_dtype(ndarray.dtype)
    return Tensor._wrap(ndarray)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    dt = dtype or D.get_default_dtype()
    return _finish(np.array(s, dtype=D.to_numpy_dtype(dt)), device, requires_grad)


# -- filled -----------------------------------------------------------------------------------


def _filled(fill, size, dtype, device, requires_grad, out=None):
    shape = _sizes(size)
    dt = dtype or D.get_default_dtype()
    xp = get_xp(canonical(device)) if device is not None else np
    npd = D.to_numpy_dtype(dt)
    if fill is None:
        arr = xp.empty(shape, dtype=npd)
    elif fill == 0:
        arr = xp.zeros(shape, dtype=npd)
    else:
        arr = xp.full(shape, fill, dtype=npd)
    t = _finish(arr, device, requires_grad)
    if out is not None:
        out._data = t._data
        return out
    return t


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _filled(0, size, dtype, device, requires_grad, out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones."""
    return _filled(1, size, dtype, device, requires_grad, out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:  # fmt: skip
    """An uninitialized tensor."""
    return _filled(None, size, dtype, device, requires_grad, out)


def _fill_dtype(v):
    if isinstance(v, Tensor):
        return v.dtype
    return D.scalar_dtype(v)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:  # fmt: skip
    """A tensor filled with ``fill_value``; its dtype follows the value (bool, int64, float)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled(fill_value, (size,), dtype or _fill_dtype(fill_value), device,
                   requires_grad, out)  # fmt: skip


def _like(t, dtype, device):
    return dtype or t.dtype, device if device is not None else t.device


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:  # fmt: skip
    dt, dev = _like(input, dtype, device)
    return _filled(0, input.shape, dt, dev, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:  # fmt: skip
    dt, dev = _like(input, dtype, device)
    return _filled(1, input.shape, dt, dev, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:  # fmt: skip
    dt, dev = _like(input, dtype, device)
    return _filled(None, input.shape, dt, dev, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:  # fmt: skip
    dt, dev = _like(input, dtype, device)
    return _filled(fill_value, input.shape, dt, dev, requires_grad)


# -- ranges -----------------------------------------------------------------------------------


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:  # fmt: skip
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless one is a float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if dtype is None:
        dtype = (D.get_default_dtype() if any(isinstance(v, float) for v in vals)
                 else D.int64)  # fmt: skip
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    n = max(0, math.ceil((end - start) / step))
    if dtype.category < 2:
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(D.to_numpy_dtype(dtype))
        if all(isinstance(v, int) for v in vals):
            arr = (start + np.arange(n, dtype=np.int64) * step).astype(D.to_numpy_dtype(dtype))
    else:
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(D.to_numpy_dtype(dtype))
    return _finish(arr, device, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:  # fmt: skip
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    # torch fills the first half from start and the second half from end, symmetrically
    i = np.arange(steps, dtype=np.float64)
    if steps > 1:
        step = (end - start) / (steps - 1)
        half = steps // 2
        vals = np.where(i < half, start + i * step, end - (steps - 1 - i) * step)
    else:
        vals = np.full(steps, start, dtype=np.float64)
    if dt.category < 2:
        vals = np.trunc(vals)
    return _finish(vals.astype(D.to_numpy_dtype(dt)), device, requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:  # fmt: skip
    dt = dtype or D.get_default_dtype()
    exps = linspace(start, end, steps, dtype=D.float64)._data
    return _finish((base**exps).astype(D.to_numpy_dtype(dt)), device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad=False) -> Tensor:  # fmt: skip
    """The n x m identity matrix."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dt = dtype or D.get_default_dtype()
    return _finish(np.eye(n, m, dtype=D.to_numpy_dtype(dt)), device, requires_grad)


# -- random -----------------------------------------------------------------------------------


def _random_float(kind, size, generator, dtype, device, requires_grad):
    shape = _sizes(size)
    dt = dtype or D.get_default_dtype()
    if dt.category < 2:
        raise RuntimeError(
            f'"{"normal" if kind == "randn" else "check_uniform_bounds"}" not implemented for '
            f"'{dt._tensor_type[:-6]}'"
        )
    rng = numpy_rng(generator)
    work = np.float32 if dt.itemsize <= 4 and dt.category == 2 else np.float64
    if dt.category == 3:
        real = np.float32 if dt is D.complex64 else np.float64
        if kind == "randn":
            a = (rng.standard_normal(shape + (2,), dtype=real) * np.sqrt(0.5)).astype(real)
        else:
            a = rng.random(shape + (2,), dtype=real)
        arr = (a[..., 0] + 1j * a[..., 1]).astype(D.to_numpy_dtype(dt))
    else:
        a = rng.standard_normal(shape, dtype=work) if kind == "randn" else rng.random(
            shape, dtype=work)  # fmt: skip
        arr = a.astype(D.to_numpy_dtype(dt), copy=False)
    return _finish(arr, device, requires_grad)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:  # fmt: skip
    """Uniform samples from [0, 1)."""
    return _random_float("rand", size, generator, dtype, device, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False) -> Tensor:  # fmt: skip
    """Standard normal samples."""
    return _random_float("randn", size, generator, dtype, device, requires_grad)


def randint(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False) -> Tensor:  # fmt: skip
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high)."""
    args = list(args)
    if size is None:
        if not args or not isinstance(args[-1], (tuple, list, Size)):
            raise TypeError('randint() missing 1 required positional arguments: "size"')
        size = args.pop()
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint() received an invalid combination of arguments")
    if high <= low:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    dt = dtype or D.int64
    a = numpy_rng(generator).integers(low, high, _sizes((size,)), dtype=np.int64)
    return _finish(a.astype(D.to_numpy_dtype(dt)), device, requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:  # fmt: skip
    dt, dev = _like(input, dtype, device)
    return rand(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:  # fmt: skip
    dt, dev = _like(input, dtype, device)
    return randn(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None) -> Tensor:  # fmt: skip
    if high is None:
        low, high = 0, low
    dt, dev = _like(input, dtype, device)
    return randint(low, high, input.shape, dtype=dt, device=dev)
