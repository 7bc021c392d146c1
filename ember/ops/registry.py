"""The op registry: one definition per op, and the one dispatch point.

An op is a forward over the array module ``xp`` plus VJP rules written in ember ops plus
metadata. ``@op`` turns the forward into an :class:`Op` and registers it; ``ember.<name>``,
``Tensor.<name>``, ``Tensor.<name>_``, the grad_fn name and the sweep's samples all come from
that entry. Calling an Op is the only dispatch: unwrap tensors, promote dtypes, check devices,
run the forward, record a graph node when grad mode is on and an input requires grad.

    @op(promote="float")
    def exp(xp, x):
        return xp.exp(x)

    exp.defvjp(lambda grad, out, x: grad * out)
"""

from __future__ import annotations

import dis
import inspect
from types import MethodType

import numpy as np

from .. import _dtype as D
from .._device import CPU, device_of, get_xp
from .._tensor import Tensor
from ..autograd.engine import edge_of
from ..autograd.grad_mode import STATE
from ..autograd.graph import (
    EXTRAS,
    CopySlices,
    OpNode,
    SavedMeta,
    ViewReplay,
    record_extras,
    save_outputs,
    view_layouts,
)
from ._util import broadcast_shapes

__all__ = ["Op", "op", "OPS", "composite", "COMPOSITES"]

OPS: dict = {}
COMPOSITES: dict = {}  # name -> (fn, as_function, as_method)


def composite(name=None, *, function=True, method=True):
    """Register a function written from ops (no rule of its own) as ``ember.<name>`` and/or
    ``Tensor.<name>``: ``@composite() def reshape(input, *shape): ...``."""

    def wrap(fn):
        COMPOSITES[name or fn.__name__] = (fn, function, method)
        return fn

    return wrap


_DIFF_KINDS = frozenset("fc")


class Op:
    """One primitive: ``forward(xp, *arrays, **params)``, its VJP rules and metadata."""

    def __init__(self, forward, name, promote, view, inplace, method, grad_name,
                 differentiable, multi, onnx, torch_name, samples, promote_args):  # fmt: skip
        self.forward = forward
        self.name = name
        self.promote = promote
        self.promote_args = promote_args
        self.view = view
        self.inplace = inplace
        self.method = method
        self.grad_name = grad_name or _camel(name) + "Backward0"
        self.differentiable = differentiable
        self.multi = multi
        self.onnx = onnx
        self.torch_name = torch_name or name
        self.samples = samples
        self.vjp_all = None
        self.vjp_each = None
        self.parse = None  # torch's call signature -> (inputs, params), when it differs
        self.no_samples = None  # why the sweep has no samples for it (a reason, kept beside it)
        self.namespace = None  # "linalg", "fft", "special": ember.<namespace>.<name>
        self.reads = ()  # per input: whether some rule reads it
        self.reads_out = False
        self.saves_inputs = False
        self.simple = not view and not multi
        # the signature from the code object (inspect.signature costs at import, x600 ops)
        sig_fn = forward
        while hasattr(sig_fn, "__wrapped__"):  # functools.wraps: read the wrapped signature
            sig_fn = sig_fn.__wrapped__
        code = sig_fn.__code__
        npos, nkw = code.co_argcount, code.co_kwonlyargcount
        names = code.co_varnames
        self.variadic = bool(code.co_flags & inspect.CO_VARARGS)
        self.input_names = names[1:npos]  # drop xp
        defaults = sig_fn.__defaults__ or ()
        empty = inspect.Parameter.empty
        self.input_defaults = (empty,) * (npos - 1 - len(defaults)) + tuple(defaults)
        self.nin = npos - 1
        self.param_names = names[npos + self.variadic : npos + self.variadic + nkw]
        self._rules = None  # the rules to analyse for what to save (on first use: dis is slow)
        self.__doc__ = forward.__doc__
        self.__name__ = name
        self.__qualname__ = name

    def parser(self, fn):
        """Decorator: map torch's public signature to ``(inputs, params)`` for this op, e.g.
        ``view(*shape)`` or ``sum(input, dim, keepdim)`` with ``dim`` normalized."""
        self.parse = fn
        return fn

    # -- rules -------------------------------------------------------------------------------
    def defvjp(self, *rules):
        """One rule per input, in order: ``rule(grad, out, *inputs, **params)``; None for an input
        that takes no gradient. The engine calls only the rules of inputs that need one."""
        self.vjp_each = tuple(r if r is not None else _no_grad_rule for r in rules)
        self._rules = rules
        return self

    def vjp(self, rule):
        """Decorator form: one rule returning the gradients of all inputs as a tuple."""
        self.vjp_all = rule
        self._rules = [rule]
        return self

    def analyse(self):
        """Read the rules once (at the op's first recorded call: dis is slow at import)."""
        if self._rules is not None:
            rules, self._rules = self._rules, None
            self._find_reads(rules)

    def _find_reads(self, rules):
        """What the rules read of each input: 0 nothing (not saved), 1 only metadata such as
        ``x.shape`` (a SavedMeta is saved: no memory kept, no version check), 2 the values."""
        reads = None
        reads_out = 0
        self.rule_reads = []  # per input's rule: what it reads of every input
        self._reads_cache = {}
        for r in rules:
            if r is None:
                self.rule_reads.append(None)
                continue
            use = _usage(r)
            code = r.__code__
            args = code.co_varnames[: code.co_argcount]
            reads_out = max(reads_out, use.get(args[1], 0))
            if self.variadic:
                star = code.co_varnames[code.co_argcount + code.co_kwonlyargcount]
                got = use.get(star, 0)
                reads = got if reads is None else max(reads, got)
            else:
                got = [use.get(a, 0) for a in args[2 : 2 + self.nin]]  # the rest are params
                got += [0] * (self.nin - len(got))
                self.rule_reads.append(tuple(got))
                reads = got if reads is None else [max(a, b) for a, b in zip(reads, got)]
        self.reads = reads if self.variadic else tuple(reads)
        self.reads_out = reads_out > 0
        self.saves_inputs = bool(reads) if self.variadic else any(self.reads)

    def reads_for(self, need: int) -> tuple:
        """What to save when only the inputs in bitmask ``need`` take gradients: only their
        rules run, so only what those read is kept (as torch saves per needed input)."""
        r = self._reads_cache.get(need)
        if r is None:
            r = [0] * self.nin
            for i, rr in enumerate(self.rule_reads):
                if need >> i & 1 and rr is not None:
                    r = [max(a, b) for a, b in zip(r, rr)]
            r = self._reads_cache[need] = tuple(r)
        return r

    # -- calling -----------------------------------------------------------------------------
    def __call__(self, *args, **params):
        if self.parse is None and len(args) == self.nin:
            return apply(self, args, params)
        return apply(self, *self.normalize(args, params))

    def normalize(self, args, params):
        """Map a call to (inputs, params): extra positionals fill the keyword-only params."""
        if self.parse is not None:
            return self.parse(*args, **params)
        n = self.nin
        if not self.variadic:
            if len(args) > n:
                extra = args[n:]
                args = args[:n]
                for k, v in zip(self.param_names, extra):
                    if k in params:
                        raise TypeError(f"{self.name}() got multiple values for argument '{k}'")
                    params[k] = v
                if len(extra) > len(self.param_names):
                    raise TypeError(
                        f"{self.name}() takes {n + len(self.param_names)} positional arguments "
                        f"but {n + len(extra)} were given"
                    )
            elif len(args) < n:
                args = self._fill_inputs(args, params)
        return args, params

    def _fill_inputs(self, args, params):
        args = list(args)
        for name, default in zip(self.input_names[len(args) :], self.input_defaults[len(args) :]):
            if name in params:
                args.append(params.pop(name))
            elif name == "input" and "self" in params:
                args.append(params.pop("self"))
            elif default is inspect.Parameter.empty:
                raise TypeError(f"{self.name}() missing required argument: '{name}'")
            else:
                args.append(default)
        return tuple(args)

    def __get__(self, obj, objtype=None):
        # an Op stored on Tensor (``Tensor.__neg__ = neg``) binds like a function
        return self if obj is None else MethodType(self, obj)

    def __repr__(self) -> str:
        return f"<ember op {self.name}>"


def _no_grad_rule(grad, out, *args, **params):
    return None


def no_derivative(name):
    """A rule raising torch's error for an input torch has no derivative for."""

    def rule(grad, out, *args, **params):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")

    return rule


_META_ATTRS = frozenset(
    {"shape", "ndim", "dtype", "device", "numel", "size", "dim", "is_complex",
     "is_floating_point", "stride", "is_contiguous"}
)  # fmt: skip


def _usage(fn) -> dict:
    """Per name loaded in ``fn``: 1 when every use is ``name.<metadata>``, 2 otherwise."""
    use: dict = {}
    ins = list(dis.get_instructions(fn))
    for k, i in enumerate(ins):
        if not i.opname.startswith("LOAD_"):
            continue
        v = i.argval
        for n in v if isinstance(v, tuple) else (v,):
            if not isinstance(n, str):
                continue
            nxt = ins[k + 1] if k + 1 < len(ins) else None
            meta_only = (
                i.opname in ("LOAD_FAST", "LOAD_FAST_CHECK")
                and nxt is not None
                and nxt.opname in ("LOAD_ATTR", "LOAD_METHOD")
                and nxt.argval in _META_ATTRS
            )
            use[n] = max(use.get(n, 0), 1 if meta_only else 2)
    for c in fn.__code__.co_consts:  # names used inside nested lambdas / comprehensions
        if inspect.iscode(c):
            for n in c.co_freevars:
                use[n] = 2
    for n in fn.__code__.co_cellvars:
        use[n] = 2
    return use


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.strip("_").split("_"))


def op(name=None, *, promote=None, view=False, inplace=False, method=True, grad_name=None,
       differentiable=True, multi=False, onnx=None, torch_name=None, samples=None,
       promote_args=None, namespace=None):  # fmt: skip
    """Define an op from its forward ``fn(xp, *inputs, **params)`` and register it.

    promote: None (dtypes pass through), "common" (torch's result_type of the inputs),
    "float" (as common, then integers and bool become the default float dtype).
    view: the output is a view of input 0 (shares memory and version counter).
    namespace: "linalg", "fft", "special" ...: installed as ``ember.<namespace>.<name>``
    (no Tensor method unless ``method=True`` is asked for explicitly).
    inplace: ``Tensor.<name>_`` exists; "cast" when it writes into any dtype (comparisons).
    grad_name: str or ``f(args, params) -> str``.
    """

    def wrap(fn):
        o = Op(fn, name or fn.__name__.rstrip("_"), promote, view, inplace, method, grad_name,
               differentiable, multi, onnx, torch_name, samples, promote_args)  # fmt: skip
        o.namespace = namespace
        key = o.name if namespace is None else f"{namespace}.{o.name}"
        if key in OPS:
            raise ValueError(f"op {key} is defined twice")
        OPS[key] = o
        return o

    return wrap


# -- dispatch ---------------------------------------------------------------------------------


class _Hooks:
    """Observers of every op call, off (None) unless a feature turns them on: forward-mode AD
    (``after_op(op, args, params, outs, inplace=False)`` propagates tangents), the JIT tracer."""

    __slots__ = ("after_op",)

    def __init__(self):
        self.after_op = None


HOOKS = _Hooks()
_SCALAR_CAT = {bool: 0, int: 1, float: 2, complex: 3}
_NO_EDGE = (None, 0)


def _as_number(a):
    """A non-tensor input as the Python number torch sees, or None when it is not a number.
    NumPy integers are ints, np.float64/np.complex128 floats/complexes, and any other NumPy
    number (bool_, float16/32, complex64) a float of its real part, as in torch."""
    if isinstance(a, np.generic):
        k = a.dtype.kind
        if k in "iu":
            return int(a)
        if isinstance(a, (np.float64, np.complex128)):
            return a.item()
        return float(a.real) if k in "bfc" else None
    if isinstance(a, bool):
        return bool(a)
    if isinstance(a, int):
        return int(a)
    if isinstance(a, float):
        return float(a)
    if isinstance(a, complex):
        return complex(a)
    return None


def _promoted(args, idx):
    """torch's result dtype over the inputs at positions ``idx`` (all when None)."""
    dims, zeros, scalars = [], [], []
    for i in idx if idx is not None else range(len(args)):
        a = args[i]
        if isinstance(a, Tensor):
            (dims if a._data.ndim else zeros).append(a.dtype)
        elif (v := _as_number(a)) is not None:
            scalars.append(D.scalar_dtype(v))
    return D.result_types(dims, zeros, scalars)


def _no_tensor(op, args):
    """torch's TypeError for a call with no tensor among its inputs (``ember.exp(2.0)``)."""
    a = args[0] if args else None
    name = op.input_names[0] if op.input_names else "tensors"
    raise TypeError(
        f"{op.name}(): argument '{name}' (position 1) must be Tensor, not {type(a).__name__}"
    )


def _mixed_devices(a, b):
    raise RuntimeError(
        "Expected all tensors to be on the same device, but found at least two devices, "
        f"{a} and {b}!"
    )


def _move_cpu_scalars(args, arrays):
    """torch lets 0-d CPU tensors join ops on another device; anything else mixed raises."""
    devs = {a._device for a in args if isinstance(a, Tensor)}
    others = [d for d in devs if d.type != "cpu"]
    if len(others) > 1:
        _mixed_devices(*others[:2])
    target = others[0]
    xp = get_xp(target)
    for i, a in enumerate(args):
        if isinstance(a, Tensor) and a._device.type == "cpu":
            if a._data.ndim != 0:
                _mixed_devices(target, a._device)
            arrays[i] = xp.asarray(arrays[i])
    return target


def _unwrap(op, args, params):
    """Arrays for the forward (promoted to torch's dtype), the device, whether any input
    requires grad, and the ember dtype computed in (None when the op does not promote)."""
    arrays = list(args)
    dev = None
    needs_grad = False
    first = None
    same = True
    scat = -1
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if a._base is not None:
                a._refresh_view()
            d = a._data
            arrays[i] = d
            if a._requires_grad:
                needs_grad = True
            if first is None:
                first = d.dtype
            elif d.dtype is not first and d.dtype != first:
                same = False
            if dev is None:
                dev = a._device
            elif a._device is not dev and a._device != dev:
                dev = None
        elif a is not None:
            c = _SCALAR_CAT.get(type(a))
            if c is None:
                v = _as_number(a)
                if v is None:
                    if type(a) in (list, tuple) and a and isinstance(a[0], Tensor):
                        arrays[i] = type(a)(x._data if isinstance(x, Tensor) else x for x in a)
                    continue
                arrays[i] = v
                c = _SCALAR_CAT[type(v)]
            if c > scat:
                scat = c
    if first is None:
        _no_tensor(op, args)
    if dev is None:
        dev = _move_cpu_scalars(args, arrays)
    mode = op.promote
    if mode is None:
        return arrays, dev, needs_grad, None
    if type(mode) is not str:
        mode = mode(params)
    pa = op.promote_args
    if pa is None and same and first is not None and scat <= _CAT[first.kind]:
        npdt = first  # every tensor shares a dtype that outranks the scalars: no promotion
    else:
        npdt = D.to_numpy_dtype(_promoted(args, pa))
    if mode == "float" and npdt.kind in "biu":
        npdt = D.to_numpy_dtype(D.get_default_dtype())
    elif scat == 1 and npdt.kind in "iu":
        _wrap_ints(arrays, npdt)
    if not same or (npdt is not first and npdt != first):
        for i, a in enumerate(arrays):
            if (pa is None or i in pa) and hasattr(a, "dtype") and a.dtype != npdt:
                arrays[i] = a.astype(npdt)
    return arrays, dev, needs_grad, npdt


_CAT = {"b": 0, "i": 1, "u": 1, "f": 2, "V": 2, "c": 3}
_INT_RANGE: dict = {}


def _wrap_ints(arrays, npdt):
    """Python ints outside the integer dtype computed in wrap around, as in torch's C casts."""
    lo_hi = _INT_RANGE.get(npdt)
    if lo_hi is None:
        info = np.iinfo(npdt)
        lo_hi = _INT_RANGE[npdt] = (int(info.min), int(info.max))
    for i, a in enumerate(arrays):
        if type(a) is int and not lo_hi[0] <= a <= lo_hi[1]:
            arrays[i] = np.array(a % 2**64, dtype=np.uint64).astype(npdt)[()]


def apply(op, args, params):
    arrays, dev, needs_grad, npdt = _unwrap(op, args, params)
    xp = np if dev is CPU else get_xp(dev)
    try:
        out = op.forward(xp, *arrays, **params)
    except ValueError:
        _broadcast_error(arrays)  # NumPy's "could not be broadcast" becomes torch's error
        raise
    if npdt is not None and npdt.kind == "V" and not op.multi and out.dtype.kind == "f":
        out = out.astype(npdt)  # ml_dtypes lifts bfloat16 and a float scalar to float32
    if op.simple:  # one output, not a view: the common case, kept short
        if type(out) is np.ndarray:
            t = object.__new__(Tensor)
            t._data = out
        else:
            t = _wrap(out, xp)
        if needs_grad and STATE.grad and op.differentiable:
            _record(op, args, params, (t,))
        elif STATE.inference:
            t._is_inference = True
        if HOOKS.after_op is not None:
            HOOKS.after_op(op, args, params, (t,))
        return t
    outs = tuple(_wrap(o, xp) for o in out) if op.multi else (_wrap(out, xp),)
    if op.view:
        for o in outs:
            _mark_view(o, args[0])
            if op.multi:
                o._multi_view = True
    if needs_grad and STATE.grad and op.differentiable:
        _record(op, args, params, outs)
    elif STATE.inference:
        for o in outs:
            o._is_inference = True
    if HOOKS.after_op is not None:
        HOOKS.after_op(op, args, params, outs)
    return outs if op.multi else outs[0]


def _broadcast_error(arrays):
    """Raise torch's RuntimeError when the array inputs' shapes do not broadcast."""
    broadcast_shapes([a.shape for a in arrays if hasattr(a, "shape")])


def _wrap(a, xp):
    if type(a) is np.ndarray:
        t = object.__new__(Tensor)
        t._data = a
        return t
    if not hasattr(a, "__cuda_array_interface__"):
        a = xp.asarray(a)  # NumPy returns scalars from 0-d results
        if xp is np:
            return Tensor._wrap(a)
    t = Tensor._wrap(a)
    t._device = device_of(a)
    return t


def _mark_view(out, src):
    base = src._base if src._base is not None else src
    out._base = base
    out._vc = base._ensure_vc()
    out._view_version = out._vc.v


def _to_save(op, args, need):
    if op.variadic:
        return tuple(args) if op.reads == 2 else tuple([_saved_meta(a) for a in args])
    reads = op.reads if op.vjp_each is None else op.reads_for(need)
    return tuple([a if r == 2 else _saved_meta(a) if r else None for a, r in zip(args, reads)])


def _saved_meta(a):
    return SavedMeta(a) if isinstance(a, Tensor) else a


_INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a clone "
    "to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
    "`torch.inference_mode()`."
)


def _record(op, args, params, outs):
    if op._rules is not None:
        op.analyse()
    nfs = []
    meta = []
    need = 0  # bit i: input i takes a gradient
    for i, a in enumerate(args):
        if isinstance(a, Tensor) and a._requires_grad:
            fn = a._grad_fn
            if fn is None:
                fn = a._accum or a._accumulate_node()
                nfs.append((fn, 0))
            else:
                nfs.append((fn, a._output_nr))
            meta.append((a._data.shape, a._data.dtype))
            need |= 1 << i
        else:
            nfs.append(_NO_EDGE)
            meta.append(None)
    if op.saves_inputs:
        saved = _to_save(op, args, need)
        node = OpNode(op, saved, params, tuple(nfs), meta)
        checks = None
        for t in saved:
            if isinstance(t, Tensor):
                if t._is_inference:
                    raise RuntimeError(_INFERENCE_SAVED)
                vc = t._vc
                if checks is None:
                    checks = []
                checks.append((t, 0 if vc is None else vc.v))
        if checks is not None:
            node._checks = checks
    else:
        node = OpNode(op, (None,) * len(args), params, tuple(nfs), meta)
    if op.reads_out:
        node._out = save_outputs(outs)
    if type(op.grad_name) is not str:
        node._name = op.grad_name(args, params)
    if op.multi:
        node.num_outputs = len(outs)
        node.out_meta = tuple((o._data.shape, o.dtype) for o in outs)
    if len(outs) == 1:
        o = outs[0]
        if o._data.dtype.kind in "fcV":  # float, complex, bfloat16: outputs that take gradients
            o._grad_fn = node
            o._requires_grad = True
            if o._output_nr:  # an in-place op on an output of a multi-output op
                o._output_nr = 0
    else:
        for i, o in enumerate(outs):
            if o._data.dtype.kind in "fcV":
                o._grad_fn = node
                o._requires_grad = True
                o._output_nr = i
    if EXTRAS.on:  # saved-tensor hooks or anomaly mode
        record_extras(node, outs)
    return node


# -- in-place ---------------------------------------------------------------------------------


def _check_inplace_leaf(t):
    if STATE.grad:
        if t._multi_view and t._requires_grad:
            raise RuntimeError(
                f"Output {t._output_nr} of {t._grad_fn._display_name().replace('Backward0', '')} "
                "is a view and is being modified inplace. This view is the output of a function "
                "that returns multiple views. Such functions do not allow the output views to be "
                "modified inplace. You should replace the inplace operation by an out-of-place one."
            )
        if t._grad_fn is None and t._requires_grad and t._base is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        if t._base is not None and t._base._requires_grad and t._base._grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )


def apply_inplace(op, args, params):
    """``self.op_(*args)``: compute out of place, write into self's memory, rewrite history."""
    self = args[0]
    _check_inplace_leaf(self)
    if self._is_inference and not STATE.inference:
        raise RuntimeError(
            "Inplace update to inference tensor outside InferenceMode is not allowed.You can make "
            "a clone to get a normal tensor before doing inplace update.See "
            "https://github.com/pytorch/rfcs/pull/17 for more details."
        )
    arrays, dev, needs_grad, npdt = _unwrap(op, args, params)
    dt = None if npdt is None or op.inplace == "cast" else D.from_numpy_dtype(npdt)
    if dt is not None and not D.can_cast(dt, self.dtype):
        raise RuntimeError(
            f"result type {_tname(dt)} can't be cast to the desired output type "
            f"{_tname(self.dtype)}"
        )
    xp = np if dev is CPU else get_xp(dev)
    try:
        out = op.forward(xp, *arrays, **params)
    except ValueError:
        _broadcast_error(arrays)
        raise
    if dt is None and out.dtype != self._data.dtype and op.inplace != "cast":
        raise RuntimeError(
            f"Bad in-place call: input tensor dtype {_CPU_NAME.get(self._data.dtype.name)} and "
            f"output tensor dtype {_CPU_NAME.get(out.dtype.name)} should match"
        )
    if out.shape != self._data.shape:
        if xp.broadcast_shapes(out.shape, self._data.shape) != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(np.broadcast_shapes(*[a.shape for a in arrays if hasattr(a, 'shape')]))}"
            )
    record = needs_grad and STATE.grad and op.differentiable
    old = None
    if record:
        op.analyse()
        old = self._history_alias()
        if not op.variadic and op.reads[0] == 2:
            old._data = self._data.copy()  # the rule reads the old value: keep it
            old._vc = None
    prev = self._data.copy() if HOOKS.after_op is not None else None  # forward AD needs it
    self._data[...] = out
    self._bump()
    if record:
        node = _record(op, (old,) + args[1:], params, (self,))
        if self._base is not None:
            _copy_slices(self, node)
    if HOOKS.after_op is not None:
        HOOKS.after_op(op, args, params, (self,), inplace=True, old=prev)
    return self


def _copy_slices(view, node):
    """An in-place op wrote into a view: the base's history becomes CopySlices over the op."""
    base = view._base
    layout, geom = view_layouts(view)
    cs = CopySlices(edge_of(base) or (None, 0), layout, geom, node)
    base._grad_fn, base._requires_grad, base._output_nr = cs, True, 0
    view._grad_fn = ViewReplay((cs, 0), layout, geom)
    view._requires_grad = True
    view._output_nr = 0
    view._view_version = view._vc.v


def _layout(a):
    it = a.itemsize
    return a.shape, tuple(s // it for s in a.strides)


_CPU_NAME = {"float32": "float", "float64": "double", "float16": "c10::Half",
             "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
             "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
             "complex128": "c10::complex<double>", "bfloat16": "c10::BFloat16"}  # fmt: skip


def _tname(dt) -> str:
    return {
        "float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
        "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
        "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
    }.get(dt.name, dt.name)  # fmt: skip
