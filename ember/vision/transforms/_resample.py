"""Resampling matrices for the resize modes ember's ``interpolate`` leaves out.

torch resizes with antialias (``_upsample_bilinear2d_aa`` / ``_upsample_bicubic2d_aa``) and
with plain bicubic by separable filters: every output row is a weighted sum of input rows, so
each pass is a matrix ``(out, in)`` and the whole resize is ``Wh @ x @ Ww.T`` (the matmuls
also give gradients). The weights follow ATen's ``UpSampleKernel.cpp``:

- antialias: a filter centred at ``scale * (i + 0.5)``, stretched by ``scale`` when
  downsampling so that it covers every input pixel the output pixel spans (the triangle
  filter for bilinear, Keys' cubic with ``a = -0.5`` for bicubic), normalized to sum 1;
- plain bicubic: Keys' cubic with ``a = -0.75`` on the 4 neighbours of
  ``scale * (i + 0.5) - 0.5``, indices clamped to the border.
"""

from __future__ import annotations

import math

import numpy as np


def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel at ``|x|``."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.maximum(1 - np.abs(x), 0.0)


def antialias_matrix(n_in: int, n_out: int, mode: str) -> np.ndarray:
    """``(n_out, n_in)`` weights of torch's antialiased bilinear/bicubic resize (float64).

    >>> antialias_matrix(6, 3, "bilinear")[1]  # a triangle twice as wide as a pixel
    array([0.   , 0.125, 0.375, 0.375, 0.125, 0.   ])
    """
    scale = n_in / n_out
    half = 2.0 if mode == "bicubic" else 1.0  # half the filter's support, in input pixels
    support = half * scale if scale >= 1 else half
    invscale = 1 / scale if scale >= 1 else 1.0
    w = np.zeros((n_out, n_in))
    for i in range(n_out):
        center = scale * (i + 0.5)
        # int() truncates toward zero, as ATen's static_cast<int64_t>
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n_in)
        x = (np.arange(lo, hi) - center + 0.5) * invscale
        k = _cubic(x, -0.5) if mode == "bicubic" else _triangle(x)
        total = k.sum()
        w[i, lo:hi] = k / total if total != 0 else k
    return w


def bicubic_matrix(n_in: int, n_out: int) -> np.ndarray:
    """``(n_out, n_in)`` weights of torch's bicubic resize without antialias
    (``align_corners=False``), border indices clamped.

    >>> bicubic_matrix(2, 4).sum(axis=1)
    array([1., 1., 1., 1.])
    """
    scale = n_in / n_out
    w = np.zeros((n_out, n_in))
    for i in range(n_out):
        src = scale * (i + 0.5) - 0.5
        x0 = math.floor(src)
        t = src - x0
        coeffs = _cubic(np.array([t + 1, t, 1 - t, 2 - t]), -0.75)
        idx = np.clip(np.arange(x0 - 1, x0 + 3), 0, n_in - 1)
        np.add.at(w[i], idx, coeffs)
    return w
