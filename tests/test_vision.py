"""Padding, interpolation, unfold/fold, pixel and channel shuffles against torch."""

import numpy as np
import pytest
from helpers import check, check_error

torch = pytest.importorskip("torch")
import ember  # noqa: E402

rng = np.random.default_rng(0)
r = rng.standard_normal


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(1, 2), (2, 1, 0, 1), (1, 1, 2, 0, 1, 1)])
def test_pad(mode, pad):
    x = r((2, 3, 5, 4, 6)[: 2 + len(pad) // 2])
    check(lambda lib, x: lib.nn.functional.pad(x, pad, mode=mode), x, grad_fn=mode == "constant")


def test_constant_pad():
    check(lambda lib, x: lib.nn.functional.pad(x, (1, -1, 2, 0), value=2.5), r((2, 3, 4)))
    check(lambda lib, x: lib.constant_pad_nd(x, (1, -1, 2, 0)), r((2, 3, 4)))
    check_error(lambda lib, x: lib.nn.functional.pad(x, (4, 1), mode="reflect"), r((1, 2, 4)))
    check_error(lambda lib, x: lib.nn.functional.pad(x, (1, 1, 1)), r((1, 2, 4)))


def test_padding_modules():
    x = r((2, 3, 4, 5)).astype(np.float32)
    for n in ["ZeroPad2d(1)", "ConstantPad1d((1, 2), 3.5)", "ReflectionPad2d((1, 0, 2, 1))",
              "ReplicationPad2d(2)", "CircularPad2d(1)", "ConstantPad3d(1, 0.5)"]:  # fmt: skip
        e, t = eval("ember.nn." + n), eval("torch.nn." + n)
        assert repr(e) == repr(t)
        xx = x if "3d" not in n else x[None]
        np.testing.assert_allclose(e(ember.tensor(xx)).numpy(), t(torch.tensor(xx)).numpy())


INTERP = [
    ((2, 3, 5, 4), {"scale_factor": 2}),
    ((2, 3, 5, 4), {"size": (7, 3)}),
    ((2, 3, 5, 4), {"size": (7, 9), "mode": "nearest-exact"}),
    ((2, 3, 5, 4), {"size": (7, 3), "mode": "bilinear", "align_corners": False}),
    ((2, 3, 5, 4), {"scale_factor": 1.7, "mode": "bilinear", "align_corners": True}),
    ((2, 3, 5, 4), {"scale_factor": (1.5, 2.5), "mode": "bilinear"}),
    ((2, 3, 7), {"size": 4, "mode": "linear"}),
    ((1, 2, 3, 4, 2), {"scale_factor": 2, "mode": "trilinear"}),
    ((2, 3, 8, 6), {"size": (4, 3), "mode": "area"}),
    ((2, 3, 5, 4), {"scale_factor": 1.5, "recompute_scale_factor": True}),
]


@pytest.mark.parametrize("xs,kw", INTERP)
def test_interpolate(xs, kw):
    check(lambda lib, x: lib.nn.functional.interpolate(x, **kw), r(xs), grad_fn=False)


def test_upsample_modules():
    x = r((1, 2, 3, 4)).astype(np.float32)
    names = ["Upsample(scale_factor=2)", "Upsample(size=(5, 6), mode='bilinear')",
             "UpsamplingNearest2d(scale_factor=2)",
             "UpsamplingBilinear2d(scale_factor=2)"]  # fmt: skip
    for n in names:
        e, t = eval("ember.nn." + n), eval("torch.nn." + n)
        assert repr(e) == repr(t)
        np.testing.assert_allclose(e(ember.tensor(x)).numpy(), t(torch.tensor(x)).numpy(),
                                   atol=1e-6)  # fmt: skip


@pytest.mark.parametrize("kw", [{}, {"stride": 2, "padding": 1, "dilation": (2, 1)}])
def test_unfold_fold(kw):
    check(lambda lib, x: lib.nn.functional.unfold(x, (2, 3), **kw), r((2, 3, 7, 6)),
          grad_fn=False)  # fmt: skip
    cols = torch.nn.functional.unfold(torch.zeros(2, 3, 7, 6), (2, 3), **kw).shape
    check(lambda lib, x: lib.nn.functional.fold(x, (7, 6), (2, 3), **kw), r(tuple(cols)),
          grad_fn=False)  # fmt: skip
    e, t = ember.nn.Fold((7, 6), (2, 3), **kw), torch.nn.Fold((7, 6), (2, 3), **kw)
    assert repr(e) == repr(t)
    assert repr(ember.nn.Unfold(2, **kw)) == repr(torch.nn.Unfold(2, **kw))


def test_shuffles():
    check(lambda lib, x: lib.pixel_shuffle(x, 2), r((2, 8, 3, 4)), grad_fn=False)
    check(lambda lib, x: lib.pixel_unshuffle(x, 2), r((2, 3, 4, 6)), grad_fn=False)
    check(lambda lib, x: lib.nn.functional.pixel_shuffle(x, 3), r((9, 2, 2)), grad_fn=False)
    check(lambda lib, x: lib.channel_shuffle(x, 3), r((2, 6, 3, 2)), grad_fn=False)
    check_error(lambda lib, x: lib.pixel_shuffle(x, 2), r((2, 6, 3, 4)))
    for n in ["PixelShuffle(2)", "PixelUnshuffle(3)", "ChannelShuffle(2)"]:
        assert repr(eval("ember.nn." + n)) == repr(eval("torch.nn." + n))
