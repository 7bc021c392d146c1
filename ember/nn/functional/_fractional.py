"""ember.nn.functional fractional max pooling (Graham, https://arxiv.org/abs/1412.6071): max
pooling over ``kernel_size`` windows whose starts advance by a random, non-integer stride so
that any output size between 1 and ``input - kernel + 1`` comes out.

    >>> import ember.nn.functional as F
    >>> F.fractional_max_pool2d(ember.randn(1, 2, 9, 9), 2, output_size=5).shape
    ember.Size([1, 2, 5, 5])

The window starts along one axis come from one uniform sample ``u`` per (batch, channel) plane,
as torch's ``generate_intervals``: with ``alpha = (in - k) / (out - 1)``, start ``i`` is
``int((i + u) * alpha) - int(u * alpha)`` and the last start is ``in - k`` (computed in the
input's dtype, as torch does, so float32 rounding gives the same windows). The samples are
``_random_samples`` ``(N, C, 2 or 3)`` when given, else drawn from ember's generator
(``ember.rand``); in 2-d sample 0 drives the width and sample 1 the height, in 3-d samples
0, 1, 2 drive time, height, width.
"""

from __future__ import annotations

import itertools
import math

from ... import _creation as C
from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled
from ...ops.registry import _tname, op

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]  # fmt: skip


def _ntuple(v, n):
    """torch's _pair/_triple: a sequence as a tuple, a scalar repeated ``n`` times."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _intervals(xp, u, size, out, k):
    """Window starts ``(*u.shape, out)`` (int64) along an axis of ``size`` for samples ``u``."""
    starts = xp.empty(u.shape + (out,), xp.int64)
    if out > 1:
        dt = u.dtype.type  # every step rounds to the input's dtype (float16 too), as torch
        alpha = dt(dt(size - k) / dt(out - 1))
        i = xp.arange(out - 1, dtype=u.dtype)
        first = (u * alpha).astype(xp.int64)
        starts[..., :-1] = ((i + u[..., None]) * alpha).astype(xp.int64) - first[..., None]
    if out > 0:
        starts[..., -1] = size - k
    return starts


# which sample drives each spatial axis (torch's kernels: 2-d reads W first)
_SAMPLE_OF_AXIS = {2: (1, 0), 3: (0, 1, 2)}


def _frac_samples(rng):
    r, u = rng.standard_normal, rng.uniform
    return [
        ((r((2, 3, 7, 6)), u(size=(2, 3, 2))), {"kernel_size": (2, 2), "output_size": (4, 3)}),
        ((r((1, 2, 5, 8)), u(size=(3, 2, 2))), {"kernel_size": (3, 2), "output_size": (2, 5)}),
        ((r((1, 2, 5, 5, 6)), u(size=(1, 2, 3))),
         {"kernel_size": (2, 3, 2), "output_size": (3, 2, 4)}),
    ]  # fmt: skip


def _frac_name(args, params):
    return f"FractionalMaxPool{len(params['kernel_size'])}DBackward0"


@op(multi=True, method=False, grad_name=_frac_name, samples=_frac_samples)
def _fractional_max_pool(xp, x, samples, *, kernel_size, output_size):
    """Max of every window and the flat (per-plane) input index of the max: the first maximum
    in window order, or the last NaN (torch's ``val > max || isnan(val)``)."""
    nd = len(kernel_size)
    unbatched = x.ndim == nd + 1
    if unbatched:  # (C, *sizes): torch takes it as is (one plane set, samples[0])
        x = x[None]
    n, c, *sizes = x.shape
    u = samples[:n]
    strides = [math.prod(sizes[a + 1 :]) for a in range(nd)]
    base = 0  # flat index of each window's first element, (N, C, *out)
    for a, s in enumerate(_SAMPLE_OF_AXIS[nd]):
        st = _intervals(xp, u[..., s], sizes[a], output_size[a], kernel_size[a])
        shape = (n, c) + tuple(output_size[a] if b == a else 1 for b in range(nd))
        base = base + st.reshape(shape) * strides[a]
    base = xp.broadcast_to(base, (n, c, *output_size)).reshape(n, c, -1)
    flat = x.reshape(n, c, -1)
    best = xp.full(base.shape, -xp.inf, x.dtype)
    arg = base.copy()
    for off in itertools.product(*(range(k) for k in kernel_size)):
        idx = base + sum(o * s for o, s in zip(off, strides))
        v = xp.take_along_axis(flat, idx, 2)
        take = (v > best) | xp.isnan(v)
        best = xp.where(take, v, best)
        arg = xp.where(take, idx, arg)
    out_shape = (c, *output_size) if unbatched else (n, c, *output_size)
    return best.reshape(out_shape), arg.reshape(out_shape)


def _frac_grad(grad, out, x, samples, *, kernel_size, output_size):
    """Each output's gradient goes to its argmax (windows overlap: positions add up)."""
    nd = len(kernel_size)
    g = grad[0].flatten(-nd)
    gi = g.new_zeros(*g.shape[:-1], math.prod(x.shape[-nd:]))
    return gi.scatter_add(-1, out[1].flatten(-nd), g).reshape(x.shape)


_fractional_max_pool.defvjp(_frac_grad, None)
_fractional_max_pool.check = lambda lib, x, s, *, kernel_size, output_size: getattr(
    lib.nn.functional, f"fractional_max_pool{len(kernel_size)}d")(
    x, kernel_size, output_size, return_indices=True, _random_samples=s.detach())  # fmt: skip


def _check(nd, input, kernel_size, output_size, samples):
    """torch's checks, in its order: argument lengths, input dims, window fit, samples."""
    name = f"fractional_max_pool{nd}d"
    where = name + ("()" if nd == 2 else "_out()")
    how = "Ints" if nd == 2 else "three Ints"
    ks, osz = _ntuple(kernel_size, nd), _ntuple(output_size, nd)
    if len(ks) != nd:
        raise RuntimeError(f"{name}: kernel_size must either be a single Int or tuple of {how}")
    if len(osz) != nd:
        raise RuntimeError(f"{name}: output_size must either be a single Int or tuple of {how}")
    ks, osz = tuple(int(k) for k in ks), tuple(int(o) for o in osz)
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{where}: Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(input.shape)}"
        )
    for i in range(1, input.ndim):
        if input.shape[i] <= 0:
            raise RuntimeError(
                f"{where}: Expected input to have non-zero size for non-batch dimensions, but "
                f"got{list(input.shape)} with dimension {i} being empty."
            )
    names = ("height", "width") if nd == 2 else ("time", "height", "width")
    sizes = input.shape[-nd:]
    for a in range(nd):  # torch's 3-d check is strict: the window may not reach the end
        if osz[a] + ks[a] - 1 > sizes[a] - (nd == 3):
            raise RuntimeError(
                f"{where}: pool {names[a]} {ks[a]} too large relative to input {names[a]} "
                f"{sizes[a]}"
            )
    if any(o < 0 for o in osz):
        o = min(osz)
        shape = list(input.shape[:-nd]) + list(osz)
        raise RuntimeError(f"Trying to create tensor with negative dimension {o}: {shape}")
    if samples.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"The function '{name}' is not differentiable with respect to argument "
            "'random_samples'. This input cannot have requires_grad True."
        )
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    n = input.shape[0] if input.ndim == nd + 2 else 1
    c = input.shape[-nd - 1]
    if samples.shape[0] < n:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(
            f"Expect _random_samples.size(2) equals to {nd}; got {samples.shape[2]}."
        )
    if not input.is_floating_point():
        raise NotImplementedError(
            f"\"{name}_out_frame\" not implemented for '{_tname(input.dtype)}'"
        )
    return ks, osz


def _fractional(nd, input, kernel_size, output_size, output_ratio, _random_samples):
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:  # len() of a bare float raises, as in torch
            raise ValueError(
                f"{name} requires output_ratio to either be a single Int or tuple of Ints."
            )
        ratio = _ntuple(output_ratio, nd)
        output_size = [int(input.size(a - nd) * ratio[a]) for a in range(nd)]
    if _random_samples is None:
        n = 1 if input.ndim == nd + 1 else input.size(0)
        _random_samples = C.rand(n, input.size(-nd - 1), nd, dtype=input.dtype,
                                 device=input.device)  # fmt: skip
    ks, osz = _check(nd, input, kernel_size, output_size, _random_samples)
    return _fractional_max_pool(input, _random_samples, kernel_size=ks, output_size=osz)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None):  # fmt: skip
    """``(output, indices)`` of 2-d fractional max pooling over ``(N, C, H, W)`` or
    ``(C, H, W)``; ``indices`` are flat ``h * W + w`` per plane (for max_unpool2d)."""
    return _fractional(2, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None):  # fmt: skip
    """``(output, indices)`` of 3-d fractional max pooling over ``(N, C, T, H, W)`` or
    ``(C, T, H, W)``."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False,
                          _random_samples: Tensor | None = None):  # fmt: skip
    """2-d fractional max pooling: ``kernel_size`` windows placed at random fractional strides
    to give ``output_size`` (or ``output_ratio`` times the input size).

    >>> F.fractional_max_pool2d(ember.randn(1, 1, 6, 6), 2, output_ratio=(0.5, 0.5)).shape
    ember.Size([1, 1, 3, 3])
    """
    out, idx = _fractional(2, input, kernel_size, output_size, output_ratio, _random_samples)
    return (out, idx) if return_indices else out


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False,
                          _random_samples: Tensor | None = None):  # fmt: skip
    """3-d fractional max pooling over ``(N, C, T, H, W)`` or ``(C, T, H, W)``."""
    out, idx = _fractional(3, input, kernel_size, output_size, output_ratio, _random_samples)
    return (out, idx) if return_indices else out
