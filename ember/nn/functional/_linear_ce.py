"""``linear_cross_entropy``: ``cross_entropy(linear(input, W, b), target)`` in one call.

With ``options=None`` it is exactly that composition (any autograd works through it). With a
``LinearCrossEntropyOptions`` it takes torch's chunked path: rows are processed
``batch_chunk_size`` at a time, so the ``(N, C)`` logits never exist at once; for ``'mean'``
and ``'sum'`` the gradients are computed in the forward (chunk by chunk) and scaled in the
backward, for ``'none'`` the backward recomputes them from the saved inputs.

>>> x, W = ember.randn(4, 3), ember.randn(5, 3)
>>> t = ember.tensor([0, 4, 2, 1])
>>> bool(ember.isclose(F.linear_cross_entropy(x, W, t), F.cross_entropy(x @ W.T, t)))
True
"""

from __future__ import annotations

import math
import sys
import warnings

import ember

from ...autograd.function import Function
from ._linear import linear
from ._loss import cross_entropy

__all__ = ["linear_cross_entropy"]

_TWICE = ("linear_cross_entropy chunked backward called twice; retain_graph=True / double "
          "backward are not supported.")  # fmt: skip


def _is_tracing():
    jit = sys.modules.get("ember.jit")
    return bool(jit is not None and getattr(jit, "is_tracing", lambda: False)())


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction="mean", ignore_index=None, label_smoothing=0.0,
                         options=None):  # fmt: skip
    """Cross entropy of ``input @ linear_weight.T (+ linear_bias)`` against ``target``.

    ``linear_weight`` is ``(C, in_features)``, or ``(C, d1, ..., dK, in_features)`` for a
    K-dimensional loss (batched input only). ``ignore_index=None`` means -100 for class
    indices and is the only value allowed with probability targets.
    """
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(
            f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}"
        )
    batch_shape, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(
            "expected equal input and linear_weight last dimensions (in_features), got "
            f"{input.shape[-1]} and {linear_weight.shape[-1]}, respectively"
        )
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(
            f"expected linear_bias shape {(num_classes, *out_features)}, got "
            f"{tuple(linear_bias.shape)}"
        )
    if out_features and not batch_shape:
        raise RuntimeError(
            f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
            f"requires batched input, (N, {in_features}), got unbatched input with shape "
            f"{tuple(input.shape)}"
        )
    logits_shape = (*batch_shape, num_classes, *out_features)
    # cross_entropy tells probabilities from indices by the shapes being equal
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index

    if options is not None:
        chunkable = (not out_features and reduction in ("mean", "sum", "none")
                     and label_smoothing == 0.0 and target.dtype is ember.int64
                     and not _is_tracing())  # fmt: skip
        if chunkable:
            return _chunked(input, linear_weight, target, linear_bias, weight, reduction,
                            ignore_index, options)  # fmt: skip
        warnings.warn(
            "linear_cross_entropy: ``options`` ignored; chunked path needs reduction in "
            "{'mean','sum','none'}, label_smoothing == 0, target.dtype == int64, "
            f"out_features == (). Got reduction={reduction!r}, label_smoothing="
            f"{label_smoothing}, target.dtype={target.dtype}, out_features={out_features}, "
            f"tracing={_is_tracing()}, linear_bias.shape="
            f"{tuple(linear_bias.shape) if linear_bias is not None else None}.",
            stacklevel=2,
        )
    if out_features:  # one Linear over the flattened (C * d1 * ... * dK) outputs
        flat = math.prod(out_features, start=num_classes)
        linear_weight = linear_weight.reshape(flat, in_features)
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(flat)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=ignore_index, label_smoothing=label_smoothing)  # fmt: skip


# -- the chunked path ----------------------------------------------------------------------------
def _chunked(input, linear_weight, target, linear_bias, weight, reduction, ignore_index,
             options):  # fmt: skip
    batched = input.dim() == 2
    if not batched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    opts = options._adjust(num_batches=input.shape[0], in_features=input.shape[1],
                           num_classes=linear_weight.shape[0], dtype=input.dtype,
                           device=input.device)  # fmt: skip
    common = (ignore_index, opts.batch_chunk_size, opts.acc_dtype)
    if reduction == "none":
        out = _ChunkedNoReduction.apply(input, linear_weight, target, linear_bias, weight,
                                        *common)  # fmt: skip
    else:
        # which gradients the forward precomputes (none under no_grad)
        wanted = (
            {
                name
                for name, t in (("input", input), ("weight", linear_weight), ("bias", linear_bias))
                if t is not None and t.requires_grad
            }
            if ember.is_grad_enabled()
            else set()
        )
        out = _ChunkedReduced.apply(input, linear_weight, target, linear_bias, weight,
                                    reduction, *common, opts.allow_retain_graph,
                                    frozenset(wanted))  # fmt: skip
    return out if batched else out.squeeze(0)


def _row_weights(target, weight, ignore_index, dtype):
    """Per-row loss weights: ``weight[target]`` (or 1), 0 where the target is ignored."""
    keep = target != ignore_index
    safe = ember.where(keep, target, 0)
    w = (
        weight.to(dtype)[safe]
        if weight is not None
        else ember.ones(target.shape, dtype=dtype, device=target.device)
    )
    return w * keep.to(dtype), safe


def _accumulate(input, W, target, b, weight, ignore_index, chunk, acc, row_scale, grads):
    """One pass over the row chunks: per-row weighted losses ``(N,)`` and, for the inputs in
    ``grads`` (a subset of 'input', 'weight', 'bias'), their gradients of
    ``sum(row_scale * loss)``. Everything is computed in ``acc`` and returned in the input's
    dtype; at most ``(chunk, C)`` logits are alive at a time."""
    n, dtype = input.shape[0], input.dtype
    Wa = W.to(acc)
    ba = b.to(acc) if b is not None else None
    losses = []
    gx = [] if "input" in grads else None
    gW = ember.zeros(W.shape, dtype=acc, device=W.device) if "weight" in grads else None
    gb = ember.zeros(W.shape[0], dtype=acc, device=W.device) if "bias" in grads else None
    for lo in range(0, n, chunk):
        x = input[lo : lo + chunk].to(acc)
        rw, t = _row_weights(target[lo : lo + chunk], weight, ignore_index, acc)
        z = x @ Wa.T if ba is None else ember.addmm(ba, x, Wa.T)
        lse = z.logsumexp(1, keepdim=True)
        losses.append(rw * (lse - z.gather(1, t.unsqueeze(1))).squeeze(1))
        if not grads:
            continue
        # d loss_i / d z_i = rw_i * (softmax(z_i) - onehot(t_i)), scaled per row
        dz = (z - lse).exp_()
        dz[ember.arange(len(t), device=t.device), t] -= 1
        dz *= (rw * row_scale[lo : lo + chunk].to(acc)).unsqueeze(1)
        if gx is not None:
            gx.append(dz @ Wa)
        if gW is not None:
            gW += dz.T @ x
        if gb is not None:
            gb += dz.sum(0)
    loss = ember.cat(losses).to(dtype)
    gx = ember.cat(gx).to(dtype) if gx is not None else None
    return loss, gx, gW.to(dtype) if gW is not None else None, \
        gb.to(dtype) if gb is not None else None  # fmt: skip


def _wanted(ctx):
    need = ctx.needs_input_grad
    return {name for name, i in (("input", 0), ("weight", 1), ("bias", 3)) if need[i]}


class _ChunkedReduced(Function):
    """'mean'/'sum': the loss and the gradients in one chunked pass; backward scales them."""

    @staticmethod
    def forward(ctx, input, W, target, b, weight, reduction, ignore_index, chunk, acc,
                allow_retain_graph, wanted):  # fmt: skip
        rw, _ = _row_weights(target, weight, ignore_index, acc)
        scale = ember.ones(target.shape, dtype=acc, device=target.device)
        if reduction == "mean":  # weighted mean: sum(w_i * l_i) / sum(w_i), as cross_entropy
            scale = scale / rw.sum()
        loss, gx, gW, gb = _accumulate(input, W, target, b, weight, ignore_index, chunk, acc,
                                       scale, wanted)  # fmt: skip
        ctx.grads = (gx, gW, gb)
        ctx.allow_retain_graph = allow_retain_graph
        total = loss.sum()
        return total / rw.sum().to(total.dtype) if reduction == "mean" else total

    @staticmethod
    def backward(ctx, grad):
        if ctx.grads is None:
            raise RuntimeError(_TWICE)
        gx, gW, gb = ctx.grads
        if ctx.allow_retain_graph:
            scaled = [g * grad if g is not None else None for g in (gx, gW, gb)]
        else:  # the buffers are consumed: scaled in place, no copy
            ctx.grads = None
            scaled = [g.mul_(grad) if g is not None else None for g in (gx, gW, gb)]
        return scaled[0], scaled[1], None, scaled[2], None, None, None, None, None, None, None


class _ChunkedNoReduction(Function):
    """'none': per-row losses; backward recomputes the chunked gradients with the upstream
    per-row gradient folded into the row weights (retain_graph works)."""

    @staticmethod
    def forward(ctx, input, W, target, b, weight, ignore_index, chunk, acc):
        ctx.save_for_backward(input, W, target, b, weight)
        ctx.args = (ignore_index, chunk, acc)
        return _accumulate(input, W, target, b, weight, ignore_index, chunk, acc, None,
                           set())[0]  # fmt: skip

    @staticmethod
    def backward(ctx, grad):
        input, W, target, b, weight = ctx.saved_tensors
        wanted = _wanted(ctx)
        _, gx, gW, gb = _accumulate(input, W, target, b, weight, *ctx.args, grad, wanted)
        return gx, gW, None, gb, None, None, None, None
