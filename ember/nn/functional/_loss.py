"""ember.nn.functional losses (as torch.nn.functional), written from ops."""

from __future__ import annotations

import math
import warnings

import ember

from ...ops.nn_ops import _nll_loss
from ...ops.registry import _tname
from ._activation import log_softmax, logsigmoid
from ._distance import pairwise_distance

__all__ = [
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss",
    "gaussian_nll_loss", "hinge_embedding_loss", "margin_ranking_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss", "multi_margin_loss", "soft_margin_loss",
    "cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
    "ctc_loss",
]  # fmt: skip


def _legacy(size_average, reduce, reduction):
    """torch's deprecated size_average/reduce pair -> a reduction string."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    warnings.warn(
        "size_average and reduce args will be deprecated, please use reduction='"
        + ("none" if not reduce else "mean" if size_average else "sum")
        + "' instead.",
        stacklevel=3,
    )
    return "none" if not reduce else "mean" if size_average else "sum"


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _same_size(name, input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )


def _class_weight(weight, ndim):
    """``weight`` (C,) shaped to broadcast over dim 1 of an ndim-D input."""
    return weight.reshape((-1,) + (1,) * (ndim - 2)) if ndim >= 2 else weight


def _check_nll(input, target, weight):
    """torch's checks of nll_loss's operands, in its order and with its messages."""
    nd, td = input.ndim, target.ndim
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd > 1 and input.shape[0] != (tn := target.shape[0] if td else 0):
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({tn})."
        )
    expected = (input.shape[0], *input.shape[2:])
    if (nd == 3 or nd > 4) and tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")
    if nd <= 2 and td > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if nd == 4 and td != 3:
        raise RuntimeError(
            f"only batches of spatial targets supported (3D tensors) but got targets of "
            f"dimension: {td}"
        )
    if target.dtype not in (ember.int64, ember.uint8):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_tname(target.dtype)}"
        )
    if nd == 1 and td == 1 and target.shape[0] != 1:
        raise ValueError(
            f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}"
        )
    if nd == 4 and tuple(target.shape) != expected:
        raise RuntimeError(  # torch's text, unbalanced parenthesis included
            f"size mismatch (got input: {list(input.shape)} , target: {list(target.shape)}"
        )
    c = input.shape[1] if nd > 1 else input.shape[0]
    if weight is not None and (weight.ndim != 1 or weight.numel() != c):
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got "
            f"weight tensor of shape: {list(weight.shape)}"
        )
    if not input.dtype.is_floating_point:
        kernel = "nll_loss_out_frame" if nd <= 2 else "nll_loss2d_forward_out_frame"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_tname(input.dtype)}'")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):  # fmt: skip
    """The negative log likelihood of class indices ``target`` under log-probabilities ``input``.

    >>> F.nll_loss(ember.tensor([[-1.0, -2.0]]), ember.tensor([1]))
    tensor(2.)
    """
    reduction = _legacy(size_average, reduce, reduction)
    _check_nll(input, target, weight)
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    keep = target != ignore_index
    safe = ember.where(keep, target, ember.zeros_like(target))
    bad = (safe < 0) | (safe >= c)
    if bool(bad.any()):
        raise IndexError(f"Target {int(safe[bad][0])} is out of bounds.")
    shape = tuple(target.shape)
    if input.ndim == 3 or input.ndim > 4:  # as torch: through nll_loss2d, viewed back
        input = input.reshape(input.shape[0], c, 1, -1)
        target = target.reshape(target.shape[0], 1, -1)
    # one op with a fused backward (torch's nll_loss / nll_loss2d)
    loss = _nll_loss(input, target, weight, reduction=reduction, ignore_index=ignore_index)
    if reduction != "none":
        return loss
    return loss.view(shape) if input.ndim > 2 and loss.shape != shape else loss


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):  # fmt: skip
    """``nll_loss(log_softmax(input, 1), target)``; ``target`` class indices or probabilities.

    >>> F.cross_entropy(ember.tensor([[0.0, 0.0]]), ember.tensor([1]))
    tensor(0.6931)
    """
    reduction = _legacy(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(
            f"label_smoothing must be between 0.0 and 1.0. Got: {float(label_smoothing)}"
        )
    cdim = 0 if input.ndim == 1 else 1
    logp = log_softmax(input, cdim)
    c = input.shape[cdim]
    if target.dtype.is_floating_point:  # class probabilities
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(
                f"Expected target size {list(input.shape)}, got {list(target.shape)}"
            )
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / c
        if weight is not None:
            logp = logp * _class_weight(weight, input.ndim)
        loss = -(logp * target).sum(cdim)
        if reduction == "mean":
            return loss.sum() / (loss.numel() if input.ndim > 0 else 1)
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing <= 0:
        return nll
    keep = target != ignore_index
    wl = logp if weight is None else logp * _class_weight(weight, input.ndim)
    smooth = -wl.sum(cdim) * keep
    if reduction == "mean":
        if weight is None:
            smooth = smooth.sum() / keep.sum()
        else:
            smooth = smooth.sum() / weight[target[keep]].sum()
    else:
        smooth = _reduce(smooth, reduction)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / c)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):  # fmt: skip
    """``-(t log x + (1 - t) log(1 - x))`` with the logs clamped at -100, as torch."""
    reduction = _legacy(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    if bool(((input < 0) | (input > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(
        target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100)
    )
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):  # fmt: skip
    """``binary_cross_entropy(sigmoid(input), target)`` in the stable form."""
    reduction = _legacy(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    ls = logsigmoid(input)
    if pos_weight is not None:
        loss = -(pos_weight * target * ls + (1 - target) * (ls - input))
    else:
        loss = (1 - target) * input - ls
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """``(input - target) ** 2``, reduced."""
    reduction = _legacy(size_average, reduce, reduction)
    _same_size("mse_loss", input, target)
    loss = (input - target) ** 2
    return _reduce(loss if weight is None else loss * weight, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """``|input - target|``, reduced."""
    reduction = _legacy(size_average, reduce, reduction)
    _same_size("l1_loss", input, target)
    loss = (input - target).abs()
    return _reduce(loss if weight is None else loss * weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Quadratic below ``beta``, linear above (``0.5 d**2 / beta`` or ``|d| - beta / 2``)."""
    reduction = _legacy(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    loss = ember.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d**2`` below ``delta``, ``delta (|d| - delta / 2)`` above."""
    d = (input - target).abs()
    loss = ember.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _reduce(loss if weight is None else loss * weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence with log-probabilities ``input`` (``target`` probabilities or logs)."""
    reduction = _legacy(size_average, reduce, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = ember.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):  # fmt: skip
    """Poisson negative log likelihood (``full``: with the Stirling term)."""
    reduction = _legacy(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + ember.where(target > 1, stirling, ember.zeros_like(stirling))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log likelihood with predicted variance ``var``."""
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = var.clone()
    with ember.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):  # fmt: skip
    """``x`` where ``target == 1``, ``max(0, margin - x)`` where ``target == -1``."""
    reduction = _legacy(size_average, reduce, reduction)
    zeros = ember.zeros_like(input)
    margin_clamp = (margin - input).clamp(min=0)
    loss = ember.where(target != 1, margin_clamp, zeros) + ember.where(target != -1, input, zeros)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):  # fmt: skip
    """``max(0, -target * (x1 - x2) + margin)``."""
    reduction = _legacy(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-target * input))``."""
    reduction = _legacy(size_average, reduce, reduction)
    return _reduce(-logsigmoid(target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):  # fmt: skip
    """Per-class binary logistic loss, averaged over classes."""
    reduction = _legacy(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.ndim - 1) / input.shape[-1]
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Hinge loss between the target classes (listed first in ``target``, ended by -1) and the
    others."""
    reduction = _legacy(size_average, reduce, reduction)
    squeeze = input.ndim <= 1
    x = input.reshape(1, -1) if squeeze else input
    t = target.reshape(1, -1) if squeeze else target
    n, c = x.shape
    # classes before the first -1 are targets
    stop = (t < 0).to(ember.int64).cumsum(1) > 0
    valid = ~stop
    safe = ember.where(valid, t, ember.zeros_like(t))
    is_target = ((safe.unsqueeze(-1) == ember.arange(c)) & valid.unsqueeze(-1)).any(1)
    xt = x.gather(1, safe)  # (n, c): score of the j-th target
    diff = (1 - xt.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0)  # (n, j, i)
    mask = valid.unsqueeze(2) & ~is_target.unsqueeze(1)
    loss = (diff * mask).sum((1, 2)) / c
    if squeeze:
        loss = loss.reshape(()) if input.ndim == 0 else loss.squeeze(0)
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):  # fmt: skip
    """``sum_i max(0, margin - x[y] + x[i]) ** p / C`` over ``i != y``."""
    reduction = _legacy(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    squeeze = input.ndim <= 1
    x = input.reshape(1, -1) if squeeze else input
    t = target.reshape(-1)
    c = x.shape[1]
    xy = x.gather(1, t.unsqueeze(1))
    z = (margin - xy + x).clamp(min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t].unsqueeze(1)
    not_y = ember.ones_like(x, dtype=ember.bool).scatter(1, t.unsqueeze(1), False)
    loss = (z * not_y).sum(1) / c
    if squeeze:
        loss = loss.reshape(()) if input.ndim == 0 else loss.squeeze(0)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):  # fmt: skip
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos - margin)`` where -1."""
    reduction = _legacy(size_average, reduce, reduction)
    eps = 1e-12
    d = input1.ndim - 1
    prod = (input1 * input2).sum(d)
    mag = ((input1 * input1).sum(d) + eps) * ((input2 * input2).sum(d) + eps)
    cos = prod / mag.sqrt()
    zeros = ember.zeros_like(cos)
    pos = ember.where(target == 1, 1 - cos, zeros)
    neg = ember.where(target == -1, (cos - margin).clamp(min=0), zeros)
    return _reduce(pos + neg, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):  # fmt: skip
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the p-norm distance."""
    reduction = _legacy(size_average, reduce, reduction)
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs"
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ember.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):  # fmt: skip
    """triplet_margin_loss with any distance function (default pairwise_distance)."""
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: expected margin to be greater "
                         f"than 0, got {margin} instead")  # fmt: skip
    dist = distance_function or pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = ember.minimum(d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


_NEG = -1e30  # log(0) for the CTC recursion: finite, so impossible paths carry no nan gradient


def _lengths(v):
    """Lengths as a list of ints (from a tensor, a sequence or one int)."""
    if isinstance(v, ember.Tensor):
        return [int(i) for i in v.reshape(-1)]
    return [int(i) for i in v] if hasattr(v, "__iter__") else [int(v)]


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):  # fmt: skip
    """Connectionist temporal classification loss (the forward recursion in log space).

    ``log_probs``: (T, N, C) or (T, C); ``targets``: (N, S) padded or all targets concatenated.
    """
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    n = lp.shape[1]
    in_lens, tl = _lengths(input_lengths), _lengths(target_lengths)
    concatenated = targets.ndim == 1 and batched or (not batched and targets.ndim == 0)
    losses, start = [], 0
    for b in range(n):
        if targets.ndim == 2 or (not batched and targets.ndim == 1 and not concatenated):
            row = targets[b] if targets.ndim == 2 else targets
            lab = [int(v) for v in row[: tl[b]]]
        else:
            lab = [int(v) for v in targets[start : start + tl[b]]]
            start += tl[b]
        ext = [blank]
        for c in lab:
            ext += [c, blank]
        L, T = len(ext), in_lens[b]
        emit = lp[:T, b][:, ember.tensor(ext)]  # (T, L)
        skip = ember.tensor([s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]
                             for s in range(L)])  # fmt: skip
        neg = ember.full((L,), _NEG, dtype=lp.dtype)
        alpha = ember.where(ember.arange(L) < 2, emit[0], neg)
        pad = ember.full((2,), _NEG, dtype=lp.dtype)
        for t in range(1, T):
            shifted = ember.cat([pad, alpha])
            a1, a2 = shifted[1 : L + 1], ember.where(skip, shifted[:L], neg)
            alpha = ember.logsumexp(ember.stack([alpha, a1, a2]), 0) + emit[t]
        tail = alpha[L - 2 :] if L > 1 else alpha
        loss = -ember.logsumexp(tail, 0)
        loss = ember.where(loss > -_NEG / 2, ember.tensor(float("inf"), dtype=lp.dtype), loss)
        if zero_infinity:
            loss = ember.where(loss.isinf(), ember.zeros_like(loss), loss)
        losses.append(loss)
    out = ember.stack(losses)
    if reduction == "mean":
        lens = ember.tensor(tl, dtype=out.dtype).clamp(min=1)
        return (out / lens).mean()
    if reduction == "sum":
        return out.sum()
    return out if batched else out[0]
