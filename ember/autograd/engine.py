"""The backward engine: a topological walk of the graph with dependency counts (no recursion).

It owns everything a rule should not: unbroadcasting a gradient to its input's shape, casting it
to its input's dtype, skipping inputs that take no gradient, materializing zero gradients for
multi-output nodes, hooks, captured gradients for ``autograd.grad``, and freeing saved tensors.
"""

from __future__ import annotations

import heapq
import itertools

from .grad_mode import STATE
from .graph import EXTRAS, AccumulateGrad, print_stack

__all__ = ["run_backward", "edge_of", "sum_to"]

_CAPTURING = []  # per running backward (innermost last): whether it captures (grad / inputs=)
_TASKS = []  # per running backward (innermost last): its id
_task_ids = itertools.count()


def edge_of(t):
    """The (node, output_nr) a tensor's gradient flows into, or None if it takes no gradient."""
    fn = t.grad_fn
    if fn is not None:
        return fn, t._output_nr
    if t._requires_grad:
        return t._accumulate_node(), 0
    return None


def sum_to(g, shape):
    """Sum a broadcast gradient back down to ``shape`` (in ember ops: double backward works)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and g.shape[i + lead] != 1:
            axes.append(i + lead)
    if axes:
        g = g.sum(dim=tuple(axes), keepdim=True)
    if lead or g.shape != shape:
        g = g.reshape(shape)
    return g


def _run_tensor_hooks(hooks, g):
    for h in list(hooks):
        r = h(g)
        if r is not None:
            g = r
    return g


def _graph(roots):
    """Every node reachable from the roots, with the number of edges into each."""
    deps: dict = {}
    seen = set()
    stack = []
    for n in roots:
        if n not in seen:
            seen.add(n)
            stack.append(n)
    pop, push, add = stack.pop, stack.append, seen.add
    while stack:
        for nf, _ in pop().next_functions:
            if nf is None:
                continue
            if nf in deps:
                deps[nf] += 1
            else:
                deps[nf] = 1
                if nf not in seen:
                    add(nf)
                    push(nf)
    return seen, deps


def _ancestors(nodes, targets):
    """Nodes that must run for a gradient to reach some target: those with a target or another
    such node among their inputs. Inputs are created before their consumers, so one pass in
    creation order settles all but lazily made leaf nodes; repeat until nothing changes."""
    run: set = set()
    order = sorted(nodes, key=lambda n: n._seq)
    changed = True
    while changed:
        changed = False
        for n in order:
            if n in run:
                continue
            for nf, _ in n.next_functions:
                if nf is not None and (nf in targets or nf in run):
                    run.add(n)
                    changed = True
                    break
    return run


def run_backward(edges, grads, retain_graph, create_graph, capture=None):
    """Propagate ``grads`` (one per root edge) back through the graph.

    Without ``capture`` the gradients reach the leaves' ``.grad``. With ``capture`` (a list of
    edges) nothing is accumulated: the gradients flowing into those edges are returned, and only
    the nodes on the way to them run (``autograd.grad`` and ``backward(inputs=...)``).
    """
    prev = STATE.grad
    STATE.grad = bool(create_graph)
    _CAPTURING.append(capture is not None)
    _TASKS.append(next(_task_ids))
    try:
        return _run(edges, grads, retain_graph, capture)
    finally:
        _CAPTURING.pop()
        _TASKS.pop()
        STATE.grad = prev


def current_graph_task_id() -> int:
    """An id of the innermost backward running now (-1 outside backward)."""
    return _TASKS[-1] if _TASKS else -1


def is_checkpoint_valid() -> bool:
    """False inside a backward that captures gradients (``autograd.grad``, ``backward(inputs=)``),
    where a reentrant checkpoint cannot put its gradients (as torch)."""
    return not _CAPTURING or not _CAPTURING[-1]


def _run(edges, grads, retain_graph, capture):
    roots = [n for n, _ in edges]
    nodes, deps = _graph(roots)
    buffers: dict = {}
    for (n, nr), g in zip(edges, grads):
        buf = buffers.get(n)
        if buf is None:
            buf = buffers[n] = [None] * n.num_outputs
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    captured = run = None
    caps: dict = {}
    if capture is not None:
        captured = [None] * len(capture)
        for i, (n, nr) in enumerate(capture):
            caps.setdefault(n, []).append((nr, i))
        run = _ancestors(nodes, caps)

    slow = capture is not None or EXTRAS.anomaly
    ready = [(-n._seq, n) for n in set(roots) if deps.get(n, 0) == 0]
    heapq.heapify(ready)
    pop, push = heapq.heappop, heapq.heappush
    while ready:
        node = pop(ready)[1]
        buf = buffers.pop(node, None)
        results = None
        if buf is None and node._call_undefined:
            buf = [None] * node.num_outputs
        if buf is not None:
            if slow or node._hooked or type(node) is AccumulateGrad:
                results = _execute(node, buf, caps, captured, run)
            elif node.num_outputs == 1:
                if buf[0] is not None or node._call_undefined:
                    results = node._apply(buf)
            else:
                results = node._apply(_materialize(node, buf))
        if not retain_graph:
            node._release()
        meta = node.in_meta
        for i, (nf, nr) in enumerate(node.next_functions):
            if nf is None:
                continue
            if results is not None:
                g = results[i]
                if g is not None and (run is None or nf in run or nf in caps):
                    # the engine, not the rules, fits a gradient to its input
                    if meta is not None:
                        shape, dt = meta[i]
                        a = g._data
                        if a.dtype is not dt and a.dtype != dt:
                            g = _cast(g, dt)
                        if a.shape != shape:
                            g = sum_to(g, shape)
                    nb = buffers.get(nf)
                    if nb is None:
                        buffers[nf] = nb = [None] * nf.num_outputs
                    nb[nr] = g if nb[nr] is None else nb[nr] + g
            d = deps[nf] - 1
            deps[nf] = d
            if d == 0 and (run is None or nf in run or nf in caps):
                push(ready, (-nf._seq, nf))
    return captured


def _cast(g, npdt):
    from .._dtype import from_numpy_dtype

    dt = from_numpy_dtype(npdt)
    if g.dtype.is_complex and not dt.is_complex:
        g = g.real
    return g.to(dt)


def _execute(node, buf, targets, captured, run):
    """One node with hooks, captures or leaf accumulation; returns its input gradients or None."""
    th = node._tensor_hooks
    if th is not None:
        for nr, hooks in th.items():
            if buf[nr] is not None:
                buf[nr] = _run_tensor_hooks(hooks, buf[nr])
    if node._retain is not None:
        for nr, ref in node._retain.items():
            t = ref()
            if t is not None and buf[nr] is not None:
                _retain(t, buf[nr])
    if node._pre_hooks is not None:
        for h in node._pre_hooks:
            r = h(tuple(buf))
            if r is not None:
                buf = list(r)
    is_leaf = type(node) is AccumulateGrad
    if is_leaf:
        t = node.variable
        if t is not None and t._hooks and buf[0] is not None:
            buf[0] = _run_tensor_hooks(t._hooks, buf[0])
        if captured is None:
            node._apply(buf)
            if t is not None and t._post_acc_hooks and buf[0] is not None:
                for h in tuple(t._post_acc_hooks):
                    h(t)
    caps = targets.get(node)
    if caps is not None:
        for nr, i in caps:
            captured[i] = buf[nr]
    if is_leaf or (run is not None and node not in run):
        return None
    if not node._call_undefined and all(g is None for g in buf):
        return None
    if node.num_outputs > 1:
        buf = _materialize(node, buf)
    if EXTRAS.anomaly:
        return _apply_anomaly(node, buf)
    return _apply_hooked(node, buf)


def _apply_hooked(node, buf):
    results = node._apply(buf)
    if node._post_hooks is not None:
        for h in node._post_hooks:
            r = h(tuple(results), tuple(buf))
            if r is not None:
                results = tuple(r)
    return results


def _apply_anomaly(node, buf):
    """Anomaly mode: a failing node shows where it was made; NaN gradients raise."""
    from .._device import xp_of

    prev = EXTRAS.running
    EXTRAS.running = node
    try:
        results = _apply_hooked(node, buf)
        if EXTRAS.check_nan:
            for i, g in enumerate(results):
                if g is not None and g._data.dtype.kind in "fcV":
                    if xp_of(g._data).isnan(g._data).any():
                        raise RuntimeError(
                            f"Function '{node.name()}' returned nan values in its {i}th output."
                        )
    except Exception:
        print_stack(node)
        raise
    finally:
        EXTRAS.running = prev
    return results


def _retain(t, g):
    if t._grad is None:
        t._grad = g if STATE.grad else g.detach().clone()
    else:
        t._grad = t._grad + g


def _materialize(node, buf):
    from .. import _creation

    out = list(buf)
    for i, g in enumerate(out):
        if g is None and node.out_meta is not None:
            shape, dt = node.out_meta[i]
            if dt.is_floating_point or dt.is_complex:
                out[i] = _creation.zeros(shape, dtype=dt)
    return out
