"""ember.nn.functional pooling family: max/avg/adaptive/lp pooling and max unpooling.

>>> import ember.nn.functional as F
>>> F.max_pool2d(ember.arange(16.0).reshape(1, 1, 4, 4), 2).flatten().tolist()
[5.0, 7.0, 13.0, 15.0]
"""

from __future__ import annotations

from ...ops.conv import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    max_unpool1d,  # fmt: skip
    max_unpool2d,
    max_unpool3d,
)

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "max_unpool1d", "max_unpool2d", "max_unpool3d", "lp_pool1d", "lp_pool2d",
           "lp_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices"]  # fmt: skip


def _with_indices(fn):
    def g(*args, **kw):
        kw["return_indices"] = True
        return fn(*args, **kw)

    g.__name__ = fn.__name__ + "_with_indices"
    g.__doc__ = f"``(values, indices)`` of {fn.__name__}."
    return g


max_pool1d_with_indices = _with_indices(max_pool1d)
max_pool2d_with_indices = _with_indices(max_pool2d)
max_pool3d_with_indices = _with_indices(max_pool3d)
adaptive_max_pool1d_with_indices = _with_indices(adaptive_max_pool1d)
adaptive_max_pool2d_with_indices = _with_indices(adaptive_max_pool2d)
adaptive_max_pool3d_with_indices = _with_indices(adaptive_max_pool3d)


def _lp(nd, avg):
    def fn(input, norm_type, kernel_size, stride=None, ceil_mode=False):
        """Power-average pooling: ``(sum over the window of x**p) ** (1/p)``."""
        from ...ops.conv import _tuple

        ks = _tuple(kernel_size, nd)
        out = avg(input.pow(norm_type), ks, stride, 0, ceil_mode)
        n = 1
        for k in ks:
            n *= k
        return (out.sign() * out.abs().relu()).mul(n).pow(1.0 / norm_type)

    fn.__name__ = f"lp_pool{nd}d"
    return fn


lp_pool1d, lp_pool2d, lp_pool3d = _lp(1, avg_pool1d), _lp(2, avg_pool2d), _lp(3, avg_pool3d)
