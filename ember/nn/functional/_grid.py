"""ember.nn.functional sampling grids: affine_grid and grid_sample (Spatial Transformer Networks),
and torch's primitives behind them (``ember.affine_grid_generator``, ``ember.grid_sampler``,
``ember.grid_sampler_2d``, ``ember.grid_sampler_3d``).

    >>> import ember.nn.functional as F
    >>> theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> grid = F.affine_grid(theta, [1, 1, 4, 4], align_corners=False)
    >>> F.grid_sample(ember.ones(1, 1, 4, 4), grid, align_corners=False).shape
    ember.Size([1, 1, 4, 4])

How a sample is computed (torch's rules, ``aten/src/ATen/native/GridSampler.h``): a grid value
``g`` in [-1, 1] becomes the pixel coordinate ``x`` (``align_corners`` says whether -1 and 1 are
the centres or the outer edges of the corner pixels); bilinear and nearest modes then move ``x``
into the image (``padding_mode`` border: clip; reflection: reflect, then clip); the taps around
``x`` (2 per axis for (bi/tri)linear, 1 for nearest, 4 for bicubic) are read, taps outside the
image read 0, and weighted by functions of the fraction ``t = x - floor(x)``.

The forward is NumPy: per tap one gather of all points at once. The gradients are written in
ember ops from the same plan: ``x`` is piecewise linear in ``g`` (slope ``m``: the unnormalizing
scale, a sign per reflection, 0 where clipped), so ``t = g * m + const`` with NumPy constants
and the tap weights are polynomials of that ember ``t``; the input gradient scatters
``grad * weight`` to the taps, the grid gradient sums ``grad * input[tap] * dweight/dt * m``.
Both are differentiable again, so second order works (torch 2.13 has it too).
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from ... import _dtype as D
from ..._device import device_of, get_xp
from ..._tensor import Tensor
from ...ops._util import wrap_dim
from ...ops.registry import _tname, composite, op

__all__ = ["affine_grid", "grid_sample", "GRID_SAMPLE_INTERPOLATION_MODES",
           "GRID_SAMPLE_PADDING_MODES", "conv_tbc"]  # fmt: skip

GRID_SAMPLE_INTERPOLATION_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
GRID_SAMPLE_PADDING_MODES = {"zeros": 0, "border": 1, "reflection": 2}

_BILINEAR, _NEAREST, _BICUBIC = 0, 1, 2
_ZEROS, _BORDER, _REFLECTION = 0, 1, 2
_A = -0.75  # the cubic convolution constant torch uses (OpenCV's; PIL uses -0.5)

_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
    "Please specify align_corners=True if the old behavior is desired. See the documentation of "
    "grid_sample for details."
)


# -- the plan: coordinates, taps and weights (NumPy; the weights also work on ember tensors) ----


def _unnormalize(g, size, align):
    """Grid value -> pixel coordinate, and the (constant) slope d(pixel)/d(grid)."""
    if align:
        return (g + 1) / 2 * (size - 1), (size - 1) / 2
    return ((g + 1) * size - 1) / 2, size / 2


def _clip(xp, x, size):
    """Clip into [0, size-1]; NaN goes to 0 (torch: "NaN values in grid are -1"). Also whether
    ``x`` was strictly inside (the borders count as clipped, as in torch's gradient)."""
    inside = (x > 0) & (x < size - 1)
    return xp.where(x > 0, xp.minimum(x, size - 1), 0).astype(x.dtype, copy=False), inside


def _reflect(xp, x, twice_low, twice_high):
    """torch's reflect_coordinates: fold ``x`` into [low, high] by repeated reflection; also the
    sign of d(result)/dx."""
    if twice_low == twice_high:
        return xp.zeros_like(x), xp.zeros_like(x)
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    x = x - low
    sign = xp.where(x < 0, -1, 1).astype(x.dtype)
    x = xp.abs(x)
    with np.errstate(invalid="ignore"):  # inf / NaN: clipped to 0 afterwards, as in torch
        extra = xp.fmod(x, span)
        odd = xp.floor(x / span) % 2 == 1
    return xp.where(odd, span - extra + low, extra + low).astype(x.dtype), xp.where(
        odd, -sign, sign
    )


def _pad_coord(xp, x, size, padding, align):
    """Move pixel coordinates into the image by ``padding``; the slope factor it adds."""
    if padding == _ZEROS:
        return x, 1
    slope = 1
    if padding == _REFLECTION:
        lo, hi = (0, 2 * (size - 1)) if align else (-1, 2 * size - 1)
        x, slope = _reflect(xp, x, lo, hi)
    x, inside = _clip(xp, x, size)
    return x, slope * inside


def _cc1(x):  # cubic convolution kernel for |x| <= 1
    return ((_A + 2) * x - (_A + 3)) * x * x + 1


def _cc2(x):  # cubic convolution kernel for 1 < |x| < 2
    return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A


def _dcc1(x):
    return (3 * (_A + 2) * x - 2 * (_A + 3)) * x


def _dcc2(x):
    return (3 * _A * x - 10 * _A) * x + 8 * _A


def _weights(t, mode):
    """Per tap along one axis: the weight as a function of ``t`` (NumPy array or ember tensor)
    and its derivative d(weight)/dt."""
    if mode == _BILINEAR:
        return [1 - t, t], [-1, 1]
    return ([_cc2(t + 1), _cc1(t), _cc1(1 - t), _cc2(2 - t)],
            [_dcc2(t + 1), _dcc1(t), -_dcc1(1 - t), -_dcc2(2 - t)])  # fmt: skip


class _Axis:
    """One spatial axis of the plan: per tap the input index (int64, clamped into range) and
    whether it lies inside the image; the fraction ``t``; ``slope`` = d(coordinate)/d(grid)."""

    __slots__ = ("index", "inside", "t", "slope", "g")

    def __init__(self, xp, g, size, mode, padding, align):
        self.g = g
        x, m = _unnormalize(g, size, align)
        if mode == _BICUBIC:  # taps are padded one by one; t comes from the raw coordinate
            base = xp.floor(x)
            taps = [_pad_coord(xp, base + k, size, padding, align)[0] for k in (-1, 0, 1, 2)]
            self.slope = xp.full_like(x, m)
        else:
            x, s = _pad_coord(xp, x, size, padding, align)
            self.slope = (s * m).astype(x.dtype) if padding else xp.full_like(x, m)
            if mode == _NEAREST:
                taps = [xp.rint(x)]  # round half to even, as torch's nearbyint
            else:
                base = xp.floor(x)
                taps = [base, base + 1]
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, as in torch
            self.t = None if mode == _NEAREST else x - base
        self.inside = [(i >= 0) & (i <= size - 1) for i in taps]
        self.index = [xp.where(ok, i, 0).astype(xp.int64) for i, ok in zip(taps, self.inside)]


def _plan(xp, grid, sizes, mode, padding, align):
    """The axes (in input order D, H, W) for grid values ``(N, *out, nd)``, flattened to
    ``(N, P)``; grid component 0 is x (the last input axis)."""
    nd = len(sizes)
    g = grid.reshape(grid.shape[0], math.prod(grid.shape[1:-1]), nd)
    return [_Axis(xp, g[..., nd - 1 - a], sizes[a], mode, padding, align) for a in range(nd)]


def _taps(axes, sizes):
    """Every tap of the tensor product: ``(per-axis tap numbers, flat index, inside)``."""
    strides = [math.prod(sizes[a + 1 :]) for a in range(len(sizes))]
    for ks in itertools.product(*(range(len(ax.index)) for ax in axes)):
        flat = sum(ax.index[k] * s for ax, k, s in zip(axes, ks, strides))
        ok = axes[0].inside[ks[0]]
        for ax, k in zip(axes[1:], ks[1:]):
            ok = ok & ax.inside[k]
        yield ks, flat, ok


# -- the ops ----------------------------------------------------------------------------------


def _grid_samples(rng):
    def grid(shape, lo=-1.2, hi=1.2):
        return rng.uniform(lo, hi, shape)

    x2, x3 = rng.standard_normal((2, 2, 3, 4)), rng.standard_normal((1, 2, 3, 3, 2))
    return [((x2, grid((2, 2, 3, 2)), m, p, a), {})
            for m, p, a in [(0, 0, False), (0, 1, True), (0, 2, False), (1, 0, False),
                            (2, 0, False), (2, 2, True), (2, 1, False)]] + [
        ((x3, grid((1, 2, 2, 2, 3)), 0, 0, False), {}),
        ((x3, grid((1, 2, 1, 2, 3)), 0, 2, True), {}),
        ((x3, grid((1, 1, 2, 2, 3)), 1, 1, False), {}),
    ]  # fmt: skip


def _check_sampler(input, grid, nd, interpolation_mode):
    """torch's grid_sampler checks, in its order (common ones first)."""
    if input.ndim == 0 or grid.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if input.shape[:1] != grid.shape[:1]:
        raise RuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input with "
            f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if grid.ndim == 0 or grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, but "
            f"got grid with sizes {list(grid.shape)}"
        )
    for i in range(2, input.ndim):
        if input.shape[i] <= 0:
            raise RuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but input "
                f"has sizes {list(input.shape)} with dimension {i} being empty"
            )
    if input.ndim != nd + 2 or grid.ndim != input.ndim:
        raise RuntimeError(
            f"grid_sampler(): expected {nd + 2}D input and grid with same number of dimensions, "
            f"but got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if nd == 3 and interpolation_mode == _BICUBIC:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    # torch's 2-d kernel returns an empty output before it looks at dtypes; the 3-d one checks
    # the input's dtype first
    empty = input.shape[0] * input.shape[1] * math.prod(grid.shape[1:-1]) == 0
    if nd == 2 and empty:
        return
    if not input.is_floating_point():
        kernel = "grid_sampler_2d_cpu_kernel_impl" if nd == 2 else "grid_sampler3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_tname(input.dtype)}'")
    if grid.dtype != input.dtype and not empty:
        raise RuntimeError(
            f"expected scalar type {_tname(input.dtype)} but found {_tname(grid.dtype)}"
        )


def _rows(xp, x, index):
    """``x`` ``(N, C, S)`` read at the flat positions ``index`` ``(N, K)``: ``(N, K, C)``. It goes
    through channels-last rows, so each position reads C contiguous values."""
    n, c, s = x.shape
    rows = xp.moveaxis(x, 1, 2).reshape(n * s, c)
    return xp.take(rows, index + (xp.arange(n) * s)[:, None], axis=0)


def _sample(xp, input, grid, interpolation_mode, padding_mode, align_corners):
    """The forward: per tap, one gather of every output point's input row."""
    n, c, *sizes = input.shape
    out_sp = grid.shape[1:-1]
    if n * c * math.prod(out_sp) == 0:
        return xp.zeros((n, c, *out_sp), input.dtype)
    axes = _plan(xp, grid, sizes, interpolation_mode, padding_mode, align_corners)
    weights = [None if ax.t is None else _weights(ax.t, interpolation_mode)[0] for ax in axes]
    x = input.reshape(n, c, math.prod(sizes))
    out = xp.zeros((n, axes[0].g.shape[1], c), input.dtype)
    for ks, flat, ok in _taps(axes, sizes):
        w = ok.astype(input.dtype)
        for a, k in enumerate(ks):
            if weights[a] is not None:
                w = w * weights[a][k]
        out += _rows(xp, x, flat) * w[..., None]
    return xp.ascontiguousarray(xp.moveaxis(out, 2, 1)).reshape(n, c, *out_sp)


# The two linear maps the gradients need, adjoint to each other (so each one's VJP is the
# other): read ``(N, C, S)`` at flat positions ``index`` ``(N, K)``, and add ``(N, C, K)`` into
# those positions. ``index`` is a NumPy parameter: it comes from the grid's values, not its
# gradient. The scatter is a bincount (np.add.at is ~5x slower at this size).


@op(method=False, grad_name="GatherBackward0")
def _grid_gather(xp, x, *, index):
    return xp.ascontiguousarray(xp.moveaxis(_rows(xp, x, index), 2, 1))


@op(method=False, grad_name="ScatterAddBackward0")
def _grid_scatter(xp, src, *, index, size):
    n, c, k = src.shape
    flat = (xp.arange(n * c) * size).reshape(n, c, 1) + index[:, None, :]
    out = xp.bincount(flat.ravel(), weights=src.ravel(), minlength=n * c * size)
    return out.astype(src.dtype, copy=False).reshape(n, c, size)


_grid_gather.defvjp(lambda grad, out, x, *, index: _grid_scatter(grad, index=index,
                                                                 size=x.shape[2]))  # fmt: skip
_grid_scatter.defvjp(lambda grad, out, src, *, index, size: _grid_gather(grad, index=index))
_grid_gather.no_samples = (
    "grid_sampler's gradient helper, run by the sweep's grid_sampler_* samples"
)
_grid_scatter.no_samples = _grid_gather.no_samples


def _make_sampler(nd):
    name = f"grid_sampler_{nd}d"

    def forward(xp, input, grid, *, interpolation_mode, padding_mode, align_corners):
        return _sample(xp, input, grid, interpolation_mode, padding_mode, align_corners)

    forward.__name__ = forward.__qualname__ = name
    forward.__doc__ = (
        f"torch.{name}(input, grid, interpolation_mode, padding_mode, align_corners): "
        "grid_sample with the modes as integers (GRID_SAMPLE_*_MODES)."
    )
    samples = lambda rng: [s for s in _grid_samples(rng) if s[0][0].ndim == nd + 2]
    o = op(name, method=False, grad_name=f"GridSampler{nd}DBackward0", samples=samples)(forward)

    @o.parser
    def _parse(input, grid, interpolation_mode, padding_mode, align_corners):
        _check_sampler(input, grid, nd, int(interpolation_mode))
        return (input, grid), {"interpolation_mode": int(interpolation_mode),
                               "padding_mode": int(padding_mode),
                               "align_corners": bool(align_corners)}  # fmt: skip

    o.defvjp(_grad_input, _grad_grid)
    return o


def _const(arr, like):
    """A NumPy/CuPy constant as a tensor in ``like``'s dtype (no gradient)."""
    t = Tensor._wrap(arr.astype(D.to_numpy_dtype(like.dtype), copy=False))
    if not isinstance(arr, np.ndarray):
        t._device = device_of(arr)
    return t


class _Taps:
    """The plan for the gradient rules, every tap at once: ``index`` ``(N, T*P)`` flat input
    positions, ``inside`` ``(N, T, P)`` 0/1, and per axis ``(N, T, P)`` ember tensors of the grid:
    ``w[a]`` the axis' weight factor of each tap, ``dw[a]`` its derivative d/dt; ``slope[a]``
    = dt/dgrid. Axes without weights (nearest) have ``w[a] is None``."""

    def __init__(self, grid, sizes, mode, padding, align):
        xp = get_xp(grid.device)
        nd = len(sizes)
        axes = _plan(xp, grid.detach()._data, sizes, mode, padding, align)
        taps = list(_taps(axes, sizes))
        n = grid.shape[0]
        p = math.prod(grid.shape[1:-1])
        self.count = len(taps)
        self.index = xp.stack([f for _, f, _ in taps], 1).reshape(n, len(taps) * p)
        self.inside = _const(xp.stack([ok for _, _, ok in taps], 1), grid)
        which = np.array([ks for ks, _, _ in taps]).reshape(len(taps), nd)
        self.w, self.dw, self.slope = [], [], []
        for a, ax in enumerate(axes):
            self.slope.append(_const(ax.slope, grid))
            if ax.t is None:
                self.w.append(None)
                self.dw.append(None)
                continue
            # t as an ember function of the grid: grid * slope + const (the NumPy t, exactly)
            g = grid.select(-1, nd - 1 - a).reshape(n, p)
            t = g * self.slope[a] + _const(ax.t - ax.slope * ax.g, grid)
            pick = Tensor._wrap(which[:, a]).to(grid.device)
            ws, dws = _weights(t, mode)
            self.w.append(_stack(ws).index_select(1, pick))
            self.dw.append(_stack([d * t.new_ones(t.shape) if isinstance(d, int) else d
                                   for d in dws]).index_select(1, pick))  # fmt: skip

    def weight(self, skip=None):
        """The tap weights ``(N, T, P)`` (0 outside); axis ``skip`` contributes d/dt."""
        w = self.inside
        for a, (wa, da) in enumerate(zip(self.w, self.dw)):
            if wa is not None:
                w = w * (da if a == skip else wa)
        return w


def _stack(ts):
    from ...ops.shape import stack

    return stack(ts, 1)


def _grad_input(grad, out, input, grid, *, interpolation_mode, padding_mode, align_corners):
    n, c, *sizes = input.shape
    taps = _Taps(grid, sizes, interpolation_mode, padding_mode, align_corners)
    g = grad.reshape(n, c, 1, math.prod(grid.shape[1:-1]))
    src = (g * taps.weight().unsqueeze(1)).reshape(n, c, taps.index.shape[1])  # (N, C, T*P)
    return _grid_scatter(src, index=taps.index, size=math.prod(sizes)).reshape(input.shape)


def _grad_grid(grad, out, input, grid, *, interpolation_mode, padding_mode, align_corners):
    if interpolation_mode == _NEAREST:  # piecewise constant in the grid: zero, as in torch
        return grid.detach().new_zeros(grid.shape)
    n, c, *sizes = input.shape
    nd = len(sizes)
    taps = _Taps(grid, sizes, interpolation_mode, padding_mode, align_corners)
    p = math.prod(grid.shape[1:-1])
    vals = _grid_gather(input.reshape(n, c, math.prod(sizes)), index=taps.index)
    s = (vals.reshape(n, c, taps.count, p) * grad.reshape(n, c, 1, p)).sum(
        1
    )  # d loss / d tap weight
    parts = [(s * taps.weight(skip=a)).sum(1) * taps.slope[a] for a in range(nd)]
    return _stack(parts[::-1]).transpose(1, 2).reshape(grid.shape)  # components x, y(, z)


grid_sampler_2d, grid_sampler_3d = _make_sampler(2), _make_sampler(3)


@composite(method=False)
def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """torch.grid_sampler: grid_sampler_2d for 4-D input, grid_sampler_3d otherwise."""
    f = grid_sampler_2d if input.ndim == 4 else grid_sampler_3d
    return f(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:  # fmt: skip
    """Sample ``input`` ``(N, C, [D,] H, W)`` at the normalized locations ``grid``
    ``(N, [D_out,] H_out, W_out, 2 or 3)`` (x, y[, z] in [-1, 1]).

    mode: ``'bilinear'`` (trilinear for 5-D input), ``'nearest'`` or ``'bicubic'`` (4-D only);
    padding_mode: ``'zeros'``, ``'border'`` or ``'reflection'`` for locations outside.

    >>> x = ember.arange(4.0).reshape(1, 1, 2, 2)
    >>> g = ember.tensor([[[[0.0, 0.0]]]])
    >>> F.grid_sample(x, g, align_corners=True)
    tensor([[[[1.5000]]]])
    """
    if mode not in GRID_SAMPLE_INTERPOLATION_MODES:
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in GRID_SAMPLE_PADDING_MODES:
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    return grid_sampler(input, grid, GRID_SAMPLE_INTERPOLATION_MODES[mode],
                        GRID_SAMPLE_PADDING_MODES[padding_mode], align_corners)  # fmt: skip


# -- affine_grid ------------------------------------------------------------------------------


def _base_grid(xp, sizes, align, dtype):
    """``(prod(sizes), nd + 1)`` rows ``[x, y(, z), 1]`` of the normalized output grid."""

    def line(s):
        if s <= 1:
            return xp.zeros(max(s, 0), dtype)
        r = xp.linspace(-1, 1, s)
        if xp.dtype(dtype).kind in "iu":  # torch: an int linspace, then an int base grid
            r = xp.trunc(r)
        return (r if align else r * (s - 1) / s).astype(dtype)

    mesh = xp.meshgrid(*(line(s) for s in sizes), indexing="ij")
    cols = [m.reshape(-1) for m in mesh[::-1]]  # x varies along the last axis
    return xp.stack(cols + [xp.ones_like(cols[0])], axis=1)


def _affine_samples(rng):
    t2, t3 = rng.standard_normal((2, 2, 3)), rng.standard_normal((1, 3, 4))
    return [((t2, [2, 3, 4, 5], False), {}), ((t2, [2, 1, 3, 1], True), {}),
            ((t3, [1, 2, 3, 2, 4], False), {}), ((t3, [1, 1, 2, 1, 3], True), {})]  # fmt: skip


@op(method=False, samples=_affine_samples)
def affine_grid_generator(xp, theta, *, size, align_corners):
    """torch.affine_grid_generator(theta, size, align_corners): the grid of affine_grid."""
    sizes = size[2:]
    base = _base_grid(xp, sizes, align_corners, theta.dtype)
    grid = xp.matmul(base, theta.transpose(0, 2, 1))  # (N, P, nd)
    return grid.reshape(theta.shape[0], *sizes, len(sizes))


@affine_grid_generator.parser
def _affine_parse(theta, size, align_corners):
    # torch's checks come from its steps: the base grid (a linspace), then
    # base.view(N, P, nd+1).bmm(theta.transpose(1, 2)).view(N, *sizes, nd)
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise RuntimeError("AffineGridGenerator needs 4d (spatial) or 5d (volumetric) inputs.")
    if theta.dtype == D.bool_:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    wrap_dim(1, theta.ndim), wrap_dim(2, theta.ndim)  # torch's transpose(1, 2) errors
    if theta.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    nd = len(size) - 2
    if theta.shape[0] != size[0] or theta.shape[2] != nd + 1:
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{size[0]}, {nd + 1}] but got: [{theta.shape[0]}, {theta.shape[2]}]."
        )
    if theta.shape[1] != nd:
        raise RuntimeError(
            f"shape '{[size[0], *size[2:], nd]}' is invalid for input of size "
            f"{math.prod(size[2:]) * size[0] * theta.shape[1]}"
        )
    return (theta,), {"size": size, "align_corners": bool(align_corners)}


def _affine_grad(grad, out, theta, *, size, align_corners):
    sizes = size[2:]
    xp = get_xp(grad.device)
    base = _const(_base_grid(xp, sizes, align_corners, D.to_numpy_dtype(grad.dtype)), grad)
    g = grad.reshape(grad.shape[0], math.prod(sizes), len(sizes))
    return g.transpose(1, 2).matmul(base)


affine_grid_generator.defvjp(_affine_grad)


def affine_grid(theta: Tensor, size: list[int], align_corners: bool | None = None) -> Tensor:
    """The sampling grid ``(N, [D,] H, W, 2 or 3)`` of the affine maps ``theta``
    (``(N, 2, 3)`` for a 4-D ``size``, ``(N, 3, 4)`` for a 5-D one).

    >>> theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> F.affine_grid(theta, [1, 1, 1, 2], align_corners=False)
    tensor([[[[-0.5000,  0.0000],
              [ 0.5000,  0.0000]]]])
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) in (4, 5):
        nd = len(size) - 2
        if theta.ndim != 3 or theta.shape[-2] != nd or theta.shape[-1] != nd + 1:
            kind = "2D" if nd == 2 else "3D"
            raise ValueError(
                f"Expected a batch of {kind} affine matrices of shape Nx{nd}x{nd + 1} for size "
                f"{size}. Got {theta.shape}."
            )
        spatial = size[2:]
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}."
        )
    if align_corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    return affine_grid_generator(theta, size, align_corners)


# -- conv_tbc ---------------------------------------------------------------------------------
# torch.conv_tbc: a 1-d convolution over (time, batch, channels) input (fairseq's layout). It
# lives beside the grid ops for want of a conv file of its own in this family.


def _tbc_samples(rng):
    r = rng.standard_normal
    return [
        ((r((7, 2, 3)), r((3, 3, 4)), r(4)), {}),
        ((r((5, 3, 2)), r((2, 2, 3)), r(3), 1), {}),
        ((r((6, 1, 2)), r((4, 2, 2)), r(2), -1), {}),
        ((r((3, 2, 2)), r((2, 2, 1)), r(1), 3), {}),
    ]


@op(method=False, samples=_tbc_samples)
def conv_tbc(xp, input, weight, bias, *, pad=0):
    """Convolve ``input`` ``(T, B, C_in)`` with ``weight`` ``(K, C_in, C_out)`` over time, padding
    ``pad`` steps of zeros at both ends (a negative ``pad`` crops); adds ``bias`` ``(C_out,)``.

    >>> ember.conv_tbc(ember.ones(5, 2, 3), ember.ones(3, 3, 4), ember.zeros(4), 1).shape
    ember.Size([5, 2, 4])
    """
    t, b, ci = input.shape
    k, _, co = weight.shape
    olen = t + 2 * pad - k + 1
    x = input[max(-pad, 0) : t - max(-pad, 0)]
    if pad > 0:
        x = xp.pad(x, [(pad, pad), (0, 0), (0, 0)])
    out = xp.empty((olen, b, co), input.dtype)
    out[...] = bias
    # one GEMM per kernel tap (K is small): out[s] += x[s + j] @ weight[j]
    for j in range(k):
        out += xp.matmul(x[j : j + olen].reshape(-1, ci), weight[j]).reshape(olen, b, co)
    return out


@conv_tbc.parser
def _tbc_parse(input, weight, bias, pad=0):
    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError(
            "Weight tensor must have 3 dims: kernel_width, in_channels, out_channels."
        )
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if bias.shape[0] != weight.shape[2]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    olen = input.shape[0] + 2 * int(pad) - weight.shape[0] + 1
    if olen < 0:
        shape = [olen, input.shape[1], weight.shape[2]]
        raise RuntimeError(f"Trying to create tensor with negative dimension {olen}: {shape}")
    if olen > 0 and input.dtype != weight.dtype:  # torch's per-tap addmm says so
        raise RuntimeError(
            f"self and mat2 must have the same dtype, but got {_tname(input.dtype)} and "
            f"{_tname(weight.dtype)}"
        )
    if olen > 0 and input.dtype == D.bool_:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    return (input, weight, bias), {"pad": int(pad)}


# The gradients are conv_tbc's again (so second order works): the input's is the convolution of
# grad with the time-flipped, transposed kernel (padding K-1-pad; negative crops); the weight's
# contracts time and batch: a conv_tbc of the input seen as (time, C_in, batch) with grad as
# the kernel, which gives exactly K outputs.
conv_tbc.defvjp(
    lambda grad, out, input, weight, bias, *, pad: conv_tbc(
        grad, weight.flip(0).transpose(1, 2), grad.new_zeros(weight.shape[1]),
        weight.shape[0] - 1 - pad),
    lambda grad, out, input, weight, bias, *, pad: conv_tbc(
        input.transpose(1, 2), grad, grad.new_zeros(grad.shape[2]), pad),
    lambda grad, out, input, weight, bias, *, pad: grad,  # the engine sums to bias's shape
)  # fmt: skip
# torch's conv_tbc raises on an input whose (time, batch) dims cannot be viewed as one (its
# kernel calls .view); ember takes any layout (tests/test_grid_sample.py checks that), so the
# sweep calls both with a contiguous input.
conv_tbc.check = lambda lib, input, *rest: lib.conv_tbc(input.contiguous(), *rest)
