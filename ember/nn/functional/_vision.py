"""ember.nn.functional vision family: interpolate/upsample, unfold/fold, pixel and channel
shuffles.

    >>> import ember.nn.functional as F
    >>> F.interpolate(ember.ones(1, 1, 2, 2), scale_factor=2).shape
    ember.Size([1, 1, 4, 4])
"""

from __future__ import annotations

import math

import numpy as np

from ... import _creation as C
from ...ops.conv import (
    _as_index,
    _tuple,
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    channel_shuffle,
    convolution,
    pixel_shuffle,
    pixel_unshuffle,  # fmt: skip
)

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "unfold", "fold",
           "pixel_shuffle", "pixel_unshuffle", "channel_shuffle",
           "native_channel_shuffle"]  # fmt: skip

native_channel_shuffle = channel_shuffle
_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _src(out, size, scale, mode, align_corners):
    """Source coordinates (float) of ``out`` output positions along one dim (torch's rules)."""
    d = np.arange(out, dtype=np.float64)
    if mode == "nearest":
        s = scale if scale else size / out
        return np.minimum(np.floor(d * s), size - 1)
    if mode == "nearest-exact":
        s = scale if scale else size / out
        return np.minimum(np.floor((d + 0.5) * s), size - 1)
    if align_corners:
        return d * ((size - 1) / (out - 1)) if out > 1 else d * 0
    s = scale if scale else size / out
    return np.maximum((d + 0.5) * s - 0.5, 0)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):  # fmt: skip
    """Resize the spatial dims of ``(N, C, *spatial)`` (nearest, nearest-exact, linear,
    bilinear, trilinear, area)."""
    nd = input.ndim - 2
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    sp = input.shape[2:]
    if size is not None:
        out = _tuple(size, nd)
        scales = [None] * nd
    else:
        sf = [float(s) for s in _tuple(scale_factor, nd)]
        out = tuple(int(math.floor(sp[i] * sf[i])) for i in range(nd))
        scales = [None if recompute_scale_factor else 1 / s for s in sf]
    if mode == "area":
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nd - 1](input, out)
    if mode in _LINEAR:
        if _LINEAR[mode] != nd:
            raise NotImplementedError(
                f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR[mode] + 2}D input"
            )
    elif mode not in ("nearest", "nearest-exact"):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented")
    x = input
    for i in range(nd):
        d = 2 + i
        src = _src(out[i], sp[i], scales[i], mode, bool(align_corners))
        if mode.startswith("nearest"):
            x = x.index_select(d, _as_index(x, src.astype(np.int64)))
            continue
        i0 = np.floor(src).astype(np.int64)
        i1 = np.minimum(i0 + 1, sp[i] - 1)
        lam = (src - i0).reshape((-1,) + (1,) * (nd - 1 - i))
        lam = C.tensor(lam, dtype=x.dtype, device=x.device)
        a = x.index_select(d, _as_index(x, i0))
        b = x.index_select(d, _as_index(x, i1))
        x = a + (b - a) * lam
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _patch_weight(c, ks, like):
    """Depthwise one-hot kernels: output channel ``c*K + k`` copies kernel offset ``k``."""
    k = math.prod(ks)
    w = np.tile(np.eye(k).reshape(k, 1, *ks), (c, 1, 1, 1))
    return C.tensor(w, dtype=like.dtype, device=like.device)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding local blocks (im2col): ``(N, C, H, W)`` -> ``(N, C*kh*kw, L)``."""
    if input.ndim not in (3, 4):
        raise NotImplementedError(
            "Input Error: Only 3D or 4D input Tensors are supported (got {}D)".format(input.ndim)
        )
    x = input if input.ndim == 4 else input.unsqueeze(0)
    ks = _tuple(kernel_size, 2)
    c = x.shape[1]
    w = _patch_weight(c, ks, x)
    y = convolution(x, w, None, _tuple(stride, 2), _tuple(padding, 2), _tuple(dilation, 2),
                    False, (0, 0), c)  # fmt: skip
    y = y.flatten(2)
    return y if input.ndim == 4 else y.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding local blocks back into an image (col2im): the adjoint of :func:`unfold`."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(
            "Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
            f"(got {input.ndim}D)"
        )
    x = input if input.ndim == 3 else input.unsqueeze(0)
    ks, st, pd, dl = (_tuple(v, 2) for v in (kernel_size, stride, padding, dilation))
    osz = _tuple(output_size, 2)
    k = math.prod(ks)
    c = x.shape[1] // k
    blocks = [(osz[i] + 2 * pd[i] - dl[i] * (ks[i] - 1) - 1) // st[i] + 1 for i in range(2)]
    y = x.reshape(x.shape[0], c * k, *blocks)
    w = _patch_weight(c, ks, x)
    full = [(blocks[i] - 1) * st[i] - 2 * pd[i] + dl[i] * (ks[i] - 1) + 1 for i in range(2)]
    op_ = tuple(osz[i] - full[i] for i in range(2))
    y = convolution(y, w, None, st, pd, dl, True, op_, c)
    return y if input.ndim == 3 else y.squeeze(0)
