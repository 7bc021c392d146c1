"""Storages: the memory behind tensors, as ``torch.UntypedStorage`` / ``torch.TypedStorage``.

A tensor's memory is its NumPy (or CuPy) array; views are arrays whose ``.base`` chain ends at
the array that owns the allocation. That owner is the storage: every tensor whose array leads
back to it (views, ``detach()``, ``.data``) reports the same storage, a ``clone()`` another.

>>> x = ember.arange(6.)
>>> x[2:].untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
True

Also here: the Tensor methods that work on storages (``set_``, ``is_set_to``) and the legacy
ones beside them (``new``, ``resize``, ``as_subclass``, ``module_load``); ``_tensor.py`` binds
them.
"""

from __future__ import annotations

import warnings
import weakref

import numpy as np

from . import _dtype as D
from ._device import device_of, ptr, xp_of

__all__ = ["UntypedStorage", "TypedStorage"]

# one storage object per allocation while anyone holds it (torch returns the same object too);
# the storage holds its owner array, so an id here is never reused while its entry lives
_LIVE: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _owner(a):
    """The array that owns ``a``'s memory: the end of its ``.base`` chain (NumPy's as_strided
    puts a helper object, itself holding the array in ``.base``, in that chain)."""
    kind = type(a)
    while True:
        b = a.base
        if isinstance(b, kind):
            a = b
        elif b is not None and isinstance(getattr(b, "base", None), kind):
            a = b.base
        else:
            return a


def _span(a) -> int:
    """Bytes from ``a``'s first element to one past its last (owners have no negative strides)."""
    if a.size == 0:
        return 0
    return a.itemsize + sum((n - 1) * s for n, s in zip(a.shape, a.strides))


def _byte_view(owner):
    """A 1-d uint8 array over all of ``owner``'s memory, sharing it."""
    n = _span(owner)
    xp = xp_of(owner)
    if xp is np:
        if n == 0:  # (keeps the owner's address)
            return np.lib.stride_tricks.as_strided(owner, (0,), (owner.itemsize,)).view(np.uint8)
        flat = np.lib.stride_tricks.as_strided(owner, (n // owner.itemsize,), (owner.itemsize,))
        return flat.view(np.uint8)
    return xp.ndarray((n,), xp.uint8, memptr=owner.data)


def _storage_of(arr) -> UntypedStorage:
    owner = _owner(arr)
    s = _LIVE.get(id(owner))
    if s is None or s._owner is not owner:
        s = UntypedStorage._from_owner(owner)
        _LIVE[id(owner)] = s
    return s


class UntypedStorage:
    """Bytes of memory on a device, as ``torch.UntypedStorage``: ``UntypedStorage(n)`` (zeroed
    here; torch leaves them uninitialized) or ``UntypedStorage([1, 2, 3])`` (bytes).

    >>> ember.tensor([1, 2], dtype=ember.int16).untyped_storage().tolist()
    [1, 0, 2, 0]
    """

    is_sparse = False

    def __init__(self, *args, device=None):
        from ._device import canonical, get_xp

        xp = get_xp(canonical(device))
        if len(args) == 1 and isinstance(args[0], int):
            owner = xp.zeros(args[0], xp.uint8)
        elif len(args) == 1:
            owner = xp.asarray(np.array(list(args[0]), dtype=np.uint8))
        elif not args:
            owner = xp.zeros(0, xp.uint8)
        else:
            raise TypeError(f"UntypedStorage(): expected a size or a sequence, got {args!r}")
        self._owner, self._bytes = owner, owner

    @classmethod
    def _from_owner(cls, owner) -> UntypedStorage:
        s = object.__new__(cls)
        s._owner, s._bytes = owner, _byte_view(owner)
        return s

    @property
    def device(self):
        return device_of(self._bytes)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def data_ptr(self) -> int:
        return ptr(self._bytes)

    def nbytes(self) -> int:
        return int(self._bytes.size)

    size = nbytes
    __len__ = nbytes

    def element_size(self) -> int:
        return 1

    def untyped(self) -> UntypedStorage:
        return self

    def __getitem__(self, i):
        if isinstance(i, slice):
            if i.step not in (None, 1):
                raise RuntimeError("slices with step other than 1 are not supported")
            s = object.__new__(UntypedStorage)  # a view of these bytes
            s._owner, s._bytes = self._owner, self._bytes[i]
            return s
        return int(self._bytes[_index(i, len(self))])

    def __setitem__(self, i, value):
        self._bytes[i if isinstance(i, slice) else _index(i, len(self))] = value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self) -> list:
        from ._device import to_numpy

        return to_numpy(self._bytes).tolist()

    def fill_(self, value) -> UntypedStorage:
        self._bytes[...] = value
        return self

    def copy_(self, src, non_blocking=None) -> UntypedStorage:
        if src.nbytes() != self.nbytes():
            raise RuntimeError(f"size mismatch: copying {src.nbytes()} bytes into a storage of "
                               f"{self.nbytes()} bytes")  # fmt: skip
        self._bytes[...] = src.untyped()._bytes
        return self

    def clone(self) -> UntypedStorage:
        return UntypedStorage._from_owner(self._bytes.copy())

    def cpu(self) -> UntypedStorage:
        if self.device.type == "cpu":
            return self
        return UntypedStorage._from_owner(self._bytes.get())

    def __repr__(self) -> str:
        head = f"[ember.storage.UntypedStorage(device={self.device}) of size {len(self)}]"
        return " " + "\n ".join(str(b) for b in self.tolist()) + "\n" + head

    __str__ = __repr__


class TypedStorage:
    """An untyped storage read as elements of one dtype (deprecated in torch, as here).

    >>> ember.tensor([1.5, 2.0]).storage().tolist()
    [1.5, 2.0]
    """

    is_sparse = False

    def __init__(self, *, wrap_storage: UntypedStorage, dtype: D.dtype, _internal=False):
        if not _internal:
            _warn_typed_storage_removal()
        self._untyped_storage, self.dtype = wrap_storage, dtype

    @property
    def device(self):
        return self._untyped_storage.device

    @property
    def is_cuda(self) -> bool:
        return self._untyped_storage.is_cuda

    def untyped(self) -> UntypedStorage:
        return self._untyped_storage

    def _values(self):
        b, it = self._untyped_storage._bytes, self.dtype.itemsize
        return b[: b.size // it * it].view(D.to_numpy_dtype(self.dtype))

    def data_ptr(self) -> int:
        return self._untyped_storage.data_ptr()

    def nbytes(self) -> int:
        return self._untyped_storage.nbytes()

    def size(self) -> int:
        return self.nbytes() // self.dtype.itemsize

    __len__ = size

    def element_size(self) -> int:
        return self.dtype.itemsize

    def __getitem__(self, i):
        if isinstance(i, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        v = self._values()[_index(i, len(self))]
        return float(v) if self.dtype is D.bfloat16 else v.item()

    def __setitem__(self, i, value):
        self._values()[i if isinstance(i, slice) else _index(i, len(self))] = value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self) -> list:
        from ._device import to_numpy

        v = to_numpy(self._values())
        return (v.astype(np.float32) if self.dtype is D.bfloat16 else v).tolist()

    def fill_(self, value) -> TypedStorage:
        self._values()[...] = value
        return self

    def _get_legacy_storage_class(self):
        return _LEGACY[self.dtype.name]

    def __repr__(self) -> str:
        head = (f"[ember.storage.TypedStorage(dtype=ember.{self.dtype.name}, device={self.device})"
                f" of size {len(self)}]")  # fmt: skip
        return " " + "\n ".join(str(v) for v in self.tolist()) + "\n" + head

    __str__ = __repr__


def _index(i, n: int) -> int:
    if not -n <= i < n:
        raise IndexError(f"index {i} out of range for storage of size {n}")
    return i % n if n else i


def _legacy_class(d: D.dtype) -> type:
    name = d._tensor_type.replace("Tensor", "Storage")
    return type(name, (TypedStorage,), {"__module__": __name__, "_dtype": d})


# the legacy typed storage classes (``FloatStorage`` ...) that ``storage_type()`` names
_LEGACY = {d.name: _legacy_class(d) for d in D.ALL}
globals().update({c.__name__: c for c in _LEGACY.values()})

_warned = False


def _warn_typed_storage_removal(stacklevel: int = 2) -> None:
    """torch warns once per process that TypedStorage is deprecated (a UserWarning)."""
    global _warned
    if _warned:
        return
    _warned = True
    warnings.warn(
        "TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be "
        "the only storage class. This should only matter to you if you are using storages "
        "directly.  To access UntypedStorage directly, use tensor.untyped_storage() instead of "
        "tensor.storage()",
        UserWarning,
        stacklevel=stacklevel + 1,
    )


# -- Tensor methods (bound in _tensor.py) --------------------------------------------------------


def untyped_storage(self) -> UntypedStorage:
    """The memory this tensor lives in; views of one tensor (and ``detach()``) share it.

    >>> x = ember.zeros(2, 3)
    >>> x.t().untyped_storage().nbytes()
    24
    """
    return _storage_of(self._data)


def _typed_storage(self) -> TypedStorage:
    return TypedStorage(wrap_storage=_storage_of(self._data), dtype=self.dtype, _internal=True)


def storage(self) -> TypedStorage:
    """The memory as a ``TypedStorage`` of this tensor's dtype (deprecated, warns once)."""
    _warn_typed_storage_removal(stacklevel=2)
    return _typed_storage(self)


def storage_type(self) -> type:
    """The legacy storage class for this tensor's dtype, e.g. ``ember.FloatStorage``."""
    _warn_typed_storage_removal(stacklevel=2)
    return _LEGACY[self.dtype.name]


def storage_offset_of(t) -> int:
    """Elements from the start of ``t``'s storage to its first element."""
    return (ptr(t._data) - _storage_of(t._data).data_ptr()) // t._data.itemsize


def is_set_to(self, tensor) -> bool:
    """Whether both tensors use the same storage with the same offset, sizes and strides.

    >>> x = ember.zeros(3); x.is_set_to(x), x.is_set_to(x.clone())
    (True, False)
    """
    from ._tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"is_set_to(): argument 'tensor' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")  # fmt: skip
    a, b = self._data, tensor._data
    if _owner(a) is not _owner(b) or self.device != tensor.device or _span(_owner(a)) == 0:
        return False  # (torch: an empty storage is set to nothing)
    return (a.shape == b.shape and self.stride() == tensor.stride()
            and storage_offset_of(self) == storage_offset_of(tensor))  # fmt: skip


def set_(self, source=None, storage_offset=0, size=None, stride=None):
    """Point this tensor at ``source``'s memory (a tensor or a storage), in place: with
    ``storage_offset``, ``size`` and ``stride`` (elements, from the storage's start) or as the
    source tensor / the whole storage. Ember cannot grow a storage as torch does, so a layout
    that does not fit raises.

    >>> x = ember.arange(6.); y = ember.empty(0)
    >>> y.set_(x.untyped_storage(), 1, (2,), (2,)).tolist()
    [1.0, 3.0]
    """
    from ._device import CPU
    from ._tensor import Tensor, _c_strides
    from .autograd.grad_mode import STATE

    dt = self.dtype
    if isinstance(source, Tensor):
        if source.dtype is not dt:
            raise RuntimeError(f"Could not set tensor of type {_ctype(source.dtype)} to a tensor "
                               f"of type {_ctype(dt)}")  # fmt: skip
        store = _storage_of(source._data)
        if size is None:
            if storage_offset != 0 or stride is not None:
                _bad_set_args(source, storage_offset)
            size, stride = source.shape, source.stride()
        storage_offset += storage_offset_of(source)  # (torch counts from the source's offset)
        dev = source.device
    elif isinstance(source, (UntypedStorage, TypedStorage)):
        if isinstance(source, TypedStorage) and source.dtype is not dt:
            raise RuntimeError(
                f"Expected a Storage of type {_ctype(dt)} or an UntypedStorage, but got type "
                f"{source.dtype._tensor_type[:-6]} for argument 1 'storage'"
            )
        store = source.untyped()
        if size is None:
            if storage_offset != 0 or stride is not None:
                _bad_set_args(source, storage_offset)
            size = (store.nbytes() // dt.itemsize,)
        dev = store.device
    elif source is None:
        store, size, dev = None, (0,), self.device
    else:
        _bad_set_args(source, storage_offset)
    size = tuple(int(n) for n in size)
    stride = _c_strides(size) if stride is None else tuple(int(s) for s in stride)
    storage_offset = int(storage_offset)
    if storage_offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {storage_offset}")
    if len(size) != len(stride):
        raise RuntimeError(f"unequal size length ({len(size)}) and stride length ({len(stride)})")
    if any(n < 0 for n in size):
        raise RuntimeError("numel: integer multiplication overflow")
    if STATE.grad and (self.requires_grad or (isinstance(source, Tensor) and
                                              source.requires_grad)):  # fmt: skip
        if self.requires_grad and self.is_leaf:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        # torch gives such a tensor a grad_fn whose backward raises; ember refuses up front
        raise RuntimeError("set_() is not differentiable: use it on tensors that do not "
                           "require grad, or under ember.no_grad()")  # fmt: skip
    if store is None:
        self._data = xp_of(self._data).zeros(0, self._data.dtype)
    else:
        self._data = _layout(store, dt, storage_offset, size, stride)
    self._base = None  # the tensor is no view now: its offset comes from the storage
    self._storage_set = True  # (storage_offset() then asks the storage)
    self._device = dev if dev is not None else CPU
    self._bump()
    return self


def _layout(store: UntypedStorage, dt: D.dtype, offset: int, size, stride):
    """An array of dtype ``dt`` over ``store``'s bytes with element offset and strides."""
    b, it = store._bytes, dt.itemsize
    need = 0 if 0 in size else (offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))) * it
    if need > b.size or any(s < 0 for s in stride):
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
            f"and itemsize {it} requiring a storage size of {need} are out of bounds for storage "
            f"of size {b.size} (ember cannot grow a storage)"
        )
    npdt = D.to_numpy_dtype(dt)
    if need == 0:  # an empty tensor reads no memory
        return xp_of(b).zeros(size, npdt)
    run = b[offset * it : need].view(npdt)
    return xp_of(b).lib.stride_tricks.as_strided(run, size, tuple(s * it for s in stride))


def _ctype(d: D.dtype) -> str:
    from .ops.registry import _CPU_NAME

    return _CPU_NAME.get(d.name, d.name)


def _bad_set_args(source, offset):
    raise TypeError(
        f"set_() received an invalid combination of arguments - got ({type(source).__name__}"
        f"{', int' if offset else ''}), but expected one of: (), (Storage source), (Storage "
        "source, int storage_offset, tuple of ints size, tuple of ints stride = None), (Tensor "
        "source), (Tensor source, int storage_offset, tuple of ints size, tuple of ints stride "
        "= None)"
    )


# -- legacy Tensor methods -------------------------------------------------------------------------


def new(self, *args, device=None):
    """The legacy constructor with this tensor's dtype: ``t.new()`` (empty), ``t.new(2, 3)``
    (uninitialized, here zeros), ``t.new([1, 2])`` (data), ``t.new(other)`` (an alias of a tensor
    of the same dtype) or ``t.new(storage)``.

    >>> ember.tensor([1, 2]).new([1.5]).tolist()
    [1]
    """
    from . import _creation
    from ._tensor import Size, Tensor

    dt, dev = self.dtype, self.device if device is None else device
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if other.dtype is not dt or other.device != self.device:
            raise TypeError(f"expected a tensor of dtype {dt} on {self.device} (got dtype "
                            f"{other.dtype} on {other.device})")  # fmt: skip
        from .ops.index import _alias

        return _alias(other)
    if len(args) == 1 and isinstance(args[0], (UntypedStorage, TypedStorage)):
        return Tensor._wrap(_layout(args[0].untyped(), dt, 0, (0,), (1,))).set_(args[0])
    if (
        len(args) == 1
        and not isinstance(args[0], (int, Size))
        and (not hasattr(args[0], "__index__") or hasattr(args[0], "__len__"))
    ):
        data = args[0]
        if isinstance(data, str):
            raise TypeError("new(): invalid data type 'str'")
        if not hasattr(data, "__len__") and not hasattr(data, "__array__"):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        return _creation.tensor(data, dtype=dt, device=dev)
    sizes = args[0] if len(args) == 1 and isinstance(args[0], Size) else args
    for i, n in enumerate(sizes):
        if isinstance(n, bool) or not hasattr(n, "__index__"):
            raise TypeError(f"new(): argument 'size' failed to unpack the object at pos {i + 1} "
                            f"with error \"type must be tuple of ints,but got "
                            f"{type(n).__name__}\"")  # fmt: skip
    return _creation.zeros(*sizes, dtype=dt, device=dev) if sizes else _creation.empty(
        0, dtype=dt, device=dev)  # fmt: skip


def resize(self, *sizes):
    """Deprecated non-in-place resize: the same elements with shape ``sizes`` (the count must
    not change; differentiable)."""
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    return _resize(self, tuple(sizes))


def resize_as(self, tensor):
    """Deprecated non-in-place ``resize`` to ``tensor``'s shape."""
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    return _resize(self, tuple(tensor.shape))


def _resize(t, sizes):
    n = 1
    for s in sizes:
        n *= s
    if n != t.numel():
        raise RuntimeError(
            f"requested resize to {'x'.join(map(str, sizes))} ({n} elements in total), but the "
            f"given tensor has a size of {'x'.join(map(str, t.shape))} ({t.numel()} elements). "
            "autograd's resize can only change the shape of a given tensor, while preserving the "
            "number of elements. "
        )
    return t.contiguous().view(*sizes)


def as_subclass(self, cls):
    """This tensor's memory and autograd history as an instance of ``cls`` (a Tensor subclass;
    its ``__init__`` is not called).

    >>> class MyTensor(ember.Tensor): pass
    >>> type(ember.ones(2).as_subclass(MyTensor)).__name__
    'MyTensor'
    """
    from ._tensor import Tensor
    from .ops.index import _alias

    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(
            "Creating a Tensor subclass from a class that does not inherit from Tensor is not "
            "possible. Make sure your class inherits from Tensor."
        )
    t = _alias(self)
    if cls is not Tensor:
        t.__class__ = cls
    return t


def module_load(self, other, assign: bool = False):
    """How ``load_state_dict`` turns a state-dict value into this parameter's new value when
    parameters are swapped: ``other.detach()`` with ``assign``, else ``self.copy_(other)
    .detach()``."""
    if assign:
        return other.detach()
    return self.copy_(other).detach()
