"""Convolution and pooling ops: one N-d convolution (transposed or not) and its gradients.

A convolution is im2col + GEMM, and the strided copy of im2col, not the GEMM, is what costs:
NumPy copies a strided view one innermost run at a time (a few ns a run). Two layouts, picked
per call by the runs each would copy (``_channels_last``):

- channels-first: columns ``(N, G, Cg*K, P)`` copied from a window view of the NCHW input
  (runs of the last output dim); ``matmul(w, cols)`` is then already the NCHW output: no
  transposes, and groups, stride and dilation are batch dims and strides of the same view.
  Best where channels are few (LeNet's 1->6 conv: 5x fewer runs than channels-last).
- channels-last: columns ``(N, *out, *kernel, C)`` (runs of kw*C), one GEMM, at the price of
  transposing the input and the output. Best where channels are many (64x16x14x14*32x16x5x5).

The input gradient and the transposed conv are a GEMM to channels-first columns, then one
add per kernel tap into the output (col2im); at stride 1 on flattened images, where each tap
is one shifted run per sample (``_col2im_flat``). The weight gradient is the forward's columns
(rebuilt) against the output gradient, in the forward's layout. NumPy ufuncs pay ~10-20 ns per
innermost run, copies ~3-5 ns: the kernels here are arranged for long runs, not fewer FLOPs.
Max pooling with kernel == stride (``_max_pool_tiled``) is a reshape and running maxima.
"""

from __future__ import annotations

import math

import numpy as np

from .._device import xp_of
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from .registry import composite, op

__all__: list = []


# -- array kernels (xp = numpy/cupy) ---------------------------------------------------------


def _pairs(padding, nd):
    """Per spatial dim (lo, hi) from ints or (lo, hi) pairs."""
    return [p if isinstance(p, (tuple, list)) else (p, p) for p in padding[:nd]]


def _pad_cf(xp, x, pads, value=0):
    """Channels-first ``x`` with its spatial dims padded by ``pads`` (negative pads crop)."""
    if all(lo == 0 and hi == 0 for lo, hi in pads):
        return x
    crop = tuple(slice(max(-lo, 0), x.shape[i + 2] - max(-hi, 0)) for i, (lo, hi) in
                 enumerate(pads))  # fmt: skip
    x = x[(slice(None), slice(None)) + crop]
    pw = [(0, 0), (0, 0)] + [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
    if any(p != (0, 0) for p in pw):
        return xp.pad(x, pw, constant_values=value)
    return x


def _out_sizes(sp, ksize, stride, dilation):
    return [(sp[i] - dilation[i] * (ksize[i] - 1) - 1) // stride[i] + 1 for i in range(len(sp))]


def _channels_last(c, o, sp, ksize, osz, groups):
    """Whether channels-last columns are cheaper to build than channels-first ones.

    A cost model of NumPy's strided copy, measured on the bench machine: ~3 ns per innermost
    run; channels-first copies runs of ``out[-1]``, channels-last runs of ``kw*C`` but also
    transposes the input and the output (~0.7 ns an element)."""
    if groups != 1:
        return False
    first = 3 * c * math.prod(ksize) * math.prod(osz[:-1])
    last = 3 * math.prod(osz) * math.prod(ksize[:-1]) + 0.7 * (c * math.prod(sp)
                                                                + o * math.prod(osz))  # fmt: skip
    return last < first


def _cols_cf(xp, x, ksize, stride, dilation, groups, osz):
    """Channels-first columns ``(N, G, Cg*K, P)`` of the padded input ``x`` (one copy)."""
    n, c = x.shape[:2]
    nd = len(ksize)
    cg = c // groups
    s = x.strides
    shape = (n, groups, cg, *ksize, *osz)
    strides = (s[0], s[1] * cg, s[1], *(s[i + 2] * dilation[i] for i in range(nd)),
               *(s[i + 2] * stride[i] for i in range(nd)))  # fmt: skip
    cols = _buffer(xp, shape, x.dtype)
    cols[...] = xp.lib.stride_tricks.as_strided(x, shape, strides)
    return cols.reshape(n, groups, cg * math.prod(ksize), math.prod(osz))


def _cols_cl(xp, x, ksize, stride, dilation, osz):
    """Channels-last columns ``(N * P, K * C)`` of the padded input ``x`` (two copies)."""
    nd = len(ksize)
    xl = xp.ascontiguousarray(x.transpose(0, *range(2, nd + 2), 1))
    s = xl.strides
    shape = (xl.shape[0], *osz, *ksize, xl.shape[-1])
    strides = (s[0], *(s[i + 1] * stride[i] for i in range(nd)),
               *(s[i + 1] * dilation[i] for i in range(nd)), s[-1])  # fmt: skip
    cols = _buffer(xp, shape, xl.dtype)
    cols[...] = xp.lib.stride_tricks.as_strided(xl, shape, strides)
    return cols.reshape(xl.shape[0] * math.prod(osz), -1)


# The forward's columns, kept for the weight gradient (it would rebuild the same copy): by the
# input array's identity, checked with ``is``. The engine raises before a rule runs when a saved
# input changed in place (version counter), so a hit is the forward's own input; a write that
# bypasses version counters (``x.numpy()[...] = ...``) between forward and backward is not
# seen, as in torch it is undefined. Taken (popped) by the backward; the oldest dropped past a
# budget, and nothing kept when grad mode is off.
_KEPT: dict = {}
_KEPT_BYTES = 32 << 20  # the budget of the kept columns, and of the pool below (each)


# Column buffers are few and large (MBs): they come from a small pool, and the weight gradient
# hands them back, so a training step allocates none. Allocating them afresh each step makes
# glibc map and unmap them, and the page faults (~1 us per 4 KiB here) cost more than the copy
# (measured: keeping columns without the pool raised LeNet's step from 5.6 to 8.9 ms).
_POOL: dict = {}  # (backend, shape, dtype) -> free arrays


def _buffer(xp, shape, dtype):
    free = _POOL.get((xp.__name__, shape, dtype))
    return free.pop() if free else xp.empty(shape, dtype)


def _release(xp, a):
    a = a if a.base is None else a.base  # the buffer, not the reshaped view of it
    free = _POOL.setdefault((xp.__name__, a.shape, a.dtype), [])
    pooled = sum(b.nbytes for bs in _POOL.values() for b in bs)
    if len(free) < 2 and pooled + a.nbytes <= _KEPT_BYTES:
        free.append(a)


def _keep(x, key, cols):
    """Keep ``cols`` for the weight gradient; False when not kept (the caller releases it)."""
    if not STATE.grad or cols.nbytes > _KEPT_BYTES:
        return False
    _KEPT.pop(id(x), None)
    total = cols.nbytes + sum(e[2].nbytes for e in _KEPT.values())
    while _KEPT and total > _KEPT_BYTES:
        total -= _KEPT.pop(next(iter(_KEPT)))[2].nbytes
    _KEPT[id(x)] = (x, key, cols)
    return True


def _kept(x, key):
    e = _KEPT.pop(id(x), None)
    return e[2] if e is not None and e[0] is x and e[1] == key else None


def _conv(xp, x, w, b, stride, pads, dilation, groups):
    """Cross-correlation plus bias, channels-first in and out (a fresh contiguous array)."""
    n, nd = x.shape[0], x.ndim - 2
    o, ks = w.shape[0], w.shape[2:]
    x0, x = x, _pad_cf(xp, x, pads)
    osz = _out_sizes(x.shape[2:], ks, stride, dilation)
    if min(osz) <= 0:
        raise RuntimeError("Output size is too small")
    bshape = (-1,) + (1,) * nd
    last = _channels_last(x.shape[1], o, x.shape[2:], ks, osz, groups)
    key = (tuple(ks), tuple(stride), tuple(map(tuple, pads)), tuple(dilation), groups, last)
    if last:
        cols = _cols_cl(xp, x, ks, stride, dilation, osz)
        wl = w.transpose(0, *range(2, nd + 2), 1).reshape(o, -1)
        res = (cols @ wl.T).reshape(n, *osz, o).transpose(0, nd + 1, *range(1, nd + 1))
        if not _keep(x0, key, cols):
            _release(xp, cols)
        if b is None:
            return xp.ascontiguousarray(res)
        return xp.add(res, b.reshape(bshape), out=xp.empty(res.shape, res.dtype))
    cols = _cols_cf(xp, x, ks, stride, dilation, groups, osz)
    wg = w.reshape(groups, o // groups, -1)
    res = xp.matmul(wg[0], cols[:, 0]) if groups == 1 else xp.matmul(wg, cols)
    if not _keep(x0, key, cols):
        _release(xp, cols)
    res = res.reshape(n, o, *osz)
    if b is not None:
        res += b.reshape(bshape)
    return res


def _col2im(xp, cols, full, ksize, stride, dilation):
    """Sum columns ``(N, C, *kernel, *in)`` into ``(N, C, *full)``: one strided add per tap."""
    n, c = cols.shape[:2]
    nd = len(ksize)
    isz = cols.shape[2 + nd :]
    out = xp.zeros((n, c, *full), cols.dtype)
    lead = (slice(None), slice(None))
    for off in _offsets(ksize):
        dst = tuple(slice(off[i] * dilation[i], off[i] * dilation[i] + (isz[i] - 1) * stride[i]
                          + 1, stride[i]) for i in range(nd))  # fmt: skip
        view = out[lead + dst]
        xp.add(view, cols[lead + off], out=view)
    return out


def _col2im_flat(xp, x, w, full, ksize, dilation, groups):
    """Stride-1 transposed conv on flattened images. ``x`` spread on the ``full`` grid makes
    every kernel tap a shift of one flat index; the GEMM writes columns ``(N, G, K, Og, flat)``
    (taps outermost, zero past the last input position) so that each tap adds into the output
    as one shifted run per sample, spilling only zeros past a channel's end, instead of one run
    per output line (NumPy ufuncs pay ~10-20 ns a run). The GEMM also multiplies the grid's
    gaps (zeros): ~1.4x the FLOPs on LeNet's 8x8 gradients, cheaper than short runs. Samples
    go in chunks whose columns stay in L2 (~1.5 MB; 15-20% faster than one pass, measured)."""
    n, ci = x.shape[:2]
    cg, og = ci // groups, w.shape[1]
    nd = len(ksize)
    isz = x.shape[2:]
    kk = math.prod(ksize)
    step = [math.prod(full[d + 1 :]) for d in range(nd)]
    flat = math.prod(full)
    length = sum((isz[d] - 1) * step[d] for d in range(nd)) + 1
    grid = xp.zeros((n, ci, *full), x.dtype)
    grid[(slice(None), slice(None)) + tuple(slice(0, s) for s in isz)] = x
    xg = grid.reshape(n, groups, cg, flat)[..., :length]
    # weight rows ordered (tap, out channel): (G, K*Og, Cg)
    wk = w.reshape(groups, cg, og, kk).transpose(0, 3, 2, 1).reshape(groups, kk * og, cg)
    offs = [sum(o[d] * dilation[d] * step[d] for d in range(nd)) for o in _offsets(ksize)]
    per = groups * og * flat  # output elements per sample
    chunk = max(1, min(n, (3 << 19) // (per * kk * x.itemsize)))
    buf = _buffer(xp, (chunk, groups, kk * og, flat), x.dtype)
    buf[..., length:] = 0
    out = xp.zeros(n * per + max(offs), x.dtype)
    for s0 in range(0, n, chunk):
        m = min(chunk, n - s0)
        xp.matmul(wk, xg[s0 : s0 + m], out=buf[:m, ..., :length])
        cols = buf[:m].reshape(m, groups, kk, og * flat)
        for k, at in enumerate(offs):
            dst = out[s0 * per + at : (s0 + m) * per + at].reshape(m, groups, og * flat)
            xp.add(dst, cols[:, :, k], out=dst)  # not ``dst[...] +=``: that copies dst on itself
    _release(xp, buf)
    return out[: n * per].reshape(n, groups * og, *full)


def _conv_t(xp, x, w, stride, pads, dilation, output_padding, groups):
    """Transposed conv (also the input gradient of a conv): one GEMM to channels-first columns
    ``(N, Cout, *kernel, *in)``, then col2im (no zero-inserted input, no FLOPs on padding)."""
    n, nd = x.shape[0], x.ndim - 2
    ci, og = w.shape[0], w.shape[1]
    cg = ci // groups
    ks = w.shape[2:]
    isz = x.shape[2:]
    full = [(isz[i] - 1) * stride[i] + dilation[i] * (ks[i] - 1) + 1 for i in range(nd)]
    wg = w.reshape(groups, cg, -1).swapaxes(1, 2)  # (G, Og*K, Cg)
    if all(s == 1 for s in stride):
        out = _col2im_flat(xp, x, w, full, ks, dilation, groups)
    else:
        xg = x.reshape(n, groups, cg, -1)
        cols = xp.matmul(wg[0], xg[:, 0]) if groups == 1 else xp.matmul(wg, xg)
        out = _col2im(xp, cols.reshape(n, groups * og, *ks, *isz), full, ks, stride, dilation)
    # crop the padding; output_padding may reach past the computed rows: those are zeros
    sl = []
    need = []
    for i, (lo, hi) in enumerate(pads):
        end = full[i] - hi + output_padding[i]
        sl.append(slice(lo, min(end, full[i])))
        need.append(max(end - full[i], 0))
    if any(s.start or s.stop != full[i] for i, s in enumerate(sl)):
        out = xp.ascontiguousarray(out[(slice(None), slice(None)) + tuple(sl)])
    if any(need):
        out = xp.pad(out, [(0, 0), (0, 0)] + [(0, e) for e in need])
    return out


def _conv_wgrad(xp, x, g, ksize, stride, pads, dilation, groups):
    """Weight gradient of ``conv(x, w)`` given the output gradient ``g``."""
    nd = x.ndim - 2
    n, c = x.shape[:2]
    o = g.shape[1]
    x0, x = x, _pad_cf(xp, x, pads)
    osz = _out_sizes(x.shape[2:], ksize, stride, dilation)
    # the padded input may hold rows past the last window: crop g to the windows
    g = g[(slice(None), slice(None)) + tuple(slice(0, s) for s in osz)]
    last = _channels_last(c, o, x.shape[2:], ksize, osz, groups)
    key = (tuple(ksize), tuple(stride), tuple(map(tuple, pads)), tuple(dilation), groups, last)
    cols = _kept(x0, key)
    if last:
        if cols is None:
            cols = _cols_cl(xp, x, ksize, stride, dilation, osz)
        gl = g.transpose(0, *range(2, nd + 2), 1).reshape(-1, o)
        r = (gl.T @ cols).reshape(o, *ksize, c)
        _release(xp, cols)
        return xp.ascontiguousarray(r.transpose(0, nd + 1, *range(1, nd + 1)))
    if cols is None:
        cols = _cols_cf(xp, x, ksize, stride, dilation, groups, osz)
    gg = g.reshape(n, groups, o // groups, -1)
    if groups == 1:
        r = xp.matmul(gg[:, 0], cols[:, 0].swapaxes(1, 2)).sum(0)
    else:
        r = xp.matmul(gg, cols.swapaxes(2, 3)).sum(0)
    _release(xp, cols)
    return r.reshape(o, c // groups, *ksize)


# -- the op --------------------------------------------------------------------------------


def _tuple(v, nd):
    if not isinstance(v, (tuple, list)) and not hasattr(v, "__len__"):
        return (v,) * nd
    v = tuple(v)
    return v * nd if len(v) == 1 else v


def _conv_samples(rng):
    r = rng.standard_normal
    return [
        ((r((2, 3, 7)), r((4, 3, 3)), r(4), [1], [1], [1], False, [0], 1), {}),
        ((r((2, 4, 6, 5)), r((6, 2, 3, 2)), r(6), [2, 1], [1, 0], [1, 2], False, [0, 0], 2), {}),
        ((r((1, 2, 4, 3)), r((2, 3, 2, 2)), None, [2, 2], [0, 1], [1, 1], True, [1, 0], 1), {}),
        (
            (
                r((1, 2, 3, 3, 3)),
                r((2, 2, 2, 2, 2)),
                r(2),
                [1] * 3,
                [0] * 3,
                [1] * 3,
                False,
                [0] * 3,
                1,
            ),
            {},
        ),  # fmt: skip
    ]


@op(promote="common", method=False, samples=_conv_samples)
def convolution(xp, input, weight, bias=None, *, stride=(1,), padding=(0,), dilation=(1,),
                transposed=False, output_padding=(0,), groups=1):  # fmt: skip
    """N-d convolution (1-3 spatial dims), transposed or not; torch.convolution.

    >>> x, w = ember.ones(1, 1, 4, 4), ember.ones(1, 1, 3, 3)
    >>> ember.convolution(x, w, None, [1], [0], [1], False, [0], 1).shape
    ember.Size([1, 1, 2, 2])
    """
    nd = input.ndim - 2
    pads = _pairs(padding, nd)
    if not transposed:
        return _conv(xp, input, weight, bias, stride, pads, dilation, groups)
    out = _conv_t(xp, input, weight, stride, pads, dilation, output_padding, groups)
    if bias is not None:
        out += bias.reshape((-1,) + (1,) * nd)
    return out


@convolution.parser
def _conv_parse(input, weight, bias=None, stride=(1,), padding=(0,), dilation=(1,),
                transposed=False, output_padding=(0,), groups=1):  # fmt: skip
    nd = weight.ndim - 2
    pad = padding
    if isinstance(pad, (tuple, list)) and len(pad) and isinstance(pad[0], (tuple, list)):
        pad = tuple(tuple(p) for p in pad)
    else:
        pad = _tuple(pad, nd)
    params = {"stride": _tuple(stride, nd), "padding": pad, "dilation": _tuple(dilation, nd),
              "transposed": bool(transposed), "output_padding": _tuple(output_padding, nd),
              "groups": int(groups)}  # fmt: skip
    return (input, weight, bias), params


def _input_grad_size(xs, gs, ks, stride, pads, dilation):
    """output_padding that makes conv_transpose(grad) come back to ``xs`` spatial sizes."""
    return tuple(xs[i] - ((gs[i] - 1) * stride[i] - pads[i][0] - pads[i][1]
                          + dilation[i] * (ks[i] - 1) + 1) for i in range(len(xs)))  # fmt: skip


def _grad_input(grad, out, input, weight, bias, *, stride, padding, dilation, transposed,
                output_padding, groups):  # fmt: skip
    nd = input.ndim - 2
    if transposed:
        return convolution(grad, weight, None, stride, padding, dilation, False, (0,) * nd,
                           groups)  # fmt: skip
    pads = _pairs(padding, nd)
    op_ = _input_grad_size(input.shape[2:], grad.shape[2:], weight.shape[2:], stride, pads,
                           dilation)  # fmt: skip
    return convolution(grad, weight, None, stride, padding, dilation, True, op_, groups)


def _grad_weight(grad, out, input, weight, bias, *, stride, padding, dilation, transposed,
                 output_padding, groups):  # fmt: skip
    if transposed:
        return _conv_weight(grad, input, ksize=tuple(weight.shape[2:]), stride=stride,
                            padding=padding, dilation=dilation, groups=groups)  # fmt: skip
    return _conv_weight(input, grad, ksize=tuple(weight.shape[2:]), stride=stride,
                        padding=padding, dilation=dilation, groups=groups)  # fmt: skip


def _grad_bias(grad, out, input, weight, bias, **kw):
    return grad.sum([0] + list(range(2, grad.ndim)))


convolution.defvjp(_grad_input, _grad_weight, _grad_bias)


@op(promote="common", method=False, grad_name="ConvolutionBackwardBackward0")
def _conv_weight(xp, x, g, *, ksize, stride, padding, dilation, groups):
    """The weight gradient of ``conv(x, w)`` given the output gradient ``g``."""
    pads = _pairs(padding, x.ndim - 2)
    return _conv_wgrad(xp, x, g, ksize, stride, pads, dilation, groups)


def _cw_grad_x(gw, out, x, g, *, ksize, stride, padding, dilation, groups):
    nd = x.ndim - 2
    pads = _pairs(padding, nd)
    op_ = _input_grad_size(x.shape[2:], g.shape[2:], ksize, stride, pads, dilation)
    return convolution(g, gw, None, stride, padding, dilation, True, op_, groups)


def _cw_grad_g(gw, out, x, g, *, ksize, stride, padding, dilation, groups):
    nd = x.ndim - 2
    return convolution(x, gw, None, stride, padding, dilation, False, (0,) * nd, groups)


_conv_weight.defvjp(_cw_grad_x, _cw_grad_g)
_conv_weight.no_samples = "weight-gradient helper of convolution, run by its double backward"


def _out_size(size, k, s, p, d, ceil):
    """Pooling output length (torch's pooling_output_shape)."""
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    o = num // s + 1
    if ceil and (o - 1) * s >= size + p:
        o -= 1
    return o


# -- pooling ------------------------------------------------------------------------------


def _windows(xp, x, ks, stride, pad, dilation, ceil, fill):
    """``(N, C, *out, *kernel)`` windows of ``x`` padded with ``fill`` (a view)."""
    nd = len(ks)
    sp = x.shape[2:]
    osz = [_out_size(sp[i], ks[i], stride[i], pad[i], dilation[i], ceil) for i in range(nd)]
    hi = [max((osz[i] - 1) * stride[i] + dilation[i] * (ks[i] - 1) + 1 - sp[i] - pad[i], 0)
          for i in range(nd)]  # fmt: skip
    pw = [(0, 0), (0, 0)] + [(pad[i], hi[i]) for i in range(nd)]
    xp_ = xp.pad(x, pw, constant_values=fill) if any(map(any, pw)) else x
    xp_ = xp.ascontiguousarray(xp_)
    s = xp_.strides
    shape = (*x.shape[:2], *osz, *ks)
    strides = (s[0], s[1], *(s[i + 2] * stride[i] for i in range(nd)),
               *(s[i + 2] * dilation[i] for i in range(nd)))  # fmt: skip
    return xp.lib.stride_tricks.as_strided(xp_, shape, strides), osz, xp_.shape[2:]


def _pool_samples(rng):
    r = rng.standard_normal
    return [
        ((r((2, 3, 7, 6)),), {"kernel_size": 2}),
        ((r((2, 3, 7, 6)),), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ]


def _max_pool_name(args, params):
    return f"MaxPool{len(params['kernel_size'])}DWithIndicesBackward0"


@op(multi=True, method=False, grad_name=_max_pool_name)
def _max_pool(xp, x, *, kernel_size, stride, padding, dilation, ceil_mode):
    """Max pooling with the flat (per channel) input indices of the maxima."""
    nd = len(kernel_size)
    fill = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
    v, osz, psz = _windows(xp, x, kernel_size, stride, padding, dilation, ceil_mode, fill)
    # a running max over the kernel offsets: K passes over the output, no window copy
    lead = (Ellipsis,)
    offs = list(_offsets(kernel_size))
    out = v[lead + offs[0]].copy()
    arg = xp.zeros(out.shape, xp.int64)
    isf = x.dtype.kind == "f"
    for k, off in enumerate(offs[1:], 1):
        s = v[lead + off]
        m = s > out
        if isf:  # a NaN wins as in torch
            m |= s != s
        xp.copyto(out, s, where=m)
        xp.copyto(arg, k, where=m)
    # flat input index = window start + the chosen offset's flat distance
    sp = x.shape[2:]
    inst = [math.prod(sp[i + 1 :]) for i in range(nd)]
    table = xp.asarray([sum(o[i] * dilation[i] * inst[i] for i in range(nd)) for o in offs])
    base = 0
    for i in range(nd):
        shp = [1] * nd
        shp[i] = osz[i]
        base = base + ((xp.arange(osz[i]) * stride[i] - padding[i]) * inst[i]).reshape(shp)
    return out, table[arg] + base


_max_pool.no_samples = "called by max_poolNd, whose tests compare it with torch"


def _max_pool_grad(grad, out, x, **kw):
    return _max_unpool(grad[0], out[1], size=tuple(x.shape[2:]))


_max_pool.defvjp(_max_pool_grad)


@op(method=False, grad_name=lambda a, p: f"MaxUnpool{len(p['size'])}DBackward0")
def _max_unpool(xp, x, indices, *, size):
    """Scatter ``x`` to the flat positions ``indices`` of a zero ``(N, C, *size)`` array
    (positions that repeat add up, as max pooling's gradient needs)."""
    n, c = x.shape[:2]
    m = math.prod(size)
    base = (xp.arange(n * c) * m).reshape(n, c, *(1,) * (x.ndim - 2))
    flat = (indices + base).ravel()
    out = xp.bincount(flat, weights=x.ravel().astype(xp.float64), minlength=n * c * m)
    return out.astype(x.dtype).reshape(n, c, *size)


def _unpool_grad(grad, out, x, indices, *, size):
    g = grad.flatten(2)
    return g.gather(2, indices.flatten(2)).reshape(indices.shape)


_max_unpool.defvjp(_unpool_grad, None)
_max_unpool.no_samples = "called by max_unpoolNd and max pooling's gradient"


# Max pooling over non-overlapping windows (kernel == stride, no padding or dilation: LeNet's
# and most CNNs' pooling) needs no window copy and no flat indices: the windows are a reshape,
# the max a running maximum over the K taps, and the backward routes each gradient to the tap
# the forward chose (its "code", one byte per output) by K masked strided copies.


def _tiled(x, ks, st, pad, dil, ceil):
    """Whether max pooling of ``x`` can take the non-overlapping fast path."""
    sp = x.shape[2:]
    return (tuple(st) == tuple(ks) and not any(pad) and all(d == 1 for d in dil)
            and x.dtype.is_floating_point
            and all(sp[i] >= ks[i] and (not ceil or sp[i] % ks[i] == 0)
                    for i in range(len(ks))))  # fmt: skip


def _tiles(x, ks):
    """``x`` as ``(N, C, o1, k1, o2, k2, ...)`` windows (a view; a ragged edge is dropped)."""
    nd = len(ks)
    osz = [x.shape[2 + i] // ks[i] for i in range(nd)]
    x = x[(slice(None), slice(None)) + tuple(slice(0, o * k) for o, k in zip(osz, ks))]
    return x.reshape(*x.shape[:2], *(d for ok in zip(osz, ks) for d in ok))


def _tap(off):
    """The index of one kernel tap in a ``_tiles`` view."""
    return (slice(None), slice(None)) + tuple(d for o in off for d in (slice(None), o))


def _max_pool_tiled_name(args, params):
    nd = len(params["kernel_size"])
    if params.get("adaptive"):
        return f"AdaptiveMaxPool{nd}DBackward0"
    return f"MaxPool{nd}DWithIndicesBackward0"


@op(multi=True, method=False, grad_name=_max_pool_tiled_name)
def _max_pool_tiled(xp, x, *, kernel_size, adaptive=False):
    """Max pooling over non-overlapping windows: the values and, per output, the tap (row-major
    offset in its window) that holds the maximum (the first one; a NaN wins, the last, as in
    torch's ``val > max || isnan(val)`` scan).

    One spatial dim at a time, the last first: NumPy ufuncs cost ~10 ns per innermost run, and
    the taps of the last dim are one long strided run; ties keep the smaller tap at each level,
    which is torch's row-major first maximum."""
    nd = len(kernel_size)
    osz = [x.shape[2 + i] // k for i, k in enumerate(kernel_size)]
    a = x[(slice(None), slice(None)) + tuple(slice(0, o * k) for o, k in zip(osz, kernel_size))]
    ctype = xp.uint8 if math.prod(kernel_size) < 256 else xp.int32
    code = None
    inner = 1  # taps of the dims already reduced
    for d in reversed(range(nd)):
        k = kernel_size[d]
        split = a.shape[: 2 + d] + (osz[d], k) + a.shape[3 + d :]
        v = a.reshape(split)
        cv = None if code is None else code.reshape(split)
        lead = (slice(None),) * (3 + d)
        best = v[lead + (0,)].copy()
        bc = xp.zeros(best.shape, ctype) if cv is None else cv[lead + (0,)].copy()
        for t in range(1, k):
            nb = xp.maximum(best, v[lead + (t,)])  # keeps best where equal, propagates NaN
            m = nb != best  # tap t is greater (NaN windows are redone below)
            new = t * inner if cv is None else cv[lead + (t,)] + t * inner
            bc = bc + m * (new - bc)  # a select by arithmetic: xp.where is 10x slower here
            best = nb
        a, code = best, bc
        inner *= k
    if xp.isnan(a).any():  # rare: redo the taps of the windows that hold a NaN
        t = _tiles(x, kernel_size)
        offs = list(_offsets(kernel_size))
        code[...] = 0
        best = t[_tap(offs[0])].copy()
        for k, off in enumerate(offs[1:], 1):
            s = t[_tap(off)]
            m = (s > best) | (s != s)
            xp.copyto(code, k, where=m)
            xp.copyto(best, s, where=m)
    return a, code


def _max_pool_tiled_grad(grad, out, x, *, kernel_size, adaptive=False):
    return _tile_scatter(grad[0], out[1], kernel_size=kernel_size, size=tuple(x.shape[2:]))


_max_pool_tiled.defvjp(_max_pool_tiled_grad)
_max_pool_tiled.no_samples = "called by max_poolNd, whose tests compare it with torch"


@op(
    method=False,
    grad_name=lambda a, p: f"MaxPool{len(p['kernel_size'])}DWithIndicesBackwardBackward0",
)
def _tile_scatter(xp, g, code, *, kernel_size, size):
    """Each window's ``g`` to the tap ``code`` names in a zero ``(N, C, *size)`` array."""
    exact = all(s % k == 0 for s, k in zip(size, kernel_size))  # no ragged edge to zero
    out = (xp.empty if exact else xp.zeros)(g.shape[:2] + tuple(size), g.dtype)
    t = _tiles(out, kernel_size)
    finite = bool(xp.isfinite(g).all())  # then g * mask is the select, 10x faster than where
    for k, off in enumerate(_offsets(kernel_size)):
        m = code == k
        t[_tap(off)] = g * m if finite else xp.where(m, g, 0)
    return out


@op(method=False, grad_name="MaxPoolTileGatherBackward0")
def _tile_gather(xp, x, code, *, kernel_size):
    """Per window of ``x``, the value at the tap ``code`` names (the adjoint of _tile_scatter)."""
    t = _tiles(x, kernel_size)
    out = xp.empty(code.shape, x.dtype)
    for k, off in enumerate(_offsets(kernel_size)):
        xp.copyto(out, t[_tap(off)], where=code == k)
    return out


_tile_scatter.defvjp(lambda grad, out, g, code, *, kernel_size, size:
                     _tile_gather(grad, code, kernel_size=kernel_size), None)  # fmt: skip
_tile_gather.defvjp(lambda grad, out, x, code, *, kernel_size:
                    _tile_scatter(grad, code, kernel_size=kernel_size,
                                  size=tuple(x.shape[2:])), None)  # fmt: skip
_tile_scatter.no_samples = "max pooling's gradient, run by its double backward"
_tile_gather.no_samples = "the gradient of max pooling's gradient, run by its triple backward"


def _avg_divisor(xp, sp, osz, ks, stride, pad, ceil, count_include_pad, divisor_override):
    if divisor_override:
        return divisor_override
    nd = len(ks)
    div = 1
    for i in range(nd):
        start = xp.arange(osz[i]) * stride[i] - pad[i]
        end = xp.minimum(start + ks[i], sp[i] + pad[i])
        length = end - start
        if not count_include_pad:
            length = xp.minimum(end, sp[i]) - xp.maximum(start, 0)
        shp = [1] * nd
        shp[i] = osz[i]
        div = div * length.reshape(shp)
    return div


@op(method=False, grad_name=lambda a, p: f"AvgPool{len(p['kernel_size'])}DBackward0")
def _avg_pool(xp, x, *, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):  # fmt: skip
    """Average pooling (windows summed over a zero-padded input, then divided)."""
    nd = len(kernel_size)
    v, osz, _ = _windows(xp, x, kernel_size, stride, padding, (1,) * nd, ceil_mode, 0)
    s = v.sum(tuple(range(2 + nd, 2 + 2 * nd)))
    div = _avg_divisor(xp, x.shape[2:], osz, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override)  # fmt: skip
    return (s / div).astype(x.dtype)


@op(method=False, grad_name=lambda a, p: f"AvgPool{len(p['kernel_size'])}DBackwardBackward0")
def _avg_pool_back(xp, g, *, size, kernel_size, stride, padding, ceil_mode, count_include_pad,
                   divisor_override):  # fmt: skip
    """The gradient of average pooling: each output's share spread over its window."""
    nd = len(kernel_size)
    osz = g.shape[2:]
    div = _avg_divisor(xp, size, osz, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override)  # fmt: skip
    gd = (g / div).astype(g.dtype)
    full = [max((osz[i] - 1) * stride[i] + kernel_size[i], size[i] + padding[i]) + padding[i]
            for i in range(nd)]  # fmt: skip
    out = xp.zeros(g.shape[:2] + tuple(full), g.dtype)
    for off in _offsets(kernel_size):
        sl = tuple(slice(off[i], off[i] + (osz[i] - 1) * stride[i] + 1, stride[i])
                   for i in range(nd))  # fmt: skip
        out[(slice(None), slice(None)) + sl] += gd
    crop = tuple(slice(padding[i], padding[i] + size[i]) for i in range(nd))
    return out[(slice(None), slice(None)) + crop]


def _offsets(ks):
    import itertools

    return itertools.product(*(range(k) for k in ks))


_avg_pool.defvjp(lambda grad, out, x, **kw: _avg_pool_back(grad, size=tuple(x.shape[2:]), **kw))
_avg_pool_back.defvjp(lambda grad, out, g, *, size, **kw: _avg_pool(grad, **kw))
_avg_pool.no_samples = "called by avg_poolNd, whose tests compare it with torch"
_avg_pool_back.no_samples = "avg pooling's gradient, run by its double backward"


# -- torch.conv1d ... (also F.conv1d ...) -------------------------------------------------


def _check(name, input, weight, nd, groups, transposed):
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
            f"input of size: {list(input.shape)}"
        )
    c = input.shape[-nd - 1]
    want = weight.shape[0] if transposed else weight.shape[1] * groups
    if c != want:
        if transposed:
            raise RuntimeError(
                f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
                f"{list(input.shape)} to have {weight.shape[0]} channels, but got {c} "
                "channels instead"
            )
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {want} channels, but got {c} channels instead"
        )


def _make_conv(nd):
    name = f"conv{nd}d"

    def fn(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        _check(name, input, weight, nd, groups, False)
        unbatched = input.ndim == nd + 1
        if unbatched:
            input = input.unsqueeze(0)
        dil = _tuple(dilation, nd)
        if isinstance(padding, str):
            if padding == "valid":
                padding = 0
            elif padding == "same":
                if any(s != 1 for s in _tuple(stride, nd)):
                    raise RuntimeError("padding='same' is not supported for strided convolutions")
                tot = [dil[i] * (weight.shape[2 + i] - 1) for i in range(nd)]
                padding = tuple((t // 2, t - t // 2) for t in tot)
            else:
                raise ValueError(
                    f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}"
                )
        out = convolution(input, weight, bias, _tuple(stride, nd), padding, dil, False,
                          (0,) * nd, groups)  # fmt: skip
        return out.squeeze(0) if unbatched else out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{nd}-d convolution over ``(N, C, ...)`` input; see torch.nn.functional.{name}."
    return composite(name, method=False)(fn)


def _make_conv_t(nd):
    name = f"conv_transpose{nd}d"

    def fn(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
           dilation=1):  # fmt: skip
        _check(name, input, weight, nd, groups, True)
        unbatched = input.ndim == nd + 1
        if unbatched:
            input = input.unsqueeze(0)
        t = _tuple
        out = convolution(input, weight, bias, t(stride, nd), t(padding, nd), t(dilation, nd),
                          True, t(output_padding, nd), groups)  # fmt: skip
        return out.squeeze(0) if unbatched else out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{nd}-d transposed convolution; see torch.nn.functional.{name}."
    return composite(name, method=False)(fn)


conv1d, conv2d, conv3d = _make_conv(1), _make_conv(2), _make_conv(3)
conv_transpose1d, conv_transpose2d, conv_transpose3d = (_make_conv_t(1), _make_conv_t(2),
                                                      _make_conv_t(3))  # fmt: skip


# -- pooling front ends (torch.max_pool2d ..., F.max_pool2d ...) ----------------------------


def _batched(name, input, nd):
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for input, but got: "
            f"{list(input.shape)}"
        )
    return input.unsqueeze(0) if input.ndim == nd + 1 else input


def _pool_args(name, input, nd, kernel_size, stride, padding, dilation):
    ks = _tuple(kernel_size, nd)
    st = ks if stride is None or (not isinstance(stride, int) and len(stride) == 0) else (
        _tuple(stride, nd))  # fmt: skip
    pad, dil = _tuple(padding, nd), _tuple(dilation, nd)
    for i in range(nd):
        if pad[i] * 2 > (ks[i] - 1) * dil[i] + 1:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pad[i]}, "
                f"kernel_size={ks[i]} and dilation={dil[i]}"
            )
    return ks, st, pad, dil


def _make_max_pool(nd):
    name = f"max_pool{nd}d"

    def fn(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
           return_indices=False):  # fmt: skip
        x = _batched(name, input, nd)
        ks, st, pad, dil = _pool_args(name, x, nd, kernel_size, stride, padding, dilation)
        if not return_indices and _tiled(x, ks, st, pad, dil, ceil_mode):
            out = _max_pool_tiled(x, kernel_size=ks)[0]
            return out.squeeze(0) if x is not input else out
        out, idx = _max_pool(x, kernel_size=ks, stride=st, padding=pad, dilation=dil,
                             ceil_mode=bool(ceil_mode))  # fmt: skip
        if x is not input:
            out, idx = out.squeeze(0), idx.squeeze(0)
        return (out, idx) if return_indices else out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{nd}-d max pooling (``return_indices``: flat per-channel input indices)."
    return composite(name, method=False)(fn)


max_pool1d, max_pool2d, max_pool3d = _make_max_pool(1), _make_max_pool(2), _make_max_pool(3)


@composite(method=False)
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):  # fmt: skip
    """``(values, indices)`` of 1-d max pooling."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _make_avg_pool(nd):
    name = f"avg_pool{nd}d"

    def fn(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
           divisor_override=None):  # fmt: skip
        x = _batched(name, input, nd)
        ks, st, pad, _ = _pool_args(name, x, nd, kernel_size, stride, padding, 1)
        if divisor_override is not None and divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        out = _avg_pool(x, kernel_size=ks, stride=st, padding=pad, ceil_mode=bool(ceil_mode),
                        count_include_pad=bool(count_include_pad),
                        divisor_override=divisor_override)  # fmt: skip
        return out.squeeze(0) if x is not input else out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{nd}-d average pooling; see torch.nn.functional.{name}."
    return composite(name, method=False)(fn)


avg_pool1d, avg_pool2d, avg_pool3d = _make_avg_pool(1), _make_avg_pool(2), _make_avg_pool(3)


def _adaptive_ranges(size, out):
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _make_adaptive(nd, kind):
    name = f"adaptive_{kind}_pool{nd}d"

    def fn(input, output_size, return_indices=False):
        x = _batched(name, input, nd)
        osz = _tuple(output_size, nd)
        osz = tuple(x.shape[2 + i] if o is None else o for i, o in enumerate(osz))
        sp = x.shape[2:]
        if all(sp[i] % osz[i] == 0 for i in range(nd)):
            ks = tuple(sp[i] // osz[i] for i in range(nd))
            if kind == "avg":
                out = _avg_pool(x, kernel_size=ks, stride=ks, padding=(0,) * nd, ceil_mode=False,
                                count_include_pad=True, divisor_override=None)  # fmt: skip
                idx = None
            elif not return_indices and _tiled(x, ks, ks, (0,) * nd, (1,) * nd, False):
                out, idx = _max_pool_tiled(x, kernel_size=ks, adaptive=True)[0], None
            else:
                out, idx = _max_pool(x, kernel_size=ks, stride=ks, padding=(0,) * nd,
                                     dilation=(1,) * nd, ceil_mode=False)  # fmt: skip
        elif kind == "max":
            out, idx = _adaptive_max_general(x, osz)
        else:
            out = _adaptive_general(x, osz)
            idx = None
        if x is not input:
            out = out.squeeze(0)
            idx = None if idx is None else idx.squeeze(0)
        return (out, idx) if kind == "max" and return_indices else out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Adaptive {kind} pooling to ``output_size``; see torch.nn.functional.{name}."
    return composite(name, method=False)(fn)


def _adaptive_general(x, osz):
    """Adaptive average pooling window by window (output sizes that do not divide)."""
    from . import shape as S

    nd = len(osz)
    dims = list(range(2, 2 + nd))

    def rec(t, d):
        if d == nd:
            return t.mean(dims, keepdim=True)
        parts = [rec(t.narrow(2 + d, a, b - a), d + 1)
                 for a, b in _adaptive_ranges(t.shape[2 + d], osz[d])]  # fmt: skip
        return S.cat(parts, 2 + d)

    return rec(x, 0)


def _adaptive_max_general(x, osz):
    """Adaptive max pooling with windows of uneven sizes: the argmax of each window (first
    maximum, NaN wins, as torch) is found on the arrays, then the values are gathered from the
    input, so the gradient is gather's (a scatter-add)."""
    nd = len(osz)
    xp = xp_of(x._data)
    # per dim: (O, K) input positions of each window, short windows padded with their last one
    taps = []
    for d in range(nd):
        ranges = _adaptive_ranges(x.shape[2 + d], osz[d])
        k = max(b - a for a, b in ranges)
        taps.append(np.array([[min(a + j, b - 1) for j in range(k)] for a, b in ranges]))
    sp = x.shape[2:]
    flat = 0  # flat input position of every (o1, k1, o2, k2, ...) tap
    for d in range(nd):
        shape = [1] * (2 * nd)
        shape[2 * d : 2 * d + 2] = taps[d].shape
        flat = flat * sp[d] + taps[d].reshape(shape)
    # window axes last: (O1, ..., Ond, K1 * ... * Knd)
    perm = [2 * d for d in range(nd)] + [2 * d + 1 for d in range(nd)]
    flat = flat.transpose(perm).reshape(*osz, -1)
    xs = x._data.reshape(*x.shape[:2], -1)
    vals = xs[..., xp.asarray(flat)]
    pick = xp.argmax(vals, axis=-1)
    idx = xp.take_along_axis(xp.broadcast_to(xp.asarray(flat), vals.shape), pick[..., None], -1)
    idx = Tensor._wrap(idx[..., 0].astype(np.int64))
    idx._device = x._device
    out = x.flatten(2).gather(2, idx.flatten(2)).view(*x.shape[:2], *osz)
    return out, idx


adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d = (
    _make_adaptive(1, "avg"), _make_adaptive(2, "avg"), _make_adaptive(3, "avg"))  # fmt: skip
adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d = (
    _make_adaptive(1, "max"), _make_adaptive(2, "max"), _make_adaptive(3, "max"))  # fmt: skip


def _make_unpool(nd):
    name = f"max_unpool{nd}d"

    def fn(input, indices, kernel_size, stride=None, padding=0, output_size=None):
        x = _batched(name, input, nd)
        ks = _tuple(kernel_size, nd)
        st = ks if stride is None else _tuple(stride, nd)
        pad = _tuple(padding, nd)
        if output_size is None:
            size = tuple((x.shape[2 + i] - 1) * st[i] - 2 * pad[i] + ks[i] for i in range(nd))
        else:
            size = tuple(output_size)[-nd:]
        idx = indices if indices.ndim == x.ndim else indices.unsqueeze(0)
        out = _max_unpool(x, idx, size=size)
        return out.squeeze(0) if x is not input else out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Inverse of max_pool{nd}d given its indices; see torch.nn.functional.{name}."
    return fn


max_unpool1d, max_unpool2d, max_unpool3d = _make_unpool(1), _make_unpool(2), _make_unpool(3)


# -- padding ---------------------------------------------------------------------------------


def _pad_samples(rng):
    r = rng.standard_normal
    return [((r((2, 3, 4)), [1, 2]), {}), ((r((2, 3, 4)), [1, 0, -1, 2], 1.5), {})]


@op(method=False, samples=_pad_samples)
def constant_pad_nd(xp, x, *, pad, value=0):
    """Pad the last ``len(pad) // 2`` dims (pairs listed last dim first); negative pads crop.

    >>> ember.constant_pad_nd(ember.ones(2), [1, 1]).tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    n = len(pad) // 2
    pads = [(0, 0)] * (x.ndim - n) + [(pad[2 * i], pad[2 * i + 1]) for i in range(n)][::-1]
    crop = tuple(slice(max(-lo, 0), x.shape[d] - max(-hi, 0)) for d, (lo, hi) in enumerate(pads))
    x = x[crop]
    pw = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
    return xp.pad(x, pw, constant_values=value)


@constant_pad_nd.parser
def _cpad_parse(input, pad, value=0):
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Length of pad must be even but instead it equals " + str(len(pad)))
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            f"Length of pad should be no more than twice the number of dimensions of the input. "
            f"Pad length is {len(pad)} while the input has {input.ndim} dimensions."
        )
    return (input,), {"pad": tuple(pad), "value": value}


constant_pad_nd.defvjp(lambda grad, out, x, *, pad, value: constant_pad_nd(grad, [-p for p in pad]))


def _as_index(like, idx):
    """An int64 tensor of ``idx`` on ``like``'s device (for the padding modes' gathers)."""
    from .._tensor import Tensor

    return Tensor._wrap(idx).to(like.device)


# -- pixel/channel shuffles (torch.pixel_shuffle ..., also F.*) -----------------------------


@composite(method=False)
def pixel_shuffle(input, upscale_factor):
    """``(*, C*r*r, H, W)`` -> ``(*, C, H*r, W*r)``.

    >>> ember.pixel_shuffle(ember.ones(1, 4, 2, 2), 2).shape
    ember.Size([1, 1, 4, 4])
    """
    r = int(upscale_factor)
    *b, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    n = len(b)
    x = input.reshape(*b, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*b, c // (r * r), h * r, w * r)


@composite(method=False)
def pixel_unshuffle(input, downscale_factor):
    """``(*, C, H*r, W*r)`` -> ``(*, C*r*r, H, W)``, the inverse of pixel_shuffle."""
    r = int(downscale_factor)
    *b, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(
            "pixel_unshuffle expects height to be divisible by downscale_factor, but "
            f"input.size(-2)={h} is not divisible by {r}"
            if h % r
            else "pixel_unshuffle expects width to be divisible by downscale_factor, but "
            f"input.size(-1)={w} is not divisible by {r}"
        )
    n = len(b)
    x = input.reshape(*b, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*b, c * r * r, h // r, w // r)


@composite(method=False)
def channel_shuffle(input, groups):
    """Interleave ``groups`` channel groups: ``(N, g*k, ...)`` -> channels ordered ``k, g``."""
    g = int(groups)
    n, c = input.shape[:2]
    if g <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{g}"
        )
    if c % g:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {g} groups."
        )
    rest = input.shape[2:]
    return input.reshape(n, g, c // g, *rest).transpose(1, 2).reshape(n, c, *rest)
