"""Graph nodes (``grad_fn``): one per recorded op application, plus AccumulateGrad for leaves.

A node knows the edges to the nodes of its inputs (``next_functions``, pairs ``(node, output_nr)``
as torch), how to turn the gradients of its outputs into gradients of its inputs (``_apply``),
and its hooks. The engine (engine.py) walks nodes; it never looks inside an op.
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np

from .grad_mode import STATE

__all__ = ["Node", "OpNode", "AccumulateGrad", "CopySlices", "saved_tensors_hooks", "save_on_cpu",
           "disable_saved_tensors_hooks", "increment_version"]  # fmt: skip

_seq = itertools.count()
_LEAF_SEQ = 1 << 62  # AccumulateGrad nodes sort after every other node

_T = []  # the Tensor class, filled in by ember._tensor (graph.py is imported before it)

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)


class _Extras:
    """Features that cost only when on: saved-tensor hooks (a stack of (pack, unpack) pairs) and
    anomaly mode. ``on`` is the one flag the recording hot path reads."""

    __slots__ = ("on", "hooks", "hooks_disabled", "anomaly", "check_nan", "running")

    def __init__(self):
        self.on = False
        self.hooks = []
        self.hooks_disabled = None  # the error message while disable_saved_tensors_hooks is on
        self.anomaly = False
        self.check_nan = True
        self.running = None  # the node whose backward runs now (anomaly mode's "parent_")

    def update(self):
        self.on = bool(self.hooks) or self.anomaly


EXTRAS = _Extras()


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
    _call_undefined = False  # run even when no gradient reached it (custom Functions, as torch)

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


class PackedOpNode(OpNode):
    """An OpNode recorded under saved_tensors_hooks (``record_extras`` switches the class, so
    plain nodes pay nothing): its saved inputs and outputs are ``_Packed``, unpacked on use."""

    def _release(self):
        if not self._freed:
            self._freed = True
            self._had_saved = self._out is not None or any(type(s) is _Packed for s in self.saved)
            self.saved = tuple([None if type(s) is _Packed else s for s in self.saved])
            self._out = None

    def _apply(self, grads):
        if self._freed:
            return OpNode._apply(self, grads)
        packed = self.saved, self._out
        self.saved = tuple([s.unpack(self) if type(s) is _Packed else s for s in self.saved])
        if self._out is not None:  # in the form save_outputs gives, for OpNode._apply
            outs = [p.unpack(self, False) for p in self._out]
            self._out = [(t._data, t._ensure_vc(), t._version) for t in outs]
        try:
            return OpNode._apply(self, grads)
        finally:
            self.saved, self._out = packed


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
            _raise_modified(None, v, node, current=vc.v, shape=a.shape, dtype=a.dtype, nr=i)
        t = T._wrap(a)
        t._vc = vc
        if STATE.grad:
            t._grad_fn, t._requires_grad, t._output_nr = node, True, i
        res.append(t)
    return tuple(res) if node.num_outputs > 1 or node.op.multi else res[0]


def _raise_modified(t, saved_version, node, current=None, shape=None, dtype=None, nr=0):
    """torch's error for a saved tensor changed in place; ``t`` is None for a saved output
    ``nr`` of ``node`` (then current/shape/dtype describe it)."""
    from .._dtype import from_numpy_dtype

    if t is not None:
        current, shape, dt = t._version, tuple(t.shape), t.dtype
        fn, nr = t.grad_fn, t._output_nr
    else:
        dt, fn = from_numpy_dtype(dtype), node
    typ = {"float32": "FloatTensor", "float64": "DoubleTensor"}.get(dt.name, dt._tensor_type)
    of = "" if fn is None else f", which is output {nr} of {_op_name(fn)},"
    hint = (
        "Hint: the backtrace further above shows the operation that failed to compute its "
        "gradient. The variable in question was changed in there or anywhere later. Good luck!"
        if EXTRAS.anomaly
        else "Hint: enable anomaly detection to find the operation that failed to compute its "
        "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [torch.{typ} [{', '.join(map(str, shape))}]]{of} is at version {current}; "
        f"expected version {saved_version} instead. {hint}"
    )


def _op_name(fn) -> str:
    """A node's name as torch 2.13 prints it in this error: ``MulBackward0`` -> ``Mul``."""
    name = fn._display_name()
    i = name.rfind("Backward")
    if i > 0 and (name.endswith("Backward") or name[i + 8 :].isdigit()):
        return name[:i]
    return name


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the incoming gradient into ``variable.grad``."""

    def __init__(self, variable):
        # as torch's (sequence number UINT64_MAX): ready leaves run first, so a finished
        # gradient lands in .grad at once instead of waiting in a buffer until the end
        self._seq = _LEAF_SEQ + next(_seq)
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


def view_layouts(view):
    """How a view sits in its base's memory, in bytes (so views of another dtype, such as
    ``x.real`` of a complex base, work): base (shape, strides, dtype) and view (shape, strides,
    offset, dtype)."""
    from .._device import ptr

    b, v = view._base._data, view._data
    return (b.shape, b.strides, b.dtype), (v.shape, v.strides, ptr(v) - ptr(b), v.dtype)


class CopySlices(Node):
    """The grad_fn of a base after an in-place op wrote into one of its views.

    Backward: the gradient of the view region goes through the in-place op's own node; the
    rest of the base's gradient passes through unchanged.
    """

    def __init__(self, base_edge, base_layout, view_geom, fn, index=0):
        self._seq = next(_seq)
        self.fn = fn  # the in-place op's node; its input ``index`` is the view's old value
        self.index = index
        self.layout = base_layout  # (shape, strides, dtype) of the base, strides in bytes
        self.geom = view_geom  # (shape, strides, offset, dtype) of the view, in bytes
        nfs, meta = list(fn.next_functions), list(fn.in_meta)
        nfs[index] = base_edge
        meta[index] = (base_layout[0], base_layout[2])  # the others are fitted to fn's inputs
        self.next_functions, self.in_meta = tuple(nfs), tuple(meta)

    def name(self) -> str:
        return "torch::autograd::CopySlices"

    def _apply(self, grads):
        from .._tensor import Tensor

        g = grads[0]._data
        base_v, view_v = storage_views(g, self.layout, self.geom)
        base_v[...] = g
        res = list(self.fn._apply([Tensor._wrap(view_v.copy())]))
        k = self.index
        gv = res[k]
        view_v[...] = 0 if gv is None else _sum_to_array(gv._data, view_v.shape)
        res[k] = Tensor._wrap(base_v.copy())
        return tuple(res)

    def _release(self):
        self.fn._release()


def storage_views(like, layout, geom):
    """A zeroed scratch storage, and views of it laid out as a base and as one of its views
    (as ``view_layouts`` describes them): how a base and its view share memory, rebuilt for
    gradients."""
    from .._device import xp_of

    xp = xp_of(like)
    (bshape, bstrides, bdt), (vshape, vstrides, voff, vdt) = layout, geom

    def extent(shape, strides, offset, itemsize):
        if 0 in shape:
            return offset
        return offset + itemsize + sum((n - 1) * st for n, st in zip(shape, strides))

    size = max(extent(bshape, bstrides, 0, bdt.itemsize), extent(vshape, vstrides, voff,
                                                                 vdt.itemsize))  # fmt: skip
    buf = xp.zeros(max(size, 1), dtype=np.uint8)
    return _typed(xp, buf, bshape, bdt, 0, bstrides), _typed(xp, buf, vshape, vdt, voff, vstrides)


def _typed(xp, buf, shape, dtype, offset, strides):
    if xp is np:
        return np.ndarray(shape, dtype, buffer=buf, offset=offset, strides=strides)
    return xp.ndarray(shape, dtype, memptr=buf.data + offset, strides=strides)


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
        from .._tensor import Tensor

        g = grads[0]._data
        base_v, view_v = storage_views(g, self.layout, self.geom)
        if view_v.size and 0 in view_v.strides:
            # an expanded view repeats storage elements: their gradients add up
            _scatter_add(view_v, g, self.geom)
        else:
            view_v[...] = g
        return (Tensor._wrap(base_v.copy()),)


def _scatter_add(view_v, g, geom):
    """``view_v += g`` where ``view_v`` repeats memory (zero strides): one ``add.at`` on the
    storage's elements when the view's layout is in whole elements, else element by element."""
    from .._device import xp_of

    xp = xp_of(g)
    _, strides, offset, dt = geom
    isz = dt.itemsize
    base = view_v.base if view_v.base is not None else view_v
    if xp is np and offset % isz == 0 and all(st % isz == 0 for st in strides):
        flat = base[: base.size // isz * isz].view(dt)
        first = np.arange(flat.size)[offset // isz :]
        pos = np.lib.stride_tricks.as_strided(
            first, view_v.shape, [st // isz * 8 for st in strides]
        )
        np.add.at(flat, pos, g)
        return
    for idx in np.ndindex(*view_v.shape):
        view_v[idx] += g[idx]


# -- saved-tensor hooks -----------------------------------------------------------------------


class _Packed:
    """A tensor saved for backward through saved_tensors_hooks: what ``pack_hook`` returned, the
    ``unpack_hook`` to call, and the original's place in the graph, so that the unpacked tensor
    joins the same graph (double backward goes through it). No version check, as in torch."""

    __slots__ = ("value", "unpack_hook", "grad_fn", "output_nr", "accum", "requires_grad",
                 "is_output")  # fmt: skip

    def unpack(self, node, link_output=True):
        """The tensor ``unpack_hook`` gives, linked to the original's edge (or, for a saved
        output of ``node``, to ``node`` itself when ``link_output``)."""
        T = _T[0]
        r = self.unpack_hook(self.value)
        if not isinstance(r, T):
            raise TypeError(
                "Output of saved tensor unpack_hook expected to be a Tensor but got result of "
                f"type {type(r).__name__}"
            )
        t = T._wrap(r._data)
        t._device = r._device
        t._vc = r._ensure_vc()
        if self.is_output:
            if link_output:
                t._grad_fn, t._requires_grad, t._output_nr = node, True, self.output_nr
        elif self.requires_grad:
            t._grad_fn, t._output_nr, t._requires_grad = self.grad_fn, self.output_nr, True
            t._accum = self.accum
        return t


def pack(t, output_nr=None):
    """``t`` through the innermost pack hook (run under no_grad, as torch does)."""
    pack_hook, unpack_hook = EXTRAS.hooks[-1]
    p = _Packed()
    v = t._version
    prev = STATE.grad
    STATE.grad = False
    try:
        p.value = pack_hook(t)
    finally:
        STATE.grad = prev
    if t._version != v:
        raise RuntimeError(
            "A saved tensor pack hook is modifying its input in place. Tensors provided as input "
            "to pack hook cannot be modified by in-place operations as this can lead to "
            "unexpected side-effects. Please open an issue if you need to perform in-place "
            "operations on the input to a pack hook."
        )
    p.unpack_hook = unpack_hook
    p.is_output = output_nr is not None
    p.output_nr = output_nr if p.is_output else t._output_nr
    p.grad_fn = None if p.is_output else t._grad_fn
    p.requires_grad = t._requires_grad
    p.accum = t._accum if t._grad_fn is None and t._requires_grad else None
    return p


def record_extras(node, outs):
    """What the recording of ``node`` needs when saved-tensor hooks or anomaly mode are on."""
    if EXTRAS.hooks:
        T = _T[0]
        node.saved = tuple([pack(s) if isinstance(s, T) else s for s in node.saved])
        if node._out is not None:
            node._out = [pack(o, i) for i, o in enumerate(outs)]
        node._checks = None
        node.__class__ = PackedOpNode
    if EXTRAS.anomaly:
        store_stack(node)


class saved_tensors_hooks:
    """Within this context, every tensor saved for backward (by ops and by
    ``ctx.save_for_backward``) is stored as ``pack_hook(tensor)`` and given back as
    ``unpack_hook(packed)`` when backward needs it. Nested contexts: the innermost pair applies.

    >>> with ember.autograd.graph.saved_tensors_hooks(lambda t: t.numpy(force=True),
    ...                                               lambda a: ember.from_numpy(a)):
    ...     y = (x * x).sum()
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if EXTRAS.hooks_disabled is not None:
            raise RuntimeError(EXTRAS.hooks_disabled)
        EXTRAS.hooks.append((self.pack_hook, self.unpack_hook))
        EXTRAS.update()

    def __exit__(self, *exc):
        EXTRAS.hooks.pop()
        EXTRAS.update()
        return False


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept on the CPU and moved back to their device for backward (on the CPU
    this moves nothing)."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(t):
            return t.device, t.cpu()

        def unpack_from_cpu(packed):
            device, t = packed
            return t.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


class disable_saved_tensors_hooks:
    """Within this context, entering ``saved_tensors_hooks`` raises RuntimeError(error_message)."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        self.prev = EXTRAS.hooks_disabled
        EXTRAS.hooks_disabled = self.error_message

    def __exit__(self, *exc):
        EXTRAS.hooks_disabled = self.prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with disable_saved_tensors_hooks(self.error_message):
                return fn(*args, **kwargs)

        return wrapper


def increment_version(tensor) -> None:
    """Mark ``tensor`` (or each of an iterable of tensors) as modified in place, for changes
    autograd cannot see (writes through ``.numpy()``, say)."""
    T = _T[0]
    for t in (tensor,) if isinstance(tensor, T) else tensor:
        if not t._is_inference:
            t._bump()


# -- anomaly mode -----------------------------------------------------------------------------

_PKG = __file__.rsplit("/autograd/", 1)[0] + "/"


def store_stack(node):
    """Keep where ``node`` was made (user frames only) and, when it was made by the backward of
    another node, that node: anomaly mode prints both when the backward of ``node`` fails."""
    import traceback

    frames = [f for f in traceback.extract_stack()[:-1] if not f.filename.startswith(_PKG)]
    md = node.metadata
    md["traceback_"] = traceback.format_list(frames)
    if EXTRAS.running is not None:
        md["parent_"] = EXTRAS.running


def print_stack(node):
    """torch's warnings for a failed backward under anomaly mode: where ``node`` (and the nodes
    whose backward created it) were made."""
    import warnings

    name = node.name()
    stack = node.metadata.get("traceback_")
    if stack is None:
        warnings.warn(
            f"Error detected in {name}. No forward pass information available. Enable detect "
            "anomaly during forward pass for more information.",
            stacklevel=3,
        )
        return
    warnings.warn(
        f"Error detected in {name}. Traceback of forward call that caused the error:\n"
        + "".join(stack),
        stacklevel=3,
    )
    parent = node.metadata.get("parent_")
    while parent is not None:
        warnings.warn(
            f"\n\nPrevious calculation was induced by {parent.name()}. Traceback of forward call "
            "that induced the previous calculation:\n"
            + "".join(parent.metadata.get("traceback_", ())),
            stacklevel=3,
        )
        parent = parent.metadata.get("parent_")
