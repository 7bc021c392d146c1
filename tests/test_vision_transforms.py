"""ember.vision.transforms against torchvision 0.28: the same tensors, arrays and PIL images
through both, outputs and reprs compared; random transforms through their get_params with
the same draws, and ember's seed reproducing them."""

import numpy as np
import pytest
from helpers import assert_same, check, require_torchvision

import ember
import ember.vision.transforms as T
import ember.vision.transforms.functional as F

tv = require_torchvision()
import torch  # noqa: E402
import torchvision.transforms as TT  # noqa: E402
import torchvision.transforms.functional as TF  # noqa: E402

Image = pytest.importorskip("PIL.Image")

rng = np.random.default_rng(0)


def image(shape, dtype=np.float32):
    if dtype == np.uint8:
        return rng.integers(0, 256, shape).astype(np.uint8)
    return rng.random(shape).astype(dtype)


def same(e, t, atol=None, rtol=None, what="output"):
    """ember and torch images equal: tensors by assert_same, PIL images by mode, size, pixels."""
    if isinstance(t, torch.Tensor):
        assert_same(torch, e, t, what, atol=atol, rtol=rtol)
    else:
        assert isinstance(e, Image.Image), f"{what}: ember gave {type(e).__name__}"
        assert (e.mode, e.size) == (t.mode, t.size), (
            f"{what}: {e.mode} {e.size} != {t.mode} {t.size}"
        )
        np.testing.assert_array_equal(np.asarray(e), np.asarray(t), err_msg=what)
        if t.mode == "P":
            assert e.getpalette() == t.getpalette()


def both(fe, ft, x, **tol):
    """fe(ember tensor) vs ft(torch tensor) on copies of the array x."""
    e, t = fe(ember.from_numpy(x.copy())), ft(torch.from_numpy(x.copy()))
    same(e, t, **tol)
    return e, t


def raises_alike(fe, ft):
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(type(te.value)) as ee:
        fe()
    return ee.value, te.value


def pil(arr, mode=None):
    return Image.fromarray(arr) if mode is None else Image.fromarray(arr).convert(mode)


# -- conversions -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "1", "I", "F", "I;16", "LA", "P"])
def test_to_tensor_and_pil_to_tensor_pil_modes(mode):
    img = pil(image((5, 7, 3), np.uint8), mode)
    same(F.to_tensor(img), TF.to_tensor(img))
    same(T.PILToTensor()(img), TT.PILToTensor()(img))


@pytest.mark.parametrize(
    "shape,dtype",
    [((4, 6, 3), np.uint8), ((4, 6), np.uint8), ((4, 6, 2), np.float64), ((3, 2, 1), np.int32)],
)
def test_to_tensor_ndarray(shape, dtype):
    x = image(shape, dtype) if dtype != np.int32 else rng.integers(0, 9, shape).astype(dtype)
    same(T.ToTensor()(x), TT.ToTensor()(x))
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    try:
        same(F.to_tensor(x), TF.to_tensor(x))
    finally:
        torch.set_default_dtype(torch.float32)
        ember.set_default_dtype(ember.float32)
    raises_alike(
        lambda: F.to_tensor(np.zeros((1, 2, 3, 4))), lambda: TF.to_tensor(np.zeros((1, 2, 3, 4)))
    )
    raises_alike(lambda: F.to_tensor([1, 2]), lambda: TF.to_tensor([1, 2]))
    raises_alike(lambda: F.pil_to_tensor(x), lambda: TF.pil_to_tensor(x))


@pytest.mark.parametrize(
    "shape,dtype,mode",
    [
        ((3, 4, 5), np.float32, None),
        ((1, 4, 5), np.float32, None),
        ((1, 4, 5), np.float32, "F"),
        ((4, 5), np.uint8, None),
        ((2, 4, 5), np.uint8, None),
        ((4, 4, 5), np.uint8, "RGBX"),
        ((3, 4, 5), np.uint8, "HSV"),
        ((1, 4, 5), np.int16, None),
        ((1, 4, 5), np.int32, None),
    ],
)
def test_to_pil_image(shape, dtype, mode):
    x = (
        image(shape, dtype)
        if dtype in (np.float32, np.uint8)
        else rng.integers(0, 99, shape).astype(dtype)
    )
    same(T.ToPILImage(mode)(ember.from_numpy(x)), TT.ToPILImage(mode)(torch.from_numpy(x)))
    hwc = np.ascontiguousarray(np.moveaxis(x, 0, -1)) if x.ndim == 3 else x
    same(F.to_pil_image(hwc, mode), TF.to_pil_image(hwc, mode))
    assert repr(T.ToPILImage(mode)) == repr(TT.ToPILImage(mode))


def test_to_pil_image_errors():
    for bad in [
        np.zeros((2, 2, 5), np.uint8),
        np.zeros((2, 2, 2, 2), np.uint8),
        np.zeros((2, 2, 3), np.int64),
    ]:
        raises_alike(lambda b=bad: F.to_pil_image(b), lambda b=bad: TF.to_pil_image(b))
    x = np.zeros((2, 2, 3), np.uint8)
    raises_alike(lambda: F.to_pil_image(x, "L"), lambda: TF.to_pil_image(x, "L"))
    raises_alike(
        lambda: F.to_pil_image(x[..., :1], "RGB"), lambda: TF.to_pil_image(x[..., :1], "RGB")
    )
    raises_alike(lambda: F.to_pil_image([1]), lambda: TF.to_pil_image([1]))


@pytest.mark.parametrize(
    "src,dst",
    [
        ("uint8", "float32"),
        ("uint8", "float64"),
        ("float32", "uint8"),
        ("float64", "int32"),
        ("int32", "uint8"),
        ("uint8", "int64"),
        ("int16", "int32"),
        ("float32", "float64"),
        ("uint8", "uint8"),
    ],
)
def test_convert_image_dtype(src, dst):
    x = image((2, 3, 4), np.uint8).astype(src) if "int" in src else image((2, 3, 4)).astype(src)
    if src == "int32":
        x = rng.integers(0, 2**31 - 1, (2, 3, 4)).astype(np.int32)
    et, tt = getattr(ember, dst), getattr(torch, dst)
    both(lambda a: T.ConvertImageDtype(et)(a), lambda a: TT.ConvertImageDtype(tt)(a), x)
    assert repr(T.ConvertImageDtype(et)) == repr(TT.ConvertImageDtype(tt))


def test_convert_image_dtype_errors():
    x = np.ones((1, 2, 2), np.float32)
    raises_alike(
        lambda: F.convert_image_dtype(ember.tensor(x), ember.int32),
        lambda: TF.convert_image_dtype(torch.tensor(x), torch.int32),
    )
    raises_alike(lambda: F.convert_image_dtype(x), lambda: TF.convert_image_dtype(x))


# -- normalize ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize(shape, dtype):
    x = image(shape, dtype)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    both(lambda a: T.Normalize(mean, std)(a), lambda a: TT.Normalize(mean, std)(a), x)
    assert repr(T.Normalize(mean, std)) == repr(TT.Normalize(mean, std))
    # inplace writes into the input; the default leaves it alone
    e, t = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
    eo, to = F.normalize(e, [0.5], [2.0], inplace=True), TF.normalize(t, [0.5], [2.0], inplace=True)
    same(e, t)
    same(eo, to)
    e = ember.from_numpy(x.copy())
    F.normalize(e, [0.5], [2.0])
    np.testing.assert_array_equal(e.numpy(), x)


def test_normalize_errors():
    f = np.ones((3, 2, 2), np.float32)
    for fe, ft in [
        (
            lambda: F.normalize(ember.ones(3, 2, 2, dtype=ember.uint8), [0], [1]),
            lambda: TF.normalize(torch.ones(3, 2, 2, dtype=torch.uint8), [0], [1]),
        ),
        (
            lambda: F.normalize(ember.tensor(f), [0, 0, 0], [1, 0, 1]),
            lambda: TF.normalize(torch.tensor(f), [0, 0, 0], [1, 0, 1]),
        ),
        (
            lambda: F.normalize(ember.ones(2, 2), [0], [1]),
            lambda: TF.normalize(torch.ones(2, 2), [0], [1]),
        ),
        (lambda: F.normalize(f, [0], [1]), lambda: TF.normalize(f, [0], [1])),
    ]:
        e, t = raises_alike(fe, ft)
        assert str(e).split("Got")[0] == str(t).split("Got")[0].replace("torch.", "ember.")


# -- resize ------------------------------------------------------------------------------------

SIZES = [[5, 7], [13, 4], [24, 31], [9], 6]


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_resize_tensor(mode, antialias, dtype):
    x = image((2, 3, 11, 14), dtype)
    em, tm = F.InterpolationMode(mode), TF.InterpolationMode(mode)
    tol = {"atol": 1, "rtol": 0} if dtype == np.uint8 else {"atol": 1e-5, "rtol": 1e-5}
    for size in SIZES:
        e, t = both(
            lambda a, s=size: F.resize(a, s, em, antialias=antialias),
            lambda a, s=size: TF.resize(a, s, tm, antialias=antialias),
            x,
            **tol,
        )
        if dtype == np.uint8:  # off by one only where the float result is a tie (x.5)
            f = TF.resize(torch.from_numpy(x).float(), size, tm, antialias=antialias).numpy()
            off = e.numpy() != t.numpy()
            assert np.all(np.abs(f[off] % 1 - 0.5) < 1e-3)
    # CHW and HW images, and max_size
    for shape in [(3, 11, 14), (1, 11, 14)]:
        xs = image(shape, dtype)
        both(
            lambda a: T.Resize(8, em, max_size=9, antialias=antialias)(a),
            lambda a: TT.Resize(8, tm, max_size=9, antialias=antialias)(a),
            xs,
            **tol,
        )


def test_resize_gradients_match_torch():
    x = rng.random((1, 2, 9, 12))
    for mode in ["bilinear", "bicubic"]:
        for aa in [True, False]:

            def fn(lib, a, mode=mode, aa=aa):
                lf = TF if lib is torch else F
                return lf.resize(a, [5, 17], lf.InterpolationMode(mode), antialias=aa)

            check(fn, x, grad_fn=False)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "box", "hamming", "lanczos"])
@pytest.mark.parametrize("pmode", ["L", "RGB", "F"])
def test_resize_pil(mode, pmode):
    img = pil(image((13, 17, 3), np.uint8), pmode)
    for size in [[6, 9], [20, 5], 7]:
        same(
            T.Resize(size, F.InterpolationMode(mode))(img),
            TT.Resize(size, TF.InterpolationMode(mode))(img),
        )
    same(F.resize(img, 5, 2, max_size=6), TF.resize(img, 5, 2, max_size=6))  # Pillow int constant


def test_resize_repr_and_errors():
    for args, kw in [
        ((5,), {}),
        (([4, 6],), {"interpolation": F.InterpolationMode.NEAREST}),
        ((3,), {"max_size": 9, "antialias": False}),
        (((7,),), {"interpolation": 3}),
    ]:
        tkw = {
            k: TF.InterpolationMode(v.value) if isinstance(v, F.InterpolationMode) else v
            for k, v in kw.items()
        }
        assert repr(T.Resize(*args, **kw)) == repr(TT.Resize(*args, **tkw))
    raises_alike(lambda: T.Resize(2.5), lambda: TT.Resize(2.5))
    raises_alike(lambda: T.Resize([1, 2, 3]), lambda: TT.Resize([1, 2, 3]))
    x = np.zeros((1, 4, 4), np.float32)
    raises_alike(
        lambda: F.resize(ember.tensor(x), [2, 2], max_size=5),
        lambda: TF.resize(torch.tensor(x), [2, 2], max_size=5),
    )
    raises_alike(
        lambda: F.resize(ember.tensor(x), 3, max_size=3),
        lambda: TF.resize(torch.tensor(x), 3, max_size=3),
    )
    raises_alike(
        lambda: F.resize(ember.tensor(x), 2, "bilinear"),
        lambda: TF.resize(torch.tensor(x), 2, "bilinear"),
    )
    raises_alike(lambda: F.resize(x, 2), lambda: TF.resize(x, 2))


# -- pad, crop, flips, grayscale ---------------------------------------------------------------

PADS = [1, [2], [1, 3], [2, 0, 1, 3], (0, 2, 3, 1)]


@pytest.mark.parametrize("padding_mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_pad_tensor(padding_mode, dtype):
    for shape in [(3, 5, 6), (2, 3, 5, 6)]:
        x = image(shape, dtype)
        for p in PADS + ([[-1, 2, 1, -2]] if padding_mode != "edge" else []):
            both(
                lambda a, p=p: T.Pad(p, 7, padding_mode)(a),
                lambda a, p=p: TT.Pad(p, 7, padding_mode)(a),
                x,
            )
    assert repr(T.Pad([1, 2], 3, padding_mode)) == repr(TT.Pad([1, 2], 3, padding_mode))


@pytest.mark.parametrize("padding_mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("pmode", ["L", "RGB", "P", "F"])
def test_pad_pil(padding_mode, pmode):
    img = pil(image((5, 6, 3), np.uint8), pmode)
    fills = [0, 9] + ([(1, 2, 3)] if pmode == "RGB" else [])
    for p in PADS + [[-1, 2, 1, -2]]:
        for fill in fills:
            same(F.pad(img, p, fill, padding_mode), TF.pad(img, p, fill, padding_mode))


def test_pad_errors():
    x = ember.zeros(1, 3, 3), torch.zeros(1, 3, 3)
    for args in [([1, 2, 3],), (1, "a"), (1, 0, "wrap"), ({1},)]:
        raises_alike(lambda a=args: F.pad(x[0], *a), lambda a=args: TF.pad(x[1], *a))
        raises_alike(lambda a=args: T.Pad(*a), lambda a=args: TT.Pad(*a))
    img = pil(np.zeros((3, 3, 3), np.uint8))
    raises_alike(lambda: F.pad(img, 1, (1, 2)), lambda: TF.pad(img, 1, (1, 2)))


def test_crop_center_crop_and_flips():
    x = image((3, 7, 8))
    img = pil(image((7, 8, 3), np.uint8))
    boxes = [(1, 2, 4, 3), (-2, 3, 5, 4), (5, -1, 4, 10), (0, 0, 7, 8)]
    for box in boxes:
        both(lambda a, b=box: F.crop(a, *b), lambda a, b=box: TF.crop(a, *b), x)
        same(F.crop(img, *box), TF.crop(img, *box))
    for size in [4, (3, 5), [6], (10, 9), (9, 3)]:
        both(lambda a, s=size: T.CenterCrop(s)(a), lambda a, s=size: TT.CenterCrop(s)(a), x)
        same(T.CenterCrop(size)(img), TT.CenterCrop(size)(img))
        assert repr(T.CenterCrop(size)) == repr(TT.CenterCrop(size))
    raises_alike(lambda: T.CenterCrop((1, 2, 3)), lambda: TT.CenterCrop((1, 2, 3)))
    for ef, tf in [(F.hflip, TF.hflip), (F.vflip, TF.vflip)]:
        both(ef, tf, x)
        both(ef, tf, image((2, 3, 4, 5), np.uint8))
        same(ef(img), tf(img))
        raises_alike(lambda f=ef: f(x), lambda f=tf: f(x))
        raises_alike(lambda f=ef: f(ember.zeros(3)), lambda f=tf: f(torch.zeros(3)))


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_grayscale(dtype):
    for shape in [(3, 4, 5), (2, 3, 4, 5), (1, 4, 5)]:
        x = image(shape, dtype)
        for n in (1, 3):
            both(lambda a, n=n: T.Grayscale(n)(a), lambda a, n=n: TT.Grayscale(n)(a), x)
    for pmode in ["RGB", "L", "RGBA"]:
        img = pil(image((4, 5, 3), np.uint8), pmode)
        for n in (1, 3):
            same(T.Grayscale(n)(img), TT.Grayscale(n)(img))
    assert repr(T.Grayscale(3)) == repr(TT.Grayscale(3))
    raises_alike(
        lambda: F.rgb_to_grayscale(ember.zeros(2, 4, 4)),
        lambda: TF.rgb_to_grayscale(torch.zeros(2, 4, 4)),
    )
    raises_alike(
        lambda: F.rgb_to_grayscale(ember.zeros(3, 4, 4), 2),
        lambda: TF.rgb_to_grayscale(torch.zeros(3, 4, 4), 2),
    )
    raises_alike(
        lambda: F.rgb_to_grayscale(ember.zeros(4, 4)),
        lambda: TF.rgb_to_grayscale(torch.zeros(4, 4)),
    )


def test_dimensions():
    img = pil(image((4, 5, 3), np.uint8))
    for ef, tf in [
        (F.get_dimensions, TF.get_dimensions),
        (F.get_image_size, TF.get_image_size),
        (F.get_image_num_channels, TF.get_image_num_channels),
    ]:
        assert ef(img) == tf(img)
        assert ef(ember.zeros(2, 3, 4, 5)) == tf(torch.zeros(2, 3, 4, 5))
        assert ef(ember.zeros(4, 5)) == tf(torch.zeros(4, 5))


# -- composition, Lambda -----------------------------------------------------------------------


def test_compose_pipeline_and_lambda():
    arr = image((12, 10, 3), np.uint8)
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]
    et = T.Compose(
        [
            T.Resize(8),
            T.CenterCrop(6),
            T.ToTensor(),
            T.Normalize(mean, std),
            T.Lambda(lambda a: a * 2),
        ]
    )
    tt = TT.Compose(
        [
            TT.Resize(8),
            TT.CenterCrop(6),
            TT.ToTensor(),
            TT.Normalize(mean, std),
            TT.Lambda(lambda a: a * 2),
        ]
    )
    assert repr(et) == repr(tt)
    same(et(pil(arr)), tt(pil(arr)), atol=1e-5, rtol=1e-5)  # PIL path, then tensors
    same(T.ToTensor()(arr), TT.ToTensor()(arr))
    raises_alike(lambda: T.Lambda(3), lambda: TT.Lambda(3))
    assert str(raises_alike(lambda: T.Lambda(3), lambda: TT.Lambda(3))[0]) == str(
        raises_alike(lambda: T.Lambda(3), lambda: TT.Lambda(3))[1]
    )


# -- random transforms -------------------------------------------------------------------------


def test_random_crop_params_and_seed():
    x = image((3, 9, 7))
    for kw in [
        {"size": 5},
        {"size": (4, 6), "padding": 2, "fill": 3},
        {"size": (12, 10), "pad_if_needed": True, "padding_mode": "reflect"},
        {"size": 6, "padding": [1, 2], "padding_mode": "symmetric"},
    ]:
        et, tt = T.RandomCrop(**kw), TT.RandomCrop(**kw)
        assert repr(et) == repr(tt)
        for seed in range(3):
            ember.manual_seed(seed)
            out = et(ember.tensor(x))
            # the same draws, replayed: the padded image and the params get_params returns
            ember.manual_seed(seed)
            e = ember.tensor(x)
            t = torch.tensor(x)
            if kw.get("padding") is not None:
                e = F.pad(e, kw["padding"], kw.get("fill", 0), kw.get("padding_mode", "constant"))
                t = TF.pad(t, kw["padding"], kw.get("fill", 0), kw.get("padding_mode", "constant"))
            if kw.get("pad_if_needed"):
                pw, ph = [kw["size"][1] - x.shape[2], 0], [0, kw["size"][0] - x.shape[1]]
                e = F.pad(F.pad(e, pw, 0, "reflect"), ph, 0, "reflect")
                t = TF.pad(TF.pad(t, pw, 0, "reflect"), ph, 0, "reflect")
            params = T.RandomCrop.get_params(e, et.size)
            i, j, h, w = params
            assert 0 <= i <= e.shape[-2] - h and 0 <= j <= e.shape[-1] - w
            same(out, TF.crop(t, *params))
            ember.manual_seed(seed)
            same(et(ember.tensor(x)), TF.crop(t, *params))  # the seed reproduces the crop
    # the params over many seeds cover every offset
    seen = set()
    for seed in range(60):
        ember.manual_seed(seed)
        seen.add(T.RandomCrop.get_params(ember.tensor(x), (7, 5))[:2])
    assert seen == {(i, j) for i in range(3) for j in range(3)}
    raises_alike(
        lambda: T.RandomCrop.get_params(ember.tensor(x), (10, 2)),
        lambda: TT.RandomCrop.get_params(torch.tensor(x), (10, 2)),
    )
    assert T.RandomCrop.get_params(ember.tensor(x), (9, 7)) == TT.RandomCrop.get_params(
        torch.tensor(x), (9, 7)
    )
    img = pil(image((9, 7, 3), np.uint8))
    ember.manual_seed(4)
    out = T.RandomCrop(5, padding=1)(img)
    ember.manual_seed(4)
    same(out, TF.crop(TF.pad(img, 1), *T.RandomCrop.get_params(F.pad(img, 1), (5, 5))))


def test_random_flips_follow_ember_rng():
    x = image((2, 3, 4))
    for et, tt, tf in [
        (T.RandomHorizontalFlip, TT.RandomHorizontalFlip, TF.hflip),
        (T.RandomVerticalFlip, TT.RandomVerticalFlip, TF.vflip),
    ]:
        assert repr(et(0.3)) == repr(tt(0.3))
        for p in (0.0, 1.0):
            both(et(p), tt(p), x)
        ember.manual_seed(1)
        draws = ember.rand(40).numpy()
        ember.manual_seed(1)
        flipped = []
        for _ in range(40):
            out = et(0.5)(ember.tensor(x))
            flipped.append(not np.array_equal(out.numpy(), x))
            want = tf(torch.tensor(x)) if flipped[-1] else torch.tensor(x)
            same(out, want)
        assert flipped == list(draws < 0.5)
        assert 5 < sum(flipped) < 35


def test_random_resized_crop():
    x = image((3, 20, 16))
    kw = {"size": (6, 5), "scale": (0.2, 0.9), "ratio": (0.5, 2.0)}
    et, tt = T.RandomResizedCrop(**kw), TT.RandomResizedCrop(**kw)
    assert repr(et) == repr(tt)
    assert repr(T.RandomResizedCrop(4, interpolation=0, antialias=False)) == repr(
        TT.RandomResizedCrop(4, interpolation=0, antialias=False)
    )
    areas = []
    for seed in range(20):
        ember.manual_seed(seed)
        out = et(ember.tensor(x))
        ember.manual_seed(seed)
        i, j, h, w = T.RandomResizedCrop.get_params(ember.tensor(x), kw["scale"], kw["ratio"])
        assert 0 <= i <= 20 - h and 0 <= j <= 16 - w
        assert 0.5 * 0.9 <= w / h <= 2.0 * 1.1
        areas.append(h * w / 320)
        same(out, TF.resized_crop(torch.tensor(x), i, j, h, w, [6, 5]), atol=1e-5, rtol=1e-5)
    assert 0.15 <= min(areas) and max(areas) <= 0.95 and np.std(areas) > 0.05
    # no draw fits: the fallback central crop is deterministic, so both libraries agree
    for scale, ratio, shape in [
        ((4.0, 5.0), (0.5, 2.0), (3, 20, 16)),
        ((4.0, 5.0), (2.0, 3.0), (3, 20, 16)),
        ((4.0, 5.0), (0.1, 0.2), (3, 20, 16)),
        ((4.0, 5.0), (0.5, 0.6), (3, 8, 30)),
    ]:
        xe, xt = ember.zeros(shape), torch.zeros(shape)
        assert T.RandomResizedCrop.get_params(xe, scale, ratio) == TT.RandomResizedCrop.get_params(
            xt, scale, ratio
        )
    img = pil(image((20, 16, 3), np.uint8))
    ember.manual_seed(7)
    out = T.RandomResizedCrop(5, interpolation=F.InterpolationMode.BICUBIC)(img)
    ember.manual_seed(7)
    params = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
    same(out, TF.resized_crop(img, *params, [5, 5], TF.InterpolationMode.BICUBIC))
    raises_alike(
        lambda: T.RandomResizedCrop(3, scale=0.5), lambda: TT.RandomResizedCrop(3, scale=0.5)
    )
    with pytest.warns(UserWarning):
        T.RandomResizedCrop(3, scale=(0.9, 0.1))
