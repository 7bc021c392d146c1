"""Parameters and buffers: tensors a Module registers (as ``torch.nn.parameter``).

>>> p = ember.nn.Parameter(ember.ones(2))
>>> p.requires_grad, isinstance(p, ember.Tensor)
(True, True)
"""

from __future__ import annotations

from .. import _dtype as D
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
        """Give the tensor ``shape`` (uninitialized values) and turn it into its final class."""
        from .._creation import empty

        dtype = self._dtype if dtype is None else dtype
        t = empty(*(shape if isinstance(shape, (tuple, list)) else (shape,)), dtype=dtype,
                  device=device or self._device)  # fmt: skip
        self._data, self._device = t._data, t._device
        self.__class__ = self.cls_to_become

    def __repr__(self, *, tensor_contents=None):
        return f"<{type(self).__name__}>"

    __str__ = __repr__


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter without shape yet (lazy modules materialize it on the first forward)."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .._creation import empty

        p = _new_param(cls, empty(0, device=device), requires_grad)
        p._dtype = dtype or D.get_default_dtype()
        return p

    def __deepcopy__(self, memo):
        p = type(self)(self._requires_grad, self._device, self._dtype)
        memo[id(self)] = p
        return p


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer without shape yet (lazy modules materialize it on the first forward)."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from .._creation import empty

        t = cls._wrap(empty(0, device=device)._data)
        t._requires_grad = requires_grad
        t._dtype = dtype or D.get_default_dtype()
        t._is_buffer, t._buffer_persistent = True, persistent
        return t

    def __deepcopy__(self, memo):
        b = type(self)(self._requires_grad, self._device, self._dtype)
        memo[id(self)] = b
        return b


def is_lazy(param) -> bool:
    """True for an uninitialized (lazy) parameter or buffer."""
    return isinstance(param, _Uninitialized)
