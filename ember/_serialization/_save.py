"""Pickling for ``ember.save``: ember objects written under torch's names, so that
``torch.load(f, weights_only=True)`` reads the file, and storages collected so that tensors
sharing memory are written once and still share it when loaded.

How ember tensors hold memory: a tensor wraps one NumPy array; views (slicing, ``t()``,
``view``, ``expand`` ...) are NumPy views, so the memory a tensor lives in is the root of its
array's ``.base`` chain. That root plays torch's storage: it is written whole, as
``data/<key>``, and each tensor records its element offset and strides into it.
"""

from __future__ import annotations

import collections
import pickle

import numpy as np

from .. import _dtype as D
from ._rebuild import V3_DTYPES

# the storage class torch pickles for each dtype saved with _rebuild_tensor_v2
_STORAGE_NAME = {
    "float64": "DoubleStorage", "float32": "FloatStorage", "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
    "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage",
    "bool": "BoolStorage", "complex128": "ComplexDoubleStorage",
    "complex64": "ComplexFloatStorage",
}  # fmt: skip


class TorchName:
    """A global written as ``GLOBAL module name`` without importing it (torch need not be
    installed to write torch's names). One instance per name, so the pickle memo reuses it."""

    __slots__ = ("module", "name")
    _cache: dict = {}

    def __new__(cls, module: str, name: str):
        key = (module, name)
        obj = cls._cache.get(key)
        if obj is None:
            obj = object.__new__(cls)
            obj.module, obj.name = module, name
            cls._cache[key] = obj
        return obj

    def __call__(self, *args):  # pickle wants reduce functions callable; this one never runs
        raise TypeError(f"{self.module}.{self.name} is a name written into a checkpoint")


_V2 = TorchName("torch._utils", "_rebuild_tensor_v2")
_V3 = TorchName("torch._utils", "_rebuild_tensor_v3")
_PARAM = TorchName("torch._utils", "_rebuild_parameter")
_FROM_TYPE = TorchName("torch._tensor", "_rebuild_from_type_v2")
_SIZE = TorchName("torch", "Size")
_DEVICE = TorchName("torch", "device")
_LAYOUT = TorchName("torch.serialization", "_get_layout")
_CPU = "cpu"  # one object: the pickle memo then writes it once, as torch's pickles do
_STORAGE = "storage"


class StorageRef:
    """One storage being saved: its key, torch type name, element count and bytes."""

    __slots__ = ("key", "type_name", "numel", "location", "raw", "dtype")

    def pid(self):
        module = "torch.storage" if self.type_name == "UntypedStorage" else "torch"
        return (_STORAGE, TorchName(module, self.type_name), self.key, self.location,
                self.numel)  # fmt: skip


def _root(a: np.ndarray) -> np.ndarray:
    """The array that owns ``a``'s memory: the end of its ``.base`` chain (through the
    DummyArray objects ``as_strided`` leaves in it)."""
    while True:
        b = a.base
        if isinstance(b, np.ndarray):
            a = b
        elif b is not None and isinstance(getattr(b, "base", None), np.ndarray):
            a = b.base
        else:
            return a


def _ptr(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _bounds(a: np.ndarray):
    """[low, high) byte addresses ``a`` touches (NumPy's byte_bounds)."""
    lo = hi = _ptr(a)
    if a.size == 0:
        return lo, lo
    for n, s in zip(a.shape, a.strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + a.itemsize


class _RawBytes:
    """Exposes [ptr, ptr + n) of memory kept alive by ``owner`` as a uint8 array."""

    def __init__(self, ptr, n, owner):
        self.__array_interface__ = {"data": (ptr, True), "shape": (n,), "typestr": "|u1",
                                    "version": 3}  # fmt: skip
        self.owner = owner


class StorageTable:
    """Storages met while pickling, keyed ``"0"``, ``"1"`` ... in first-seen order."""

    def __init__(self):
        self.by_root: dict = {}  # id(root array) -> (root, StorageRef, low address)
        self.refs: list = []

    def _new(self, dtype, nbytes, raw, location):
        ref = StorageRef()
        ref.key = str(len(self.refs))
        ref.dtype = dtype
        if dtype.name in V3_DTYPES:
            ref.type_name, ref.numel = "UntypedStorage", nbytes
        else:
            ref.type_name, ref.numel = _STORAGE_NAME[dtype.name], nbytes // dtype.itemsize
        ref.location, ref.raw = location, raw
        self.refs.append(ref)
        return ref

    def locate(self, t):
        """(storage, element offset, size, stride) for tensor ``t``."""
        arr, dtype = t._data, t.dtype
        item = dtype.itemsize
        if not isinstance(arr, np.ndarray):  # an accelerator array: a host copy of its own
            from .._tensor import to_numpy

            host = np.ascontiguousarray(to_numpy(arr))
            dev = t.device
            where = f"{dev.type}:{dev.index or 0}" if dev.type == "cuda" else str(dev)
            ref = self._new(dtype, host.nbytes, host.reshape(-1).view(np.uint8), where)
            return ref, 0, tuple(arr.shape), _contiguous_strides(arr.shape)
        root = _root(arr)
        lo, hi = _bounds(root)
        ok = all(s >= 0 and s % item == 0 for s in arr.strides) and (hi - lo) % item == 0
        off = _ptr(arr) - lo
        if not ok or off % item:
            # torch has no negative strides or misaligned views: save a compact copy
            copy = np.ascontiguousarray(arr)
            ref = self._new(dtype, copy.nbytes, copy.reshape(-1).view(np.uint8), _CPU)
            return ref, 0, tuple(arr.shape), _contiguous_strides(arr.shape)
        entry = self.by_root.get(id(root))
        if entry is None:
            raw = np.asarray(_RawBytes(lo, hi - lo, root))
            entry = (root, self._new(dtype, hi - lo, raw, _CPU))
            self.by_root[id(root)] = entry
        ref = entry[1]
        if ref.dtype is not dtype:
            raise RuntimeError(
                "Cannot save multiple tensors or storages that view the same data as different "
                f"types (here {ref.dtype} and {dtype})"
            )
        stride = tuple(s // item for s in arr.strides)
        return ref, off // item, tuple(arr.shape), stride


def _contiguous_strides(shape) -> tuple:
    st, acc = [], 1
    for n in reversed(shape):
        st.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(st))


class TorchPickler(pickle._Pickler):
    """The pure-Python pickler with ember's objects reduced to torch's names and storages as
    persistent ids, as ``torch.save``'s ``persistent_id`` writes them."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol, table: StorageTable):
        super().__init__(file, protocol)
        self.table = table

    def persistent_id(self, obj):
        if type(obj) is StorageRef:
            return obj.pid()
        return None

    def reducer_override(self, obj):
        from .._device import device
        from .._layout import layout
        from .._tensor import Size, Tensor
        from ..nn.parameter import Parameter

        if isinstance(obj, Tensor):
            if isinstance(obj, Parameter):
                return (_PARAM, (_plain(obj), obj.requires_grad, collections.OrderedDict()))
            if type(obj) is not Tensor:
                return (_FROM_TYPE, (_V2, type(obj), self._tensor_args(obj), None))
            return self._reduce_tensor(obj)
        if isinstance(obj, Size):
            return (_SIZE, (tuple(obj),))
        if isinstance(obj, device):
            return (_DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index))
        if isinstance(obj, layout):
            return (_LAYOUT, (f"torch.{obj.name}",))
        return NotImplemented

    def _tensor_args(self, t):
        ref, off, size, stride = self.table.locate(t)
        return (ref, off, size, stride, t.requires_grad, collections.OrderedDict())

    def _reduce_tensor(self, t):
        args = self._tensor_args(t)
        if t.dtype.name in V3_DTYPES:
            return (_V3, args + (t.dtype,))
        return (_V2, args)

    def save_torch_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    def save_dtype(self, obj):
        self.save_torch_name(TorchName("torch", obj.name))

    dispatch[TorchName] = save_torch_name
    dispatch[D.dtype] = save_dtype


def _plain(p):
    """A Parameter's data as a plain Tensor (same memory), as torch pickles ``param.data``."""
    from .._tensor import Tensor

    t = Tensor._wrap(p._data)
    t._device = p._device
    return t


def pickle_with_storages(obj, protocol: int = 2):
    """(pickle bytes, [StorageRef, ...]) for ``obj``."""
    import io

    if protocol < 2:
        raise ValueError(f"ember.save needs pickle protocol 2 or higher, got {protocol}")
    table = StorageTable()
    buf = io.BytesIO()
    TorchPickler(buf, protocol, table).dump(obj)
    return buf.getvalue(), table.refs
