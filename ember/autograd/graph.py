"""Graph nodes (``grad_fn``): one per recorded op application, plus AccumulateGrad for leaves.

A node knows the edges to the nodes of its inputs (``next_functions``, pairs ``(node, output_nr)``
as torch), how to turn the gradients of its outputs into gradients of its inputs (``_apply``),
and its hooks. The engine (engine.py) walks nodes; it never looks inside an op.
"""

from __future__ import annotations

import itertools
import weakref

from .grad_mode import STATE

__all__ = ["Node", "OpNode", "AccumulateGrad", "CopySlices"]

_seq = itertools.count()

_T = []  # the Tensor class, filled in by ember._tensor (graph.py is imported before it)

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)


class _RemovableHandle:
    __slots__ = ("_list", "_item")

    def __init__(self, lst, item):
        self._list, self._item = lst, item

    def remove(self):
        try:
            self._list.remove(self._item)
        except ValueError:
            pass


class Node:
    """Base of every grad_fn. Subclasses set ``next_functions`` and implement ``_apply``."""

    next_functions: tuple = ()
    _pre_hooks = None  # node pre-hooks: fn(grad_outputs) -> new grad_outputs or None
    _post_hooks = None  # node hooks: fn(grad_inputs, grad_outputs) -> new grad_inputs or None
    _tensor_hooks = None  # {output_nr: [fn(grad) -> grad or None]} for non-leaf tensors
    _retain = None  # {output_nr: weakref to a tensor that retains its grad}
    num_outputs = 1
    in_meta = None  # per input (shape, numpy dtype) the engine fits gradients to
    out_meta = None  # per output (shape, dtype), for materializing zeros
    _hooked = False  # any hook or retain_grad: the engine takes its slow path for this node

    def __init__(self):
        self._seq = next(_seq)

    def name(self) -> str:
        return type(self).__name__

    @property
    def metadata(self) -> dict:
        d = self.__dict__.get("_metadata")
        if d is None:
            d = self._metadata = {}
        return d

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node; may return new grad_inputs."""
        self._hooked = True
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(fn)
        return _RemovableHandle(self._post_hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; may return new grad_outputs."""
        self._hooked = True
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        return _RemovableHandle(self._pre_hooks, fn)

    def _add_tensor_hook(self, nr, fn):
        self._hooked = True
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        lst = self._tensor_hooks.setdefault(nr, [])
        lst.append(fn)
        return _RemovableHandle(lst, fn)

    def _release(self):
        pass

    def __call__(self, *grads):
        return self._apply(list(grads))

    def _display_name(self) -> str:
        # name() gives torch's C++ names ("torch::autograd::CopySlices"); prints use the class part
        return self.name().rsplit("::", 1)[-1]

    def __repr__(self) -> str:
        return f"<{self._display_name()} object at {hex(id(self))}>"


class OpNode(Node):
    """The grad_fn of one op call: saved inputs (only those the rule reads), params, metadata."""

    _name = None  # set when the op's grad_fn name depends on the call (PowBackward0/1/2)
    _out = None  # the saved outputs (save_outputs) when the rules read them
    _checks = None  # (tensor, version at save) pairs checked before the rules run
    _freed = False
    _had_saved = False

    def __init__(self, op, saved, params, next_functions, in_meta):
        self._seq = next(_seq)
        self.op = op
        self.saved = saved  # inputs the rules read (Tensor, scalar or None), None once freed
        self.params = params
        self.next_functions = next_functions
        self.in_meta = in_meta  # per input: (shape, numpy dtype), or None when it takes no grad

    def name(self) -> str:
        return self._name or self.op.grad_name

    def _release(self):
        # frees the saved tensors; metadata and scalars stay (torch keeps sizes too)
        if not self._freed:
            self._freed = True
            if self._checks is not None or self._out is not None:
                self._had_saved = True
                self.saved = tuple([None if isinstance(s, _T[0]) else s for s in self.saved])
                self._out = self._checks = None

    def _apply(self, grads):
        if self._freed and self._had_saved:
            raise RuntimeError(_FREED)
        saved = self.saved
        out = None
        if not self._freed:
            if self._checks is not None:
                for t, v in self._checks:
                    if t._version != v:
                        _raise_modified(t, v, self)
            if self._out is not None:
                out = _unpack_outputs(self._out, self)
        op = self.op
        grad = grads[0] if self.num_outputs == 1 else tuple(grads)
        params = self.params
        if op.vjp_all is not None:
            res = op.vjp_all(grad, out, *saved, **params)
            return res if type(res) is tuple else (res,)
        rules = op.vjp_each
        nfs = self.next_functions
        res = [None] * len(nfs)
        for i in range(len(rules)):
            if nfs[i][0] is not None:
                res[i] = rules[i](grad, out, *saved, **params)
        return res


class SavedMeta:
    """What is kept of an input whose rule reads only its metadata (``x.shape``): the shape,
    dtype and device, not the values, so its memory is freed and in-place changes are fine."""

    __slots__ = ("_shape", "_np", "device", "_strides")

    def __init__(self, t):
        a = t._data
        self._shape, self._np, self.device = a.shape, a.dtype, t._device
        self._strides = None if a.flags.c_contiguous else a.strides

    def stride(self, d=None):
        if self._strides is None:
            from .._tensor import _c_strides

            st = _c_strides(self._shape)
        else:
            st = tuple(s // self._np.itemsize for s in self._strides)
        return st if d is None else st[d]

    def is_contiguous(self) -> bool:
        return self._strides is None

    @property
    def shape(self):
        from .._tensor import Size

        return Size(self._shape)

    @property
    def dtype(self):
        from .._dtype import from_numpy_dtype

        return from_numpy_dtype(self._np)

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def dim(self) -> int:
        return len(self._shape)

    def size(self, d=None):
        return self.shape if d is None else self._shape[d]

    def numel(self) -> int:
        n = 1
        for s in self._shape:
            n *= s
        return n

    def is_complex(self) -> bool:
        return self._np.kind == "c"

    def is_floating_point(self) -> bool:
        return self._np.kind in "fV"


def save_outputs(outs):
    """An op's outputs saved for its own backward: (array, version counter, version) each. The
    array, not the tensor, so that a tensor and its grad_fn do not keep each other alive."""
    res = []
    for o in outs:
        vc = o._vc
        if vc is None:
            vc = o._ensure_vc()
        res.append((o._data, vc, vc.v))
    return res


def _unpack_outputs(saved, node):
    """Rebuild the outputs; under create_graph their grad_fn is the node itself, so double
    backward sees how the output depends on the inputs."""
    T = _T[0]
    res = []
    for i, (a, vc, v) in enumerate(saved):
        if vc.v != v:
            _raise_modified(None, v, node, current=vc.v, shape=a.shape, dtype=a.dtype)
        t = T._wrap(a)
        t._vc = vc
        if STATE.grad:
            t._grad_fn, t._requires_grad, t._output_nr = node, True, i
        res.append(t)
    return tuple(res) if node.num_outputs > 1 or node.op.multi else res[0]


def _raise_modified(t, saved_version, node, current=None, shape=None, dtype=None):
    from .._dtype import from_numpy_dtype

    if t is not None:
        current, shape, dt = t._version, tuple(t.shape), t.dtype
    else:
        dt = from_numpy_dtype(dtype)
    typ = {"float32": "FloatTensor", "float64": "DoubleTensor"}.get(dt.name, dt._tensor_type)
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [torch.{typ} [{', '.join(map(str, shape))}]], which is output 0 of "
        f"{node.name()}, is at version {current}; expected version {saved_version} instead. "
        "Hint: enable anomaly detection to find the operation that failed to compute its "
        "gradient, with torch.autograd.set_detect_anomaly(True)."
    )


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the incoming gradient into ``variable.grad``."""

    def __init__(self, variable):
        self._seq = next(_seq)
        self._var = weakref.ref(variable)

    @property
    def variable(self):
        return self._var()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"  # torch's own string: user code compares it

    def _apply(self, grads):
        t = self._var()
        g = grads[0]
        if t is None or g is None:
            return ()
        accumulate_into(t, g)
        return ()


def accumulate_into(t, g):
    """``t.grad += g``, out of place when building a graph (create_graph), in place otherwise."""
    old = t._grad
    if old is None:
        if not STATE.grad:
            g = g.detach()
            if g._base is not None or not g._data.flags.c_contiguous and g.ndim > 1:
                g = g.clone()
        t._grad = g
    elif STATE.grad:
        t._grad = old + g
    else:
        old._data += g._data
        old._bump()


class CopySlices(Node):
    """The grad_fn of a base after an in-place op wrote into one of its views.

    Backward: the gradient of the view region goes through the in-place op's own node; the
    rest of the base's gradient passes through unchanged.
    """

    def __init__(self, base_edge, base_layout, view_geom, fn, base_dtype):
        self._seq = next(_seq)
        self.fn = fn  # the in-place op's node; its input 0 is the view's old value
        self.layout = base_layout  # (shape, strides) of the base, in elements
        self.geom = view_geom  # (shape, strides, offset) of the view, in elements
        self.next_functions = (base_edge,) + tuple(fn.next_functions[1:])
        # the op's other inputs get their gradients fitted to them, the base to the base
        self.in_meta = ((base_layout[0], base_dtype),) + tuple(fn.in_meta[1:])

    def name(self) -> str:
        return "torch::autograd::CopySlices"

    def _apply(self, grads):
        from .._tensor import Tensor

        g = grads[0]._data
        buf, base_v, view_v = storage_views(g, self.layout, self.geom)
        base_v[...] = g
        res = self.fn._apply([Tensor._wrap(view_v.copy())])
        g0 = res[0]
        view_v[...] = 0 if g0 is None else _sum_to_array(g0._data, view_v.shape)
        return (Tensor._wrap(base_v.copy()),) + tuple(res[1:])

    def _release(self):
        self.fn._release()


def storage_views(like, layout, geom):
    """A zeroed scratch storage, and views of it laid out as a base and as one of its views.

    ``layout`` is the base's (shape, strides) and ``geom`` the view's (shape, strides, offset),
    all in elements; this is how a base and its view share memory, rebuilt for gradients."""
    from .._device import xp_of

    xp = xp_of(like)
    (bshape, bstrides), (vshape, vstrides, voff) = layout, geom
    extent = 1 + sum((n - 1) * s for n, s in zip(bshape, bstrides) if n > 0)
    extent = max(extent, 1 + voff + sum((n - 1) * s for n, s in zip(vshape, vstrides) if n > 0))
    buf = xp.zeros(extent, dtype=like.dtype)
    it = buf.itemsize
    as_strided = xp.lib.stride_tricks.as_strided
    base_v = as_strided(buf, bshape, tuple(s * it for s in bstrides))
    view_v = as_strided(buf[voff:], vshape, tuple(s * it for s in vstrides))
    return buf, base_v, view_v


def _sum_to_array(a, shape):
    if a.shape == tuple(shape):
        return a
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and a.shape[i + lead] != 1
    )
    return a.sum(axis=axes, keepdims=True).reshape(shape)


class ViewReplay(Node):
    """grad_fn of a view whose base has a new history (it was changed in place): the view's
    gradient scattered into a base-shaped zero gradient. torch prints AsStridedBackward0."""

    def __init__(self, base_edge, base_layout, view_geom):
        self._seq = next(_seq)
        self.next_functions = (base_edge,)
        self.layout, self.geom = base_layout, view_geom

    def name(self) -> str:
        return "AsStridedBackward0"

    def _apply(self, grads):
        from .._device import xp_of
        from .._tensor import Tensor

        g = grads[0]._data
        xp = xp_of(g)
        buf, base_v, view_v = storage_views(g, self.layout, self.geom)
        # positions of the view's elements in storage; expanded views repeat positions, so add
        vshape, vstrides, voff = self.geom
        pos = xp.arange(buf.size)
        pos = xp.lib.stride_tricks.as_strided(
            pos[voff:], vshape, tuple(s * pos.itemsize for s in vstrides)
        )
        xp.add.at(buf, pos, g)
        return (Tensor._wrap(base_v.copy()),)
