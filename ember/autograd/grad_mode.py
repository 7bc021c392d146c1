"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode.

One module-level flag read on every op call; the context managers flip it and restore it.
"""

from __future__ import annotations

import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]  # fmt: skip


class _State:
    __slots__ = ("grad", "inference")

    def __init__(self):
        self.grad = True
        self.inference = False


STATE = _State()


def is_grad_enabled() -> bool:
    """Whether ops record the graph now."""
    return STATE.grad


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _DecoratorContextManager:
    """A context manager that also decorates functions (and generator functions are not special)."""

    def __call__(self, fn):
        if isinstance(fn, type) and issubclass(fn, object) and not callable(fn):
            raise TypeError("grad mode decorators take a function")

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_DecoratorContextManager):
    """Turn off graph recording inside the block or the decorated function.

    >>> with no_grad():
    ...     y = x * 2          # y.requires_grad is False
    """

    def __enter__(self):
        self.prev = STATE.grad
        STATE.grad = False

    def __exit__(self, *exc):
        STATE.grad = self.prev
        return False


class enable_grad(_DecoratorContextManager):
    """Turn graph recording back on inside a no_grad block."""

    def __enter__(self):
        self.prev = STATE.grad
        STATE.grad = True

    def __exit__(self, *exc):
        STATE.grad = self.prev
        return False


class set_grad_enabled(_DecoratorContextManager):
    """Set grad mode to ``mode``: takes effect at once, and as a context manager restores it."""

    def __init__(self, mode: bool):
        self.prev = STATE.grad
        self.mode = bool(mode)
        STATE.grad = self.mode

    def __call__(self, fn):
        STATE.grad = self.prev  # as a decorator it must not change the mode at definition time
        return super().__call__(fn)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        STATE.grad = self.prev
        return False

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like no_grad, and tensors made inside are inference tensors (never usable in autograd)."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # used as @inference_mode without ()
            return cls()(mode)
        return super().__new__(cls)

    def __enter__(self):
        self.prev = (STATE.grad, STATE.inference)
        if self.mode:
            STATE.grad, STATE.inference = False, True
        else:
            STATE.inference = False

    def __exit__(self, *exc):
        STATE.grad, STATE.inference = self.prev
        return False

    def clone(self):
        return self.__class__(self.mode)
