"""ember.fft: torch.fft on ``xp.fft``.

Each function does what torch's does before its kernel: promote the dtype (integers to the
default float; complex where the transform needs it), check ``n``/``s``/``dim``/``norm``, crop or
zero-pad the transformed dims, then call one primitive of ``ember/ops/fft_ops.py``, whose rules
give the gradients.

>>> import ember
>>> ember.fft.fft(ember.tensor([1.0, 0.0, 0.0, 0.0]))
tensor([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
"""

from __future__ import annotations

import numpy as np

from . import _dtype as D
from ._tensor import Tensor
from .ops._util import wrap_dim
from .ops.fft_ops import _fft_c2c, _fft_c2r, _fft_r2c
from .ops.registry import _tname
from .ops.shape import cat, roll

__all__ = [
    "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn",
    "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq",
    "fftshift", "ifftshift", "Tensor",
]  # fmt: skip


# -- argument handling (torch's SpectralOps.cpp) ----------------------------------------------


def _mode(norm, forward):
    """torch's normalization mode for ``norm`` in this direction: 0 none, 1 ortho, 2 by 1/n."""
    if norm is None or norm == "backward":
        return 0 if forward else 2
    if norm == "forward":
        return 2 if forward else 0
    if norm == "ortho":
        return 1
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _promote(x, require_complex=False):
    dt = x.dtype
    if dt.is_complex:
        return x
    if not dt.is_floating_point:
        x = x.to(D.get_default_dtype())
        dt = x.dtype
    if dt not in (D.float32, D.float64):
        raise RuntimeError(f"Unsupported dtype {_tname(dt)}")
    return x.to(dt.to_complex()) if require_complex else x


def _real_only(name, x, what="a real input tensor"):
    if x.is_complex():
        raise RuntimeError(f"{name} expects {what}, but got {_tname(x.dtype)}")


def _int(v, fname, arg):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"fft_{fname}(): argument '{arg}' must be int, not {type(v).__name__}")
    return int(v)


def _dim(d, ndim):
    if ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    return wrap_dim(d, ndim)


def _points(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _resize(x, dims, sizes):
    """Crop or zero-pad ``x`` to ``sizes`` along ``dims`` (differentiable, as torch's)."""
    for d, n in zip(dims, sizes):
        have = x.shape[d]
        if have > n:
            x = x.narrow(d, 0, n)
        elif have < n:
            shape = list(x.shape)
            shape[d] = n - have
            x = cat([x, x.new_zeros(shape)], d)
    return x


def _one_dim(fname, x, n, dim):
    """(dim, n) of a 1-d transform, n defaulting to the size of dim."""
    dim = _dim(_int(dim, fname, "dim"), x.ndim)
    n = x.shape[dim] if n is None else _int(n, fname, "n")
    _points(n)
    return dim, n


def _seq(v, fname, arg):
    if isinstance(v, (list, tuple)):
        return [_int(a, fname, arg) for a in v]
    return [_int(v, fname, arg)]


def _nd_args(fname, x, s, dim):
    """torch's canonicalize_fft_shape_and_dim_args: the transformed dims and their sizes."""
    ndim = x.ndim
    dims = None
    if dim is not None:
        dims = [_dim(d, ndim) for d in _seq(dim, fname, "dim")]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = _seq(s, fname, "s")
        if dims is not None and len(dims) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > ndim:
            raise RuntimeError(
                f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions."
            )
        if dims is None:
            dims = list(range(ndim - len(s), ndim))
        shape = [x.shape[d] if n == -1 else n for d, n in zip(dims, s)]
    elif dims is None:
        dims, shape = list(range(ndim)), list(x.shape)
    else:
        shape = [x.shape[d] for d in dims]
    for n in shape:
        _points(n)
    return dims, shape


def _c2r_args(fname, x, s, dim):
    """As _nd_args for a one-sided input: also the output length of the last dim."""
    dims, shape = _nd_args(fname, x, s, dim)
    if not shape:
        raise RuntimeError(f"{fname} must transform at least one axis")
    last = 2 * (x.shape[dims[-1]] - 1) if s is None or s[-1] == -1 else shape[-1]
    _points(last)
    shape[-1] = last // 2 + 1
    return dims, shape, last


# -- one dimension ----------------------------------------------------------------------------


def _c2c_or_r2c(fname, input, n, dim, norm, forward):
    x = _promote(input)
    d, n = _one_dim(fname, x, n, dim)
    x = _resize(x, (d,), (n,))
    mode = _mode(norm, forward)
    if x.is_complex():
        return _fft_c2c(x, dim=(d,), norm=mode, forward=forward)
    return _fft_r2c(x, dim=(d,), norm=mode, onesided=False, forward=forward)


def fft(input, n=None, dim=-1, norm=None):
    """The discrete Fourier transform of ``input`` along ``dim`` (cropped or zero-padded to
    ``n``); real inputs give complex outputs of the matching precision.

    >>> ember.fft.fft(ember.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor([10.+0.j, -2.+2.j, -2.+0.j, -2.-2.j])
    """
    return _c2c_or_r2c("fft", input, n, dim, norm, True)


def ifft(input, n=None, dim=-1, norm=None):
    """The inverse of :func:`fft`.

    >>> ember.fft.ifft(ember.tensor([4.0 + 0j, 0j, 0j, 0j]))
    tensor([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
    """
    return _c2c_or_r2c("ifft", input, n, dim, norm, False)


def rfft(input, n=None, dim=-1, norm=None):
    """The FFT of a real input, only the ``n // 2 + 1`` non-redundant frequencies.

    >>> ember.fft.rfft(ember.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor([10.+0.j, -2.+2.j, -2.+0.j])
    """
    return _r2c_1d("rfft", input, n, dim, norm, True)


def ihfft(input, n=None, dim=-1, norm=None):
    """The inverse of :func:`hfft`: the one-sided inverse FFT of a real input.

    >>> ember.fft.ihfft(ember.tensor([4.0, 0.0, 0.0, 0.0]))
    tensor([1.-0.j, 1.-0.j, 1.-0.j])
    """
    return _r2c_1d("ihfft", input, n, dim, norm, False)


def _r2c_1d(fname, input, n, dim, norm, forward):
    _real_only(fname, input)
    x = _promote(input)
    d, n = _one_dim(fname, x, n, dim)
    x = _resize(x, (d,), (n,))
    return _fft_r2c(x, dim=(d,), norm=_mode(norm, forward), onesided=True, forward=forward)


def _c2r_1d(fname, input, n, dim, norm, forward):
    x = _promote(input, require_complex=True)
    d = _dim(_int(dim, fname, "dim"), x.ndim)
    if n is None:
        n = 2 * (x.shape[d] - 1)
    else:
        n = _int(n, fname, "n")
    _points(n)
    x = _resize(x, (d,), (n // 2 + 1,))
    return _fft_c2r(x, dim=(d,), norm=_mode(norm, forward), n=n, forward=forward)


def irfft(input, n=None, dim=-1, norm=None):
    """The inverse of :func:`rfft`: a real signal of length ``n`` (default ``2 * (m - 1)``)
    from its one-sided spectrum.

    >>> ember.fft.irfft(ember.tensor([10.0 + 0j, -2 + 2j, -2 + 0j]))
    tensor([1., 2., 3., 4.])
    """
    return _c2r_1d("irfft", input, n, dim, norm, False)


def hfft(input, n=None, dim=-1, norm=None):
    """The FFT of a signal with Hermitian symmetry given by its first half: a real output.

    >>> ember.fft.hfft(ember.tensor([1.0 + 0j, 0j, 0j]))
    tensor([1., 1., 1., 1.])
    """
    return _c2r_1d("hfft", input, n, dim, norm, True)


# -- n dimensions -----------------------------------------------------------------------------


def _c2c_nd(fname, input, s, dim, norm, forward):
    x = _promote(input)
    dims, shape = _nd_args(fname, x, s, dim)
    x = _resize(x, dims, shape)
    return _fft_c2c(x, dim=tuple(dims), norm=_mode(norm, forward), forward=forward)


def fftn(input, s=None, dim=None, norm=None):
    """The n-dimensional FFT over ``dim`` (all dims by default; the last ``len(s)`` with ``s``).

    >>> ember.fft.fftn(ember.ones(2, 2))
    tensor([[4.+0.j, 0.+0.j],
            [0.+0.j, 0.+0.j]])
    """
    return _c2c_nd("fftn", input, s, dim, norm, True)


def ifftn(input, s=None, dim=None, norm=None):
    """The inverse of :func:`fftn`.

    >>> ember.fft.ifftn(ember.tensor([[4.0, 0.0], [0.0, 0.0]]))
    tensor([[1.+0.j, 1.+0.j],
            [1.+0.j, 1.+0.j]])
    """
    return _c2c_nd("ifftn", input, s, dim, norm, False)


def fft2(input, s=None, dim=(-2, -1), norm=None):
    """:func:`fftn` over the last two dims.

    >>> ember.fft.fft2(ember.ones(2, 2))
    tensor([[4.+0.j, 0.+0.j],
            [0.+0.j, 0.+0.j]])
    """
    return _c2c_nd("fft2", input, s, dim, norm, True)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    """:func:`ifftn` over the last two dims.

    >>> ember.fft.ifft2(ember.tensor([[4.0, 0.0], [0.0, 0.0]]))
    tensor([[1.+0.j, 1.+0.j],
            [1.+0.j, 1.+0.j]])
    """
    return _c2c_nd("ifft2", input, s, dim, norm, False)


def _r2c_nd(fname, input, s, dim, norm, forward, what):
    _real_only(fname, input, what)
    x = _promote(input)
    dims, shape = _nd_args(fname, x, s, dim)
    if not shape:
        raise RuntimeError(f"{fname} must transform at least one axis")
    x = _resize(x, dims, shape)
    return _fft_r2c(x, dim=tuple(dims), norm=_mode(norm, forward), onesided=True, forward=forward)


def rfftn(input, s=None, dim=None, norm=None):
    """The n-dimensional FFT of a real input, one-sided in the last transformed dim.

    >>> ember.fft.rfftn(ember.ones(2, 2))
    tensor([[4.+0.j, 0.+0.j],
            [0.+0.j, 0.+0.j]])
    """
    return _r2c_nd("rfftn", input, s, dim, norm, True, "a real-valued input tensor")


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    """:func:`rfftn` over the last two dims."""
    return _r2c_nd("rfft2", input, s, dim, norm, True, "a real-valued input tensor")


def _ihfft_nd(fname, input, s, dim, norm):
    if input.is_complex():
        raise RuntimeError(f"Only supports floating-point dtypes, but found: {_tname(input.dtype)}")
    return _r2c_nd(fname, input, s, dim, norm, False, "")


def ihfftn(input, s=None, dim=None, norm=None):
    """The inverse of :func:`hfftn`: the n-dimensional inverse FFT of a real input, one-sided
    in the last transformed dim."""
    return _ihfft_nd("ihfftn", input, s, dim, norm)


def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    """:func:`ihfftn` over the last two dims."""
    return _ihfft_nd("ihfft2", input, s, dim, norm)


def _c2r_nd(fname, input, s, dim, norm, forward):
    x = _promote(input, require_complex=True)
    dims, shape, last = _c2r_args(fname, x, s, dim)
    x = _resize(x, dims, shape)
    return _fft_c2r(x, dim=tuple(dims), norm=_mode(norm, forward), n=last, forward=forward)


def irfftn(input, s=None, dim=None, norm=None):
    """The inverse of :func:`rfftn`: a real output whose last transformed dim has length
    ``s[-1]`` (default ``2 * (m - 1)``).

    >>> ember.fft.irfftn(ember.tensor([[4.0 + 0j, 0j], [0j, 0j]]))
    tensor([[1., 1.],
            [1., 1.]])
    """
    return _c2r_nd("irfftn", input, s, dim, norm, False)


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    """:func:`irfftn` over the last two dims."""
    return _c2r_nd("irfft2", input, s, dim, norm, False)


def hfftn(input, s=None, dim=None, norm=None):
    """The n-dimensional FFT of a Hermitian-symmetric signal given by its one-sided half."""
    return _c2r_nd("hfftn", input, s, dim, norm, True)


def hfft2(input, s=None, dim=(-2, -1), norm=None):
    """:func:`hfftn` over the last two dims."""
    return _c2r_nd("hfft2", input, s, dim, norm, True)


# -- frequencies and shifts -------------------------------------------------------------------


def _write_result(t, out, fn):
    from ._creation import _write_result as write

    return write(t, out, fn)


def _freq_tensor(values, n, d, dtype, device, requires_grad, fname, out=None):
    from . import _creation

    dtype = _creation._dtype_arg(dtype, out)  # a factory's dtype defaults to out's
    dt = D.get_default_dtype() if dtype is None else dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{fname} requires a floating point or complex dtype")
    if dt.is_complex:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_tname(dt)}'")
    npdt = D.to_numpy_dtype(dt)
    # torch fills arange in the dtype, then multiplies by 1 / (n * d) in that dtype
    with np.errstate(divide="ignore", invalid="ignore"):
        arr = values.astype(npdt) * np.divide(1.0, np.float64(n) * d).astype(npdt)
    return _creation.tensor(arr, dtype=dt, device=device, requires_grad=requires_grad)


def _freq_n(n):
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    return n


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an ``n``-point FFT with sample spacing ``d``.

    >>> ember.fft.fftfreq(4)
    tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    n = _freq_n(n)
    k = np.arange(n)
    k[(n + 1) // 2 :] -= n
    t = _freq_tensor(k, n, d, dtype, device, requires_grad, "fftfreq", out)
    return t if out is None else _write_result(t, out, "fftfreq")


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of :func:`rfft` for an ``n``-point signal.

    >>> ember.fft.rfftfreq(4)
    tensor([0.0000, 0.2500, 0.5000])
    """
    n = _freq_n(n)
    t = _freq_tensor(np.arange(n // 2 + 1), n, d, dtype, device, requires_grad, "rfftfreq",
                     out)  # fmt: skip
    return t if out is None else _write_result(t, out, "rfftfreq")


def _shift(input, dim, inverse):
    if dim is None:
        dims = list(range(input.ndim))
    else:
        dims = [wrap_dim(d, input.ndim) for d in (dim if isinstance(dim, (list, tuple)) else [dim])]
    shifts = [(input.shape[d] + inverse) // 2 for d in dims]
    return roll(input, shifts, dims)


def fftshift(input, dim=None):
    """The zero frequency moved to the middle of ``dim`` (all dims by default).

    >>> ember.fft.fftshift(ember.fft.fftfreq(4))
    tensor([-0.5000, -0.2500,  0.0000,  0.2500])
    """
    return _shift(input, dim, 0)


def ifftshift(input, dim=None):
    """The inverse of :func:`fftshift`.

    >>> ember.fft.ifftshift(ember.tensor([-0.5, -0.25, 0.0, 0.25]))
    tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    return _shift(input, dim, 1)
