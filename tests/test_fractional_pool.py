"""Fractional max pooling (F.fractional_max_pool2d/3d[_with_indices], nn.FractionalMaxPool2d/3d)
against torch: with the same ``_random_samples`` both must pick the same windows (torch's
interval formula, in the input's dtype), values, indices and gradients; without samples,
ember's output is a max over valid fractional windows drawn from ember's generator."""

import numpy as np
import pytest
from helpers import check, check_error

torch = pytest.importorskip("torch")
import ember  # noqa: E402
import ember.nn.functional as EF  # noqa: E402

rng = np.random.default_rng(0)
r = rng.standard_normal


def _pool(nd, samples, **kw):
    """F.fractional_max_poolNd with fixed samples (a non-grad tensor in the input's dtype)."""

    def fn(lib, x):
        s = lib.tensor(samples).to(x.dtype)
        return getattr(lib.nn.functional, f"fractional_max_pool{nd}d")(
            x, _random_samples=s, **kw)  # fmt: skip

    return fn


CASES_2D = [
    ((2, 3, 9, 8), {"kernel_size": 2, "output_size": (4, 5)}),
    ((2, 3, 9, 8), {"kernel_size": (3, 2), "output_size": 5, "return_indices": True}),
    ((1, 2, 10, 7), {"kernel_size": 2, "output_ratio": (0.5, 0.7), "return_indices": True}),
    ((1, 2, 10, 7), {"kernel_size": 3, "output_ratio": [0.4, 0.6]}),
    ((3, 9, 9), {"kernel_size": 2, "output_size": 8, "return_indices": True}),  # unbatched
    ((2, 1, 6, 6), {"kernel_size": 1, "output_size": 6}),  # every pixel once
    ((2, 1, 6, 6), {"kernel_size": 2, "output_size": 1, "return_indices": True}),
]
CASES_3D = [
    ((2, 2, 7, 6, 8), {"kernel_size": 2, "output_size": (3, 4, 5), "return_indices": True}),
    ((1, 3, 6, 7, 5), {"kernel_size": (1, 2, 3), "output_ratio": 0.5}),
    ((2, 5, 6, 7), {"kernel_size": 2, "output_size": 3, "return_indices": True}),  # unbatched
]


@pytest.mark.parametrize("shape,kw", CASES_2D)
def test_fractional_max_pool2d(shape, kw):
    n = 1 if len(shape) == 3 else shape[0]
    u = rng.uniform(size=(n, shape[-3], 2))
    check(_pool(2, u, **kw), r(shape))  # float64: values, indices, gradient, grad_fn name
    check(_pool(2, u, **kw), r(shape).astype(np.float32), grad=False)


@pytest.mark.parametrize("shape,kw", CASES_3D)
def test_fractional_max_pool3d(shape, kw):
    n = 1 if len(shape) == 4 else shape[0]
    u = rng.uniform(size=(n, shape[-4], 3))
    check(_pool(3, u, **kw), r(shape))
    check(_pool(3, u, **kw), r(shape).astype(np.float32), grad=False)


def test_with_indices_names_and_extra_samples():
    x, u = r((2, 3, 8, 9)), rng.uniform(size=(4, 3, 2))  # more sample rows than the batch
    for name in ["fractional_max_pool2d_with_indices", "fractional_max_pool2d"]:
        check(lambda lib, x, name=name: getattr(lib.nn.functional, name)(
            x, 2, (5, 4), return_indices=True, _random_samples=lib.tensor(u)), x)  # fmt: skip
    x3, u3 = r((1, 2, 6, 5, 7)), rng.uniform(size=(1, 2, 3))
    check(lambda lib, x: lib.nn.functional.fractional_max_pool3d_with_indices(
        x, 2, 3, _random_samples=lib.tensor(u3)), x3)  # fmt: skip


def _starts(u, size, out, k, dtype):
    """torch's interval formula written out per element in ``dtype`` (independent of ember)."""
    d = np.dtype(dtype).type
    alpha = d(d(size - k) / d(out - 1))
    s = [int(d(d(i) + d(u)) * alpha) - int(d(u) * alpha) for i in range(out - 1)]
    return s + [size - k]


def test_interval_rounding_follows_input_dtype():
    # samples where float32 and float64 arithmetic give different windows: torch computes in the
    # input's dtype, and so must ember
    size, k, out = 100, 2, 30
    us = rng.uniform(size=20000).astype(np.float32)
    i = np.arange(out - 1, dtype=np.float32)[:, None]
    a32, a64 = np.float32(size - k) / np.float32(out - 1), (size - k) / (out - 1)
    s32 = ((i + us) * a32).astype(int) - (us * a32).astype(int)
    s64 = ((i + us.astype(float)) * a64).astype(int) - (us.astype(float) * a64).astype(int)
    found = us[(s32 != s64).any(0)][:3]
    assert len(found) >= 1
    for u in found:  # the plain per-element formula sees the difference too
        assert _starts(u, size, out, k, np.float32) != _starts(u, size, out, k, np.float64)
    x = np.arange(float(size * size)).reshape(1, 1, size, size)  # argmax = last in window
    for u in found:
        s = np.array([[[u, u]]], np.float32)
        check(_pool(2, s, kernel_size=k, output_size=out, return_indices=True),
              x.astype(np.float32), grad=False)  # fmt: skip
    # half precision rounds every step to half, as torch's c10::Half arithmetic
    s = rng.uniform(size=(1, 2, 2))
    check(_pool(2, s, kernel_size=2, output_size=(23, 31), return_indices=True),
          r((1, 2, 50, 47)).astype(np.float16), grad=False)  # fmt: skip


def test_ties_and_nan():
    # ties: the first maximum in window order; NaN: the last NaN in the window wins
    x = rng.integers(0, 2, (2, 2, 9, 9)).astype(np.float64)
    x[0, 0, 2:5, 2:5] = np.nan
    x[1, 1, 3, 3] = np.nan
    u = rng.uniform(size=(2, 2, 2))
    check(_pool(2, u, kernel_size=3, output_size=6, return_indices=True), x, grad=False)
    x3 = rng.integers(0, 2, (1, 2, 6, 6, 6)).astype(np.float64)
    x3[0, 1, 1:3, 1:3, 1:3] = np.nan
    u3 = rng.uniform(size=(1, 2, 3))
    check(_pool(3, u3, kernel_size=2, output_size=4, return_indices=True), x3, grad=False)


def test_unpool_roundtrip():
    x, u = r((2, 3, 10, 10)), rng.uniform(size=(2, 3, 2))

    def fn(lib, x):
        out, idx = lib.nn.functional.fractional_max_pool2d(
            x, 2, 5, return_indices=True, _random_samples=lib.tensor(u))  # fmt: skip
        return lib.nn.functional.max_unpool2d(out, idx, 2, output_size=x.shape[-2:])

    check(fn, x)


def _reference(x, u, ks, osz):
    """Fractional max pooling written plainly: windows from ``_starts`` (torch's formula; 2-d
    sample 0 drives W, 3-d samples drive T, H, W in order), a max over each."""
    x, u = x.numpy(), u.numpy()
    nd = len(ks)
    which = (1, 0) if nd == 2 else (0, 1, 2)
    out = np.empty(x.shape[:2] + tuple(osz), x.dtype)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            starts = [_starts(u[n, c, which[a]], x.shape[2 + a], osz[a], ks[a], x.dtype)
                      for a in range(nd)]  # fmt: skip
            for o in np.ndindex(*osz):
                win = tuple(slice(st[i], st[i] + k) for st, i, k in zip(starts, o, ks))
                out[(n, c) + o] = x[n, c][win].max()
    return out


@pytest.mark.parametrize("nd", [2, 3])
def test_without_samples_uses_ember_rng(nd):
    shape = (3, 4, 11, 9) if nd == 2 else (2, 3, 7, 8, 6)
    ks = (2,) * nd
    osz = (5, 4) if nd == 2 else (3, 4, 2)
    x = ember.tensor(r(shape))
    f = getattr(EF, f"fractional_max_pool{nd}d")
    ember.manual_seed(7)
    out, idx = f(x, ks, osz, return_indices=True)
    assert tuple(out.shape) == shape[:2] + osz and idx.dtype == ember.int64
    # the samples are ember.rand's draw (batch, channels, nd) in the input's dtype: the same
    # seed gives the same call, and the plain reference with that draw gives the output
    ember.manual_seed(7)
    u = ember.rand(shape[0], shape[1], nd, dtype=x.dtype)
    np.testing.assert_array_equal(out.numpy(), _reference(x, u, ks, osz))
    ember.manual_seed(7)
    again = f(x, ks, osz, return_indices=True)
    np.testing.assert_array_equal(again[1].numpy(), idx.numpy())
    # and torch agrees given those samples
    t = getattr(torch.nn.functional, f"fractional_max_pool{nd}d")(
        torch.tensor(x.numpy()), ks, osz, return_indices=True,
        _random_samples=torch.tensor(u.numpy()))[1]  # fmt: skip
    np.testing.assert_array_equal(t.numpy(), idx.numpy())


def test_without_samples_window_statistics():
    # an increasing input puts each window's max at its last pixel, so the indices show the
    # window starts: over draws they follow the fractional pattern (0 first, in-k last, steps
    # floor/ceil of alpha), they are shared by a row (column) of outputs, and they vary
    h, w, k, osz = 31, 29, 2, (8, 11)
    x = ember.arange(float(2 * 3 * h * w)).reshape(2, 3, h, w)
    placements = set()
    for seed in range(20):
        ember.manual_seed(seed)
        idx = EF.fractional_max_pool2d(x, k, osz, return_indices=True)[1].numpy()
        rows, cols = np.unravel_index(idx, (h, w))
        for starts, size, o, other in [(rows - k + 1, h, osz[0], 3), (cols - k + 1, w, osz[1], 2)]:
            assert (starts == starts.min(other, keepdims=True)).all()
            line = starts.min(other)  # (N, C, o)
            alpha = (size - k) / (o - 1)
            assert (line[..., 0] == 0).all() and (line[..., -1] == size - k).all()
            assert np.isin(np.diff(line, axis=-1), [np.floor(alpha), np.ceil(alpha)]).all()
            placements.update(map(tuple, line.reshape(-1, o)))
    assert len(placements) >= 6  # draws differ (alphas 29/7 and 27/10: some ten patterns each)


def test_modules():
    u2, u3 = rng.uniform(size=(2, 3, 2)), rng.uniform(size=(2, 3, 3))
    x2, x3 = r((2, 3, 9, 10)), r((2, 3, 6, 7, 8))
    for name, x, u, args in [
        ("FractionalMaxPool2d", x2, u2, "2, output_size=(4, 6)"),
        ("FractionalMaxPool2d", x2, u2, "(2, 3), output_ratio=0.5, return_indices=True"),
        ("FractionalMaxPool3d", x3, u3, "2, output_size=3, return_indices=True"),
        ("FractionalMaxPool3d", x3, u3, "(1, 2, 2), output_ratio=(0.5, 0.6, 0.7)"),
    ]:  # fmt: skip

        def fn(lib, x, name=name, u=u, args=args):
            m = eval(f"lib.nn.{name}({args}, _random_samples=lib.tensor(u))")
            return m(x)

        check(fn, x)
    e = ember.nn.FractionalMaxPool2d(2, output_ratio=0.5, _random_samples=ember.rand(1, 1, 2))
    t = torch.nn.FractionalMaxPool2d(2, output_ratio=0.5, _random_samples=torch.rand(1, 1, 2))
    assert list(e.state_dict()) == list(t.state_dict()) == ["_random_samples"]
    assert (
        repr(e) == repr(t) and repr(ember.nn.FractionalMaxPool3d(2, 3)) == "FractionalMaxPool3d()"
    )
    m = ember.nn.FractionalMaxPool3d(2, output_size=(2, 3, 2))
    assert tuple(m(ember.randn(1, 2, 5, 6, 5)).shape) == (1, 2, 2, 3, 2)


def test_module_errors():
    for args in ["2", "2, 3, 0.5", "2, output_ratio=1.5", "2, output_ratio=(0.5, 0.0)"]:
        check_error(lambda lib, a=args: eval(f"lib.nn.FractionalMaxPool2d({a})"))
    for args in ["0, output_ratio=0.5", "(2, 0, 2), output_size=2", "2", "2, output_ratio=1.0"]:
        check_error(lambda lib, a=args: eval(f"lib.nn.FractionalMaxPool3d({a})"))


def test_errors():
    x, x3 = r((2, 3, 6, 5)), r((2, 3, 4, 5, 6))
    u = rng.uniform(size=(2, 3, 2))

    def f2(x, *a, s=u, **kw):
        return lambda lib, x: lib.nn.functional.fractional_max_pool2d(
            x, *a, _random_samples=None if s is None else lib.tensor(s), **kw)  # fmt: skip

    def f3(*a, s=None, **kw):
        return lambda lib, x: lib.nn.functional.fractional_max_pool3d(
            x, *a, _random_samples=None if s is None else lib.tensor(s), **kw)  # fmt: skip

    cases = [
        (f2(x, 2), x),  # neither output_size nor output_ratio
        (f2(x, 2, output_ratio=0.5), x),  # 2-d takes len() of the ratio
        (f2(x, 2, output_ratio=(0.5, 0.5, 0.5)), x),
        (f2(x, 3, output_size=5), x),  # window does not fit
        (f2(x, 2, output_size=(3, 5)), x),
        (f2(x, (2, 2, 2), output_size=2), x),
        (f2(x, 2, output_size=(2, 2, 2)), x),
        (f2(x, [2], output_size=[2]), x),
        (f2(x, 2, output_size=2), x[0, 0]),  # 2-d input
        (f2(x, 2, output_size=2), x.reshape(1, 2, 3, 6, 5)),
        (f2(x, 2, output_size=2), r((2, 0, 6, 5))),
        (f2(x, 2, output_size=2, s=u.astype(np.float32)), x),  # samples' dtype
        (f2(x, 2, output_size=2, s=u[..., 0]), x),
        (f2(x, 2, output_size=2, s=u[:1]), x),
        (f2(x, 2, output_size=2, s=u[:, :2]), x),
        (f2(x, 2, output_size=2, s=rng.uniform(size=(2, 3, 3))), x),
        (f2(x, 2, output_size=(3, -1)), x),
        (f3(2), x3),
        (f3(2, output_size=(2, 5, 2)), x3),  # 3-d: strict fit (torch's check)
        (f3(2, output_size=(3, 2, 2)), x3),
        (f3((2, 2), output_size=2), x3),
        (f3(2, output_size=(2, 2)), x3),
        (f3(2, output_size=2), x3[0, 0]),
        (f3(2, output_size=2, s=rng.uniform(size=(2, 3, 2))), x3),
        (f3(2, output_size=2, s=rng.uniform(size=(1, 3, 3))), x3),
        (f3(2, output_ratio=(0.5, 0.5)), x3),
    ]
    for fn, inp in cases:
        check_error(fn, inp)
    check_error(f2(x, 2, output_size=3), x.astype(np.int64))  # no integer kernel
    # samples that require grad are refused, as torch's autograd refuses them
    for lib in (torch, ember):
        s = lib.tensor(u, requires_grad=True)
        with pytest.raises(RuntimeError, match="not differentiable with respect to argument"):
            lib.nn.functional.fractional_max_pool2d(lib.tensor(x), 2, 3, _random_samples=s)
    assert ember.nn.functional.fractional_max_pool2d(
        ember.tensor(x), 2, 3, _random_samples=ember.tensor(u)).requires_grad is False  # fmt: skip
