"""Small top-level functions and Tensor methods that fit no op family: detach, isin, diff, cov,
corrcoef, trapezoid, vander, norms torch keeps at top level, the removed pre-1.9 linalg names,
DLPack exchange, and CPU stand-ins for memory-placement queries (pinning, sharing).

All are written from other ops (no rules of their own), so gradients come from those ops.

>>> ember.diff(ember.tensor([1, 4, 9]))
tensor([3, 5])
"""

from __future__ import annotations

import builtins

from .. import _creation
from .. import _dtype as D
from .._tensor import Tensor
from .registry import composite

__all__ = [
    "detach", "detach_", "erf_", "erfc_", "i0_", "sinc_", "xlogy_", "addmv_", "is_same_size",
    "is_signed", "get_device", "is_inference", "is_distributed", "isin", "diff", "cov",
    "corrcoef", "trapezoid", "trapz", "cumulative_trapezoid", "vander", "nuclear_norm",
    "frobenius_norm", "norm_except_dim", "lstsq", "solve", "eig", "matrix_rank", "from_dlpack",
    "GradScaler", "histogramdd", "stft", "istft", "ormqr", "svd_lowrank", "pca_lowrank",
    "view_as_real_copy", "view_as_complex_copy",
]  # fmt: skip


def _ember():
    import ember

    return ember


def _tensor_like(value, like):
    if isinstance(value, Tensor):
        return value
    return _creation.tensor(value, device=like.device if isinstance(like, Tensor) else None)


@composite(method=False)
def detach(input):
    """``input.detach()``."""
    return input.detach()


@composite(method=False)
def detach_(input):
    return input.detach_()


def _inplace_alias(name):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``input.{name}(...)``."
    composite(name, method=False)(fn)
    return fn


erf_, erfc_, i0_, sinc_, xlogy_, addmv_ = map(
    _inplace_alias, ["erf_", "erfc_", "i0_", "sinc_", "xlogy_", "addmv_"]
)


@composite()
def is_same_size(input, other) -> bool:
    """Whether the two shapes are equal."""
    return tuple(input.shape) == tuple(other.shape)


@composite(method=False)
def is_signed(input) -> bool:
    return input.is_signed()


@composite(method=False)
def get_device(input) -> int:
    """-1 for CPU tensors, else the device index (``Tensor.get_device``)."""
    return input.get_device()


@composite()
def is_inference(input) -> bool:
    """Whether ``input`` was made under ``inference_mode``."""
    return bool(input._is_inference)


@composite()
def is_distributed(input) -> bool:
    return False


@composite(method=False)
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Elementwise: is each of ``elements`` in ``test_elements``.

    >>> ember.isin(ember.tensor([1, 2, 3]), ember.tensor([2, 5]))
    tensor([False,  True, False])
    """
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments")
    e = _tensor_like(elements, test_elements)
    t = _tensor_like(test_elements, elements).reshape(-1)
    hit = (e.detach().unsqueeze(-1) == t.detach()).any(-1)
    return hit.logical_not() if invert else hit


@composite()
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """``n``-th forward difference along ``dim``, after concatenating ``prepend``/``append``.

    >>> ember.diff(ember.tensor([1, 4, 9, 16]), n=2)
    tensor([2, 2])
    """
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    E = _ember()
    parts = [input]
    if prepend is not None:
        parts.insert(0, _edge(prepend, input, dim))
    if append is not None:
        parts.append(_edge(append, input, dim))
    x = E.cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        size = x.shape[dim]
        if size == 0:
            break
        hi, lo = x.narrow(dim, 1, size - 1), x.narrow(dim, 0, size - 1)
        x = E.logical_xor(hi, lo) if x.dtype is D.bool_ else hi - lo
    return x


def _edge(value, input, dim):
    t = _tensor_like(value, input)
    if t.ndim == 0:
        shape = list(input.shape)
        shape[dim] = 1
        return t.expand(shape)
    return t


@composite()
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) of ``input`` over its columns (observations).

    >>> ember.cov(ember.tensor([[0.0, 2.0], [1.0, 1.0]]))
    tensor([[ 2., -1.],
            [-1.,  0.5]])
    """
    E = _ember()
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                         f"input with {input.ndim} dimensions")  # fmt: skip
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if not (x.is_floating_point() or x.is_complex()):
        x = x.to(E.get_default_dtype())
    nobs = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        avg = x.mean(1)
        wsum = E.tensor(float(nobs), dtype=x.real.dtype if x.is_complex() else x.dtype)
        norm = wsum - correction
    else:
        wsum = w.sum()
        avg = (x * w).sum(1) / wsum
        if aweights is None or correction == 0:
            norm = wsum - correction
        else:
            norm = wsum - correction * (w * aweights).sum() / wsum
    norm = E.clamp(norm, min=0)
    xm = x - avg.unsqueeze(1)
    xw = xm if w is None else xm * w
    c = E.mm(xw, xm.t().conj()) / norm
    return c.squeeze() if input.ndim < 2 else c


@composite()
def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input``."""
    E = _ember()
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = E.diagonal(c)
    if c.is_complex():
        d = d.real
    s = d.sqrt()
    c = c / s.unsqueeze(1) / s.unsqueeze(0)
    if c.is_complex():
        return E.complex(c.real.clamp(-1, 1), c.imag.clamp(-1, 1))
    return c.clamp(-1, 1)


def _float(y):
    if y.is_floating_point() or y.is_complex():
        return y
    return y.to(_ember().get_default_dtype())


@composite(method=False)
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Integral of ``y`` along ``dim`` by the trapezoid rule, spacing ``x`` (samples) or ``dx``.

    >>> ember.trapezoid(ember.tensor([1.0, 2.0, 4.0]))
    tensor(4.5000)
    """
    n = y.shape[dim] if y.ndim else 0
    if n == 0:
        return _float(y).sum(dim)
    left, right = y.narrow(dim, 0, n - 1), y.narrow(dim, 1, n - 1)
    if x is not None and isinstance(x, Tensor):
        spacing = diff(x, dim=dim if x.ndim == y.ndim else -1)
        return _float(((left + right) * spacing).sum(dim) / 2)
    h = dx if dx is not None else (x if x is not None else 1)
    return _float((left + right).sum(dim) * h / 2) if h != 1 else _float(
        (left + right).sum(dim)) / 2  # fmt: skip


@composite(method=False)
def trapz(y, x=None, *, dx=None, dim=-1):
    return trapezoid(y, x, dx=dx, dim=dim)


@composite(method=False)
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Running trapezoid integral of ``y`` along ``dim`` (one fewer element)."""
    n = y.shape[dim]
    m = builtins.max(n - 1, 0)
    left, right = y.narrow(dim, 0, m), y.narrow(dim, 1 if n else 0, m)
    if isinstance(x, Tensor):
        spacing = diff(x, dim=dim if x.ndim == y.ndim else -1)
        return _float((left + right) * spacing / 2).cumsum(dim)
    h = dx if dx is not None else (x if x is not None else 1)
    return (_float(left + right) * h / 2).cumsum(dim)


@composite(method=False)
def vander(x, N=None, increasing=False):
    """Vandermonde matrix of 1-D ``x``: columns ``x^(N-1) ... x^0`` (reversed if increasing).

    >>> ember.vander(ember.tensor([1, 2, 3]), N=3)
    tensor([[1, 1, 1],
            [4, 2, 1],
            [9, 3, 1]])
    """
    E = _ember()
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dtype = x.dtype if x.dtype is not D.bool_ else D.int64
    if not (x.is_floating_point() or x.is_complex()):
        dtype = D.int64
    x = x.to(dtype)
    if n == 0:
        return E.empty((x.shape[0], 0), dtype=dtype)
    cols = [E.ones_like(x)] + ([x.unsqueeze(-1).expand(x.shape[0], n - 1).cumprod(-1)]
                                if n > 1 else [])  # fmt: skip
    v = E.cat([cols[0].unsqueeze(-1)] + cols[1:], -1)
    return v if increasing else v.flip(-1)


@composite(method=False)
def nuclear_norm(input, dim=None, keepdim=False, *, out=None):
    """Sum of singular values over the last two dims (or ``dim``)."""
    if isinstance(dim, bool):
        dim, keepdim = None, dim
    if input.ndim != 2 and dim is None:
        raise RuntimeError(f"nuclear_norm: Expected a tensor with 2 dimensions, but got a tensor "
                           f"with {input.ndim} dimensions instead.")  # fmt: skip
    return _ember().linalg.matrix_norm(input, "nuc", tuple(dim or (-2, -1)), keepdim)


@composite(method=False)
def frobenius_norm(input, dim=(-2, -1), keepdim=False, *, out=None):
    """Square root of the sum of squares over ``dim``."""
    return _ember().linalg.vector_norm(input, 2, dim, keepdim)


@composite(method=False)
def norm_except_dim(v, pow=2, dim=0):
    """``pow``-norm over every dim but ``dim`` (kept with size; others size 1); ``dim=-1``: all."""
    E = _ember()
    if dim == -1:
        return E.linalg.vector_norm(v, pow)
    dims = [d for d in range(v.ndim) if d != dim]
    return E.linalg.vector_norm(v, pow, dims, keepdim=True)


@composite(method=False)
def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)`` of the points ``input[..., :D]`` in a D-dimensional grid of bins.

    >>> ember.histogramdd(ember.tensor([[0.0, 0.0], [1.0, 1.0]]), bins=2).hist
    tensor([[1., 0.],
            [0., 1.]])
    """
    from .. import return_types

    E = _ember()
    D_ = input.shape[-1]
    pts = input.detach().reshape(-1, D_)
    nbins = [bins] * D_ if isinstance(bins, int) else list(bins)
    edges, pos, keep = [], [], None
    for d in builtins.range(D_):
        col = pts[:, d]
        rng = None if range is None else (range[2 * d], range[2 * d + 1])
        if isinstance(nbins[d], Tensor):
            e = nbins[d]
        else:
            e = E.histogram(col, nbins[d], range=rng).bin_edges
        nb = e.shape[0] - 1
        inside = (col >= e[0]) & (col <= e[-1])
        keep = inside if keep is None else keep & inside
        pos.append(E.searchsorted(e, col, right=True).sub(1).clamp(0, nb - 1))
        edges.append(e)
    shape = [e.shape[0] - 1 for e in edges]
    flat = E.zeros(pts.shape[0], dtype=D.int64)
    for p, n in zip(pos, shape):
        flat = flat * n + p
    w = E.ones(pts.shape[0], dtype=input.dtype) if weight is None else weight.reshape(-1)
    total = 1
    for n in shape:
        total *= n
    hist = E.zeros(total, dtype=input.dtype).index_add_(0, flat[keep], w[keep]).reshape(shape)
    if density:
        hist = hist / hist.sum()
        for d, e in enumerate(edges):
            view = [1] * D_
            view[d] = shape[d]
            hist = hist / E.diff(e).reshape(view)
    return return_types.histogramdd((hist, edges))


def _pad_signal(x, p, mode):
    """Pad the last dim by ``p`` each side, as ``F.pad(..., mode)`` does for stft's centering."""
    E = _ember()
    if mode == "constant":
        z = E.zeros(tuple(x.shape[:-1]) + (p,), dtype=x.dtype)
        return E.cat([z, x, z], -1)
    n = x.shape[-1]
    if mode == "reflect":
        if p >= n:
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({p}, {p}) at dimension "
                               f"{x.ndim - 1} of input {list(x.shape)}")  # fmt: skip
        left, right = x.narrow(-1, 1, p).flip(-1), x.narrow(-1, n - 1 - p, p).flip(-1)
    elif mode == "replicate":
        left = x.narrow(-1, 0, 1).expand(tuple(x.shape[:-1]) + (p,))
        right = x.narrow(-1, n - 1, 1).expand(tuple(x.shape[:-1]) + (p,))
    elif mode == "circular":
        left, right = x.narrow(-1, n - p, p), x.narrow(-1, 0, p)
    else:
        raise NotImplementedError(f"stft: pad_mode {mode!r} is not supported")
    return E.cat([left, x, right], -1)


@composite()
def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None):  # fmt: skip
    """Short-time Fourier transform: ``(..., freq, frames)`` spectra of windowed frames.

    >>> ember.stft(ember.ones(16), 8, return_complex=True).shape
    ember.Size([5, 5])
    """
    E = _ember()
    complex_in = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_in:
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in a "
                               "future PyTorch release.")  # fmt: skip
        return_complex = True
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.ndim}D tensor")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    x = input.unsqueeze(0) if input.ndim == 1 else input
    if center:
        x = _pad_signal(x, n_fft // 2, pad_mode)
    if n_fft <= 0 or n_fft > x.shape[-1]:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {x.shape[-1]}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got win_length={win}")
    frames = x.unfold(-1, n_fft, hop)
    if window is not None or win < n_fft:
        w = window if window is not None else E.ones(win, dtype=input.real.dtype)
        if win < n_fft:
            left = (n_fft - win) // 2
            z = E.zeros(n_fft, dtype=w.dtype)
            w = E.cat([z[:left], w, z[left + win :]])
        frames = frames * w
    one = (not complex_in) if onesided is None else onesided
    spec = E.fft.rfft(frames, dim=-1) if one else E.fft.fft(frames, dim=-1)
    if normalized:
        spec = spec * (n_fft**-0.5)
    spec = spec.transpose(-1, -2)
    if input.ndim == 1:
        spec = spec.squeeze(0)
    return spec if return_complex else E.view_as_real(spec)


@composite()
def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):  # fmt: skip
    """Inverse of ``stft``: overlap-add of the inverse FFTs of the frames, divided by the summed
    squared window.

    >>> x = ember.randn(32)
    >>> ember.istft(ember.stft(x, 8, return_complex=True), 8, length=32)  # ~ x
    """
    E = _ember()
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")  # fmt: skip
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex dtype, "
                           f"but got {input.ndim}")  # fmt: skip
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    spec = input.unsqueeze(0) if input.ndim == 2 else input
    one = spec.shape[-2] != n_fft if onesided is None else onesided
    if normalized:
        spec = spec * (n_fft**0.5)
    spec = spec.transpose(-1, -2)
    if one:
        frames = E.fft.irfft(spec, n=n_fft, dim=-1)
    else:
        frames = E.fft.ifft(spec, dim=-1)
        if not return_complex:
            frames = frames.real
    w = window if window is not None else E.ones(win, dtype=frames.real.dtype)
    if win < n_fft:
        left = (n_fft - win) // 2
        z = E.zeros(n_fft, dtype=w.dtype)
        w = E.cat([z[:left], w, z[left + win :]])
    frames = frames * w
    nfr = frames.shape[-2]
    total = n_fft + hop * (nfr - 1)
    idx = (E.arange(n_fft).unsqueeze(0) + hop * E.arange(nfr).unsqueeze(1)).reshape(-1)
    b = frames.shape[0]
    y = E.zeros(b, total, dtype=frames.dtype).index_add(1, idx, frames.reshape(b, -1))
    env = E.zeros(total, dtype=w.real.dtype if w.is_complex() else w.dtype).index_add(
        0, idx, (w.abs() ** 2).expand(nfr, n_fft).reshape(-1)
    )
    start = n_fft // 2 if center else 0
    end = total if length is None and not center else (
        total - n_fft // 2 if length is None else builtins.min(start + length, total))  # fmt: skip
    y, env = y[:, start:end], env[start:end]
    if bool((env.abs() < 1e-11).any()):
        raise RuntimeError("istft(window overlap add min: 0): window overlap add min is below "
                           "the threshold")  # fmt: skip
    y = y / env
    if length is not None and y.shape[-1] < length:
        y = E.cat([y, E.zeros(b, length - y.shape[-1], dtype=y.dtype)], -1)
    return y.squeeze(0) if input.ndim == 2 else y


@composite()
def ormqr(input, input2, input3, left=True, transpose=False):
    """``Q @ C`` (or ``C @ Q``, with ``Q^H`` if ``transpose``) for the Q of ``geqrf``'s
    Householder reflectors ``input`` and ``tau = input2``, without forming Q by hand.

    >>> a, tau = ember.geqrf(A); ember.ormqr(a, tau, C)  # == Q @ C
    """
    E = _ember()
    m = input.shape[-2]
    k = input.shape[-1]
    if k < m:  # reflectors k..m-1 are the identity: pad to a square Q
        z = E.zeros(tuple(input.shape[:-1]) + (m - k,), dtype=input.dtype)
        input = E.cat([input, z], -1)
    t = input2
    if t.shape[-1] < m:
        t = E.cat([t, E.zeros(tuple(t.shape[:-1]) + (m - t.shape[-1],), dtype=t.dtype)], -1)
    q = E.linalg.householder_product(input[..., :, :m], t)
    if transpose:
        q = q.mH
    return q @ input3 if left else input3 @ q


@composite(method=False)
def svd_lowrank(A, q=6, niter=2, M=None):
    """Randomized rank-``q`` SVD ``(U, S, V)`` of ``A - M`` (Halko et al., as torch does):
    exact for matrices of rank <= q, approximate otherwise.

    >>> U, S, V = ember.svd_lowrank(A, q=2)
    """
    E = _ember()
    X = A if M is None else A - M
    q = 6 if q is None else q
    R = E.randn(tuple(X.shape[:-2]) + (X.shape[-1], q), dtype=X.dtype)
    Q = E.linalg.qr(X @ R).Q
    for _ in builtins.range(niter):
        Q = E.linalg.qr(X.mH @ Q).Q
        Q = E.linalg.qr(X @ Q).Q
    U, S, Vh = E.linalg.svd(Q.mH @ X, full_matrices=False)
    return Q @ U, S, Vh.mH


@composite(method=False)
def pca_lowrank(A, q=None, center=True, niter=2):
    """``svd_lowrank`` of ``A`` with its column means removed: principal components in V."""
    q = builtins.min(6, A.shape[-2], A.shape[-1]) if q is None else q
    X = A - A.mean(-2, keepdim=True) if center else A
    return svd_lowrank(X, q, niter)


@composite(method=False)
def view_as_real_copy(input):
    """``view_as_real(input)`` in new memory."""
    return _ember().view_as_real(input).clone()


@composite(method=False)
def view_as_complex_copy(input):
    """``view_as_complex(input)`` in new memory."""
    return _ember().view_as_complex(input).clone()


def _removed(name, text):
    def fn(*args, **kwargs):
        raise RuntimeError("This function was deprecated since version 1.9 and is now removed. "
                           + text)  # fmt: skip

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Removed in torch 1.9 (raises RuntimeError, as torch.{name} does)."
    return composite(name)(fn)


lstsq = _removed("lstsq", "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.")
solve = _removed("solve", "`torch.solve` is deprecated in favor of `torch.linalg.solve`.")
eig = _removed("eig", "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or "
               "`cdouble` rather than real tensors mimicking complex tensors.")  # fmt: skip
matrix_rank = _removed("matrix_rank", "\nPlease use the `torch.linalg.matrix_rank` function "
                       "instead.")  # fmt: skip


@composite(method=False)
def from_dlpack(ext_tensor, *, device=None, copy=None) -> Tensor:
    """A tensor sharing memory with any object that has ``__dlpack__`` (NumPy arrays, tensors)
    or a DLPack capsule (see ``ember.utils.dlpack``).

    >>> ember.from_dlpack(np.arange(3))
    tensor([0, 1, 2])
    """
    from ..utils import dlpack

    return dlpack.from_dlpack(ext_tensor, device=device, copy=copy)


class GradScaler:
    """Loss scaling for mixed precision (``torch.amp.GradScaler``), here on the CPU: ``scale``
    the loss, ``step`` unscales the gradients and skips the step if any is inf/NaN, ``update``
    backs the scale off after an overflow and grows it after ``growth_interval`` clean steps.

    >>> scaler = ember.GradScaler("cpu")
    >>> scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
    """

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):  # fmt: skip
        self._device = device
        self._enabled = enabled
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer = {}  # id(optimizer) -> found_inf after unscale_

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs):
        """``outputs`` (a tensor or nested list/tuple of them) times the current scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * _creation.tensor(self._scale, dtype=D.float32)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer) -> None:
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place."""
        if not self._enabled:
            return
        if id(optimizer) in self._per_optimizer:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")  # fmt: skip
        E = _ember()
        found = False
        with E.no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    p.grad.mul_(1.0 / self._scale)
                    found = found or not bool(E.isfinite(p.grad).all())
        self._per_optimizer[id(optimizer)] = found

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step()`` unless the unscaled gradients hold inf/NaN (then None)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if id(optimizer) not in self._per_optimizer:
            self.unscale_(optimizer)
        if self._per_optimizer[id(optimizer)]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        """Back off after an overflow, grow after ``growth_interval`` clean steps."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        elif any(self._per_optimizer.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                self._scale *= self._growth_factor
                self._growth_tracker = 0
        self._per_optimizer = {}

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval) -> None:
        self._growth_interval = int(new_interval)

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}  # fmt: skip

    def load_state_dict(self, state_dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")  # fmt: skip
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])


# -- Tensor methods --------------------------------------------------------------------------


def _false(self) -> bool:
    return False


def _self(self, *args, **kwargs):
    return self


def _pin_memory(self, device=None):
    # torch pins through an accelerator; on a machine without one it raises this.
    raise RuntimeError("Cannot access accelerator device when none is available.")


def _dim_order(self, *, ambiguity_check=False):
    """Dims from outermost to innermost in memory (by decreasing stride)."""
    strides = self.stride()
    return tuple(sorted(range(self.ndim), key=lambda d: -strides[d]))


def _dlpack(self, *, stream=-1, max_version=None, dl_device=None, copy=None):
    from ..utils import dlpack

    return dlpack._export(self, stream=stream, max_version=max_version, dl_device=dl_device,
                          copy=copy)  # fmt: skip


def _dlpack_device(self):
    from ..utils import dlpack

    return dlpack._export_device(self)


def _type_as(self, other):
    return self.to(other.dtype)


def _sum_to_size(self, *size):
    """Sum ``self`` down to ``size`` (broadcast-compatible), as the reverse of ``expand``."""
    from ..autograd.engine import sum_to
    from ._util import shape_arg

    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    shape, have = shape_arg(size), tuple(self.shape)
    lead = len(have) - len(shape)
    if lead < 0 or any(s not in (1, h) for s, h in zip(shape, have[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(have)}}}.")
    return sum_to(self, shape)


def _const_data_ptr(self):
    return self.data_ptr()


def install(cls) -> None:
    """Put the methods torch has on Tensor that need no op of their own."""
    cls.is_shared = _false
    cls.is_pinned = _false
    cls.share_memory_ = _self
    cls.pin_memory = _pin_memory
    cls.dim_order = _dim_order
    cls.__dlpack__ = _dlpack
    cls.__dlpack_device__ = _dlpack_device
    cls.type_as = _type_as
    cls.sum_to_size = _sum_to_size
    cls.const_data_ptr = _const_data_ptr
    for name in ("is_sparse_csr", "is_mkldnn", "is_mps", "is_xla", "is_xpu", "is_ipu",
                 "is_vulkan", "is_maia", "is_mtia"):  # fmt: skip
        if not hasattr(cls, name):
            setattr(cls, name, property(_false))


def hash_tensor(input, dim=None, *, keepdim=False, mode=0):
    """A uint64 xor-reduction of the elements' 64-bit patterns (as ``torch.hash_tensor``):
    floats are upcast to float64 and integers to int64 before their bits are read."""
    import numpy as np

    from .._tensor import Tensor

    if mode != 0:
        raise RuntimeError(f"hash_tensor only supports mode=0 (xor_reduction), got {mode}")
    a = input._data
    wide = np.float64 if a.dtype.kind in "fc" else (np.uint64 if a.dtype.kind == "u" else np.int64)
    bits = np.ascontiguousarray(a.astype(wide)).view(np.uint64)
    if dim is None:
        axis = None
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axis = tuple(d % max(a.ndim, 1) for d in dims)
    out = np.bitwise_xor.reduce(bits, axis=axis, keepdims=keepdim) if bits.size else np.zeros(
        (), np.uint64)  # fmt: skip
    return Tensor._wrap(np.asarray(out, dtype=np.uint64))
