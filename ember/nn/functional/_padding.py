"""ember.nn.functional.pad: constant, reflect, replicate and circular padding.

>>> import ember.nn.functional as F
>>> F.pad(ember.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect").tolist()
[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
"""

from __future__ import annotations

import numpy as np

from ... import ops

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _index(n, lo, hi, mode):
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        if lo >= n or hi >= n:
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({lo}, {hi}) at dimension with size {n}"
            )
        i = np.abs(i)
        i = np.where(i > n - 1, 2 * (n - 1) - i, i)
    elif mode == "replicate":
        i = np.clip(i, 0, n - 1)
    else:
        if lo > n or hi > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        i = i % n
    return i


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims of ``input`` (pairs given last dim first)."""
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode == "constant":
        return ops.conv.constant_pad_nd(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
    n = len(pad) // 2
    if len(pad) % 2 or n > input.ndim - 1 and input.ndim > 1:
        raise NotImplementedError(
            "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now"
        )
    out = input
    for k in range(n):
        d = input.ndim - 1 - k
        lo, hi = int(pad[2 * k]), int(pad[2 * k + 1])
        idx = _index(input.shape[d], lo, hi, mode)
        out = out.index_select(d, ops.conv._as_index(out, idx))
    return out
