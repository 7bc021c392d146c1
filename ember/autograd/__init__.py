"""ember.autograd: backward, grad, grad modes and the graph's nodes."""

from __future__ import annotations

from . import anomaly_mode, forward_ad, function, functional, graph
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .engine import edge_of, is_checkpoint_valid, run_backward
from .function import Function
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import gradcheck, gradgradcheck

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "graph", "Function", "function",
           "gradcheck", "gradgradcheck", "detect_anomaly", "set_detect_anomaly",
           "anomaly_mode", "forward_ad", "functional"]  # fmt: skip

_is_checkpoint_valid = is_checkpoint_valid


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def _root_grads(outputs, grad_outputs):
    from .._creation import ones_like
    from .._tensor import Tensor

    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None and i < len(grad_outputs) else None
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not (out.dtype.is_floating_point or out.dtype.is_complex):
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got "
                    f"{out.dtype}"
                )
            g = ones_like(out)
        elif isinstance(g, Tensor):
            if g.shape != out.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                    f"has a shape of {out.shape}."
                )
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        grads.append(g)
    return grads


def _root_edges(outputs):
    edges = []
    for i, out in enumerate(outputs):
        e = edge_of(out)
        if e is None:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        edges.append(e)
    return edges


def _input_edges(inputs):
    edges = []
    for t in inputs:
        e = edge_of(t)
        if e is None:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        edges.append(e)
    return edges


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None) -> None:  # fmt: skip
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (or of
    ``inputs`` only). As ``torch.autograd.backward``."""
    from .graph import accumulate_into

    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors if grad_tensors is not None else grad_variables)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    grads = _root_grads(tensors, grad_tensors)
    edges = _root_edges(tensors)
    if inputs is None:
        run_backward(edges, grads, retain_graph, create_graph)
        return
    cap = _input_edges(inputs)
    got = run_backward(edges, grads, retain_graph, create_graph, capture=cap)
    from .grad_mode import STATE

    prev = STATE.grad
    STATE.grad = bool(create_graph)
    try:
        for t, g in zip(inputs, got):
            if g is not None:
                accumulate_into(t, g)
    finally:
        STATE.grad = prev


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False):  # fmt: skip
    """The gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` untouched).

    >>> x = ember.tensor(2.0, requires_grad=True)
    >>> ember.autograd.grad(x ** 3, x)
    (tensor(12.),)
    """
    from .._creation import zeros_like

    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True"
        )
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)  # fmt: skip
    grads = _root_grads(outputs, grad_outputs)
    edges = _root_edges(outputs)
    cap = _input_edges(inputs)
    got = run_backward(edges, grads, retain_graph, create_graph, capture=cap)
    result = []
    for t, g in zip(inputs, got):
        if g is None:
            if materialize_grads:
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):  # fmt: skip
    """``is_grads_batched``: dim 0 of every grad_output indexes independent backward passes
    (torch vmaps them; here they run one after another) and leads every result."""
    from .. import stack

    if grad_outputs is None or any(g is None for g in grad_outputs):
        raise RuntimeError("is_grads_batched=True requires a batched grad_output for every output")
    n = grad_outputs[0].shape[0]
    per = []
    for b in range(n):
        gos = tuple(g[b] for g in grad_outputs)
        keep = retain_graph or b < n - 1
        kw = dict(create_graph=create_graph, allow_unused=allow_unused,
                  materialize_grads=materialize_grads)  # fmt: skip
        per.append(grad(outputs, inputs, gos, retain_graph=keep, **kw))
    return tuple(None if gs[0] is None else stack(gs) for gs in zip(*per))


class set_multithreading_enabled:
    """Accepted for torch compatibility: ember's backward runs in the calling thread always."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        return fn


from . import variable  # noqa: E402
from .variable import Variable  # noqa: E402
