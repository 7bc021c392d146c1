"""ember.fft against torch.fft: values, dtypes, gradients (complex ones in torch's convention),
finite differences, double backward, grad_fn names, argument errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import assert_same, check, check_error, check_outcome  # noqa: E402

import ember  # noqa: E402

RNG = np.random.default_rng(0)
C2C = ["fft", "ifft", "fftn", "ifftn", "fft2", "ifft2"]
R2C = ["rfft", "ihfft", "rfftn", "ihfftn", "rfft2", "ihfft2"]
C2R = ["irfft", "hfft", "irfftn", "hfftn", "irfft2", "hfft2"]
ONE_DIM = {"fft", "ifft", "rfft", "ihfft", "irfft", "hfft"}
NORMS = [None, "backward", "ortho", "forward"]


def _real(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def _cplx(*shape, dtype=np.complex128):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def _size_args(name, n):
    """Keyword arguments that crop/pad to ``n`` (1-d) or ``(n, n + 1)`` on the last two dims."""
    return {"n": n} if name in ONE_DIM else {"s": (n, n + 1)}


def _call(name, **kw):
    return lambda lib, x: getattr(lib.fft, name)(x, **kw)


# -- values and dtypes ------------------------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", C2C + R2C)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_real_inputs(name, dtype, norm):
    # values, the complex dtype of the matching precision, grad_fn names and gradients
    check(_call(name, norm=norm), _real(3, 4, 5, dtype=dtype))
    check(_call(name, norm=norm), _real(2, 7, dtype=dtype))


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", C2C + C2R)
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_inputs(name, dtype, norm):
    check(_call(name, norm=norm), _cplx(3, 4, 5, dtype=dtype), grad=False)
    check(_call(name, norm=norm), _cplx(2, 7, dtype=dtype), grad=False)


@pytest.mark.parametrize("name", C2C + R2C + C2R)
@pytest.mark.parametrize("n", [1, 3, 4, 9])
def test_crop_and_pad(name, n):
    # n/s shorter and longer than the input, odd and even, on real and complex inputs
    x = _real(3, 6, 5) if name in R2C else _cplx(3, 6, 5)
    check(_call(name, **_size_args(name, n)), x, grad=name in R2C)


@pytest.mark.parametrize("name", C2C + R2C + C2R)
def test_dims(name):
    x = _real(4, 5, 6) if name in R2C else _cplx(4, 5, 6)
    if name in ONE_DIM:
        for d in (0, 1, -1, -3):
            check(_call(name, dim=d), x, grad=False)
    else:
        for dims in ((0, 2), (2, 0), (-1, -3), (1,)):
            check(_call(name, dim=dims), x, grad=False)
        check(_call(name, s=(3, -1), dim=(2, 0)), x, grad=False)
        if not name.endswith("2"):  # s alone: the last len(s) dims; neither: every dim
            check(_call(name, s=(4, 3)), x, grad=False)
            check(_call(name), x, grad=False)


@pytest.mark.parametrize("name", C2C + R2C + C2R)
def test_integer_and_bool_inputs(name):
    # integers and bools are first cast to the default float dtype
    check(_call(name), RNG.integers(-5, 5, (3, 4)), grad=False)
    check(_call(name), RNG.integers(0, 2, (3, 4)).astype(bool), grad=False)
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    check(_call(name), RNG.integers(-5, 5, (3, 4)), grad=False)


def test_fftn_of_no_dims_and_0d_sizes():
    check(_call("fftn", dim=()), _real(3, 4))
    check(_call("ifftn", dim=[]), _cplx(3, 4), grad=False)
    check(_call("fftn", s=[]), _real(3, 4))


def test_noncontiguous_inputs():
    x = _real(5, 6).T
    check(_call("rfft"), x)
    check(_call("fft2"), x)
    check(_call("irfft", dim=0), _cplx(6, 5).T, grad=False)


def test_roundtrips():
    x = _real(4, 6)
    t = ember.from_numpy(x)
    np.testing.assert_allclose(ember.fft.irfft(ember.fft.rfft(t), n=6).numpy(), x, atol=1e-12)
    np.testing.assert_allclose(ember.fft.ifftn(ember.fft.fftn(t)).numpy().real, x, atol=1e-12)
    np.testing.assert_allclose(ember.fft.hfft(ember.fft.ihfft(t), n=6).numpy(), x, atol=1e-12)


# -- gradients --------------------------------------------------------------------------------


def _with_cotangent(lib, name, x_np, v_np, kw):
    x = lib.from_numpy(x_np.copy()).requires_grad_()
    out = getattr(lib.fft, name)(x, **kw)
    (g,) = lib.autograd.grad(out, x, lib.from_numpy(v_np.copy()).to(out.dtype))
    return out, g


def _cotangent(name, x, kw):
    out = getattr(torch.fft, name)(torch.from_numpy(x), **kw)
    return _cplx(*out.shape) if out.is_complex() else _real(*out.shape)


CASES = [(name, kw) for name in C2C + R2C + C2R
         for kw in ({}, {"norm": "ortho"}, {"norm": "forward"})]  # fmt: skip
CASES += [(name, _size_args(name, n)) for name in C2C + R2C + C2R for n in (3, 8)]


def _input(name):
    return _real(3, 5, 6) if name in R2C else _cplx(3, 5, 6)


@pytest.mark.parametrize("name,kw", CASES)
def test_gradients_with_complex_cotangents(name, kw):
    # a cotangent with an imaginary part checks both halves of the adjoint (torch's convention:
    # the gradient of Re(sum(conj(v) * out)) is d/dRe(x) + i d/dIm(x))
    x = _input(name)
    v = _cotangent(name, x, kw)
    tout, tg = _with_cotangent(torch, name, x, v, kw)
    eout, eg = _with_cotangent(ember, name, x, v, kw)
    assert_same(torch, eout, tout)
    assert_same(torch, eg, tg, "gradient")
    assert eout.grad_fn.name() == tout.grad_fn.name()


def _loss(name, x_np, v, kw):
    """Re(sum(conj(v) * out)) of ember's output, in float64."""
    out = getattr(ember.fft, name)(ember.from_numpy(x_np), **kw).numpy()
    return float(np.sum(v.real * out.real + v.imag * out.imag)) if out.dtype.kind == "c" else (
        float(np.sum(v * out)))  # fmt: skip


@pytest.mark.parametrize("name,kw", CASES[::3])
def test_gradients_by_finite_differences(name, kw):
    x = _input(name)[:2, :3]
    v = _cotangent(name, x, kw)
    _, g = _with_cotangent(ember, name, x, v, kw)
    eps = 1e-6
    num = np.zeros(x.shape, dtype=x.dtype)
    for idx in np.ndindex(x.shape):
        for unit in (1.0, 1j) if x.dtype.kind == "c" else (1.0,):
            hi, lo = x.copy(), x.copy()
            hi[idx] += eps * unit
            lo[idx] -= eps * unit
            num[idx] += unit * (_loss(name, hi, v, kw) - _loss(name, lo, v, kw)) / (2 * eps)
    np.testing.assert_allclose(g.numpy(), num, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("name", R2C + C2C + C2R)
def test_double_backward(name):
    # the gradient is linear in the cotangent: differentiating it by the cotangent runs each
    # backward's own rule (for r2c that is _fft_r2c_backward's)
    x = _input(name)[:, :4]
    v = _cotangent(name, x, {})
    w = _real(*x.shape) if name in R2C else _cplx(*x.shape)
    res = []
    for lib in (torch, ember):
        xt = lib.from_numpy(x.copy()).requires_grad_()
        vt = lib.from_numpy(v.copy()).requires_grad_()
        out = getattr(lib.fft, name)(xt)
        (g,) = lib.autograd.grad(out, xt, vt, create_graph=True)
        (gv,) = lib.autograd.grad(g, vt, lib.from_numpy(w.copy()))
        res.append(gv)
    assert_same(torch, res[1], res[0], "gradient of the gradient by the cotangent")


def test_gradient_through_padding_and_cropping():
    check(lambda lib, x: lib.fft.rfft(x, n=9) * 2, _real(3, 5))
    check(lambda lib, x: lib.fft.fft2(x, s=(2, 8)), _real(4, 5))
    check(lambda lib, x: lib.fft.ihfftn(x, s=(3, 3), dim=(1, 0)), _real(4, 5))


@pytest.mark.parametrize("name", C2R)
def test_gradient_of_real_input_to_c2r(name):
    # torch casts a real input to complex first: the engine takes the real part of its gradient
    check(_call(name), _real(3, 4))


def test_grad_fn_names():
    x = ember.randn(4, 6, dtype=ember.float64, requires_grad=True)
    z = ember.randn(4, 6, dtype=ember.complex128, requires_grad=True)
    tx = torch.from_numpy(x.detach().numpy()).requires_grad_()
    tz = torch.from_numpy(z.detach().numpy()).requires_grad_()

    def same(name, e, t, **kw):
        want = getattr(torch.fft, name)(t, **kw).grad_fn.name()
        assert getattr(ember.fft, name)(e, **kw).grad_fn.name() == want, name

    for name in C2C + R2C:
        same(name, x, tx)
    for name in C2C + C2R:
        same(name, z, tz)
    same("ihfftn", x, tx, dim=(0,))
    same("hfftn", z, tz, dim=(0,))


# -- frequencies and shifts -------------------------------------------------------------------


def _freq(fn, n, d, dtype=None):
    def call(lib):
        kw = {} if dtype is None else {"dtype": getattr(lib, dtype)}
        return getattr(lib.fft, fn)(n, d, **kw)

    return call


@pytest.mark.parametrize("n", [0, 1, 4, 5, 10])
@pytest.mark.parametrize("d", [1.0, 0.1, 3])
def test_fftfreq(n, d):
    for fn in ("fftfreq", "rfftfreq"):
        check(_freq(fn, n, d), grad=False)
        check(_freq(fn, n, d, "float64"), grad=False)
        check(_freq(fn, n, d, "float16"), grad=False)
        check_error(_freq(fn, n, d, "complex64"), match="arange_cpu")


def test_fftfreq_options_and_errors():
    t = ember.fft.rfftfreq(6, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    check(lambda lib: lib.fft.fftfreq(7, 0.5), grad=False)
    check(lambda lib: lib.fft.fftfreq(3, 0), grad=False)  # 1 / 0: nan and infinities
    check_error(lambda lib: lib.fft.fftfreq(4, dtype=lib.int64), match="floating point or complex")
    check_error(lambda lib: lib.fft.fftfreq(-1), match="negative dimension")


def test_shifts():
    x = _real(4, 5)
    for fn in ("fftshift", "ifftshift"):
        check(_call(fn), x)
        check(_call(fn, dim=1), x)
        check(_call(fn, dim=(-2,)), x)
        check(_call(fn), RNG.integers(0, 9, (3, 5)), grad=False)
        check_error(_call(fn), np.array(1.0))
    z = ember.arange(7)
    assert ember.fft.ifftshift(ember.fft.fftshift(z)).tolist() == list(range(7))


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn,arg,match",
    [
        (lambda lib, x: lib.fft.fft(x.half()), "r", "Unsupported dtype Half"),
        (lambda lib, x: lib.fft.rfftn(x.double()), "r", None),
        (lambda lib, x: lib.fft.rfft(x), "c", "rfft expects a real input tensor"),
        (lambda lib, x: lib.fft.ihfft(x), "c", "ihfft expects a real input tensor"),
        (lambda lib, x: lib.fft.rfftn(x), "c", "rfftn expects a real-valued input tensor"),
        (lambda lib, x: lib.fft.ihfft2(x), "c", "Only supports floating-point dtypes"),
        (lambda lib, x: lib.fft.fft(x, n=0), "r", "Invalid number of data points (0)"),
        (lambda lib, x: lib.fft.irfft(x, n=-2), "c", "Invalid number of data points (-2)"),
        (lambda lib, x: lib.fft.irfft(x[:, :1]), "c", "Invalid number of data points (0)"),
        (lambda lib, x: lib.fft.fftn(x, s=(-2, 3)), "r", "Invalid number of data points (-2)"),
        (lambda lib, x: lib.fft.fft(x, norm="foo"), "r", 'Invalid normalization mode: "foo"'),
        (lambda lib, x: lib.fft.irfftn(x, norm="Ortho"), "c", "Invalid normalization mode"),
        (lambda lib, x: lib.fft.fft(x, dim=2), "r", "Dimension out of range"),
        (lambda lib, x: lib.fft.fftn(x, s=(2, 3), dim=(0,)), "r", "must have the same length"),
        (lambda lib, x: lib.fft.fftn(x, dim=(0, -2)), "r", "FFT dims must be unique"),
        (lambda lib, x: lib.fft.fftn(x, s=(3, 3, 3)), "r", "Got shape with 3 values"),
        (lambda lib, x: lib.fft.rfftn(x, dim=()), "r", "rfftn must transform at least one axis"),
        (lambda lib, x: lib.fft.irfftn(x, s=()), "c", "irfftn must transform at least one axis"),
        (lambda lib, x: lib.fft.fft(x, n=3.0), "r", "must be int"),
        (lambda lib, x: lib.fft.fft(x, dim=(0,)), "r", "must be int"),
        (lambda lib, x: lib.fft.fft(x[0, 0]), "r", "tensor has no dimensions"),
        (lambda lib, x: lib.fft.fft2(x[0]), "r", "Dimension out of range"),
    ],
)
def test_errors(fn, arg, match):
    x = _real(4, 6) if arg == "r" else _cplx(4, 6)
    check_outcome(fn, x) if match is None else check_error(fn, x, match=match)


@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
def test_freq_out_receives_the_result_like_torch(name):
    got = []
    for lib in (torch, ember):
        out = lib.empty(0, dtype=lib.float64)
        r = getattr(lib.fft, name)(5, 0.5, out=out)
        got.append((r is out, out.dtype == lib.float64, out.tolist()))
    assert got[0] == got[1] and got[0][0]
