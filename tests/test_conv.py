"""Convolutions (ember.convolution, F.conv*/conv_transpose*, nn.Conv*) against torch."""

import numpy as np
import pytest
from helpers import check, check_error, check_gradgrad

torch = pytest.importorskip("torch")
import ember  # noqa: E402

rng = np.random.default_rng(0)
r = rng.standard_normal

# (input shape, weight shape, kwargs) for F.conv{n}d
CONV = [
    ((2, 3, 9), (4, 3, 3), {}),
    ((2, 3, 9), (4, 3, 3), {"stride": 2, "padding": 1, "dilation": 2}),
    (
        (2, 4, 9, 8),
        (6, 2, 3, 2),
        {"stride": (2, 3), "padding": (1, 0), "dilation": (1, 2), "groups": 2},
    ),  # fmt: skip
    ((2, 3, 7, 7), (4, 3, 3, 3), {"padding": "same", "dilation": 2}),
    ((2, 3, 6, 7), (4, 3, 2, 2), {"padding": "same"}),
    ((2, 3, 7, 7), (4, 3, 3, 3), {"padding": "valid"}),
    ((3, 7, 7), (4, 3, 3, 3), {"padding": 1}),
    ((1, 2, 5, 4, 6), (2, 2, 2, 3, 2), {"stride": (1, 2, 1), "padding": (1, 0, 2)}),
    ((2, 4, 5, 5), (4, 1, 3, 3), {"groups": 4, "padding": 1}),
]


@pytest.mark.parametrize("xs,ws,kw", CONV)
@pytest.mark.parametrize("bias", [False, True])
def test_conv(xs, ws, kw, bias):
    nd = len(ws) - 2
    b = r(ws[0]) if bias else None
    check(lambda lib, x, w, b: getattr(lib.nn.functional, f"conv{nd}d")(x, w, b, **kw),
          r(xs), r(ws), b)  # fmt: skip


CONV_T = [
    ((2, 3, 5), (3, 4, 3), {}),
    ((2, 3, 5), (3, 2, 3), {"stride": 2, "padding": 1, "output_padding": 1, "dilation": 1}),
    (
        (2, 4, 5, 4),
        (4, 3, 3, 2),
        {
            "stride": (2, 3),
            "padding": (1, 0),
            "output_padding": (1, 2),
            "groups": 2,
            "dilation": (2, 1),
        },
    ),  # fmt: skip
    ((1, 2, 3, 4, 3), (2, 2, 2, 2, 2), {"stride": 2}),
    ((3, 4, 4), (3, 2, 2, 2), {"stride": 2}),
]


@pytest.mark.parametrize("xs,ws,kw", CONV_T)
def test_conv_transpose(xs, ws, kw):
    nd = len(ws) - 2
    b = r(ws[1] * kw.get("groups", 1))
    check(lambda lib, x, w, b: getattr(lib.nn.functional, f"conv_transpose{nd}d")(x, w, b, **kw),
          r(xs), r(ws), b)  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_dtypes_noncontiguous(dtype):
    x = r((2, 9, 8, 3)).astype(dtype).transpose(0, 3, 1, 2)
    w = r((3, 3, 4, 3)).astype(dtype).transpose(2, 3, 0, 1)
    check(lambda lib, x, w: lib.conv2d(x, w, stride=2, padding=1), x, w, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("transposed", [False, True])
def test_convolution_double_backward(transposed):
    w = r((3, 2, 3, 2)) if transposed else r((2, 3, 3, 2))
    op_ = [1, 0] if transposed else [0, 0]
    check_gradgrad(lambda lib, x, w, b: lib.convolution(x, w, b, [2, 1], [1, 0], [1, 2],
                                                        transposed, op_, 1),
                   r((2, 3, 6, 5)), w, r(2))  # fmt: skip


def test_conv_errors():
    check_error(lambda lib, x, w: lib.nn.functional.conv2d(x, w), r((3, 8)), r((4, 3, 3, 3)),
                match="Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input "
                "of size: [3, 8]")  # fmt: skip
    check_error(
        lambda lib, x, w: lib.nn.functional.conv2d(x, w),
        r((1, 2, 8, 8)),
        r((4, 3, 3, 3)),
        match="expected input[1, 2, 8, 8] to have 3 channels, but got 2",
    )
    check_error(
        lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w),
        r((1, 2, 8, 8)),
        r((4, 3, 3, 3)),
        match="to have 4 channels, but got 2 channels instead",
    )
    check_error(lambda lib, x, w: lib.nn.functional.conv2d(x, w, stride=2, padding="same"),
                r((1, 3, 8, 8)), r((4, 3, 3, 3)))  # fmt: skip


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_modes(mode):
    e = ember.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode)
    t = torch.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode)
    assert repr(e) == repr(t)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x = r((2, 2, 5, 6)).astype(np.float32)
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), atol=1e-5)  # fmt: skip


def test_conv_modules():
    for e, t in [
        (ember.nn.Conv2d(3, 4, 3, padding=1, bias=False), torch.nn.Conv2d(3, 4, 3, padding=1,
                                                                          bias=False)),
        (ember.nn.Conv1d(4, 6, 3, stride=2, groups=2, dilation=2),
         torch.nn.Conv1d(4, 6, 3, stride=2, groups=2, dilation=2)),
        (ember.nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1),
         torch.nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1)),
        (ember.nn.Conv3d(2, 3, 2), torch.nn.Conv3d(2, 3, 2)),
    ]:  # fmt: skip
        assert repr(e) == repr(t)
        assert list(e.state_dict()) == list(t.state_dict())
        for k, v in e.state_dict().items():
            assert tuple(v.shape) == tuple(t.state_dict()[k].shape)
        e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
        x = r((2, e.in_channels) + (5,) * len(e.kernel_size)).astype(np.float32)
        np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                                   t(torch.tensor(x)).detach().numpy(), atol=1e-5)  # fmt: skip


def test_conv_init_bounds():
    # kaiming_uniform(a=sqrt(5)) on the weight: bound 1/sqrt(fan_in), as torch's bias
    m = ember.nn.Conv2d(4, 8, 3)
    bound = 1 / np.sqrt(4 * 9)
    assert float(m.weight.abs().max()) <= bound and float(m.weight.abs().max()) > bound / 2
    assert float(m.bias.abs().max()) <= bound
