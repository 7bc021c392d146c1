"""What torch's names in a checkpoint become in ember: storage types, the ``_rebuild_*``
functions, dtypes, ``torch.Size``/``torch.device``/``torch.Tensor``/``Parameter``.

``TORCH_GLOBALS`` maps the dotted names a torch checkpoint's GLOBAL opcodes carry to ember
objects. Both unpicklers use it: the restricted one only ever looks names up in it (and in the
user's safe globals); the full one (``weights_only=False``) consults it before importing.
"""

from __future__ import annotations

import collections
import pickle
from _codecs import encode as _codecs_encode

import numpy as np

from .. import _dtype as D

# torch's storage class names and their element types (torch/storage.py
# _dtype_to_storage_type_map); UntypedStorage holds bytes
STORAGE_DTYPES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexDoubleStorage": "complex128",
    "ComplexFloatStorage": "complex64", "UntypedStorage": "uint8",
}  # fmt: skip
# dtypes torch saves through an UntypedStorage and _rebuild_tensor_v3 (storage._new_dtypes)
V3_DTYPES = ("uint16", "uint32", "uint64")
# torch dtype names with no ember dtype: a checkpoint naming one is refused with this list
_TORCH_ONLY_DTYPES = (
    "complex32", "qint8", "quint8", "qint32", "quint4x2", "quint2x4", "bits1x8", "bits2x4",
    "bits4x2", "bits8", "bits16", "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz",
    "float8_e4m3fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "uint1", "uint2", "uint3",
    "uint4", "uint5", "uint6", "uint7", "int1", "int2", "int3", "int4", "int5", "int6", "int7",
)  # fmt: skip


# torch storage classes whose dtype ember lacks (quantized, complex32): refused when used
_TORCH_ONLY_STORAGES = ("QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage",
                        "QUInt2x4Storage", "ComplexHalfStorage")  # fmt: skip


class StorageType:
    """Stands for ``torch.FloatStorage`` and friends in a checkpoint: only its dtype matters
    (None for torch's dtypes ember does not have)."""

    __slots__ = ("name", "dtype", "untyped")

    def __init__(self, name: str):
        self.name = name
        dt = STORAGE_DTYPES.get(name)
        self.dtype = None if dt is None else getattr(D, dt.replace("bool", "bool_"))
        self.untyped = name == "UntypedStorage"

    def check(self) -> None:
        if self.dtype is None:
            raise RuntimeError(f"torch.{self.name} holds a dtype ember does not have")

    def __repr__(self) -> str:
        return f"StorageType(dtype={self.dtype})"


_STORAGE_TYPES = {n: StorageType(n) for n in (*STORAGE_DTYPES, *_TORCH_ONLY_STORAGES)}


class LoadedStorage:
    """The bytes of one storage record while a checkpoint loads: a uint8 array on its device.

    ``map_location`` callables receive it, as torch's receive a CPU storage, and may return
    ``storage.cuda(i)``/``storage.cpu()``/``storage.to(device)`` or the storage itself.
    """

    __slots__ = ("array", "dtype", "device", "_bases", "derived")

    def __init__(self, array, dtype, device):
        self.array, self.dtype, self.device = array, dtype, device
        self.derived: dict = {}  # (dtype, conj, neg) -> its conjugated/negated copy

    def nbytes(self) -> int:
        return int(self.array.nbytes)

    def size(self) -> int:
        return self.nbytes() // self.dtype.itemsize

    def to(self, device):
        from .._device import device as Device
        from .._device import get_xp

        dev = Device(device)
        if dev == self.device:
            return self
        if dev.type == "cpu":
            from .._tensor import to_numpy

            return LoadedStorage(to_numpy(self.array), self.dtype, dev)
        xp = get_xp(dev)
        return LoadedStorage(xp.asarray(self.array), self.dtype, dev)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def __repr__(self) -> str:
        return f"LoadedStorage({self.size()} x {self.dtype}, device={self.device})"


def restore_location(storage: LoadedStorage, location: str) -> LoadedStorage:
    """torch's ``default_restore_location``: keep CPU storages, move ``cuda:N`` ones there."""
    if location == "cpu":
        return storage
    if location.startswith("cuda"):
        from .. import cuda

        if not cuda.is_available():
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU."
            )
        return storage.to(location)
    raise RuntimeError(
        f"don't know how to restore data location of LoadedStorage (tagged with {location})"
    )


def restorer(map_location):
    """``map_location`` (None, str, device, dict or callable) as one function
    ``(storage, location) -> storage``, as torch's ``_get_restore_location``."""
    from .._device import device as Device

    if map_location is None:
        return restore_location
    if isinstance(map_location, dict):
        return lambda s, loc: restore_location(s, str(map_location.get(loc, loc)))
    if isinstance(map_location, (str, bytes)):
        where = map_location.decode() if isinstance(map_location, bytes) else map_location
        return lambda s, loc: restore_location(s, where)
    if isinstance(map_location, Device):
        return lambda s, loc: restore_location(s, str(map_location))
    if callable(map_location):

        def restore(s, loc):
            out = map_location(s, loc)
            if out is None:
                return restore_location(s, loc)
            if not isinstance(out, LoadedStorage):
                raise TypeError(f"map_location returned {type(out).__name__}; it must return "
                                "the storage it was given (moved or not) or None")  # fmt: skip
            return out

        return restore
    raise TypeError(f"map_location must be None, a str, a device, a dict or a callable, not "
                    f"{type(map_location).__name__}")  # fmt: skip


def short_repr(obj, limit: int = 200) -> str:
    """``repr(obj)`` cut to ``limit`` characters in bounded time: a checkpoint can share one
    tuple many times over (``t = (t, t)`` forty levels deep), whose full repr is exponential."""
    import reprlib

    r = reprlib.Repr()
    r.maxlevel, r.maxstring, r.maxother, r.maxlong = 3, limit, limit, limit
    r.maxtuple = r.maxlist = r.maxdict = r.maxset = r.maxfrozenset = 8
    try:
        text = r.repr(obj)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(obj).__name__}>"
    return text[:limit]


# -- tensors from storages -------------------------------------------------------------------
def _ints(v, what: str) -> tuple:
    if not isinstance(v, (tuple, list)) or not all(
        type(i) is int or isinstance(i, np.integer) for i in v
    ):
        raise RuntimeError(f"{what} must be a tuple of ints, got {short_repr(v, 200)}")
    return tuple(int(i) for i in v)


def tensor_from_storage(storage, offset, size, stride, dtype, requires_grad=False):
    """An ember tensor viewing ``storage`` (no copy), after checking that the view stays
    inside it: torch's ``set_`` bounds check, plus no negative strides."""
    from .._tensor import Tensor

    if not isinstance(storage, LoadedStorage):
        raise RuntimeError(f"expected a storage from the checkpoint, got {type(storage).__name__}")
    if isinstance(dtype, _Missing):
        raise RuntimeError(f"{dtype.name} is a dtype ember does not have")
    if not isinstance(dtype, D.dtype):
        raise RuntimeError(f"expected a dtype, got {type(dtype).__name__}")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if type(offset) is not int or offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {short_repr(offset, 100)}")
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: size {list(size)}, "
                           f"stride {list(stride)}")  # fmt: skip
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")  # fmt: skip
    npdt = D.to_numpy_dtype(dtype)
    item = npdt.itemsize
    avail = storage.nbytes()
    if 0 in size:
        arr = np.empty(size, npdt) if storage.device.type == "cpu" else None
        if arr is None:
            arr = _xp(storage).empty(size, npdt)
    else:
        extent = offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
        if extent * item > avail:
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset},"
                f" and itemsize {item} requiring a storage size of {extent * item} are out of "
                f"bounds for storage of size {avail}"
            )
        arr = _view(storage.array, size, npdt, offset * item, tuple(s * item for s in stride))
    t = Tensor._wrap(arr)
    t._device = storage.device
    if requires_grad:
        t.requires_grad_(True)
    return t


def _xp(storage):
    from .._device import get_xp

    return get_xp(storage.device)


def _view(buf, shape, npdt, offset, strides):
    if isinstance(buf, np.ndarray):
        return np.ndarray(shape, npdt, buffer=buf, offset=offset, strides=strides)
    import cupy  # a non-NumPy storage array is a CuPy one

    return cupy.ndarray(shape, npdt, memptr=buf.data + offset, strides=strides)


def _check_hooks(backward_hooks):
    if backward_hooks is not None and not isinstance(backward_hooks, dict):
        raise RuntimeError("backward_hooks must be a dict (torch saves an empty OrderedDict)")


def _apply_metadata(storage, dtype, metadata):
    """torch records lazy conjugation / negation bits; ember materializes them into a copy of
    the storage (made once per storage and bits), never of the view: a view may repeat one
    element 2**34 times with zero strides, and negating it would allocate all of them."""
    if not metadata:
        return storage
    if not isinstance(metadata, dict) or set(metadata) - {"conj", "neg"}:
        raise RuntimeError(f"unknown tensor metadata {short_repr(metadata)}")
    if not isinstance(storage, LoadedStorage) or not isinstance(dtype, D.dtype):
        return storage  # tensor_from_storage names the problem
    conj = bool(metadata.get("conj")) and dtype.is_complex
    neg = bool(metadata.get("neg"))
    if not (conj or neg):
        return storage
    cached = storage.derived.get((dtype, conj, neg))
    if cached is not None:
        return cached
    npdt = D.to_numpy_dtype(dtype)
    if storage.nbytes() % npdt.itemsize:
        raise RuntimeError(f"storage of {storage.nbytes()} bytes does not hold whole {dtype} "
                           "elements")  # fmt: skip
    arr = storage.array.view(npdt)
    if conj:
        arr = arr.conj()
    if neg:
        arr = -arr
    out = LoadedStorage(arr.reshape(-1).view(np.uint8), storage.dtype, storage.device)
    storage.derived[(dtype, conj, neg)] = out
    return out


def rebuild_tensor(storage, storage_offset, size, stride):
    """``torch._utils._rebuild_tensor``."""
    dtype = getattr(storage, "dtype", None)
    return tensor_from_storage(storage, storage_offset, size, stride, dtype)


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      metadata=None):  # fmt: skip
    """``torch._utils._rebuild_tensor_v2``: a tensor over a typed storage."""
    _check_hooks(backward_hooks)
    dtype = getattr(storage, "dtype", None)
    storage = _apply_metadata(storage, dtype, metadata)
    t = tensor_from_storage(storage, storage_offset, size, stride, dtype)
    if requires_grad:
        t.requires_grad_(bool(requires_grad))
    return t


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      dtype, metadata=None):  # fmt: skip
    """``torch._utils._rebuild_tensor_v3``: a tensor of ``dtype`` over an untyped storage."""
    _check_hooks(backward_hooks)
    if isinstance(storage, LoadedStorage) and isinstance(dtype, D.dtype):
        if storage.nbytes() % dtype.itemsize:
            raise RuntimeError(f"storage of {storage.nbytes()} bytes does not hold whole "
                               f"{dtype} elements")  # fmt: skip
    storage = _apply_metadata(storage, dtype, metadata)
    t = tensor_from_storage(storage, storage_offset, size, stride, dtype)
    if requires_grad:
        t.requires_grad_(bool(requires_grad))
    return t


def _set_state(obj, state):
    """torch's ``_set_obj_state`` for Python attributes saved with a tensor; names starting
    with ``_`` are ember's internals and are refused."""
    if state is None:
        return obj
    if isinstance(state, tuple):
        if len(state) != 2:
            raise RuntimeError(f"Invalid serialized state: {short_repr(state, 200)}")
        parts = state
    else:
        parts = (state, None)
    for part in parts:
        if not part:
            continue
        if not isinstance(part, dict):
            raise RuntimeError(f"Invalid serialized state: {short_repr(part, 200)}")
        for k, v in part.items():
            if type(k) is not str or k.startswith("_"):
                raise pickle.UnpicklingError(
                    f"refusing to set attribute {short_repr(k, 100)} from a checkpoint: ember "
                    "keeps its tensor internals in attributes starting with '_'"
                )
            if _is_behaviour(type(obj), k):
                raise pickle.UnpicklingError(
                    f"refusing to set attribute {short_repr(k, 100)} from a checkpoint: it would "
                    f"replace the method or property {type(obj).__name__}.{k:.100}"
                )
            setattr(obj, k, v)
    return obj


def _is_behaviour(cls, name: str) -> bool:
    """Whether ``cls.name`` is a method, property or other descriptor (``numpy``, ``data``,
    ``requires_grad``): torch saves only a tensor's own ``__dict__``, never these, and setting
    one would change what the tensor does. Plain class-level defaults may be overridden."""
    for klass in cls.__mro__:  # as inspect.getattr_static, without its cost per name
        if name in vars(klass):
            attr = vars(klass)[name]
            break
    else:
        return False
    return callable(attr) or hasattr(type(attr), "__get__")


def rebuild_parameter(data, requires_grad, backward_hooks):
    """``torch._utils._rebuild_parameter``: an ``ember.nn.Parameter`` sharing ``data``."""
    from .._tensor import Tensor
    from ..nn.parameter import Parameter

    if not isinstance(data, Tensor):
        raise RuntimeError(f"Parameter data must be a tensor, got {type(data).__name__}")
    _check_hooks(backward_hooks)
    return Parameter(data, bool(requires_grad))


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """``torch._utils._rebuild_parameter_with_state``."""
    return _set_state(rebuild_parameter(data, requires_grad, backward_hooks), state)


_REBUILD_FUNCS = None  # filled below: the functions _rebuild_from_type_v2 may call


def rebuild_from_type_v2(func, new_type, args, state):
    """``torch._tensor._rebuild_from_type_v2``: ``func(*args)``, as ``new_type``, with
    ``state``'s attributes. Only ember's rebuild functions and plain Tensor/Parameter types are
    accepted (a subclass must be allowlisted with ``add_safe_globals``)."""
    from .._tensor import Tensor

    if func not in _REBUILD_FUNCS:
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2 cannot call {short_repr(func, 100)}")
    if not isinstance(args, tuple):
        raise RuntimeError("_rebuild_from_type_v2 expects a tuple of arguments")
    ret = func(*args)
    if not (isinstance(new_type, type) and issubclass(new_type, Tensor)):
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2: {short_repr(new_type, 100)} is "
                                     "not a tensor type")  # fmt: skip
    if type(ret) is not new_type:
        sub = new_type._wrap(ret._data)
        sub._device, sub._requires_grad = ret._device, ret._requires_grad
        ret = sub
    return _set_state(ret, state)


_REBUILD_FUNCS = (rebuild_tensor, rebuild_tensor_v2, rebuild_tensor_v3, rebuild_parameter,
                  rebuild_parameter_with_state)  # fmt: skip


# -- small safe constructors torch allows ----------------------------------------------------
def safe_encode(obj, encoding="utf-8", errors="strict"):
    """``_codecs.encode``, which protocol-2 pickles use for bytes (``encode(str, 'latin1')``);
    only text codecs are accepted (no rot13/zlib/base64 tricks)."""
    if type(obj) is not str or encoding.replace("_", "-").lower() not in (
        "latin1",
        "latin-1",
        "iso-8859-1",
        "utf-8",
        "utf8",
        "ascii",
    ):
        raise pickle.UnpicklingError(f"_codecs.encode only decodes text with latin1/utf-8/ascii, "
                                     f"got {type(obj).__name__} with "
                                     f"{short_repr(encoding, 40)}")  # fmt: skip
    return _codecs_encode(obj, encoding, errors)


def safe_bytearray(*args):
    """``bytearray`` from bytes or text only: ``bytearray(10**12)`` would allocate a terabyte."""
    if args and not isinstance(args[0], (bytes, bytearray, str)):
        raise pickle.UnpicklingError("bytearray() from a checkpoint takes bytes or str, not "
                                     f"{type(args[0]).__name__}")  # fmt: skip
    return bytearray(*args)


def _safe_container(cls):
    def make(*args):
        if len(args) > 1 or (args and isinstance(args[0], (int, float))):
            raise pickle.UnpicklingError(f"{cls.__name__}() from a checkpoint takes at most one "
                                         "iterable")  # fmt: skip
        return cls(*args)

    make.__name__ = cls.__name__
    return make


def get_layout(name):
    """``torch.serialization._get_layout``: ``'torch.strided'`` -> ``ember.strided``."""
    from .. import _layout

    short = name[6:] if isinstance(name, str) and name.startswith("torch.") else None
    obj = getattr(_layout, short, None) if short in _layout.__all__ else None
    if not isinstance(obj, _layout.layout):
        raise pickle.UnpicklingError(f"unknown layout {short_repr(name, 100)}")
    return obj


def _size(*args):
    from .._tensor import Size

    if len(args) > 1:
        raise RuntimeError("torch.Size takes one tuple")
    return Size(_ints(args[0], "torch.Size") if args else ())


def _device(*args):
    from .._device import device

    if any(type(a) is int and not -(2**63) <= a < 2**63 for a in args):
        raise RuntimeError("Overflow when unpacking long long")  # torch's message
    return device(*args)


class _Missing:
    """A torch name ember has no equivalent for: using it raises with the name."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __call__(self, *args, **kwargs):
        raise pickle.UnpicklingError(f"{self.name} has no ember equivalent")


def _torch_globals() -> dict:
    from .._tensor import Tensor
    from ..nn.parameter import Parameter

    g = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch.nn.parameter.Parameter": Parameter,
        "torch.serialization._get_layout": get_layout,
        "torch.Size": _size,
        "torch.Tensor": Tensor,
        "torch.device": _device,
        "_codecs.encode": safe_encode,
        "builtins.bytearray": safe_bytearray,
        "builtins.set": _safe_container(set),
        "builtins.complex": complex,
        "torch._utils._rebuild_tensor": rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": rebuild_from_type_v2,
    }
    for d in D.ALL:
        g[f"torch.{d.name}"] = d
    for name in _TORCH_ONLY_DTYPES:
        g[f"torch.{name}"] = _Missing(f"torch.{name}")
    for name, st in _STORAGE_TYPES.items():
        g[f"torch.{name}"] = st
        g[f"torch.cuda.{name}"] = st
    g["torch.storage.UntypedStorage"] = _STORAGE_TYPES["UntypedStorage"]
    return g


_GLOBALS_CACHE: dict = {}


def torch_globals() -> dict:
    """The default allowlist: dotted torch name -> ember object (built on first use)."""
    if not _GLOBALS_CACHE:
        _GLOBALS_CACHE.update(_torch_globals())
    return _GLOBALS_CACHE


def storage_type(name: str):
    return _STORAGE_TYPES.get(name)
