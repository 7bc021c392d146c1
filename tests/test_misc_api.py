"""Top-level odds and ends (ember/ops/misc.py, ember/_config.py) against torch."""

import numpy as np
import pytest
from helpers import check as _check
from helpers import check_error, gradcheck

import ember

torch = pytest.importorskip("torch")


def check(fn, *args, **kw):
    # These are composites: torch's last autograd node (Squeeze, CopySlices ...) is an
    # implementation detail, so grad_fn names are not compared; values and gradients are.
    return _check(fn, *args, grad_fn=False, **kw)


R = np.random.default_rng(0)
A = R.standard_normal((3, 5))
INTS = np.array([[1, 2, 4], [3, 1, 0]])


@pytest.mark.parametrize("name", ["erf_", "erfc_", "i0_", "sinc_"])
def test_inplace_top_level(name):
    check(lambda lib, x: getattr(lib, name)(x.clone()), A)


def test_xlogy_addmv_inplace():
    check(lambda lib, x, y: lib.xlogy_(x.clone(), y.abs()), A, A)
    check(
        lambda lib, y, m, v: lib.addmv_(y.clone(), m, v, beta=0.5, alpha=2),
        R.standard_normal(3),
        A,
        R.standard_normal(5),
    )


def test_detach_and_queries():
    check(lambda lib, x: lib.detach(x * 2), A)
    for lib in (torch, ember):
        x = lib.ones(2, 3)
        assert lib.is_same_size(x, lib.ones(2, 3)) and not x.is_same_size(lib.ones(3, 2))
        assert lib.get_device(x) == -1 and not lib.is_inference(x) and not x.is_inference()
        assert lib.is_signed(x) and not lib.is_signed(lib.ones(2, dtype=lib.uint8))
        assert not lib.is_distributed(x) and not x.is_shared() and not x.is_pinned()
        assert x.share_memory_() is x
        assert x.t().dim_order() == (1, 0) and x.dim_order() == (0, 1)
        with lib.inference_mode():
            assert lib.is_inference(lib.ones(1))
        d = lib.detach_(x.clone())
        assert not d.requires_grad
    check(lambda lib, x, y: x.type_as(y), INTS, A, grad=False)
    check(lambda lib, x: x.sum_to_size(1, 5), R.standard_normal((2, 3, 5)))
    check(lambda lib, x: x.sum_to_size((3, 1)), A)


def test_pin_memory_without_accelerator():
    check_error(lambda lib, x: x.pin_memory(), A)


@pytest.mark.parametrize("invert", [False, True])
def test_isin(invert):
    e, t = np.array([[1, 2, 3], [4, 5, 6]]), np.array([2, 6, 9])
    check(lambda lib, a, b: lib.isin(a, b, invert=invert), e, t)
    check(lambda lib, a: lib.isin(a, 2, invert=invert), e)
    check(lambda lib, b: lib.isin(5, b, invert=invert), t)
    check(lambda lib, a, b: lib.isin(a, b, assume_unique=True), e, np.array([], dtype=np.int64))


def test_diff():
    check(lambda lib, x: lib.diff(x), A)
    check(lambda lib, x: x.diff(n=2, dim=0), A)
    check(lambda lib, x, p, q: lib.diff(x, dim=1, prepend=p, append=q), A, A[:, :2], A[:, :1])
    check(lambda lib, x: lib.diff(x, n=3), INTS)
    check(lambda lib, x: lib.diff(x), np.array([True, False, False, True]))
    check(lambda lib, x: lib.diff(x, n=9), A)
    check_error(lambda lib, x: lib.diff(x), np.array(1.0))


def test_cov_corrcoef():
    check(lambda lib, x: lib.cov(x), A)
    check(lambda lib, x: x.cov(correction=0), A[0])
    check(lambda lib, x: lib.cov(x), INTS)
    fw, aw = np.array([1, 2, 3, 1, 1]), R.random(5)
    check(lambda lib, x, f, a: lib.cov(x, fweights=f, aweights=a), A, fw, aw)
    check(lambda lib, x, a: lib.cov(x, correction=2, aweights=a), A, aw)
    check(lambda lib, x: lib.corrcoef(x), A)
    check(lambda lib, x: x.corrcoef(), INTS)
    check_error(lambda lib, x: lib.cov(x), R.random((2, 2, 2)))


def test_trapezoid():
    y = R.standard_normal((3, 4))
    check(lambda lib, a: lib.trapezoid(a), y)
    check(lambda lib, a: lib.trapezoid(a, dx=0.5, dim=0), y)
    check(lambda lib, a, x: lib.trapezoid(a, x), y, np.sort(R.random(4)))
    check(lambda lib, a: lib.trapz(a, dx=2), INTS)
    check(lambda lib, a: lib.cumulative_trapezoid(a), y)
    check(lambda lib, a: lib.cumulative_trapezoid(a, dx=3.0, dim=0), y)
    check(lambda lib, a, x: lib.cumulative_trapezoid(a, x), y, np.sort(R.random(4)))
    check(lambda lib, a: lib.cumulative_trapezoid(a), INTS)


@pytest.mark.parametrize("N", [None, 0, 1, 4])
@pytest.mark.parametrize("increasing", [False, True])
def test_vander(N, increasing):
    # torch's own vander backward fails (in-place on a saved tensor): gradients by finite
    # differences instead.
    x = R.standard_normal(3)
    check(lambda lib, x: lib.vander(x, N=N, increasing=increasing), x, grad=False)
    gradcheck(lambda x: ember.vander(x, N=N, increasing=increasing), [x])
    check(lambda lib, x: lib.vander(x, N=N, increasing=increasing), np.array([1, 2, 3]))


def test_norms():
    check(lambda lib, x: lib.nuclear_norm(x), A)
    check(lambda lib, x: lib.nuclear_norm(x, keepdim=True), A)
    check(lambda lib, x: lib.nuclear_norm(x, (0, 2)), R.standard_normal((3, 2, 4)))
    check(lambda lib, x: lib.frobenius_norm(x, (0, 1)), A)
    check(lambda lib, x: lib.frobenius_norm(x, (1,), True), A)
    for d in (0, 1, -1):
        check(lambda lib, x, d=d: lib.norm_except_dim(x, 2, d), A)
    check(lambda lib, x: lib.norm_except_dim(x, 3, 1), A)


@pytest.mark.parametrize("name", ["lstsq", "solve", "eig", "matrix_rank"])
def test_removed_linalg(name):
    args = (A[:3, :3], A[:3, :3]) if name in ("lstsq", "solve") else (A[:3, :3],)
    check_error(
        lambda lib, *xs: getattr(lib, name)(*xs),
        *args,
        match="This function was deprecated since version 1.9 and is now removed.",
    )


def test_dlpack():
    a = np.arange(6.0).reshape(2, 3)
    e = ember.from_dlpack(a)
    t = torch.from_dlpack(a)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
    a[0, 0] = 7.0  # memory is shared in both
    assert e[0, 0].item() == t[0, 0].item() == 7.0
    x = ember.arange(4)
    assert np.from_dlpack(x).tolist() == [0, 1, 2, 3]
    assert x.__dlpack_device__() == torch.arange(4).__dlpack_device__()
    assert ember.from_dlpack(x).tolist() == [0, 1, 2, 3]


def test_config_switches():
    for lib in (torch, ember):
        n = lib.get_num_threads()
        lib.set_num_threads(1)
        assert lib.get_num_threads() == 1
        lib.set_num_threads(n)
        assert isinstance(lib.get_num_interop_threads(), int)
        assert not lib.are_deterministic_algorithms_enabled()
        lib.use_deterministic_algorithms(True, warn_only=True)
        assert lib.is_deterministic_algorithms_warn_only_enabled()
        assert lib.get_deterministic_debug_mode() == 1
        lib.set_deterministic_debug_mode("error")
        assert lib.get_deterministic_debug_mode() == 2
        assert not lib.is_deterministic_algorithms_warn_only_enabled()
        lib.set_deterministic_debug_mode(0)
        assert not lib.are_deterministic_algorithms_enabled()
        with pytest.raises(RuntimeError, match="invalid value of debug_mode"):
            lib.set_deterministic_debug_mode("x")
        assert lib.get_float32_matmul_precision() == "highest"
        lib.set_float32_matmul_precision("medium")
        assert lib.get_float32_matmul_precision() == "medium"
        with pytest.warns(UserWarning, match="is not one of"):
            lib.set_float32_matmul_precision("x")
        lib.set_float32_matmul_precision("highest")
        assert not lib.is_warn_always_enabled()
        lib.set_warn_always(True)
        assert lib.is_warn_always_enabled()
        lib.set_warn_always(False)
        assert not lib.is_anomaly_enabled()
        lib.set_anomaly_enabled(True, check_nan=False)
        assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
        lib.set_anomaly_enabled(False)


class _SGD:
    # the same minimal optimizer for both libraries (ember has no optim yet)
    def __init__(self, params, lr):
        self.param_groups = [{"params": list(params), "lr": lr}]

    def step(self):
        for p in self.param_groups[0]["params"]:
            if p.grad is not None:
                p.data.sub_(p.grad * self.param_groups[0]["lr"])
        return "stepped"


def test_grad_scaler():
    def run(lib):
        p = lib.ones(2, requires_grad=True)
        opt, scaler, log = _SGD([p], 0.1), lib.GradScaler("cpu", growth_interval=2), []
        loss = scaler.scale((p * 2).sum())
        log.append((loss.item(), str(loss.dtype).split(".")[1]))
        loss.backward()
        scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match="already been called"):
            scaler.unscale_(opt)
        log.append((p.grad.tolist(), scaler.step(opt)))
        scaler.update()
        p.grad = lib.tensor([float("inf"), 1.0])
        log.append((scaler.step(opt), p.tolist()))
        scaler.update()
        for _ in range(2):
            p.grad = lib.ones(2)
            scaler.step(opt)
            scaler.update()
        log.append((scaler.get_scale(), scaler.state_dict(), p.tolist()))
        other = lib.GradScaler("cpu")
        other.load_state_dict(scaler.state_dict())
        log.append(other.state_dict())
        off = lib.GradScaler("cpu", enabled=False)
        log.append((off.get_scale(), off.state_dict(), off.is_enabled()))
        return log

    assert run(ember) == run(torch)


@pytest.mark.parametrize(
    "kw",
    [{"bins": 4}, {"bins": [3, 4]}, {"bins": 3, "range": [0.0, 1.0, -1.0, 1.0]},
     {"bins": 3, "density": True},
     {"bins": [2, 5], "density": True}],
)  # fmt: skip
def test_histogramdd(kw):
    pts = R.standard_normal((20, 2))
    check(lambda lib, x: tuple(_flat_hist(lib.histogramdd(x, **kw))), pts, grad=False)
    w = R.random(20)
    check(lambda lib, x, w: tuple(_flat_hist(lib.histogramdd(x, weight=w, **kw))), pts, w,
          grad=False)  # fmt: skip


def test_histogramdd_edges():
    pts, e0, e1 = R.standard_normal((15, 2)), np.array([-1.0, 0.0, 2.0]), np.linspace(-2, 2, 4)
    check(lambda lib, x, a, b: tuple(_flat_hist(lib.histogramdd(x, bins=[a, b]))), pts, e0, e1,
          grad=False)  # fmt: skip
    check(lambda lib, x: tuple(_flat_hist(lib.histogramdd(x, bins=4))), R.random((2, 5, 3)),
          grad=False)  # fmt: skip


def _flat_hist(r):
    yield r.hist
    yield from r.bin_edges


@pytest.mark.parametrize(
    "kw",
    [dict(n_fft=8), dict(n_fft=8, hop_length=3, center=False), dict(n_fft=8, win_length=5),
     dict(n_fft=6, normalized=True, onesided=False), dict(n_fft=8, pad_mode="constant"),
     dict(n_fft=8, pad_mode="replicate"), dict(n_fft=8, pad_mode="circular")],
)  # fmt: skip
def test_stft(kw):
    sig = R.standard_normal(20)
    check(lambda lib, x: lib.stft(x, return_complex=True, **kw), sig, atol=1e-10, rtol=1e-10)
    check(lambda lib, x: x.stft(return_complex=False, **kw), R.standard_normal((2, 20)))
    win = R.random(kw.get("win_length", kw["n_fft"]))
    check(lambda lib, x, w: lib.stft(x, window=w, return_complex=True, **kw), sig, win)


def test_stft_errors():
    check_error(lambda lib, x: lib.stft(x, 8), R.standard_normal(20))
    check_error(lambda lib, x: lib.stft(x, 8, return_complex=True), R.standard_normal((2, 2, 20)))
    check_error(lambda lib, x: lib.stft(x, 40, return_complex=True, center=False),
                R.standard_normal(20))  # fmt: skip


@pytest.mark.parametrize(
    "kw",
    [dict(n_fft=8), dict(n_fft=8, hop_length=2, center=False), dict(n_fft=8, win_length=6),
     dict(n_fft=6, normalized=True), dict(n_fft=8, length=17), dict(n_fft=8, length=30)],
)  # fmt: skip
def test_istft(kw):
    spec = torch.stft(torch.from_numpy(R.standard_normal((2, 24))), kw["n_fft"],
                      hop_length=kw.get("hop_length"), win_length=kw.get("win_length"),
                      center=kw.get("center", True), normalized=kw.get("normalized", False),
                      return_complex=True).numpy()  # fmt: skip
    win = np.hanning(kw.get("win_length", kw["n_fft"]) + 2)[1:-1]
    check(lambda lib, s: lib.istft(s, **kw), spec, atol=1e-10, rtol=1e-8)
    check(lambda lib, s, w: lib.istft(s[0], window=w, **kw), spec, win, atol=1e-10, rtol=1e-8)


def test_istft_onesided_false():
    spec = np.fft.fft(R.standard_normal((5, 8)), axis=-1).T
    check(lambda lib, s: lib.istft(s, 8, onesided=False, return_complex=True), spec,
          atol=1e-10, rtol=1e-8)  # fmt: skip
    check_error(lambda lib, s: lib.istft(s, 8), R.standard_normal((5, 4)))


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [True, False])
def test_ormqr(left, transpose):
    a, tau = (t.numpy() for t in torch.geqrf(torch.from_numpy(R.standard_normal((5, 3)))))
    c = R.standard_normal((5, 2) if left else (2, 5))
    check(lambda lib, a, t, c: lib.ormqr(a, t, c, left, transpose), a, tau, c)
    check(lambda lib, a, t, c: a.ormqr(t, c, left=left, transpose=transpose), a, tau, c,
          grad=False)  # fmt: skip


@pytest.mark.parametrize("fn", ["svd_lowrank", "pca_lowrank"])
def test_lowrank(fn):
    # rank-3 input: the randomized SVD is exact, so the singular values must equal torch's and
    # U diag(S) V^T must rebuild the (centered) input; the random bases themselves differ
    low = R.standard_normal((8, 3)) @ R.standard_normal((3, 6))
    outs = []
    for lib in (torch, ember):
        a = lib.from_numpy(low.copy())
        U, S, V = getattr(lib, fn)(a, q=3)
        target = a - a.mean(0, keepdim=True) if fn == "pca_lowrank" else a
        np.testing.assert_allclose((U @ lib.diag(S) @ V.T).numpy(), target.numpy(), atol=1e-8)
        outs.append(([tuple(t.shape) for t in (U, S, V)], S.numpy()))
    assert outs[0][0] == outs[1][0]
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-8)


def test_view_as_copies():
    check(lambda lib, x: lib.view_as_complex_copy(x), R.standard_normal((3, 2)), grad=False)
    z = R.standard_normal(3) + 1j * R.standard_normal(3)
    check(lambda lib, x: lib.view_as_real_copy(x), z)
