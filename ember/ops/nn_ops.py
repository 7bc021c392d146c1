"""Ops of torch.nn.functional with fused rules: softmax, log_softmax, gelu, nll_loss.

The rest of nn.functional is written from ops in ``ember/nn/functional``.
"""

from __future__ import annotations

import math

import numpy as np

from ._util import wrap_dim
from .registry import composite, op
from .special_ops import _erf_np


def _softmax_samples(rng):
    x = rng.uniform(-3, 3, (2, 3, 4))
    return [((x, 1), {}), ((x, -1), {}), ((x[0], 0), {}), ((x.transpose(2, 0, 1), 2), {})]


def _shifted(xp, x, dim):
    """``x - max(x)`` along ``dim`` (the max-shift that keeps exp from overflowing)."""
    if x.ndim == 0 or x.size == 0:
        return x - x
    m = xp.amax(x, axis=dim, keepdims=True)
    return x - xp.where(xp.isfinite(m), m, 0)


def _softmax_args(input, dim, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return (input,), {"dim": wrap_dim(dim, input.ndim)}


@op(promote="float", onnx="Softmax", samples=_softmax_samples)
def softmax(xp, x, *, dim):
    """``exp(x) / sum(exp(x))`` along ``dim``.

    >>> ember.softmax(ember.tensor([0.0, 0.0]), 0)
    tensor([0.5000, 0.5000])
    """
    with np.errstate(all="ignore"):
        e = xp.exp(_shifted(xp, x, dim))
        axis = None if x.ndim == 0 else dim
        return (e / xp.sum(e, axis=axis, keepdims=True)).astype(x.dtype, copy=False)


softmax.parser(_softmax_args)
softmax.defvjp(lambda grad, out, x, dim: out * (grad - (grad * out).sum(dim, keepdim=True)))


@op(promote="float", onnx="LogSoftmax", samples=_softmax_samples)
def log_softmax(xp, x, *, dim):
    """``x - logsumexp(x)`` along ``dim``, computed without overflow.

    >>> ember.log_softmax(ember.tensor([0.0, 0.0]), 0)
    tensor([-0.6931, -0.6931])
    """
    with np.errstate(all="ignore"):
        s = _shifted(xp, x, dim)
        axis = None if x.ndim == 0 else dim
        return (s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))).astype(x.dtype, copy=False)


log_softmax.parser(_softmax_args)
log_softmax.defvjp(lambda grad, out, x, dim: grad - out.exp() * grad.sum(dim, keepdim=True))


def _gelu_samples(rng):
    x = rng.uniform(-3, 3, (3, 4))
    return [((x,), {}), ((x,), {"approximate": "tanh"})]


_K = math.sqrt(2 / math.pi)


@op(name="_gelu", method=False, promote="float", grad_name="GeluBackward0", onnx="Gelu",
    samples=_gelu_samples)  # fmt: skip
def _gelu(xp, x, *, approximate="none"):
    if approximate == "tanh":
        inner = _K * (x + 0.044715 * (x * x * x))  # x*x*x: NumPy's x**3 is slow for x < 0
        return (0.5 * x * (1 + xp.tanh(inner))).astype(x.dtype, copy=False)
    return (0.5 * x * (1 + _erf_np(xp, x / math.sqrt(2)))).astype(x.dtype, copy=False)


def _gelu_grad(grad, out, x, approximate="none"):
    if approximate == "tanh":
        t = (_K * (x + 0.044715 * (x * x * x))).tanh()
        return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _K * (1 + 3 * 0.044715 * x * x))
    cdf = 0.5 * (1 + (x / math.sqrt(2)).erf())
    return grad * (cdf + x * (-0.5 * x * x).exp() / math.sqrt(2 * math.pi))


_gelu.defvjp(_gelu_grad)
_gelu.check = lambda lib, x, **kw: lib.nn.functional.gelu(x, **kw)


def _nll_weights(xp, target, weight, ignore_index, dtype):
    """Each position's class (ignored ones read class 0) and its weight (0 when ignored)."""
    keep = target != ignore_index
    safe = xp.where(keep, target, 0)
    w = keep.astype(dtype) if weight is None else (weight[safe] * keep).astype(dtype)
    return safe, w


def _nll_samples(rng):
    x = rng.uniform(-3, 0, (3, 4))
    x4 = rng.uniform(-3, 0, (2, 3, 2, 2))
    t4 = np.array([[[0, 2], [1, 1]], [[2, 0], [-100, 1]]])
    return [((x, np.array([0, 3, 1])), {"reduction": r}) for r in ("mean", "sum", "none")] + [
        ((x, np.array([2, -100, 1])), {}),
        ((x, np.array([1, 0, 1])), {"ignore_index": 1, "reduction": "sum"}),
        ((x4, t4), {}),
        ((x4, t4), {"reduction": "none"}),
        ((x[0], np.array(2)), {}),
        ((x[0], np.array(1)), {"reduction": "none"}),
    ]


def _nll_name(args, params):
    return "NllLoss2DBackward0" if args[0].ndim == 4 else "NllLossBackward0"


@op(name="_nll_loss", method=False, grad_name=_nll_name, samples=_nll_samples)
def _nll_loss(xp, x, target, weight=None, *, reduction="mean", ignore_index=-100):
    """The negative log likelihood of ``target`` classes under log-probabilities ``x``
    (C) or (N, C, ...) in one pass (torch's nll_loss / nll_loss2d); targets are checked by the
    caller."""
    single = x.ndim == 1  # one sample: target () or (1,), output ()
    if single:
        x, target = x[None], target.reshape(1)
    safe, w = _nll_weights(xp, target, weight, ignore_index, x.dtype)
    loss = xp.take_along_axis(x, safe[:, None], axis=1)[:, 0] * w
    loss = xp.negative(loss, out=loss)
    if reduction == "none":
        return loss.reshape(()) if single else loss
    total = loss.sum(dtype=x.dtype)
    if reduction == "sum":
        return xp.asarray(total, x.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):  # no target kept: 0/0 = nan, as torch
        return xp.asarray(total / w.sum(dtype=x.dtype), x.dtype)


# torch's nll_loss2d backward refuses a non-contiguous input ("grad_input must be contiguous")
_nll_loss.check = lambda lib, x, t, **kw: lib.nn.functional.nll_loss(
    x.contiguous() if x.ndim == 4 else x, t, **kw
)


@op(name="_nll_loss_backward", method=False, grad_name="NllLossBackwardBackward0")
def _nll_loss_backward(xp, grad, target, weight=None, *, shape, reduction, ignore_index):
    """The gradient of ``_nll_loss`` for its log-probabilities: ``-w * grad`` at each
    position's class, zero elsewhere (one write per position: no collisions)."""
    if len(shape) == 1:  # one sample (see _nll_loss)
        target, grad = target.reshape(1), grad.reshape(1)
    safe, w = _nll_weights(xp, target, weight, ignore_index, grad.dtype)
    g = grad / w.sum(dtype=grad.dtype) if reduction == "mean" else grad
    out = xp.zeros((len(safe), *shape[-1:]) if len(shape) == 1 else shape, grad.dtype)
    xp.put_along_axis(out, safe[:, None], (-(g * w))[:, None], axis=1)
    return out.reshape(shape)


_nll_loss_backward.no_samples = "the backward of _nll_loss: its sweep runs it to second order"

_nll_loss.defvjp(
    lambda grad, out, x, target, weight=None, *, reduction, ignore_index: _nll_loss_backward(
        grad, target, weight, shape=tuple(x.shape), reduction=reduction,
        ignore_index=ignore_index
    )
)  # fmt: skip
# the loss is linear in x, so the backward's own gradient (for its ``grad``) is the loss again
_nll_loss_backward.defvjp(
    lambda gg, out, grad, target, weight=None, *, shape, reduction, ignore_index: _nll_loss(
        gg, target, weight, reduction=reduction, ignore_index=ignore_index
    )
)  # fmt: skip


# -- torch's top-level names for nn.functional math (aten signatures: positional, reductions as
# the enum 0 none / 1 mean / 2 sum; torch's Python binding defaults them to 0) ---------------

_REDUCTIONS = ("none", "mean", "sum")


def _F():
    from ..nn import functional

    return functional


def _top(name, call, method=False):
    call.__name__ = call.__qualname__ = name
    composite(name, method=method)(call)


_top("dropout", lambda input, p, train: _F().dropout(input, p, train))
_top("dropout_", lambda input, p, train: _F().dropout(input, p, train, True))
_top("alpha_dropout", lambda input, p, train: _F().alpha_dropout(input, p, train))
_top("alpha_dropout_", lambda input, p, train: _F().alpha_dropout(input, p, train, True))
_top("feature_alpha_dropout", lambda input, p, train: _F().feature_alpha_dropout(input, p, train))
_top("feature_alpha_dropout_",
     lambda input, p, train: _F().feature_alpha_dropout(input, p, train, True))  # fmt: skip
_top(
    "feature_dropout", lambda input, p, train: _F()._dropout._dropout(input, p, train, False, True)
)
_top(
    "feature_dropout_", lambda input, p, train: _F()._dropout._dropout(input, p, train, True, True)
)
_top("batch_norm",
     lambda input, weight, bias, running_mean, running_var, training, momentum, eps,
     cudnn_enabled=True: _F().batch_norm(input, running_mean, running_var, weight, bias, training,
                                         momentum, eps))  # fmt: skip
_top("instance_norm",
     lambda input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
     cudnn_enabled=True: _F().instance_norm(input, running_mean, running_var, weight, bias,
                                            use_input_stats, momentum, eps))  # fmt: skip
_top("layer_norm", lambda input, normalized_shape, weight=None, bias=None, eps=1e-5,
     cudnn_enable=True: _F().layer_norm(input, normalized_shape, weight, bias, eps))  # fmt: skip
_top("group_norm", lambda input, num_groups, weight=None, bias=None, eps=1e-5,
     cudnn_enabled=True: _F().group_norm(input, num_groups, weight, bias, eps))  # fmt: skip
_top("rms_norm", lambda input, normalized_shape, weight=None, eps=None:
     _F().rms_norm(input, normalized_shape, weight, eps))  # fmt: skip
_top("embedding", lambda weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False:
     _F().embedding(indices, weight, None if padding_idx < 0 else padding_idx))  # fmt: skip
_top("celu", lambda input, alpha=1.0: _F().celu(input, alpha))
_top("celu_", lambda input, alpha=1.0: _F().celu_(input, alpha))
_top("selu", lambda input: _F().selu(input))
_top("selu_", lambda input: _F().selu_(input))
_top("rrelu", lambda input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None:
     _F().rrelu(input, lower, upper, training))  # fmt: skip
_top("rrelu_", lambda input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None:
     _F().rrelu_(input, lower, upper, training))  # fmt: skip
_top("prelu", lambda input, weight: _F().prelu(input, weight), method=True)
_top("hardshrink", lambda input, lambd=0.5: _F().hardshrink(input, lambd), method=True)
_top("threshold", lambda input, threshold, value: _F().threshold(input, threshold, value))
_top("threshold_", lambda input, threshold, value: _F().threshold_(input, threshold, value))
_top("binary_cross_entropy_with_logits",
     lambda input, target, weight=None, pos_weight=None, reduction=0:
     _F().binary_cross_entropy_with_logits(input, target, weight, pos_weight=pos_weight,
                                           reduction=_REDUCTIONS[reduction]))  # fmt: skip
_top("kl_div", lambda input, target, reduction=0, *, log_target=False:
     _F().kl_div(input, target, reduction=_REDUCTIONS[reduction],
                 log_target=log_target))  # fmt: skip
_top("poisson_nll_loss", lambda input, target, log_input, full, eps, reduction:
     _F().poisson_nll_loss(input, target, log_input, full, eps=eps,
                           reduction=_REDUCTIONS[reduction]))  # fmt: skip
_top("hinge_embedding_loss", lambda input, target, margin=1.0, reduction=0:
     _F().hinge_embedding_loss(input, target, margin,
                               reduction=_REDUCTIONS[reduction]))  # fmt: skip
_top("margin_ranking_loss", lambda input1, input2, target, margin=0.0, reduction=0:
     _F().margin_ranking_loss(input1, input2, target, margin,
                              reduction=_REDUCTIONS[reduction]))  # fmt: skip
_top("cosine_embedding_loss", lambda input1, input2, target, margin=0.0, reduction=0:
     _F().cosine_embedding_loss(input1, input2, target, margin,
                                reduction=_REDUCTIONS[reduction]))  # fmt: skip
_top("triplet_margin_loss", lambda anchor, positive, negative, margin=1.0, p=2, eps=1e-6,
     swap=False, reduction=0: _F().triplet_margin_loss(
         anchor, positive, negative, margin, p, eps, swap,
         reduction=_REDUCTIONS[reduction]))  # fmt: skip
_top("cosine_similarity", lambda x1, x2, dim=1, eps=1e-8: _F().cosine_similarity(x1, x2, dim, eps))
_top("pairwise_distance", lambda x1, x2, p=2.0, eps=1e-6, keepdim=False:
     _F().pairwise_distance(x1, x2, p, eps, keepdim))  # fmt: skip
_top("pdist", lambda input, p=2: _F().pdist(input, p))
_top("ctc_loss", lambda log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
     zero_infinity=False: _F().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                                        _REDUCTIONS[reduction], zero_infinity))  # fmt: skip
