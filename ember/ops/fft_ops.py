"""FFT primitives over ``xp.fft``, as torch's ``_fft_c2c``, ``_fft_r2c`` and ``_fft_c2r``.

The public functions (ember/fft.py) check arguments, promote dtypes and crop or zero-pad the
input, then call one of these. ``norm`` is torch's normalization mode, the scaling this call
applies whatever its direction: 0 none, 1 by 1/sqrt(n), 2 by 1/n. ``forward`` is the sign of
the exponent; for ``_fft_r2c`` an inverse transform is the conjugate of the forward one (ifft of
a real input, ihfft) and for ``_fft_c2r`` a forward one conjugates its input first (hfft).

Gradients are adjoint transforms under the real inner product ``Re(sum(conj(a) * b))`` (torch's
convention for complex gradients): c2c's is c2c the other way; r2c's takes the real part of the
zero-padded inverse (``_fft_r2c_backward``, whose own adjoint is r2c again); c2r's is r2c with
the entries that stand for two conjugate-symmetric ones doubled.
"""

from __future__ import annotations

import numpy as np

from .registry import op


def _np_norm(norm, forward):
    """NumPy's ``norm=`` for a transform in direction ``forward`` scaled by torch's mode."""
    if norm == 1:
        return "ortho"
    return "backward" if (norm == 0) == forward else "forward"


def _complex_of(dt):
    return np.complex64 if dt in (np.float32, np.complex64) else np.complex128


def _public_check(lib, x, fn, **kw):
    """The sweep's call: the public torch.fft function ``fn`` (ember's ends in this op)."""
    return getattr(lib.fft, fn)(x, **kw)


def _samples(real=(), cplx=()):
    """Calls ``(fn, kwargs)`` of public functions on a real 3x4x5 input and on a complex 4x6 one
    (the sweep checks gradients for real inputs, values for complex ones)."""

    def make(rng):
        out = [((rng.standard_normal((3, 4, 5)),), {"fn": fn, **kw}) for fn, kw in real]
        for fn, kw in cplx:
            z = rng.standard_normal((4, 6)) + 1j * rng.standard_normal((4, 6))
            out.append(((z,), {"fn": fn, **kw}))
        return out

    return make


@op(method=False, grad_name="FftC2CBackward0", samples=_samples(
    real=[("fftn", {}), ("fft2", {"norm": "ortho"}), ("ifftn", {"dim": (0, 2), "s": (2, 7)}),
          ("ifft2", {"norm": "forward"})],
    cplx=[("fftn", {}), ("fft2", {"norm": "ortho"}), ("ifftn", {"dim": (0,), "norm": "forward"}),
          ("fft", {}), ("ifft", {"n": 3, "dim": 0}), ("fftn", {"s": (3, 7)})],
))  # fmt: skip
def _fft_c2c(xp, x, *, dim, norm, forward):
    if not dim:
        return x.astype(_complex_of(x.dtype))
    f = xp.fft.fftn if forward else xp.fft.ifftn
    return f(x, axes=dim, norm=_np_norm(norm, forward)).astype(_complex_of(x.dtype), copy=False)


def _c2c_grad(grad, out, x, dim, norm, forward):
    if x.dtype.is_complex:
        return _fft_c2c(grad, dim=dim, norm=norm, forward=not forward)
    # fftn of a real input (torch first casts it to complex): the real part of the adjoint
    n = x.shape[dim[-1]] if dim else 0
    return _fft_r2c_backward(grad, dim=dim, norm=norm, onesided=False, forward=forward, n=n)


_fft_c2c.defvjp(_c2c_grad)
_fft_c2c.check = _public_check


def _r2c_name(args, params):
    if params["forward"]:
        return "FftR2CBackward0"
    # ifft/ihfft: torch conjugates the forward transform; ihfftn ends in a c2c over the others
    return "ConjBackward0" if len(params["dim"]) == 1 else "FftC2CBackward0"


@op(method=False, grad_name=_r2c_name, samples=_samples(real=[
    ("rfft", {}), ("rfft", {"n": 8, "dim": 1, "norm": "ortho"}), ("rfftn", {}),
    ("rfft2", {"s": (3, 3), "norm": "forward"}), ("fft", {"dim": 0}), ("ifft", {"n": 4}),
    ("ihfft", {}), ("ihfftn", {"dim": (2, 0)}), ("ihfft2", {"norm": "ortho"}),
]))  # fmt: skip
def _fft_r2c(xp, x, *, dim, norm, onesided, forward):
    f = xp.fft.rfftn if onesided else xp.fft.fftn
    out = f(x, axes=dim, norm=_np_norm(norm, True)).astype(_complex_of(x.dtype), copy=False)
    return out if forward else xp.conj(out)


_fft_r2c.defvjp(lambda grad, out, x, dim, norm, onesided, forward: _fft_r2c_backward(
    grad, dim=dim, norm=norm, onesided=onesided, forward=forward, n=x.shape[dim[-1]]))  # fmt: skip
_fft_r2c.check = _public_check


@op(method=False, grad_name="FftR2CBackwardBackward0")
def _fft_r2c_backward(xp, g, *, dim, norm, onesided, forward, n):
    """The gradient of ``_fft_r2c``: the real part of the adjoint transform of ``g``, zero-padded
    to ``n`` along the last transformed dim when the transform was one-sided."""
    if not dim:
        return xp.real(g).copy()
    if onesided and g.shape[dim[-1]] < n:
        pad = [(0, 0)] * g.ndim
        pad[dim[-1]] = (0, n - g.shape[dim[-1]])
        g = xp.pad(g, pad)
    f = xp.fft.ifftn if forward else xp.fft.fftn
    return xp.real(f(g, axes=dim, norm=_np_norm(norm, not forward))).copy()


_fft_r2c_backward.defvjp(lambda g, o, grad, dim, norm, onesided, forward, n: _fft_r2c(
    g, dim=dim, norm=norm, onesided=onesided, forward=forward))  # fmt: skip
_fft_r2c_backward.no_samples = "the gradient of _fft_r2c; double backward in tests/test_fft.py"


@op(method=False, grad_name="FftC2RBackward0", samples=_samples(cplx=[
    ("irfft", {}), ("irfft", {"n": 7, "dim": 0, "norm": "ortho"}), ("irfftn", {}),
    ("irfft2", {"s": (5, 6), "norm": "forward"}), ("hfft", {}), ("hfftn", {"dim": (1, 0)}),
    ("hfft2", {"s": (3, 3), "norm": "ortho"}),
]))  # fmt: skip
def _fft_c2r(xp, x, *, dim, norm, n, forward):
    s = [x.shape[d] for d in dim[:-1]] + [n]
    return xp.fft.irfftn(xp.conj(x) if forward else x, s=s, axes=dim, norm=_np_norm(norm, False))


def _c2r_grad(grad, out, x, dim, norm, n, forward):
    # the entries 1 .. n - n//2 - 1 of the last dim stand for themselves and their mirror images
    g = _fft_r2c(grad, dim=dim, norm=norm, onesided=True, forward=not forward)
    last = dim[-1]
    half = g.shape[last]
    if n - half <= 0:
        return g
    w = np.ones(half)
    w[1 : 1 + n - half] = 2.0
    shape = [1] * g.ndim
    shape[last] = half
    return g * g.new_tensor(w.reshape(shape), dtype=grad.dtype)


_fft_c2r.defvjp(_c2r_grad)
_fft_c2r.check = _public_check
