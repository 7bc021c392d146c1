"""Activation checkpointing: trade compute for memory by recomputing a segment in backward.

>>> from ember.utils.checkpoint import checkpoint
>>> y = checkpoint(lambda h: (h @ w).tanh(), x, use_reentrant=False)
>>> y.sum().backward()        # the segment runs again here, with the same random numbers

Two variants, as torch: ``use_reentrant=True`` (torch 2.13's default, with a warning when not
given) runs the forward under no_grad keeping only the inputs, and backward re-runs it and
backpropagates through the new graph (a backward inside the backward). ``use_reentrant=False``
records the graph as usual but keeps a placeholder instead of every tensor saved for backward
(saved-tensor hooks); the first backward that needs one recomputes the segment.
"""

from __future__ import annotations

import contextlib
import warnings
import weakref

from .. import _generator
from .._tensor import Tensor
from ..autograd import backward as _backward
from ..autograd.engine import current_graph_task_id, is_checkpoint_valid
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, no_grad
from ..autograd.graph import saved_tensors_hooks

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "detach_variable", "check_backward_validity", "noop_context_fn"]  # fmt: skip


class CheckpointError(RuntimeError):
    """The recomputed forward differs from the original one."""


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs):
    """The inputs cut from the graph, each keeping its ``requires_grad``."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(
            "Only tuple of tensors is supported. Got Unsupported input type: "
            f"{type(inputs).__name__}"
        )
    out = []
    for inp in inputs:
        if not isinstance(inp, Tensor):
            out.append(inp)
            continue
        x = inp.detach()
        x.requires_grad = inp.requires_grad
        out.append(x)
    return tuple(out)


def check_backward_validity(inputs) -> None:
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        warnings.warn(
            "None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2
        )


@contextlib.contextmanager
def _rng_state(state):
    """Run with the default generator at ``state`` (when given), then put it back."""
    if state is None:
        yield
        return
    outer = _generator.get_rng_state()
    _generator.set_rng_state(state)
    try:
        yield
    finally:
        _generator.set_rng_state(outer)


class CheckpointFunction(Function):
    """The reentrant variant: forward under no_grad, backward recomputes and backpropagates."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.fwd_cpu_state = _generator.get_rng_state() if preserve_rng_state else None
        ctx.inputs = []
        ctx.tensor_indices = []
        tensors = []
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                tensors.append(arg)
                ctx.tensor_indices.append(i)
                ctx.inputs.append(None)
            else:
                ctx.inputs.append(arg)
        ctx.save_for_backward(*tensors)
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *args):
        if not is_checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or "
                "passing an `inputs` parameter to .backward(). To resolve this error, you can "
                "either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument."
            )
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        with _rng_state(ctx.fwd_cpu_state):
            detached = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        outs, grads = [], []
        for o, g in zip(outputs, args):
            if isinstance(o, Tensor) and o.requires_grad:
                outs.append(o)
                grads.append(g)
        if not outs:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary"
            )
        _backward(outs, grads)
        return (None, None) + tuple(
            inp.grad if isinstance(inp, Tensor) else None for inp in detached
        )


class _Holder:
    """What the graph keeps in place of a tensor saved inside a checkpointed call."""

    __slots__ = ("index", "__weakref__")

    def __init__(self, index):
        self.index = index


class _Frame:
    """One non-reentrant checkpointed call: placeholders for what its forward saved, and the
    recomputation that fills them in. A recomputed tensor lives while its placeholder does, so
    it goes as soon as the node that saved it has run (as torch)."""

    def __init__(self, function, args, kwargs, rng_state, context_fn, check):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.rng_state, self.context_fn, self.check = rng_state, context_fn, check
        self.meta = []  # per saved tensor: (shape, dtype) when it was saved
        self.holders = []  # per saved tensor: a weak reference to its placeholder
        self.task = None  # the backward the values were recomputed for
        self.values = weakref.WeakKeyDictionary()  # placeholder -> recomputed tensor

    def pack(self, t):
        h = _Holder(len(self.meta))
        self.meta.append((tuple(t.shape), t.dtype))
        self.holders.append(weakref.ref(h))
        return h

    def unpack(self, h):
        task = current_graph_task_id()
        if task != self.task:  # the first use in this backward: recompute
            self._recompute()
            self.task = task
        v = self.values.pop(h, None)
        if v is None:
            raise CheckpointError(
                "torch.utils.checkpoint: Unpack is being triggered for a tensor that was already "
                "unpacked once. If you are calling ctx.saved_tensors in backward, make sure to do "
                "so only once. Otherwise please open an issue with details on your use case."
            )
        return v

    def _recompute(self):
        got = []

        def pack(t):
            got.append(t.detach())

        args = detach_variable(tuple(self.args))
        with _rng_state(self.rng_state), enable_grad(), self.context_fn()[1]:
            with saved_tensors_hooks(pack, lambda _: None):
                self.function(*args, **self.kwargs)
        if self.check:
            if len(got) != len(self.meta):
                raise CheckpointError(
                    "torch.utils.checkpoint: A different number of tensors was saved during the "
                    f"original forward and recomputation.\nNumber of tensors saved during forward: "
                    f"{len(self.meta)}\nNumber of tensors saved during recomputation: {len(got)}."
                )
            bad = [
                i for i, (t, m) in enumerate(zip(got, self.meta)) if (tuple(t.shape), t.dtype) != m
            ]
            if bad:
                lines = "".join(
                    f"tensor at position {i}:\nsaved metadata: {self.meta[i]}\nrecomputed "
                    f"metadata: {(tuple(got[i].shape), got[i].dtype)}\n"
                    for i in bad
                )
                raise CheckpointError(
                    "torch.utils.checkpoint: Recomputed values for the following tensors have "
                    f"different metadata than during the forward pass.\n{lines}"
                )
        self.values = weakref.WeakKeyDictionary()
        for ref, t in zip(self.holders, got):
            h = ref()
            if h is not None:
                self.values[h] = t


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check="default", debug=False, early_stop=True, **kwargs):  # fmt: skip
    """``function(*args, **kwargs)`` without keeping its intermediate tensors: backward runs it
    again (with the random-number state it had, unless ``preserve_rng_state=False``).

    >>> y = checkpoint(layer, x, use_reentrant=False)
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError(
                "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
            )
        return CheckpointFunction.apply(function, preserve, *args)
    if determinism_check not in ("default", "none"):
        raise ValueError(
            f"determinism_check should be one of ['default', 'none'], but got {determinism_check}"
        )
    state = _generator.get_rng_state() if preserve else None
    frame = _Frame(function, args, kwargs, state, context_fn, determinism_check == "default")
    with saved_tensors_hooks(frame.pack, frame.unpack), context_fn()[0]:
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (a list, or a Sequential's children) in ``segments`` chunks, each but
    the last checkpointed.

    >>> y = checkpoint_sequential([f1, f2, f3, f4], 2, x, use_reentrant=False)
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be "
            "passed explicitly. In version 2.9 we will raise an exception if use_reentrant is "
            "not passed. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input

        return forward

    if not isinstance(functions, (list, tuple)) and hasattr(functions, "children"):
        functions = list(functions.children())  # an nn.Sequential
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)  # fmt: skip
    return run_function(end + 1, len(functions) - 1, functions)(input)
