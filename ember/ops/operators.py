"""Python operators on Tensor, each a call to an op (``x + y`` is ``add(x, y)``)."""

from __future__ import annotations

import numbers

import numpy as np

from .._tensor import Tensor
from . import elementwise as E

_OPERANDS = (Tensor, numbers.Number, np.generic)


_NUMBERS = frozenset({int, float, bool, complex})


def _operand(other):
    """``other`` as an operand: tensors and numbers as they are, NumPy arrays as tensors
    (torch converts them), anything else None (the operator returns NotImplemented)."""
    if type(other) in _NUMBERS or isinstance(other, _OPERANDS):
        return other
    if isinstance(other, np.ndarray):
        from .._creation import as_tensor

        return as_tensor(other)
    return None


def _binary(fn, reflected=False):
    if reflected:

        def method(self, other):
            if type(other) is not Tensor:
                other = _operand(other)
                if other is None:
                    return NotImplemented
            return fn(other, self)

    else:

        def method(self, other):
            if type(other) is not Tensor:
                other = _operand(other)
                if other is None:
                    return NotImplemented
            return fn(self, other)

    return method


def _tensor_only(fn, reflected=False):
    def method(self, other):
        if not isinstance(other, Tensor):
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)

    return method


def _invert(self):
    if self.dtype.category > 1:
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return E.bitwise_not(self)


def _inplace(name):
    def method(self, other):
        return getattr(self, name)(other)

    return method


def _rtruediv(self, other):
    other = _operand(other)
    if other is None:
        return NotImplemented
    return E.reciprocal(self) * other  # torch's __rdiv__: grad_fn is MulBackward0


def _rsub(self, other):
    other = _operand(other)
    if other is None:
        return NotImplemented
    return E.rsub(self, other)


def _rpow(self, other):
    other = _operand(other)
    if other is None:
        return NotImplemented
    return E.pow(other, self)


def install(T) -> None:
    from . import linalg

    T.__add__ = _binary(E.add)
    T.__radd__ = _binary(E.add, reflected=True)
    T.__iadd__ = _inplace("add_")
    T.__sub__ = _binary(E.sub)
    T.__rsub__ = _rsub
    T.__isub__ = _inplace("sub_")
    T.__mul__ = _binary(E.mul)
    T.__rmul__ = _binary(E.mul, reflected=True)
    T.__imul__ = _inplace("mul_")
    T.__truediv__ = _binary(E.div)
    T.__rtruediv__ = _rtruediv
    T.__itruediv__ = _inplace("div_")
    T.__floordiv__ = _binary(E.floor_divide)
    T.__rfloordiv__ = _binary(E.floor_divide, reflected=True)
    T.__ifloordiv__ = _inplace("floor_divide_")
    T.__mod__ = _binary(E.remainder)
    T.__rmod__ = _binary(E.remainder, reflected=True)
    T.__imod__ = _inplace("remainder_")
    T.__pow__ = _binary(E.pow)
    T.__rpow__ = _rpow
    T.__ipow__ = _inplace("pow_")
    T.__matmul__ = _tensor_only(linalg.matmul)
    T.__rmatmul__ = _tensor_only(linalg.matmul, reflected=True)
    T.__and__ = _binary(E.bitwise_and)
    T.__rand__ = _binary(E.bitwise_and, reflected=True)
    T.__iand__ = _inplace("bitwise_and_")
    T.__or__ = _binary(E.bitwise_or)
    T.__ror__ = _binary(E.bitwise_or, reflected=True)
    T.__ior__ = _inplace("bitwise_or_")
    T.__xor__ = _binary(E.bitwise_xor)
    T.__rxor__ = _binary(E.bitwise_xor, reflected=True)
    T.__ixor__ = _inplace("bitwise_xor_")
    T.__lshift__ = _binary(E.bitwise_left_shift)
    T.__rshift__ = _binary(E.bitwise_right_shift)
    T.__rlshift__ = _binary(E.bitwise_left_shift, reflected=True)
    T.__rrshift__ = _binary(E.bitwise_right_shift, reflected=True)
    T.__ilshift__ = _inplace("bitwise_left_shift_")
    T.__irshift__ = _inplace("bitwise_right_shift_")
    T.__eq__ = _binary(E.eq)
    T.__ne__ = _binary(E.ne)
    T.__lt__ = _binary(E.lt)
    T.__le__ = _binary(E.le)
    T.__gt__ = _binary(E.gt)
    T.__ge__ = _binary(E.ge)
    T.__neg__ = E.neg
    T.__abs__ = E.abs
    T.__invert__ = _invert
    T.__pos__ = lambda self: self
    T.__hash__ = object.__hash__
