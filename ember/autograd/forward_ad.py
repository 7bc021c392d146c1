"""Forward-mode AD: dual tensors carry a tangent, and every op call propagates it (a JVP).

    >>> import ember.autograd.forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     y = fwAD.make_dual(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 0.0])) ** 2
    ...     fwAD.unpack_dual(y).tangent
    tensor([2., 0.])

While a level is active the registry's ``HOOKS.after_op`` observer calls ``_after_op`` after
every op; with no level it is None and forward AD costs nothing. Tangents live on tensors as
``_fw_grads = {level key: tangent}``.

No op has a hand-written JVP. An op's VJP rules are linear in ``grad``, so the JVP is the
transpose of a transpose: ``J t = d/dg <vjp(g), t>``, one more backward through the rules
(``_generic``). Three shortcuts are exact and cheaper: an op linear in its float inputs (every
view op, add, sum, cat ...) applied to the tangents, which also makes the tangent of a view a
view of its input's tangent as in torch; a multilinear op (mul, matmul, einsum ...) as the sum
over dual inputs of the op with that input replaced by its tangent; and an elementwise op on
real values, whose Jacobian is diagonal and so its own transpose: ``J t = vjp(t)``.

Limits (torch differs): one level at a time, as torch's Python API; an in-place op whose JVP
needs the value self had before the write (``x.mul_(dual)``, ``dual.sin_()``) raises unless the
registry hands that value to the hook (``old=``); forward-over-reverse sees the tangents of
outputs that rules read only when the backward builds a graph (``create_graph=True``).
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

from .grad_mode import STATE, _DecoratorContextManager, enable_grad, no_grad

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]  # fmt: skip

_current_level = -1
_KEY = None  # the active level's key: a fresh object per level, so stale tangents never match
_LIVE = None  # the tensors holding a tangent at the active level (cleared on exit)
_chained = None  # the observer that was installed before the level (the JIT tracer), kept on

# Ops linear in the listed inputs (None: all of them): the JVP is the op applied to the
# tangents, zeros (0 for numbers) where an input has none. Every view op is one (input 0).
_LINEAR = {
    "add": None, "sub": None, "rsub": None, "neg": None, "clone": None, "sum": None,
    "mean": None, "cumsum": None, "cat": None, "stack": None, "flip": None, "roll": None,
    "repeat": None, "_unsafe_view": None, "_copy": None, "_fill": None, "_to_dtype": None,
    "_index": None, "index_select": None, "gather": None, "take": None, "masked_select": None,
    "where": (1, 2), "masked_fill": (0, 2), "index_put": (0, 1),
}  # fmt: skip
# Ops linear in each input separately: J t = sum_i op(..., t_i, ...).
_MULTILINEAR = frozenset({"mul", "mm", "bmm", "matmul", "mv", "dot", "einsum"})
_SHORTCUTS = True  # tests turn the shortcuts off to check them against the generic JVP

_T = None  # ember's Tensor class, the registry's apply and hooks: bound on first use


def _bind():
    global _T, _apply, _HOOKS
    if _T is None:
        from .._tensor import Tensor
        from ..ops.registry import HOOKS, apply

        _T, _apply, _HOOKS = Tensor, apply, HOOKS


# -- levels -----------------------------------------------------------------------------------


def enter_dual_level():
    """Enter a new forward-AD level and return it (0: levels do not nest, as in torch)."""
    global _current_level, _KEY, _LIVE, _chained
    _bind()
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level = 0
    _KEY = object()
    _LIVE = weakref.WeakValueDictionary()
    _chained = _HOOKS.after_op
    _HOOKS.after_op = _after_op
    return _current_level


def exit_dual_level(*, level=None):
    """Leave the level: every tangent made at it is deleted."""
    global _current_level, _KEY, _LIVE, _chained
    if level is None:
        level = _current_level
    if level != _current_level:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. This "
            "is not supported."
        )
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    _HOOKS.after_op = _chained
    key, live = _KEY, _LIVE
    _current_level, _KEY, _LIVE, _chained = -1, None, None, None
    for t in list(live.values()):
        d = t.__dict__.get("_fw_grads")
        if d is not None:
            d.pop(key, None)
            if not d:
                del t._fw_grads


class dual_level(_DecoratorContextManager):
    """Context manager (or decorator) for a forward-AD level: tangents exist inside it only.

    >>> with dual_level():
    ...     inp = make_dual(ember.tensor([1.0, 2.0]), ember.ones(2))
    ...     unpack_dual(inp.exp()).tangent
    tensor([2.7183, 7.3891])
    """

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, traceback):
        exit_dual_level()


# -- dual tensors -----------------------------------------------------------------------------


class UnpackedDualTensor(NamedTuple):
    """What :func:`unpack_dual` returns: the primal and its tangent (None when it has none)."""

    primal: object
    tangent: object


def make_dual(tensor, tangent, *, level=None):
    """A view of ``tensor`` carrying ``tangent`` (kept as it is when laid out like ``tensor``,
    copied into its layout otherwise).

    >>> with dual_level():
    ...     x = make_dual(ember.ones(2), ember.tensor([1.0, 2.0]))
    """
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
            "enter_dual_level() first."
        )
    if _current_level < 0:
        raise RuntimeError(
            "Trying to access a forward AD level with an invalid index. This index was either "
            "not created or is already deleted."
        )
    if level != _current_level:
        raise RuntimeError("Invalid level given to _make_dual")
    key = _KEY
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}"
        )
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(
            f"Expected tangent to be floating point or complex, but got: {tangent.dtype}"
        )
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}."
        )
    if _tangent(tensor, key) is not None:
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the "
            f"same level {level} is not supported."
        )
    with _quiet():
        dual = tensor.view(tensor.shape)  # torch's make_dual is a view (ViewBackward0)
        if tangent.stride() != tensor.stride():
            tangent = _like_layout(tangent, tensor)
    _set(dual, key, tangent)
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of a dual tensor: the primal a view of ``tensor`` without the
    tangent, the tangent as stored (None for a tensor that has none).

    >>> v = ember.ones(2)
    >>> with dual_level():
    ...     p, t = unpack_dual(make_dual(ember.zeros(2), v))
    >>> t is v
    True
    """
    if level is None:
        level = _current_level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    _bind()
    t = _tangent(tensor, _KEY) if _current_level >= 0 else None
    if t is not None and level != _current_level:
        raise RuntimeError("Invalid level given to _fw_primal")
    with _quiet():
        primal = tensor.view(tensor.shape)
    return UnpackedDualTensor(primal, t)


# -- tangent storage --------------------------------------------------------------------------


def _tangent(t, key):
    """The tangent of ``t`` at the level with ``key``: its own; else, for a view made before
    its base got one (an in-place write into the base), the same view of the base's tangent;
    else, for an output a rule re-reads in backward, the tangent of the op's output."""
    d = t.__dict__.get("_fw_grads")
    if d is not None:
        g = d.get(key)
        if g is not None:
            return g
    base = t._base
    if base is not None:
        bd = base.__dict__.get("_fw_grads")
        if bd is not None and (bg := bd.get(key)) is not None:
            g = _view_of(bg, t, base, key)
            _set(t, key, g)
            return g
    fn = t._grad_fn
    if fn is not None:
        fo = getattr(fn, "_fw_out", None)
        if fo is not None and fo[0] is key and fn._out is not None:
            nr = t._output_nr
            if nr < len(fn._out) and fn._out[nr][0] is t._data:
                return fo[1][nr]
    return None


def _set(t, key, g):
    d = t.__dict__.get("_fw_grads")
    if d is None:
        d = t._fw_grads = {}
    d[key] = g
    _LIVE[id(t)] = t


def _view_of(bg, view, base, key):
    """``view``'s region of the base tangent ``bg``, as a view of it."""
    if bg.stride() != base.stride():
        with _quiet():
            bg = _like_layout(bg, base)
        _set(base, key, bg)
    shape, stride, offset = view._geom()
    with _quiet():
        return bg.as_strided(shape, stride, offset + bg.storage_offset())


def _like_layout(src, like):
    """A copy of ``src`` with the strides of ``like`` (a dense tensor); ``copy_`` keeps the
    copy differentiable when ``src`` requires grad."""
    from .._device import xp_of

    t = _T._wrap(xp_of(like._data).empty_like(like._data, dtype=src._data.dtype))
    t._device = like._device
    return t.copy_(src)


class _quiet:
    """Ops run inside without the hook: the tangent computation itself is not traced."""

    def __enter__(self):
        self.prev = _HOOKS.after_op
        _HOOKS.after_op = None

    def __exit__(self, *exc):
        _HOOKS.after_op = self.prev


# -- propagation ------------------------------------------------------------------------------


def _after_op(op, args, params, outs, inplace=False, old=None):
    if _chained is not None:
        _chained(op, args, params, outs, inplace=inplace)
    key = _KEY
    tans = None
    Tensor = _T
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            g = _tangent(a, key)
            if g is not None:
                if tans is None:
                    tans = [None] * len(args)
                tans[i] = g
    if tans is None:
        return
    if not any(o._data.dtype.kind in "fcV" for o in outs):
        return  # integer and bool results carry no tangent
    prev = _HOOKS.after_op
    _HOOKS.after_op = None
    try:
        if not op.differentiable or (op.vjp_all is None and op.vjp_each is None):
            if not inplace:
                return  # as torch: the result of a non-differentiable op carries no tangent
            new = [None]  # written in place into a dual (x.gt_(0)): its tangent becomes zero
        else:
            new = _jvp(op, args, params, outs, tans, inplace, old)
    finally:
        _HOOKS.after_op = prev
    if inplace:
        _write(outs[0], new[0], key)
        return
    for o, g in zip(outs, new):
        if g is not None and o._data.dtype.kind in "fcV":
            _set(o, key, g)
    fn = outs[0]._grad_fn
    if fn is not None and getattr(fn, "_out", None) is not None:
        fn._fw_out = (key, tuple(new))  # the rules re-read the outputs: keep their tangents


def _write(self, g, key):
    """An in-place op changed ``self``: its tangent changes in place too (seen by views)."""
    if self._data.dtype.kind not in "fcV":
        return
    t = _tangent(self, key)
    if t is None:
        base = self._base
        if base is not None:
            bt = _zeros_like(base)
            _set(base, key, bt)
            t = _tangent(self, key)
        else:
            t = _zeros_like(self)
            _set(self, key, t)
    if g is not None:
        t._data[...] = g._data
    else:
        t._data[...] = 0
    t._bump()


def _zeros_like(t):
    from .._device import xp_of

    z = _T._wrap(xp_of(t._data).zeros_like(t._data))  # keeps t's strides (dense layouts)
    z._device = t._device
    return z


def _jvp(op, args, params, outs, tans, inplace, old):
    """The tangent of each output (None where it has none)."""
    name = op.name
    if _SHORTCUTS and ((op.view and name != "as_strided") or name in _LINEAR):
        slots = _LINEAR.get(name) or range(len(args))
        new = list(args)
        for i in slots:
            new[i] = tans[i] if tans[i] is not None else _zero(args[i])
        return _outs(_apply(op, tuple(new), params), outs)
    if _SHORTCUTS and name in _MULTILINEAR:
        res = None
        for i, t in enumerate(tans):
            if t is None:
                continue
            new = list(args)
            new[i] = t
            if inplace and i != 0:
                new[0] = _old(op, old, args[0])
            r = _apply(op, tuple(new), params)
            res = r if res is None else res + r
        return _outs(res, outs)
    if inplace:
        op.analyse()
        if op.variadic or op.vjp_each is None:
            reads = op.reads if isinstance(op.reads, tuple) else (op.reads,)
        else:
            reads = op.reads_for(sum(1 << i for i, t in enumerate(tans) if t is not None))
        if reads and reads[0] == 2:
            args = (_old(op, old, args[0]),) + tuple(args[1:])
    if _SHORTCUTS and _is_elementwise(op) and _all_real(outs[0], tans):
        # a diagonal Jacobian is its own transpose: J t = vjp(t) (t broadcast to the output)
        res, out = None, outs[0]
        for rule, t in zip(op.vjp_each, tans):
            if t is not None:
                g = t if t._data.shape == out._data.shape else t.expand(out.shape)
                r = rule(g, out, *args, **params)
                if r is None:
                    continue
                if r._data.shape != out._data.shape:  # zeros_like(input): a constant rule
                    r = r.expand(out.shape)
                res = r if res is None else res + r
        return _outs(res, outs)
    return _generic(op, args, params, outs, tans)


_ELEMENTWISE_MODULES = frozenset({"ember.ops.elementwise", "ember.ops.pointwise",
                                  "ember.ops.special_ops"})  # fmt: skip
_ELEMENTWISE: dict = {}  # op -> whether it is elementwise with one rule per input


def _is_elementwise(op):
    """Ops of the elementwise modules (output element k depends on input elements k only):
    a per-op fact, computed once. The op sweep checks it (tests/test_forward_ad.py)."""
    e = _ELEMENTWISE.get(op)
    if e is None:
        e = _ELEMENTWISE[op] = (
            getattr(op.forward, "__module__", None) in _ELEMENTWISE_MODULES
            and op.vjp_each is not None
            and not (op.view or op.multi or op.variadic)
        )
    return e


def _all_real(out, tans):
    if out._data.dtype.kind not in "fV":
        return False
    return all(t is None or t._data.dtype.kind in "fV" for t in tans)


def _old(op, old, like):
    if old is None:
        raise RuntimeError(
            f"forward AD through the in-place {op.name}_ needs the value of self before the "
            f"write, which is gone; use the out-of-place {op.name} instead"
        )
    t = _T._wrap(old)
    t._device = like._device
    return t


def _zero(a):
    if isinstance(a, _T):
        return _zeros_like(a)
    if type(a) in (bool, int, float, complex):
        return type(a)(0)
    return a * 0 if hasattr(a, "dtype") else a


def _outs(res, outs):
    res = res if isinstance(res, tuple) else (res,)
    fixed = []
    for r, o in zip(res, outs):
        if r is not None and r._data.dtype != o._data.dtype:
            r = r.to(o.dtype)
        fixed.append(r)
    return fixed


def _generic(op, args, params, outs, tans):
    """``J t = d/dg sum_i <vjp_i(g), t_i>``: the rules are linear in ``g``; differentiate once
    more. With a graph wanted (a tangent or primal requires grad) the result keeps one."""
    from . import grad as _grad

    Tensor = _T
    create = STATE.grad and any(
        isinstance(a, Tensor) and a._requires_grad for a in list(args) + list(tans)
    )
    if not create:
        args = tuple(a.detach() if isinstance(a, Tensor) else a for a in args)
        outs_in = tuple(o.detach() for o in outs)
    else:
        outs_in = outs
    with enable_grad():
        gs = [_zeros_like(o).requires_grad_() if o._data.dtype.kind in "fcV" else None
              for o in outs]  # fmt: skip
        grad = tuple(gs) if len(outs) > 1 else gs[0]
        out = outs_in if (op.multi or len(outs) > 1) else outs_in[0]
        if op.vjp_all is not None:
            res = op.vjp_all(grad, out, *args, **params)
            res = res if type(res) is tuple else (res,)
        else:
            res = [r(grad, out, *args, **params) if t is not None else None
                   for r, t in zip(op.vjp_each, tans)]  # fmt: skip
        s = None
        for r, t in zip(res, tans):
            if isinstance(r, Tensor) and t is not None:
                term = _inner(r, t)
                s = term if s is None else s + term
    wrt = [g for g in gs if g is not None]
    got = None
    if s is not None and s._requires_grad:
        with enable_grad() if create else no_grad():
            got = _grad(s, wrt, allow_unused=True, create_graph=create)
    result, k = [], 0
    for o, g in zip(outs, gs):
        if g is None:
            result.append(None)
            continue
        r = got[k] if got is not None else None
        k += 1
        result.append(_zeros_like(o) if r is None else r)
    return result


def _inner(r, t):
    """Re <r, t>, the real inner product that torch's VJPs are adjoints for."""
    if r.is_complex() or t.is_complex():
        from .. import conj, real

        return real(conj(r) * t).sum()
    return (r * t).sum()
