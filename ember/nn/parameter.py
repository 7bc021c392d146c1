"""Parameters and buffers: tensors a Module registers (as ``torch.nn.parameter``).

>>> p = ember.nn.Parameter(ember.ones(2))
>>> p.requires_grad, isinstance(p, ember.Tensor)
(True, True)
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer",
           "is_lazy"]  # fmt: skip


def _new_param(cls, data, requires_grad):
    if data is None:
        from .._creation import empty

        data = empty(0)
    p = cls._wrap(data._data)
    p._device = data._device
    p._vc = data._ensure_vc()  # shares memory and version with data, as torch's alias
    p._requires_grad = bool(requires_grad)
    return p


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigned as a Module attribute, it is registered.

    >>> ember.nn.Parameter(ember.zeros(1))
    Parameter containing:
    tensor([0.], requires_grad=True)
    """

    def __new__(cls, data=None, requires_grad=True):
        return _new_param(cls, data, requires_grad)

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self, *, tensor_contents=None):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild_param, (self.detach(), self._requires_grad))


def _rebuild_param(data, requires_grad):
    return Parameter(data, requires_grad)


class _BufferMeta(type):
    def __instancecheck__(cls, inst):
        return isinstance(inst, Tensor) and inst.__dict__.get("_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute.

    >>> m = ember.nn.Module(); m.b = ember.nn.Buffer(ember.zeros(1)); list(m.buffers())
    [tensor([0.])]
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .._creation import empty

            data = empty(0)
        t = data.detach() if type(data) is Tensor else data
        if t is data:
            t = Tensor._wrap(data._data)
            t._device, t._vc = data._device, data._ensure_vc()
        t._requires_grad = data._requires_grad
        t._is_buffer, t._buffer_persistent = True, persistent
        return t


class _NoData(np.ndarray):
    """The empty array an uninitialized tensor holds: NumPy math on it raises torch's error, so
    a lazy parameter used before the first forward fails loudly instead of computing on ``[]``.
    Casts (``astype``, ``.to(dtype)``) still work, as torch allows ``.to``/``.double()``."""

    def __array_finalize__(self, obj):
        self.owner = getattr(obj, "owner", "UninitializedParameter")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise ValueError(_use_error(f"<ufunc {ufunc.__name__!r}>", self.owner))

    def __array_function__(self, func, types, args, kwargs):
        if func is np.copyto:
            return super().__array_function__(func, types, args, kwargs)
        raise ValueError(_use_error(f"<function {func.__name__}>", self.owner))

    def _refuse(self, name):
        raise ValueError(_use_error(f"<method {name!r}>", self.owner))

    # the ndarray methods view ops reach for (they bypass the two hooks above)
    T = property(lambda self: self._refuse("T"))
    mT = property(lambda self: self._refuse("mT"))
    transpose = lambda self, *a: self._refuse("transpose")  # noqa: E731
    swapaxes = lambda self, *a: self._refuse("swapaxes")  # noqa: E731
    reshape = lambda self, *a, **k: self._refuse("reshape")  # noqa: E731
    __getitem__ = lambda self, key: self._refuse("__getitem__")  # noqa: E731
    __setitem__ = lambda self, key, value: self._refuse("__setitem__")  # noqa: E731


def _use_error(func, owner):
    return (
        f"Attempted to use an uninitialized parameter in {func}. This error happens when you "
        f"are using a `LazyModule` or explicitly manipulating `torch.nn.parameter.{owner}` "
        "objects. When using LazyModules Call `forward` with a dummy batch to initialize the "
        "parameters before calling torch functions"
    )


def _new_uninitialized(cls, device, dtype):
    """A new ``cls`` instance holding (0,)-shaped data that refuses math."""
    from .._creation import empty

    t = empty(0, device=device, dtype=dtype)
    data = t._data
    if type(data) is np.ndarray:  # CuPy arrays stay as they are
        data = data.view(_NoData)
        data.owner = cls.__name__
    out = cls._wrap(data)
    out._device = t._device
    return out


class _Uninitialized:
    """Mixin of lazy tensors: no data until ``materialize(shape)``."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        pass

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes."
        )

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor ``shape`` (uninitialized values) and turn it into its final class;
        device and dtype default to the current ones (so ``.double()`` before it counts)."""
        from .._creation import empty

        dtype = self.dtype if dtype is None else dtype
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        t = empty(shape, dtype=dtype, device=device or self._device)
        self._data, self._device = t._data, t._device
        self.__class__ = self.cls_to_become

    def to(self, *args, **kwargs):
        """Cast or move: torch keeps the tensor uninitialized (``lazy.double()`` before the
        first forward gives float64 parameters)."""
        t = super().to(*args, **kwargs)
        if t is self:
            return self
        out = _new_uninitialized(type(self), t._device, t.dtype)
        out._requires_grad = self._requires_grad
        if "_is_buffer" in self.__dict__:
            out._is_buffer, out._buffer_persistent = True, self._buffer_persistent
        return out

    def requires_grad_(self, requires_grad=True):
        raise ValueError(_use_error("<method 'requires_grad_'>", type(self).__name__))

    def copy_(self, src, non_blocking=False):
        # torch allows copy_ between two uninitialized tensors: a no-op on empty data
        if is_lazy(src):
            return self
        return super().copy_(src, non_blocking)

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`."
        )

    def __repr__(self, *, tensor_contents=None):
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (type(self), (self._requires_grad,))


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter without shape yet (lazy modules materialize it on the first forward)."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        p = _new_uninitialized(cls, device, dtype)
        p._requires_grad = bool(requires_grad)
        return p

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = type(self)(self._requires_grad, self._device, self.dtype)
        memo[id(self)] = p
        return p


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer without shape yet (lazy modules materialize it on the first forward)."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        t = _new_uninitialized(cls, device, dtype)
        t._requires_grad = requires_grad
        t._is_buffer, t._buffer_persistent = True, persistent
        return t

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        b = type(self)(self._requires_grad, self._device, self.dtype,
                       self._buffer_persistent)  # fmt: skip
        memo[id(self)] = b
        return b


def is_lazy(param) -> bool:
    """True for an uninitialized (lazy) parameter or buffer."""
    return isinstance(param, _Uninitialized)
