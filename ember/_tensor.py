"""Tensor: one backend array plus autograd state.

Op methods (``exp``, ``add``, ``exp_`` ...) are installed from the op registry (ops/__init__.py);
what is written here is the tensor's own state: shape, dtype, device, memory layout, conversion,
printing and the autograd attributes.
"""

from __future__ import annotations

import operator

import numpy as np

from . import _dtype as D
from . import _storage as _st
from ._device import CPU, canonical, device_of, get_xp, to_numpy
from .autograd import graph as _graph
from .autograd.grad_mode import STATE

__all__ = ["Tensor", "Size"]


_NONLEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)


class Size(tuple):
    """A tensor's shape: a tuple printed as ``ember.Size([2, 3])``."""

    def __new__(cls, sizes=()):
        items = []
        for i, n in enumerate(sizes):
            if type(n) is not int:
                try:
                    n = operator.index(n)
                except TypeError:
                    raise TypeError(f"ember.Size() takes an iterable of 'int' (item {i} is "
                                    f"'{type(n).__name__}')") from None  # fmt: skip
            items.append(n)
        return tuple.__new__(cls, items)

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(
                f"can only concatenate tuple (not {type(other).__name__}) to ember.Size"
            )
        return _size(tuple(self) + other)

    def __radd__(self, other):
        return _size(other + tuple(self))

    def __mul__(self, n):
        return _size(tuple(self) * n)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))


class _Version:
    """The version counter shared by a tensor and its views; in-place ops bump it."""

    __slots__ = ("v",)

    def __init__(self, v=0):
        self.v = v


_NP_DIFF = frozenset("fc")


class Tensor:
    """A multi-dimensional array with autograd, as ``torch.Tensor``.

    >>> x = ember.ones(2, 2, requires_grad=True)
    >>> (x * 3).sum().backward(); x.grad
    tensor([[3., 3.],
            [3., 3.]])
    """

    # Class-level defaults keep creating a tensor to one attribute store (see _wrap).
    _grad_fn = None
    _requires_grad = False
    _output_nr = 0
    _grad = None
    _base = None
    _vc = None
    _view_version = 0
    _hooks = None
    _post_acc_hooks = None
    _accum = None
    _is_inference = False
    _multi_view = False  # an output of unbind/split: in-place changes are refused under grad
    _storage_set = False  # set_() pointed it into a storage: its offset comes from there
    _device = CPU
    __array_priority__ = 1000  # numpy scalars defer to our reflected operators

    def __new__(cls, *args, device=None, dtype=None):
        # the legacy constructor: Tensor(2, 3) is uninitialized, Tensor([1, 2]) copies data
        from . import _creation

        if len(args) == 1 and not isinstance(args[0], int) and not isinstance(args[0], Size):
            if isinstance(args[0], Tensor):
                return args[0].detach().to(D.float32) if cls is Tensor else args[0]
            t = _creation.tensor(args[0], dtype=D.get_default_dtype(), device=device)
        else:
            sizes = args[0] if len(args) == 1 and isinstance(args[0], Size) else args
            t = _creation.empty(*sizes, dtype=D.get_default_dtype(), device=device)
        if cls is not Tensor:
            r = object.__new__(cls)
            r._data = t._data
            return r
        return t

    @classmethod
    def _wrap(cls, arr) -> Tensor:
        t = object.__new__(cls)
        t._data = arr
        return t

    # -- metadata ----------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return _size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return _size(self._data.shape)
        return self._data.shape[_dim_of(dim, self._data.ndim, "size")]

    @property
    def dtype(self) -> D.dtype:
        return D.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return self._device

    @property
    def layout(self):
        from ._layout import strided

        return strided

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self._device.type == "cpu"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        a = self._data
        if a.size == 0 and not any(a.strides):
            st = _c_strides(a.shape)  # NumPy gives new empty arrays zero strides; torch does not
        else:
            it = a.itemsize
            st = tuple(s // it for s in a.strides)
        return st if dim is None else st[_dim_of(dim, a.ndim, "stride")]

    def storage_offset(self) -> int:
        if self._base is None:
            return _st.storage_offset_of(self) if self._storage_set else 0
        return (_ptr(self._data) - _ptr(self._base._data)) // self._data.itemsize

    def is_contiguous(self, memory_format=None) -> bool:
        a = self._data
        name = getattr(memory_format, "name", None)
        if name not in ("channels_last", "channels_last_3d"):
            # row-major; NumPy's flag ignores size-1 dims' strides and empty arrays, as torch
            return bool(a.flags.c_contiguous)
        if a.size == 0:
            return True
        dims = list(range(a.ndim))
        if name in ("channels_last", "channels_last_3d"):
            if a.ndim != (4 if name == "channels_last" else 5):
                return False
            dims = [0] + dims[2:] + [1]  # N, spatial..., C from outermost to innermost
        st = self.stride()
        expected = 1
        for d in reversed(dims):
            n = a.shape[d]
            if n != 1 and st[d] != expected:
                return False
            expected *= n
        return True

    def data_ptr(self) -> int:
        return _ptr(self._data)

    # storages and the legacy methods beside them (ember/_storage.py)
    untyped_storage = _st.untyped_storage
    storage = _st.storage
    _typed_storage = _st._typed_storage
    storage_type = _st.storage_type
    set_ = _st.set_
    is_set_to = _st.is_set_to
    new = _st.new
    resize = _st.resize
    resize_as = _st.resize_as
    as_subclass = _st.as_subclass
    module_load = _st.module_load

    def _geom(self):
        """(shape, strides, offset) in elements relative to the base's memory."""
        return self._data.shape, self.stride(), self.storage_offset()

    @property
    def T(self) -> Tensor:
        if self.ndim != 2 and self.ndim != 0:
            import warnings

            warnings.warn(
                "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                "deprecated and it will throw an error in a future release. Consider `x.mT` to "
                "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
                "to reverse the dimensions of a tensor.",
                UserWarning,
                stacklevel=2,
            )
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:
        if self.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self.ndim}-D tensor.")  # fmt: skip
        return self.transpose(-2, -1)

    # -- conversion --------------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        v = to_numpy(self._data).reshape(()).item()
        if self.dtype is D.bfloat16 or self.dtype is D.float16:
            v = float(v)
        return v

    def tolist(self):
        a = to_numpy(self._data)
        if self.dtype is D.bfloat16:
            a = a.astype(np.float32)
        return a.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array sharing memory (as torch: not for tensors that require
        grad unless ``force=True``, and only on the CPU)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if self._device.type != "cpu":
            if not force:
                raise TypeError(
                    f"can't convert {self._device} device type tensor to numpy. Use "
                    "Tensor.cpu() to copy the tensor to host memory first."
                )
            return to_numpy(self._data)
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()  # as torch: refuses tensors that require grad or live on a GPU
        return a if dtype is None else a.astype(dtype, copy=False)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous"
                if self._data.size > 1
                else "Boolean value of Tensor with no values is ambiguous"
            )
        return bool(self._data.reshape(()))

    def _real_item(self, kind):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        v = self.item()
        if type(v) is complex:
            if v.imag != 0:
                raise RuntimeError(f"value cannot be converted to type {kind} without overflow")
            v = v.real
        return v

    def __int__(self) -> int:
        return int(self._real_item("int64_t"))

    def __float__(self) -> float:
        return float(self._real_item("double"))

    def __complex__(self) -> complex:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return complex(self.item())

    def __index__(self) -> int:
        if self.dtype.category > 1 or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self, *, tensor_contents=None) -> str:
        from ._printing import format_tensor

        fn = self.grad_fn
        return format_tensor(
            to_numpy(self._data), dtype=self.dtype, device=str(self._device),
            requires_grad=self._requires_grad and fn is None,
            grad_fn_name=fn._display_name() if fn is not None else None,
        )  # fmt: skip

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        return (_rebuild, (to_numpy(self._data), self._requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment."
            )
        t = type(self)._wrap(self._data.copy())
        t._device = self._device
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    # -- dtype and device --------------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False,
           memory_format=None):  # fmt: skip
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``."""
        for a in args:
            if isinstance(a, D.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif a is not None:
                device = a
        t = self
        if device is not None:
            dev = canonical(device)
            if dev != t._device:
                t = _to_device(t, dev)
        if dtype is not None and dtype is not t.dtype:
            from .ops.elementwise import _to_dtype

            t = _to_dtype(t, dtype=dtype)
        if copy and t is self:
            t = t.clone()
        return t

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            pre = "torch." if self._device.type == "cpu" else "torch.cuda."
            return pre + self.dtype._tensor_type
        if isinstance(dtype, str):
            # torch's names ('torch.FloatTensor', 'torch.cuda.LongTensor'); 'ember.' also works
            prefix, _, name = dtype.rpartition(".")
            match = [d for d in D.ALL if d._tensor_type == name]
            if not match or prefix not in ("torch", "ember", "torch.cuda", "ember.cuda"):
                raise ValueError(f"invalid type: '{dtype}'")
            t = self.to(match[0])
            return t.cuda() if prefix.endswith(".cuda") else t
        if not isinstance(dtype, D.dtype) and isinstance(getattr(dtype, "dtype", None), D.dtype):
            dtype = dtype.dtype  # a legacy type such as ember.FloatTensor
        return self.to(dtype)

    def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                          layout=None, pin_memory=False):  # fmt: skip
        from ._creation import empty_strided

        return empty_strided(size, stride, dtype=dtype or self.dtype,
                             device=device if device is not None else self.device,
                             requires_grad=requires_grad)  # fmt: skip

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to(device if device is not None else "cuda")

    def float(self):
        return self.to(D.float32)

    def double(self):
        return self.to(D.float64)

    def half(self):
        return self.to(D.float16)

    def bfloat16(self):
        return self.to(D.bfloat16)

    def int(self):
        return self.to(D.int32)

    def long(self):
        return self.to(D.int64)

    def short(self):
        return self.to(D.int16)

    def char(self):
        return self.to(D.int8)

    def byte(self):
        return self.to(D.uint8)

    def bool(self):
        return self.to(D.bool_)

    def cfloat(self):
        return self.to(D.complex64)

    def cdouble(self):
        return self.to(D.complex128)

    def is_floating_point(self) -> bool:
        return self.dtype.category == 2

    def is_complex(self) -> bool:
        return self.dtype.category == 3

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def get_device(self) -> int:
        """The GPU index, or -1 for a CPU tensor."""
        return -1 if self._device.type == "cpu" else self._device.index

    is_sparse = is_quantized = is_meta = is_nested = False

    # -- new tensors like this one (its dtype and device unless given) ------------------------
    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        from ._creation import tensor

        dtype, device = _like(self, dtype, device)
        return tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import empty

        dtype, device = _like(self, dtype, device)
        return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import zeros

        dtype, device = _like(self, dtype, device)
        return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import ones

        dtype, device = _like(self, dtype, device)
        return ones(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        from ._creation import full

        dtype, device = _like(self, dtype, device)
        return full(size, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)

    # -- autograd ----------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        if self._base is not None:
            self._refresh_view()
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            return self
        if requires_grad and self.dtype.category < 2:
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        if requires_grad and self._is_inference:
            raise RuntimeError(
                "Setting requires_grad=True on inference tensor outside InferenceMode is not "
                "allowed."
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad_fn(self):
        if self._base is not None:
            self._refresh_view()
        return self._grad_fn

    @property
    def output_nr(self) -> int:
        return self._output_nr if self.grad_fn is not None else 0

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self._grad is None and self._grad_fn is not None and not self.retains_grad:
            import warnings

            warnings.warn(_NONLEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"grad of type {type(value).__name__}")  # fmt: skip
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: {value.shape} vs {self.shape}"
                )
            if value.dtype is not self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        fn = self.grad_fn
        return fn is not None and fn._retain is not None and self._output_nr in fn._retain

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        import weakref

        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self.grad_fn
        if fn is None:
            return
        fn._hooked = True
        if fn._retain is None:
            fn._retain = {}
        fn._retain[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is computed."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        fn = self.grad_fn
        if fn is not None:
            return fn._add_tensor_hook(self._output_nr, hook)
        from .autograd.graph import _RemovableHandle

        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs on a leaf after its gradient is accumulated into ``.grad``
        (an optimizer can step each parameter there, during backward).

        >>> w = ember.ones(2, requires_grad=True)
        >>> h = w.register_post_accumulate_grad_hook(lambda t: print(t.grad))
        >>> (w * w).sum().backward()
        tensor([2., 2.])
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        from .autograd.graph import _RemovableHandle

        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return _RemovableHandle(self._post_acc_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the leaves' ``.grad``."""
        from .autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """The same values and memory, cut from the graph (shares the version counter)."""
        t = type(self)._wrap(self._data) if type(self) is Tensor else Tensor._wrap(self._data)
        t._vc = self._ensure_vc()
        t._device = self._device
        t._is_inference = self._is_inference
        return t

    def detach_(self) -> Tensor:
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        t = Tensor._wrap(self._data)
        t._device = self._device
        return t

    @data.setter
    def data(self, value: Tensor):
        self._data = value._data
        self._device = value._device

    @property
    def _version(self) -> int:
        vc = self._vc
        return 0 if vc is None else vc.v

    def _ensure_vc(self) -> _Version:
        vc = self._vc
        if vc is None:
            vc = self._vc = _Version()
        return vc

    def _bump(self) -> None:
        self._ensure_vc().v += 1

    def _accumulate_node(self):
        node = self._accum
        if node is None:
            from .autograd.graph import AccumulateGrad

            node = self._accum = AccumulateGrad(self)
        return node

    def _history_alias(self) -> Tensor:
        """A tensor standing for this one's value and history before an in-place op."""
        t = Tensor._wrap(self._data)
        t._grad_fn, t._requires_grad, t._output_nr = self.grad_fn, self._requires_grad, \
            self._output_nr  # fmt: skip
        t._accum = self._accumulate_node() if self._grad_fn is None and self._requires_grad \
            else None  # fmt: skip
        t._vc = self._ensure_vc()
        t._device = self._device
        return t

    def _refresh_view(self) -> None:
        """A view whose base changed in place gets its history from the base (torch replays
        the view on the base's new grad_fn the same way)."""
        vc = self._vc
        if vc is None or vc.v == self._view_version:
            return
        self._view_version = vc.v
        base = self._base
        if base._requires_grad and base._grad_fn is not None and STATE.grad:
            from .autograd.engine import edge_of
            from .autograd.graph import ViewReplay, view_layouts

            self._grad_fn = ViewReplay(edge_of(base), *view_layouts(self))
            self._requires_grad = True
            self._output_nr = 0

    def __setstate__(self, state):
        self.__dict__.update(state)


_graph._T.append(Tensor)


def _rebuild(arr, requires_grad):
    t = Tensor._wrap(np.array(arr))
    t._requires_grad = requires_grad
    return t


def _to_device(t: Tensor, dev) -> Tensor:
    from .ops.shape import _to_device_op

    return _to_device_op(t, device=dev)


def _ptr(a) -> int:
    if isinstance(a, np.ndarray):
        return a.__array_interface__["data"][0]
    return a.data.ptr


def _c_strides(shape) -> tuple:
    st, acc = [], 1
    for n in reversed(shape):
        st.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(st))


def _size(shape) -> Size:
    return tuple.__new__(Size, shape)  # shapes from arrays are ints already: skip the checks


def _like(t, dtype, device):
    return (t.dtype if dtype is None else dtype), (t._device if device is None else device)


def _dim_of(dim, ndim: int, what: str) -> int:
    """``dim`` wrapped for size()/stride(), which (unlike most ops) refuse any dim of a 0-d
    tensor."""
    if type(dim) is not int:
        if isinstance(dim, bool) or not hasattr(dim, "__index__"):
            raise TypeError(f"{what}(): argument 'dim' (position 1) must be int, not "
                            f"{type(dim).__name__}")  # fmt: skip
        dim = operator.index(dim)
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


# silence "unused" for names other modules import from here
_ = (get_xp, device_of)
