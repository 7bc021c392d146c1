"""ember.nn.functional normalization (as torch.nn.functional), written from ops."""

from __future__ import annotations

import ember

__all__ = [
    "batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "local_response_norm",
    "normalize",
]  # fmt: skip


def _shaped(t, ndim):
    """A per-channel (C,) tensor shaped to broadcast over dim 1 of an ndim-D input."""
    return t.reshape((-1,) + (1,) * (ndim - 2))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):  # fmt: skip
    """Normalize over every dim but 1 (batch statistics in training, running ones in eval);
    training updates the running statistics in place.

    >>> F.batch_norm(ember.tensor([[1.0], [3.0]]), None, None, training=True)
    tensor([[-1.0000],
            [ 1.0000]])
    """
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):  # fmt: skip
        if t is not None and input.ndim > 1 and t.numel() != input.shape[1]:
            raise RuntimeError(f"{name} should contain {input.shape[1]} elements not {t.numel()}")
    if training:
        size = input.numel() // input.shape[1]
        if size == 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{tuple(input.shape)}".replace("(", "torch.Size([").replace(")", "])")
            )
    dims = (0,) + tuple(range(2, input.ndim))
    if training or running_mean is None:
        var, mean = ember.var_mean(input, dims, correction=0)
        if training and running_mean is not None:
            n = input.numel() // input.shape[1]
            with ember.no_grad():
                m = 0.1 if momentum is None else momentum
                running_mean.mul_(1 - m).add_(mean.detach() * m)
                unbiased = var.detach() * (n / max(n - 1, 1))
                running_var.mul_(1 - m).add_(unbiased * m)
    else:
        mean, var = running_mean, running_var
    out = (input - _shaped(mean, input.ndim)) * _shaped((var + eps).rsqrt(), input.ndim)
    if weight is not None:
        out = out * _shaped(weight, input.ndim)
    if bias is not None:
        out = out + _shaped(bias, input.ndim)
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):  # fmt: skip
    """batch_norm applied to each sample separately (statistics over spatial dims)."""
    n, c = input.shape[0], input.shape[1]
    x = input.reshape((1, n * c) + tuple(input.shape[2:]))
    rm = running_mean.repeat(n) if running_mean is not None else None
    rv = running_var.repeat(n) if running_var is not None else None
    w = weight.repeat(n) if weight is not None else None
    b = bias.repeat(n) if bias is not None else None
    out = batch_norm(x, rm, rv, w, b, use_input_stats, momentum, eps)
    if use_input_stats and running_mean is not None:
        with ember.no_grad():
            running_mean.copy_(rm.reshape(n, c).mean(0))
            running_var.copy_(rv.reshape(n, c).mean(0))
    return out.reshape(input.shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last ``len(normalized_shape)`` dims."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.ndim - k :]) != shape or k > input.ndim:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size{tuple(input.shape)}".replace(
                "size(", "size["
            ).replace(")", "]")
        )
    dims = tuple(range(input.ndim - k, input.ndim))
    var, mean = ember.var_mean(input, dims, correction=0, keepdim=True)
    out = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize over groups of channels (and the spatial dims)."""
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}"
        )
    x = input.reshape(n, num_groups, -1)
    var, mean = ember.var_mean(x, -1, correction=0, keepdim=True)
    out = ((x - mean) * (var + eps).rsqrt()).reshape(input.shape)
    if weight is not None:
        out = out * _shaped(weight, input.ndim)
    if bias is not None:
        out = out + _shaped(bias, input.ndim)
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x**2) + eps)`` over the last dims (eps: the dtype's eps when None)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    if eps is None:
        eps = ember.finfo(input.dtype).eps
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalize each channel by the energy of its ``size`` neighbours across channels."""
    if input.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    sq = (input * input).unsqueeze(1)
    c, shape = input.shape[1], list(sq.shape)
    before = ember.zeros(shape[:2] + [size // 2] + shape[3:], dtype=input.dtype)
    after = ember.zeros(shape[:2] + [(size - 1) // 2] + shape[3:], dtype=input.dtype)
    sq = ember.cat([before, sq, after], 2)
    div = sum(sq.narrow(2, i, c) for i in range(size)).squeeze(1) / size
    return input / (div * alpha + k) ** beta


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``x / max(||x||_p, eps)`` along ``dim``."""
    denom = ember.linalg.vector_norm(input, p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    return input / denom
