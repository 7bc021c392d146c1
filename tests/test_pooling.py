"""Pooling (F.max_pool*, avg_pool*, adaptive_*, lp_pool*, max_unpool*, nn.*Pool*) against torch."""

import numpy as np
import pytest
from helpers import check, check_error, check_gradgrad

torch = pytest.importorskip("torch")
import ember  # noqa: E402

rng = np.random.default_rng(0)
r = rng.standard_normal

MAX = [
    ((2, 3, 7, 6), (2,), {}),
    ((2, 3, 7, 6), (3, 2, 1), {"ceil_mode": True}),
    ((2, 3, 9, 8), (3, (2, 1), 1), {"dilation": 2}),
    ((2, 3, 9), (3, 2, 1), {"ceil_mode": True}),
    ((1, 2, 5, 6, 5), (2,), {}),
    ((3, 7, 6), (2,), {}),
]


@pytest.mark.parametrize("xs,a,kw", MAX)
@pytest.mark.parametrize("ind", [False, True])
def test_max_pool(xs, a, kw, ind):
    nd = len(xs) - 2 if len(xs) != 3 or len(a) == 3 else 2
    name = f"max_pool{nd}d"
    check(lambda lib, x: getattr(lib.nn.functional, name)(x, *a, return_indices=ind, **kw),
          r(xs), grad_fn=len(xs) == nd + 2 and nd > 1)  # fmt: skip


AVG = [
    ((2, 3, 7, 6), (2,), {}),
    ((2, 3, 7, 6), (3, 2, 1), {"ceil_mode": True}),
    ((2, 3, 7, 6), (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
    ((2, 3, 7, 6), (3, 2, 1), {"divisor_override": 4}),
    ((1, 2, 5, 6, 5), (2,), {}),
]


@pytest.mark.parametrize("xs,a,kw", AVG)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool(xs, a, kw, dtype):
    name = f"avg_pool{len(xs) - 2}d"
    check(lambda lib, x: getattr(lib.nn.functional, name)(x, *a, **kw), r(xs).astype(dtype))


def test_avg_pool1d():
    check(lambda lib, x: lib.nn.functional.avg_pool1d(x, 3, 2, 1, True, False), r((2, 3, 7)),
          grad_fn=False)  # fmt: skip


def test_pool_double_backward():
    check_gradgrad(lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 2, 1, True), r((2, 2, 7, 6)))
    check_gradgrad(lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 2, 1) ** 2, r((2, 2, 7, 6)))


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("xs,o", [((2, 3, 8, 6), (4, 3)), ((2, 3, 8, 6), (2, None)),
                                  ((2, 3, 7, 6), (3, 4)), ((2, 3, 9), 3)])  # fmt: skip
def test_adaptive(kind, xs, o):
    name = f"adaptive_{kind}_pool{len(xs) - 2}d"
    check(lambda lib, x: getattr(lib.nn.functional, name)(x, o), r(xs), grad_fn=False)


@pytest.mark.parametrize("xs,o", [((2, 3, 7, 6), (3, 4)), ((3, 9), 4), ((1, 2, 5, 7, 6), (2, 3, 4)),
                                  ((2, 3, 7, 5), (4, 2))])  # fmt: skip
def test_adaptive_max_uneven_windows_indices_nan(xs, o):
    x = r(xs)
    x.flat[5] = np.nan  # a NaN wins its window (value and index), as in torch
    nd = len(o) if isinstance(o, tuple) else 1
    name = f"adaptive_max_pool{nd}d"
    check(lambda lib, x: getattr(lib.nn.functional, name)(x, o, return_indices=True)[1], x,
          grad_fn=False)  # fmt: skip
    x.flat[5] = 0.5
    check(lambda lib, x: getattr(lib.nn.functional, name)(x, o, return_indices=True)[0], x,
          grad_fn=False)  # fmt: skip


def test_lp_pool():
    x = np.abs(r((2, 3, 6, 6))) + 0.1
    check(lambda lib, x: lib.nn.functional.lp_pool2d(x, 2.0, 2), x, grad_fn=False)
    check(lambda lib, x: lib.nn.functional.lp_pool1d(x, 3.0, 3, 2), x[0], grad_fn=False)


def test_max_unpool():
    def f(lib, x):
        out, idx = lib.nn.functional.max_pool2d(x, 2, return_indices=True)
        return lib.nn.functional.max_unpool2d(out, idx, 2, output_size=x.shape)

    check(f, r((2, 3, 6, 7)), grad_fn=False)


def test_pool_errors():
    check_error(lambda lib, x: lib.nn.functional.max_pool2d(x, 2, padding=2), r((1, 1, 6, 6)),
                match="pad should be at most half of effective kernel size")  # fmt: skip
    check_error(lambda lib, x: lib.nn.functional.max_pool2d(x, 2), r((6, 6)))


def test_pool_modules():
    for n in ["MaxPool2d(2)", "MaxPool2d(3, 2, 1, ceil_mode=True)", "AvgPool2d(3, 2)",
              "AdaptiveAvgPool2d((2, 3))", "AdaptiveMaxPool2d(2)", "LPPool2d(2, 2)",
              "MaxPool1d(2)", "AvgPool3d(2)", "MaxUnpool2d(2)"]:  # fmt: skip
        e, t = eval("ember.nn." + n), eval("torch.nn." + n)
        assert repr(e) == repr(t)
    x = r((2, 3, 6, 6)).astype(np.float32)
    for n in ["MaxPool2d(3, 2, 1, ceil_mode=True)", "AvgPool2d(3, 2)", "AdaptiveAvgPool2d((2, 3))"]:
        e, t = eval("ember.nn." + n), eval("torch.nn." + n)
        np.testing.assert_allclose(e(ember.tensor(x)).numpy(), t(torch.tensor(x)).numpy(),
                                   atol=1e-6)  # fmt: skip
