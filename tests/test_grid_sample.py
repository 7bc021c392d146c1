"""grid_sample, affine_grid (and torch's grid_sampler* / affine_grid_generator) and conv_tbc
against torch: values, dtypes, grad_fn names, first and second order gradients, warnings,
exception types."""

import warnings

import numpy as np
import pytest
from helpers import check, check_error, check_gradgrad, gradcheck

torch = pytest.importorskip("torch")
import ember  # noqa: E402
import ember.nn.functional as EF  # noqa: E402

rng = np.random.default_rng(0)
r = rng.standard_normal

MODES = ["bilinear", "nearest", "bicubic"]
PADDINGS = ["zeros", "border", "reflection"]


def _grid(shape, lo=-1.3, hi=1.3):
    """Grid values past [-1, 1] (so every padding mode matters)."""
    return rng.uniform(lo, hi, shape)


def _gs(mode, padding, align):
    return lambda lib, x, g: lib.nn.functional.grid_sample(x, g, mode, padding, align)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_2d(mode, padding, align):
    x, g = r((2, 3, 5, 6)), _grid((2, 4, 3, 2))
    check(_gs(mode, padding, align), x, g)  # float64: values, grads of input and grid
    check(_gs(mode, padding, align), x.astype(np.float32), g.astype(np.float32), grad=False)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_3d(mode, padding, align):
    x, g = r((2, 2, 4, 3, 5)), _grid((2, 3, 2, 2, 3))
    check(_gs(mode, padding, align), x, g)
    check(_gs(mode, padding, align), x.astype(np.float32), g.astype(np.float32), grad=False)


def test_grid_sample_nearest_grid_grad_is_zero():
    eg = ember.tensor(_grid((1, 2, 2, 2)), requires_grad=True)
    out = EF.grid_sample(ember.tensor(r((1, 1, 3, 3))), eg, "nearest", align_corners=False)
    out.sum().backward()
    assert eg.grad is not None and not eg.grad.any()


@pytest.mark.parametrize(
    "mode,padding,align,nd",
    [("bilinear", "zeros", False, 2), ("bicubic", "reflection", False, 2),
     ("bicubic", "border", True, 2), ("bilinear", "reflection", True, 2),
     ("bilinear", "border", False, 3)],
)  # fmt: skip
def test_grid_sample_finite_differences(mode, padding, align, nd):
    # float64 central differences; random grid points are far from the kinks (integer
    # pixel coordinates, the clip and reflection borders) at eps=1e-6
    x = r((1, 2, 4, 3) if nd == 2 else (1, 1, 3, 3, 2))
    g = _grid((1, 2, 2, nd) if nd == 2 else (1, 2, 1, 2, 3))
    gradcheck(lambda x, g: EF.grid_sample(x, g, mode, padding, align), [x, g])


@pytest.mark.parametrize(
    "mode,padding,nd",
    [("bilinear", "zeros", 2), ("bicubic", "border", 2), ("bilinear", "reflection", 3)],
)
def test_grid_sample_double_backward(mode, padding, nd):
    x = r((1, 2, 4, 3) if nd == 2 else (1, 1, 3, 3, 2))
    g = _grid((1, 2, 2, nd) if nd == 2 else (1, 2, 1, 2, 3))
    check_gradgrad(_gs(mode, padding, False), x, g)


def test_grid_sample_edges():
    # NaN and inf grid values: torch's border/reflection clip them into the image, zeros-mode
    # nearest reads 0 and bilinear gives NaN
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    g = np.array([[[[np.nan, 0.0], [0.0, np.nan], [np.inf, 0.0], [-np.inf, 0.5]]]])
    cases = [("bilinear", "border"), ("bilinear", "reflection"), ("nearest", "zeros"),
             ("nearest", "border"), ("bilinear", "zeros")]  # fmt: skip
    for mode, padding in cases:
        check(_gs(mode, padding, False), x, g, grad=False)
    # empty batch, channels and output grid; size-1 input dims with align_corners=True
    check(_gs("bilinear", "zeros", False), r((0, 2, 3, 3)), _grid((0, 2, 2, 2)))
    check(_gs("bicubic", "zeros", False), r((2, 0, 3, 3)), _grid((2, 2, 2, 2)))
    check(_gs("bilinear", "border", True), r((2, 1, 3, 3)), _grid((2, 0, 2, 2)))
    for padding in PADDINGS:
        check(_gs("bilinear", padding, True), r((1, 2, 1, 4)), _grid((1, 2, 3, 2)))
    # exact pixel centres (align_corners=True: grid k/(n-1)*2-1 hits pixel k)
    gx = np.linspace(-1, 1, 5)
    g = np.stack(np.meshgrid(gx, np.linspace(-1, 1, 4)), -1)[None]
    check(_gs("nearest", "zeros", True), x, g, grad=False)
    check(_gs("bilinear", "zeros", True), x, g, grad=False)
    # half-precision input works as in torch
    check(_gs("bilinear", "border", False), r((1, 2, 3, 4)).astype(np.float16),
          _grid((1, 2, 2, 2)).astype(np.float16), grad=False, atol=2e-3, rtol=2e-3)  # fmt: skip


def test_grid_sampler_primitives():
    x, g = r((2, 2, 3, 4)), _grid((2, 3, 2, 2))
    check(lambda lib, x, g: lib.grid_sampler(x, g, 2, 2, False), x, g)
    check(lambda lib, x, g: lib.grid_sampler_2d(x, g, 0, 1, True), x, g)
    x3, g3 = r((1, 2, 3, 3, 2)), _grid((1, 2, 2, 1, 3))
    check(lambda lib, x, g: lib.grid_sampler(x, g, 0, 0, True), x3, g3)
    check(lambda lib, x, g: lib.grid_sampler_3d(x, g, 1, 2, False), x3, g3)
    assert EF.GRID_SAMPLE_INTERPOLATION_MODES == torch.nn.functional.GRID_SAMPLE_INTERPOLATION_MODES
    assert EF.GRID_SAMPLE_PADDING_MODES == torch.nn.functional.GRID_SAMPLE_PADDING_MODES


def _warnings(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [(x.category, str(x.message)) for x in w]


def test_align_corners_warnings():
    x, g, theta = r((1, 1, 3, 3)), _grid((1, 2, 2, 2)), r((1, 2, 3))
    calls = [
        lambda lib, x, g, t: lib.nn.functional.grid_sample(x, g),
        lambda lib, x, g, t: lib.nn.functional.affine_grid(t, [1, 1, 3, 3]),
        lambda lib, x, g, t: lib.nn.functional.affine_grid(t, [1, 1, 1, 3], align_corners=True),
        lambda lib, x, g, t: lib.nn.functional.grid_sample(x, g, align_corners=False),
    ]
    for call in calls:
        for lib in (torch, ember):
            args = (lib.tensor(x), lib.tensor(g), lib.tensor(theta))
            got = _warnings(lambda: call(lib, *args))  # noqa: B023 (called at once)
            if lib is torch:
                want = got
        assert got == want
    assert len(_warnings(lambda: calls[0](ember, ember.tensor(x), ember.tensor(g), None))) == 1


def test_grid_sample_errors():
    x, g = r((2, 3, 4, 5)), _grid((2, 3, 3, 2))
    bad = [
        (lambda lib, x, g: lib.nn.functional.grid_sample(x, g, mode="area"), x, g),
        (lambda lib, x, g: lib.nn.functional.grid_sample(x, g, padding_mode="circular"), x, g),
        (_gs("bilinear", "zeros", False), x, g[:1]),  # batch sizes differ
        (_gs("bilinear", "zeros", False), x, g[..., :1]),  # grid's last dim is not 2
        (_gs("bilinear", "zeros", False), x, g.reshape(2, 1, 3, 3, 2)),  # 4-D input, 5-D grid
        (_gs("bilinear", "zeros", False), x.reshape(2, 3, 1, 4, 5), g),  # 5-D input, 4-D grid
        (_gs("bilinear", "zeros", False), x[0], g[0]),
        (_gs("bicubic", "zeros", False), r((1, 1, 2, 2, 2)), _grid((1, 1, 1, 1, 3))),
        (_gs("bilinear", "zeros", False), r((2, 3, 0, 5)), g),  # empty spatial dim
        (_gs("bilinear", "zeros", False), x.astype(np.float32), g),  # dtypes differ
        (_gs("bilinear", "zeros", False), x, g.astype(np.float32)),
        (_gs("bilinear", "zeros", False), x.astype(np.int64), g),  # integer input
        (
            _gs("nearest", "zeros", False),
            r((1, 1, 2, 2, 2)).astype(np.int64),
            _grid((1, 1, 1, 1, 3)),
        ),  # fmt: skip
    ]
    for fn, *args in bad:
        check_error(fn, *args)
    check_error(_gs("bilinear", "zeros", False), x, g[:1], match="same batch size")
    check_error(_gs("bilinear", "zeros", False), x.astype(np.float32), g,
                match="expected scalar type Float but found Double")  # fmt: skip


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [[2, 3, 4, 5], [2, 1, 1, 3], [2, 2, 3, 2, 4], [2, 1, 2, 1, 3]])
def test_affine_grid(size, align):
    theta = r((2, len(size) - 2, len(size) - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size grids with align_corners=True warn
        check(lambda lib, t: lib.nn.functional.affine_grid(t, size, align), theta)
        check(
            lambda lib, t: lib.nn.functional.affine_grid(t, size, align), theta.astype(np.float32)
        )
    check(lambda lib, t: lib.affine_grid_generator(t, size, align), theta)
    check_gradgrad(lambda lib, t: lib.affine_grid_generator(t, size, align) ** 2, theta)


def test_affine_grid_errors():
    t = r((2, 2, 3))
    for fn, theta in [
        (lambda lib, t: lib.nn.functional.affine_grid(t, [2, 3, 4], False), t),
        (lambda lib, t: lib.nn.functional.affine_grid(t, [2, 3, 4, 5], False), t.astype(np.int64)),
        (lambda lib, t: lib.nn.functional.affine_grid(t, [2, 3, 4, 5], False), r((2, 3, 3))),
        (lambda lib, t: lib.nn.functional.affine_grid(t, [2, 3, 4, 5, 6], False), t),
        (lambda lib, t: lib.nn.functional.affine_grid(t, [2, 3, 4, 0], False), t),
        (lambda lib, t: lib.nn.functional.affine_grid(t, [3, 3, 4, 5], False), t),
    ]:  # fmt: skip
        check_error(fn, theta)


def test_affine_grid_generator_edges():
    # torch's primitive: checks as its linspace/bmm/view steps raise them; int theta works
    agg = [lambda lib, t: lib.affine_grid_generator(t, [1, 1, 2, 3], False)]
    for theta in [r((1, 3, 3)), r((2, 2, 3)), r((1, 2, 4)), r((2, 3)), r(3), r(()),
                  r((1, 1, 2, 3)), np.ones((1, 2, 3), bool)]:  # fmt: skip
        check_error(agg[0], theta)
    check_error(lambda lib, t: lib.affine_grid_generator(t, [1, 1, 2], False), r((1, 2, 3)))
    ints = rng.integers(-3, 4, (2, 2, 3))
    for size, align in [([2, 1, 3, 5], False), ([2, 1, 4, 3], True)]:
        check(lambda lib, t, s=size, a=align: lib.affine_grid_generator(t, s, a), ints)
    check(lambda lib, t: lib.affine_grid_generator(t, [2, 1, 0, 3], False), r((2, 2, 3)))


def test_grid_sampler_empty_and_dtype_order():
    # torch's 2-d kernel returns an empty output before checking dtypes; the 3-d one does not
    g0 = np.zeros((2, 1, 0, 2), np.int32)
    check(lambda lib, x, g: lib.grid_sampler_2d(x, g, 0, 0, False), np.ones((2, 2, 3, 4), np.int32),
          g0)  # fmt: skip
    check(lambda lib, x, g: lib.grid_sampler_2d(x, g, 0, 0, False), r((2, 2, 3, 4)),
          g0.astype(np.float32))  # fmt: skip
    x3, g3 = np.ones((1, 2, 3, 4, 2), np.int32), np.zeros((1, 1, 0, 2, 3), np.int32)
    check_error(lambda lib, x, g: lib.grid_sampler_3d(x, g, 0, 0, False), x3, g3)
    check_error(lambda lib, x, g: lib.grid_sampler_2d(x, g, 0, 0, False), r((2, 2, 3, 4)),
                np.array(0.5))  # fmt: skip


def test_spatial_transformer():
    # the STN use: theta -> affine_grid -> grid_sample, gradients to theta and the image
    x, theta = r((2, 3, 6, 5)), r((2, 2, 3)) * 0.5

    def stn(lib, x, theta, mode="bilinear"):
        grid = lib.nn.functional.affine_grid(theta, [2, 3, 4, 4], align_corners=False)
        return lib.nn.functional.grid_sample(x, grid, mode, "border", align_corners=False)

    check(stn, x, theta)
    check(lambda lib, x, t: stn(lib, x, t, "bicubic"), x, theta)
    check_gradgrad(stn, x, theta)


# -- conv_tbc ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pad", [0, 1, 2, -1, 5])
def test_conv_tbc(pad):
    x, w, b = r((7, 2, 3)), r((3, 3, 4)), r(4)
    check(lambda lib, x, w, b: lib.conv_tbc(x, w, b, pad), x, w, b)
    check(lambda lib, x, w, b: lib.conv_tbc(x, w, b, pad=pad), x.astype(np.float32),
          w.astype(np.float32), b.astype(np.float32))  # fmt: skip
    check_gradgrad(lambda lib, x, w, b: lib.conv_tbc(x, w, b, pad), x, w, b)


def test_conv_tbc_layouts_and_dtypes():
    x, w, b = r((6, 3, 2)), r((2, 2, 5)), r(5)
    xt = np.ascontiguousarray(x.transpose(2, 1, 0)).transpose(2, 1, 0)  # non-contiguous
    # torch's kernel .view()s the input, so it takes the contiguous copy; ember takes any layout
    check(lambda lib, x, w, b: lib.conv_tbc(x.contiguous() if lib is torch else x, w, b, 1),
          xt, w, b)  # fmt: skip
    check(lambda lib, x, w, b: lib.nn.functional.conv_tbc(x, w, b, pad=2), x, w, b)
    ints = [rng.integers(-3, 4, s) for s in ((5, 2, 3), (2, 3, 2), (2,))]
    check(lambda lib, x, w, b: lib.conv_tbc(x, w, b, 1), *ints)
    check(lambda lib, x, w, b: lib.conv_tbc(x, w, b), r((3, 2, 2)), r((4, 2, 1)), r(1))  # empty
    for args in [
        (r((7, 3)), w, b), (x, r((2, 2)), b), (x, w, r((5, 1))), (x, r((2, 3, 5)), b),
        (x, w, r(4)), (r((1, 3, 2)), r((3, 2, 5)), b), (x.astype(np.float32), w, b),
        (x > 0, w > 0, b > 0),
    ]:  # fmt: skip
        check_error(lambda lib, x, w, b: lib.conv_tbc(x, w, b), *args)
