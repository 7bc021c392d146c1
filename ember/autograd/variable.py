"""``Variable``: the pre-0.4 wrapper, today simply a Tensor (as ``torch.autograd.Variable``)."""

from __future__ import annotations

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        from .._tensor import Tensor

        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False)`` returns ``data`` (a Tensor) with that flag, as
    torch does since 0.4; ``isinstance(t, Variable)`` is True for every tensor."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        from .._creation import tensor
        from .._tensor import Tensor

        t = data if isinstance(data, Tensor) else tensor([] if data is None else data)
        if requires_grad:
            t.requires_grad_(True)
        return t
