"""Every primitive op, and the code that derives the public API from the op table.

From one registry entry come: the function ``ember.<name>``, the method ``Tensor.<name>``, the
in-place method ``Tensor.<name>_``. Composite functions (written from ops, no rule of their own)
are listed in COMPOSITES and installed the same way.
"""

from __future__ import annotations

from .._tensor import Tensor
from . import (  # noqa: F401  (registers the ops)
    conv,
    decomp,
    elementwise,
    fft_ops,
    index,
    linalg,
    misc,
    nn_ops,
    pointwise,
    random_ops,
    reduce,
    shape,
    sorting,
    special_ops,
)
from .registry import COMPOSITES, OPS, apply, apply_inplace

__all__ = ["OPS", "public", "install"]


def public(op):
    """The function users call: the op itself, or its torch-signature front end."""
    if op.parse is None:
        return op
    parse = op.parse

    def fn(*args, **kwargs):
        return apply(op, *parse(*args, **kwargs))

    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.__doc__
    fn.op = op
    return fn


def _method(fn, name):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = getattr(fn, "__doc__", None)
    return method


def _inplace(op):
    def method(self, *args, **kwargs):
        args, params = op.normalize((self,) + args, kwargs)
        return apply_inplace(op, args, params)

    method.__name__ = method.__qualname__ = op.name + "_"
    return method


_FUNCTION_ONLY = {"cat", "stack", "where"}
_METHOD_ONLY = {"view"}


def install(namespace: dict) -> None:
    """Put every op and composite on ``namespace`` (ember's) and on Tensor."""
    import importlib

    for op in OPS.values():
        name = op.name
        if op.namespace is not None:
            if not name.startswith("_"):
                module = importlib.import_module(f"ember.{op.namespace}")
                setattr(module, name, public(op))
            continue
        if name.startswith("_"):
            continue
        fn = public(op)
        if name not in _METHOD_ONLY:
            namespace[name] = fn
        if op.method and name not in _FUNCTION_ONLY:
            setattr(Tensor, name, _method(fn, name))
        if op.inplace:
            setattr(Tensor, name + "_", _inplace(op))
    for name, (fn, as_function, as_method) in COMPOSITES.items():
        if as_function:
            namespace[name] = fn
        if as_method:
            setattr(Tensor, name, _method(fn, name))
    Tensor.where = lambda self, condition, other: elementwise.where(condition, self, other)
    from . import operators

    operators.install(Tensor)
    index.install(Tensor)
    random_ops.install(Tensor)
    pointwise.install(Tensor)
    misc.install(Tensor)
