"""The fast paths of ember/ops/conv.py against torch: both im2col layouts (channels-first and
channels-last, chosen per shape by a cost model) and the non-overlapping max pooling path
(ties, NaNs, ragged edges, double backward)."""

import numpy as np
import pytest
from helpers import check, check_gradgrad

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from ember.ops import conv as C  # noqa: E402

rng = np.random.default_rng(0)
r = rng.standard_normal


@pytest.mark.parametrize("layout", ["first", "last"])
@pytest.mark.parametrize("kw", [{}, {"padding": 2, "stride": 2}, {"dilation": 2, "padding": 1}])
def test_conv_layouts(monkeypatch, layout, kw):
    # the same conv through each im2col layout: forward, input and weight gradients
    monkeypatch.setattr(C, "_channels_last", lambda *a: layout == "last")
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, **kw), r((3, 4, 9, 8)),
          r((5, 4, 3, 2)), r(5))  # fmt: skip


def test_conv_layout_choice():
    # the cost model: few channels -> channels-first, many -> channels-last (see bench/cnn.py)
    assert not C._channels_last(1, 6, (28, 28), (5, 5), (24, 24), 1)
    assert C._channels_last(16, 32, (14, 14), (5, 5), (10, 10), 1)
    assert not C._channels_last(16, 32, (14, 14), (5, 5), (10, 10), 2)  # groups: first


@pytest.mark.parametrize("layout", ["first", "last"])
def test_conv_layouts_3d_double_backward(monkeypatch, layout):
    monkeypatch.setattr(C, "_channels_last", lambda *a: layout == "last")
    check_gradgrad(lambda lib, x, w: lib.nn.functional.conv3d(x, w, padding=1), r((2, 2, 4, 3, 3)),
                   r((3, 2, 2, 2, 2)))  # fmt: skip


def _ties(shape):
    # relu'd small integers: many windows with equal maxima (and all-zero windows)
    return np.maximum(rng.integers(-2, 3, shape), 0).astype(np.float32)


@pytest.mark.parametrize("xs,k", [((2, 3, 8, 6), 2), ((2, 3, 7, 9), 3), ((2, 3, 9), 2),
                                  ((1, 2, 4, 6, 5), 2), ((3, 8, 8), (2, 4))])  # fmt: skip
@pytest.mark.parametrize("data", ["normal", "ties"])
def test_max_pool_tiled(xs, k, data):
    nd = len(xs) - 2 if len(xs) != 3 or isinstance(k, int) else 2
    x = r(xs).astype(np.float32) if data == "normal" else _ties(xs)
    name = f"max_pool{nd}d"
    xb = x if len(xs) == nd + 2 else x[None]
    assert C._tiled(ember.tensor(xb), C._tuple(k, nd), C._tuple(k, nd), (0,) * nd, (1,) * nd,
                    False)  # fmt: skip
    check(
        lambda lib, x: getattr(lib.nn.functional, name)(x, k),
        x,
        grad_fn=len(xs) == nd + 2 and nd > 1,
    )  # torch pools 1-d through 2-d


def test_max_pool_tiled_nan():
    x = r((2, 2, 6, 6)).astype(np.float32)
    x[0, 0, 0, 0] = np.nan  # one NaN in a window
    x[0, 1, 2, 2] = x[0, 1, 3, 3] = np.nan  # two: torch routes the gradient to the last
    x[1, 0, 4, 5] = np.nan
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2), x)


def test_max_pool_tiled_ceil_and_adaptive():
    x = _ties((2, 3, 8, 8))
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2, ceil_mode=True), x)
    check(lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (4, 2)), x)
    check(lambda lib, x: lib.nn.MaxPool2d(2)(x), x)


def test_max_pool_tiled_double_backward():
    check_gradgrad(lambda lib, x: lib.nn.functional.max_pool2d(x, 2) ** 2, r((2, 2, 6, 5)))
    # third order: the gradient of the gradient's gradient (scatter <-> gather)
    x = ember.tensor(r((1, 2, 4, 4)), requires_grad=True)
    y = (ember.nn.functional.max_pool2d(x, 2) ** 3).sum()
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    (gg,) = ember.autograd.grad((g**2).sum(), x, create_graph=True)
    (ggg,) = ember.autograd.grad(gg.sum(), x)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    yt = (torch.nn.functional.max_pool2d(xt, 2) ** 3).sum()
    (gt,) = torch.autograd.grad(yt, xt, create_graph=True)
    (ggt,) = torch.autograd.grad((gt**2).sum(), xt, create_graph=True)
    (gggt,) = torch.autograd.grad(ggt.sum(), xt)
    np.testing.assert_allclose(ggg.numpy(), gggt.numpy(), rtol=1e-10, atol=1e-10)


def test_conv_input_grad_in_chunks():
    # columns of ~640 KB a sample: the stride-1 input gradient runs in chunks of 2, 2, 1
    check(lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=2), r((5, 8, 16, 16)),
          r((8, 8, 5, 5)))  # fmt: skip


def test_conv_kept_columns():
    # the forward's columns serve the weight gradient: one input into two convs (two layouts),
    # a second backward through a retained graph, and a forward under no_grad (nothing kept)
    x, w1, w2 = r((4, 3, 10, 10)), r((2, 3, 5, 5)), r((40, 3, 5, 5))

    def f(lib, x, w1, w2):
        y = lib.nn.functional.conv2d(x, w1).sum() + lib.nn.functional.conv2d(x, w2).square().sum()
        return y

    check(f, x, w1, w2)
    grads = []
    for lib in (ember, torch):
        xs, a, b = (lib.tensor(v, requires_grad=True) for v in (x, w1, w2))
        y = f(lib, xs, a, b)
        y.backward(retain_graph=True)
        g1 = a.grad.clone()
        a.grad = None
        y.backward()
        grads.append((g1.numpy(), a.grad.numpy()))
    for e, t in zip(grads[0], grads[1]):
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-10)
    C._KEPT.clear()
    with ember.no_grad():
        ember.nn.functional.conv2d(ember.tensor(x), ember.tensor(w1))
    assert not C._KEPT


def test_conv_input_changed_in_place_raises():
    x = ember.tensor(r((2, 3, 8, 8)))
    w = ember.tensor(r((4, 3, 3, 3)), requires_grad=True)
    y = ember.nn.functional.conv2d(x, w).sum()
    x.add_(1.0)  # the saved input changed: the weight gradient must not use stale columns
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
