"""Custom autograd Functions: a forward you write and the backward that goes with it.

>>> class Exp(ember.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         y = x.exp()
...         ctx.save_for_backward(y)
...         return y
...
...     @staticmethod
...     def backward(ctx, grad):
...         (y,) = ctx.saved_tensors
...         return grad * y
>>> y = Exp.apply(x)           # y.grad_fn is an ExpBackward node

As in torch, the node (``<Name>Backward``, a subclass of :class:`BackwardCFunction`) is also the
``ctx`` the forward saw. The forward runs under no_grad; the backward runs with grad mode on only
under ``create_graph``, so a backward written in ember ops is itself differentiable.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import warnings

from .grad_mode import STATE
from .graph import (
    _FREED,
    _T,
    EXTRAS,
    CopySlices,
    Node,
    ViewReplay,
    _Packed,
    _raise_modified,
    view_layouts,
)
from .graph import pack as _pack
from .graph import store_stack as _store_stack

__all__ = ["FunctionCtx", "BackwardCFunction", "FunctionMeta", "Function", "once_differentiable",
           "InplaceFunction"]  # fmt: skip

_FUNCTION_IDS = itertools.count()


class FunctionCtx:
    """What ``forward``/``setup_context`` may call on ``ctx``."""

    def save_for_backward(self, *tensors):
        """Keep tensors (or None) for backward, read back as ``ctx.saved_tensors``; a tensor
        changed in place before then makes ``saved_tensors`` raise, as in torch."""
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        for t in tensors:
            if not (isinstance(t, _T[0]) or t is None):
                raise AssertionError(
                    "save_for_forward expects all arguments to be tensors; you should save "
                    "non-tensors as attributes on ctx."
                )
        self.saved_for_forward = tensors

    def mark_dirty(self, *args):
        """Inputs the forward modified in place (returned as outputs)."""
        self.dirty_tensors = args

    def mark_shared_storage(self, *pairs):
        warnings.warn(
            "`mark_shared_storage` is deprecated. Tensors with shared storages are automatically "
            "tracked. Note that calls to `set_()` are not tracked",
            FutureWarning,
            stacklevel=2,
        )

    def mark_non_differentiable(self, *args):
        """Outputs that take no gradient (backward still receives a zero gradient for them)."""
        self.non_differentiable = args

    def set_materialize_grads(self, value: bool):
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """The graph node of one ``Function.apply`` call, and the ``ctx`` its methods see."""

    _forward_cls = None
    materialize_grads = True
    needs_input_grad = ()
    to_save = None
    _saved = None  # entries: None, (tensor, version), (array, vc, version, nr, device), _Packed
    _saved_freed = False
    _out_info = ()  # per output: (shape, dtype, device) of a tensor output, else None
    _arg_slot = ()  # per forward argument: its index among the tensor inputs, or None
    _call_undefined = True  # torch calls a custom backward even when no gradient arrived
    __repr__ = object.__repr__  # <ember.autograd.function.MyFnBackward object at 0x...>

    def apply(self, *grads):
        """Call the user's backward (``grad_fn.apply(*grads)``, as torch)."""
        return _user_backward(self._forward_cls)(self, *grads)

    @property
    def saved_tensors(self):
        """The tensors given to ``save_for_backward``, checked for in-place changes."""
        if self._saved_freed:
            raise RuntimeError(_FREED)
        saved = self._saved
        if saved is None:
            return ()
        T = _T[0]
        res = []
        for s in saved:
            if s is None:
                res.append(None)
            elif type(s) is _Packed:
                res.append(s.unpack(self))
            elif len(s) == 2:
                t, v = s
                if t._version != v:
                    _raise_modified(t, v, self)
                res.append(t)
            else:
                a, vc, v, nr, dev = s
                if vc.v != v:
                    _raise_modified(None, v, self, vc.v, a.shape, a.dtype, nr)
                t = T._wrap(a)
                t._vc, t._device = vc, dev
                t._grad_fn, t._requires_grad, t._output_nr = self, True, nr
                res.append(t)
        return tuple(res)

    saved_variables = saved_tensors

    def _release(self):
        if not self._saved_freed:
            self._saved_freed = True
            self._saved = None

    def _apply(self, grads):
        T = _T[0]
        if self.materialize_grads:
            for i, g in enumerate(grads):
                info = self._out_info[i]
                if g is None and info is not None:
                    grads[i] = _zeros(*info)
        res = _user_backward(self._forward_cls)(self, *grads)
        if type(res) is not tuple:
            res = (res,)
        n = len(self._arg_slot)
        if len(res) != n:
            if len(res) > n and all(r is None for r in res[n:]):
                res = res[:n]
            else:
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {n}, got {len(res)})"
                )
        out = [None] * len(self.next_functions)
        for p, (g, k) in enumerate(zip(res, self._arg_slot)):
            if k is None:
                if g is not None:
                    raise RuntimeError(
                        f"function {self.name()} returned a gradient different than None at "
                        f"position {p + 1}, but the corresponding forward input was not a Variable"
                    )
                continue
            if g is None:
                continue
            if not isinstance(g, T):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
            if self.next_functions[k][0] is None:
                continue  # the input takes no gradient: torch drops it
            shape = self.in_meta[k][0]
            if g._data.shape != shape and not _expandable(shape, g._data.shape):
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {k} - got "
                    f"{list(g._data.shape)} but expected shape compatible with {list(shape)}"
                )
            out[k] = g
        return out


def _user_backward(cls):
    bw, vjp = cls.backward, cls.vjp
    base = _SingleLevelFunction.backward
    if bw is not base and vjp is not base:
        raise RuntimeError(
            "Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You "
            "should only implement one of them."
        )
    return vjp if vjp is not base else bw


def _expandable(shape, to):
    """Whether ``shape`` broadcasts to ``to`` (a gradient of shape ``to`` sums down to it)."""
    if len(shape) > len(to):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(to)))


def _zeros(shape, dtype, device):
    from .._creation import zeros

    return zeros(shape, dtype=dtype, device=device)


class FunctionMeta(type):
    """Gives each Function subclass its node class, ``<Name>Backward``."""

    def __init__(cls, name, bases, attrs):
        backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        backward_cls._autograd_function_id = next(_FUNCTION_IDS)
        cls._backward_cls = backward_cls
        super().__init__(name, bases, attrs)


class _SingleLevelFunction(FunctionCtx, metaclass=FunctionMeta):
    @staticmethod
    def forward(*args, **kwargs):
        """``forward(ctx, *args)``, or ``forward(*args)`` together with ``setup_context``."""
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        """``ctx`` set up from the inputs and output, for a forward that takes no ctx."""
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """One gradient per forward output in, one per forward input out (None where none)."""
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD."
        )


class Function(_SingleLevelFunction):
    """Base class of custom autograd Functions: subclass it with static ``forward`` and
    ``backward`` methods and call ``MyFn.apply(*args)`` (see the module docstring)."""

    generate_vmap_rule = False

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are all "
            "static, so you should invoke them on the class itself. Instantiating an autograd "
            "function will raise an error in a future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError(
            "To use autograd.Function with vmap, you must either override the vmap staticmethod "
            "or set generate_vmap_rule=True."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the forward and, when an input requires grad, record a ``<Name>Backward`` node."""
        setup = cls.setup_context is not _SingleLevelFunction.setup_context
        if setup:
            sig = cls.__dict__.get("_forward_signature")
            if sig is None:  # once per class: inspect is slow
                sig = cls._forward_signature = inspect.signature(cls.forward)
                cls._forward_plain = all(
                    p.kind is p.POSITIONAL_OR_KEYWORD for p in sig.parameters.values()
                )
            if kwargs or not (cls._forward_plain and len(args) == len(sig.parameters)):
                bound = sig.bind(*args, **kwargs)
                bound.apply_defaults()
                args, kwargs = bound.args, bound.kwargs
        return _apply(cls, setup, args, kwargs)


def _apply(cls, setup, args, kwargs):
    from .engine import edge_of

    T = _T[0]
    needs = tuple(isinstance(a, T) and a.requires_grad for a in args)
    executable = STATE.grad and any(needs)
    ctx = cls._backward_cls()
    ctx.needs_input_grad = needs
    if executable:  # the edges of the inputs as they are before the forward
        slots, edges, meta = [], [], []
        for a in args:
            if isinstance(a, T):
                slots.append(len(edges))
                e = edge_of(a) if a._requires_grad else None
                edges.append(e or (None, 0))
                meta.append((a._data.shape, a._data.dtype) if e else None)
            else:
                slots.append(None)
        ctx._arg_slot, ctx.next_functions, ctx.in_meta = tuple(slots), tuple(edges), meta
    prev = STATE.grad
    STATE.grad = False
    try:
        if setup:
            out = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args, **kwargs)
    finally:
        STATE.grad = prev
    return _outputs(ctx, args, out, executable)


def _outputs(ctx, args, out, executable):
    """torch's treatment of a Function's outputs: inputs returned come back as views, dirty
    inputs get the node as their history, non-differentiable ones none."""
    T = _T[0]
    single = type(out) is not tuple
    outs = [out] if single else list(out)
    inputs = {id(a) for a in args if isinstance(a, T)}
    dirty_tensors = ctx.__dict__.pop("dirty_tensors", ())
    for t in dirty_tensors:
        t._bump()
    dirty = {id(t) for t in dirty_tensors}
    nondiff = {id(t) for t in ctx.__dict__.pop("non_differentiable", ())}
    info = []
    for i, o in enumerate(outs):
        if not isinstance(o, T):
            info.append(None)
            continue
        info.append((o._data.shape, o.dtype, o._device))
        is_input, is_dirty = id(o) in inputs, id(o) in dirty
        if not (executable and id(o) not in nondiff and o._data.dtype.kind in "fcV"):
            if not o.requires_grad:
                if is_input and not is_dirty:
                    outs[i] = _alias(o)
            elif is_input:
                outs[i] = o.detach()
            elif o._base is None:
                o.detach_()
        elif is_dirty:
            _rebase(ctx, o, i, len(outs), is_input, args)
        else:
            if is_input:
                o = outs[i] = _alias(o)
            o._grad_fn, o._requires_grad, o._output_nr = ctx, True, i
    if not executable:
        ctx.__dict__.pop("to_save", None)
    else:
        _save(ctx, outs)
        ctx._out_info = info
        ctx.num_outputs = len(outs)
        if EXTRAS.anomaly:
            _store_stack(ctx)
    return outs[0] if single else tuple(outs)


def _alias(t):
    """A new tensor viewing ``t``'s memory (what torch returns for an input returned as is)."""
    from ..ops.registry import _mark_view

    a = _T[0]._wrap(t._data.view())  # a plain Tensor, also for a Parameter (as torch)
    a._device = t._device
    _mark_view(a, t)
    return a


def _rebase(ctx, t, nr, n_outputs, is_input, args):
    """A dirty (modified in place) input: its history becomes the node, as torch's in-place ops."""
    if t._grad_fn is None and t._requires_grad and t._base is None:
        raise RuntimeError(
            "a leaf Variable that requires grad has been used in an in-place operation."
        )
    if not is_input:
        warnings.warn(
            "ctx.mark_dirty() received a tensor that was not an input. Only input Tensors that "
            "have been mutated should be passed to ctx.mark_dirty().",
            stacklevel=5,
        )
    if t._base is None:
        t._grad_fn, t._requires_grad, t._output_nr = ctx, True, nr
        return
    if n_outputs > 1:
        raise RuntimeError(
            "If your Function modifies inplace an input that is a view of another Tensor, your "
            "Function cannot return more than one Tensor. This is not supported by the current "
            "autograd engine. You should either make sure the input is not a view (using .clone() "
            "for example) or make your Function only return one Tensor (potentially splitting it "
            "into two Functions: one doing the inplace that returns a single Tensor and a second "
            "one that does the other operations). You can ask on the forum "
            "https://discuss.pytorch.org/ if you need help to do this change."
        )
    from .engine import edge_of

    base = t._base
    if base._requires_grad and base._grad_fn is None:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )
    k = next((ctx._arg_slot[p] for p, a in enumerate(args) if a is t), None)
    if k is None:  # a view made inside the forward: the node is simply its history
        t._grad_fn, t._requires_grad, t._output_nr = ctx, True, nr
        t._view_version = t._vc.v
        return
    layout, geom = view_layouts(t)
    cs = CopySlices(edge_of(base) or (None, 0), layout, geom, ctx, index=k)
    base._grad_fn, base._requires_grad, base._output_nr = cs, True, 0
    t._grad_fn, t._requires_grad, t._output_nr = ViewReplay((cs, 0), layout, geom), True, 0
    t._view_version = t._vc.v


def _save(ctx, outs):
    to_save = ctx.__dict__.pop("to_save", None)
    if not to_save:
        return
    T = _T[0]
    hooks = bool(EXTRAS.hooks)
    saved = []
    for j, t in enumerate(to_save):
        if t is None:
            saved.append(None)
            continue
        if not isinstance(t, T):
            raise TypeError(
                f"save_for_backward can only save variables, but argument {j} is of type "
                f"{type(t).__name__}"
            )
        is_output = t._grad_fn is ctx and any(o is t for o in outs)
        if hooks:
            saved.append(_pack(t, t._output_nr if is_output else None))
        elif is_output:
            vc = t._ensure_vc()
            saved.append((t._data, vc, vc.v, t._output_nr, t._device))
        else:
            saved.append((t, t._version))
    ctx._saved = tuple(saved)


# -- once_differentiable ----------------------------------------------------------------------

_TWICE = "trying to differentiate twice a function that was marked with @once_differentiable"


class _DelayedError(Node):
    """The grad_fn of a once_differentiable backward's outputs: differentiating it raises."""

    def __init__(self, msg, next_functions):
        super().__init__()
        self.msg = msg
        self.next_functions = next_functions
        self.num_outputs = len(next_functions)

    def name(self) -> str:
        return "torch::autograd::Error"

    def _apply(self, grads):
        raise RuntimeError(self.msg)


def once_differentiable(fn):
    """Decorate a ``backward`` that is not itself differentiable: it runs under no_grad, and
    differentiating its result (double backward) raises instead of giving wrong gradients."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        from .grad_mode import no_grad

        with no_grad():
            outputs = fn(ctx, *args)
        T = _T[0]
        if not STATE.grad or not any(isinstance(a, T) and a.requires_grad for a in args):
            return outputs
        outs = outputs if isinstance(outputs, tuple) else (outputs,)
        leaves = []
        for v in outs:
            if v is not None:
                v = v.detach()
                v.requires_grad = True
            leaves.append(v)
        err = _DelayedError(_TWICE, tuple((v._accumulate_node(), 0) if v is not None else
                                          (None, 0) for v in leaves))  # fmt: skip
        res = []
        for i, v in enumerate(leaves):
            if v is not None:
                r = T._wrap(v._data)
                r._device = v._device
                r._grad_fn, r._requires_grad, r._output_nr = err, True, i
                v = r
            res.append(v)
        return tuple(res) if isinstance(outputs, tuple) else res[0]

    return wrapper


class InplaceFunction(Function):
    """Kept for old code, as in torch: use :class:`Function`."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace
