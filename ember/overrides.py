"""The ``__torch_function__`` protocol helpers (as ``torch.overrides``).

A function written by a user can let duck-typed arguments take over its implementation,
the way torch's Python functions do::

    def my_op(x):
        if has_torch_function_unary(x):
            return handle_torch_function(my_op, (x,), x)
        return x * 2

An argument "overrides" when its type defines ``__torch_function__`` (ember's own Tensor does
not, so plain tensors never dispatch and cost one attribute lookup).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable

__all__ = [
    "has_torch_function",
    "has_torch_function_unary",
    "has_torch_function_variadic",
    "handle_torch_function",
]


def _overrides(arg) -> bool:
    return getattr(type(arg), "__torch_function__", None) is not None


def has_torch_function(relevant_args: Iterable[Any]) -> bool:
    """True when any of ``relevant_args`` defines ``__torch_function__``.

    >>> class Duck:
    ...     @classmethod
    ...     def __torch_function__(cls, func, types, args=(), kwargs=None):
    ...         return "duck"
    >>> has_torch_function((ember.ones(1), Duck()))
    True
    """
    return any(_overrides(a) for a in relevant_args)


def has_torch_function_unary(arg: Any) -> bool:
    """``has_torch_function((arg,))`` for one argument."""
    return _overrides(arg)


def has_torch_function_variadic(*args: Any) -> bool:
    """``has_torch_function(args)`` with the arguments passed one by one."""
    return any(_overrides(a) for a in args)


def _overloaded_args(relevant_args: Iterable[Any]) -> list:
    """One argument per overriding type, subclasses before their bases, else left to right."""
    seen, ordered = set(), []
    for arg in relevant_args:
        t = type(arg)
        if t in seen or not _overrides(arg):
            continue
        seen.add(t)
        at = len(ordered)
        for i, other in enumerate(ordered):
            if issubclass(t, type(other)):
                at = i
                break
        ordered.insert(at, arg)
    return ordered


def handle_torch_function(
    public_api: Callable, relevant_args: Iterable[Any], *args: Any, **kwargs: Any
) -> Any:
    """Call the ``__torch_function__`` of the overriding arguments until one does not return
    ``NotImplemented``; TypeError when none implements ``public_api``.

    >>> class Duck:
    ...     @classmethod
    ...     def __torch_function__(cls, func, types, args=(), kwargs=None):
    ...         return f"{func.__name__} by Duck"
    >>> def double(x):
    ...     return handle_torch_function(double, (x,), x)
    >>> double(Duck())
    'double by Duck'
    """
    overloaded = _overloaded_args(relevant_args)
    types = tuple(type(a) for a in overloaded)
    for arg in overloaded:
        method = arg.__torch_function__
        if getattr(method, "__self__", None) is not type(arg):
            warnings.warn(
                "Defining your `__torch_function__ as a plain method is deprecated and will be "
                "an error in future, please define it as a classmethod.",
                DeprecationWarning,
                stacklevel=2,
            )
        result = method(public_api, types, args, kwargs)
        if result is not NotImplemented:
            return result
    name = getattr(public_api, "__module__", "") + "." + getattr(public_api, "__name__", "")
    raise TypeError(
        f"no implementation found for '{name}' on types that implement __torch_function__: "
        f"{[type(a) for a in overloaded]}"
    )
