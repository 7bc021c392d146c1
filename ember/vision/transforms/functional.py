"""``torchvision.transforms.functional`` on ember tensors, NumPy arrays and PIL images.

Tensors are images of shape ``(..., C, H, W)`` (``(..., H, W)`` where only the spatial dims
matter); NumPy arrays are accepted where torchvision accepts them (``to_tensor``,
``to_pil_image``, as ``HWC``/``HW``); PIL images go through Pillow, as torchvision does, and
Pillow is imported only when a function needs it (``pip install pillow``).

    >>> import ember.vision.transforms.functional as F
    >>> F.hflip(ember.arange(6.0).view(1, 2, 3))
    tensor([[[2., 1., 0.],
             [5., 4., 3.]]])
"""

from __future__ import annotations

import numbers
import sys
from enum import Enum
from typing import Any

import numpy as np

import ember

from . import _resample

__all__ = [
    "InterpolationMode",
    "get_dimensions",
    "get_image_size",
    "get_image_num_channels",
    "to_tensor",
    "pil_to_tensor",
    "to_pil_image",
    "convert_image_dtype",
    "normalize",
    "resize",
    "pad",
    "crop",
    "center_crop",
    "resized_crop",
    "hflip",
    "vflip",
    "rgb_to_grayscale",
    "to_grayscale",
]


class InterpolationMode(Enum):
    """Interpolation modes: ``nearest``, ``nearest-exact``, ``bilinear``, ``bicubic`` (tensors
    and PIL images), and ``box``, ``hamming``, ``lanczos`` (PIL images only)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_FROM_PIL_INT = {0: "NEAREST", 2: "BILINEAR", 3: "BICUBIC", 4: "BOX", 5: "HAMMING", 1: "LANCZOS"}
# Pillow's resampling constants (PIL.Image.Resampling)
pil_modes_mapping = {
    InterpolationMode.NEAREST: 0,
    InterpolationMode.BILINEAR: 2,
    InterpolationMode.BICUBIC: 3,
    InterpolationMode.NEAREST_EXACT: 0,
    InterpolationMode.BOX: 4,
    InterpolationMode.HAMMING: 5,
    InterpolationMode.LANCZOS: 1,
}


def _interpolation_modes_from_int(i: int) -> InterpolationMode:
    return InterpolationMode[_FROM_PIL_INT[i]]


# -- PIL, imported lazily ----------------------------------------------------------------------


def _pil():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "this needs Pillow for PIL images: pip install pillow (or ember[demo])"
        ) from e
    return Image


def _is_pil_image(img: Any) -> bool:
    # a PIL image exists only where PIL was imported: no import needed to rule one out
    mod = sys.modules.get("PIL.Image")
    return mod is not None and isinstance(img, mod.Image)


def _pil_fromarray(arr: np.ndarray, mode: str):
    """``Image.fromarray(arr, mode)`` with the old meaning of ``mode`` (read the bytes as
    ``mode``), which Pillow 11.3 deprecated in ``fromarray`` but keeps in ``frombuffer``."""
    Image = _pil()
    arr = np.ascontiguousarray(arr)
    return Image.frombuffer(mode, (arr.shape[1], arr.shape[0]), arr.tobytes(), "raw", mode, 0, 1)


def _pil_channels(img) -> int:
    return len(img.getbands())


# -- checks ------------------------------------------------------------------------------------


def _is_tensor(x) -> bool:
    return isinstance(x, ember.Tensor)


def _assert_image_tensor(img) -> None:
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def _require_pil(img, what: str = "img") -> None:
    if not _is_pil_image(img):
        raise TypeError(f"{what} should be PIL Image. Got {type(img)}")


def _assert_channels(img, permitted: list[int]) -> None:
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(
            f"Input image tensor permitted channel values are {permitted}, but found {c}"
        )


# -- sizes -------------------------------------------------------------------------------------


def get_dimensions(img) -> list[int]:
    """``[channels, height, width]`` of a tensor image or a PIL image.

    >>> get_dimensions(ember.zeros(3, 4, 5))
    [3, 4, 5]
    """
    if _is_tensor(img):
        _assert_image_tensor(img)
        c = 1 if img.ndim == 2 else img.shape[-3]
        return [c, img.shape[-2], img.shape[-1]]
    if _is_pil_image(img):
        return [_pil_channels(img), img.size[1], img.size[0]]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img) -> list[int]:
    """``[width, height]`` of an image.

    >>> get_image_size(ember.zeros(3, 4, 5))
    [5, 4]
    """
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    """The number of channels of an image.

    >>> get_image_num_channels(ember.zeros(3, 4, 5))
    3
    """
    return get_dimensions(img)[0]


# -- conversions -------------------------------------------------------------------------------


def to_tensor(pic) -> ember.Tensor:
    """A PIL image or ``HWC``/``HW`` ndarray as a ``CHW`` tensor; ``uint8`` data becomes the
    default float dtype scaled to ``[0, 1]``, other dtypes are kept.

    >>> to_tensor(np.full((2, 2, 3), 255, np.uint8)).shape
    ember.Size([3, 2, 2])
    """
    is_np = isinstance(pic, np.ndarray)
    if not (_is_pil_image(pic) or is_np):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if is_np and pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    float_dtype = ember.get_default_dtype()
    if is_np:
        arr = pic[:, :, None] if pic.ndim == 2 else pic
        img = ember.from_numpy(np.ascontiguousarray(arr.transpose((2, 0, 1))))
        return img.to(float_dtype).div(255) if img.dtype == ember.uint8 else img
    # PIL: 32-bit integer, 16-bit and float modes keep their values; the rest are bytes
    nptype = {
        "I": np.int32,
        "I;16" if sys.byteorder == "little" else "I;16B": np.int16,
        "F": np.float32,
    }.get(pic.mode, np.uint8)
    arr = np.array(pic, nptype, copy=True)
    if pic.mode == "1":
        arr = arr * np.uint8(255)
    arr = arr.reshape(pic.size[1], pic.size[0], _pil_channels(pic))
    img = ember.from_numpy(np.ascontiguousarray(arr.transpose((2, 0, 1))))
    return img.to(float_dtype).div(255) if img.dtype == ember.uint8 else img


def pil_to_tensor(pic) -> ember.Tensor:
    """A PIL image as a ``CHW`` tensor of its own dtype (no scaling).

    >>> pil_to_tensor(to_pil_image(np.zeros((2, 3), np.uint8))).shape
    ember.Size([1, 2, 3])
    """
    _require_pil(pic, "pic")
    arr = np.array(pic, copy=True)
    arr = arr.reshape(pic.size[1], pic.size[0], _pil_channels(pic))
    return ember.from_numpy(arr).permute((2, 0, 1))


def to_pil_image(pic, mode: str | None = None):
    """A ``CHW`` tensor or ``HWC`` ndarray as a PIL image. Float data is scaled by 255 (unless
    ``mode='F'``); the mode follows from the dtype and channel count as in torchvision.

    >>> to_pil_image(ember.zeros(3, 2, 2)).mode
    'RGB'
    """
    if _is_tensor(pic):
        if pic.ndim == 3:
            pic = pic.permute((1, 2, 0))
        pic = pic.detach().cpu().numpy()
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = pic[:, :, None]
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)
    channels = npimg.shape[2]
    if channels == 1:
        npimg = npimg[:, :, 0]
        expected = {
            np.dtype(np.uint8): "L",
            np.dtype(np.int32): "I",
            np.dtype(np.float32): "F",
            np.dtype(np.int16): "I;16" if sys.byteorder == "little" else "I;16B",
        }.get(npimg.dtype)
        if mode is not None and mode != expected:
            raise ValueError(
                f"Incorrect mode ({mode}) supplied for input type {np.dtype}. Should be {expected}"
            )
        mode = expected
    else:
        permitted, default = {
            2: (["LA"], "LA"),
            3: (["RGB", "YCbCr", "HSV"], "RGB"),
            4: (["RGBA", "CMYK", "RGBX"], "RGBA"),
        }[channels]
        if mode is not None and mode not in permitted:
            what = "2D" if channels == 2 else "3D" if channels == 3 else "4D"
            raise ValueError(f"Only modes {permitted} are supported for {what} inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = default
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    return _pil_fromarray(npimg, mode)


def _max_value(dtype) -> int:
    return ember.iinfo(dtype).max


def convert_image_dtype(image: ember.Tensor, dtype=ember.float) -> ember.Tensor:
    """Cast a tensor image to ``dtype``, rescaling between the integer range and ``[0, 1]``.

    >>> convert_image_dtype(ember.tensor([255], dtype=ember.uint8), ember.float32)
    tensor([1.])
    """
    if not _is_tensor(image):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == ember.float32 and dtype in (ember.int32, ember.int64)) or (
            image.dtype == ember.float64 and dtype == ember.int64
        ):
            raise RuntimeError(
                f"The cast from {image.dtype} to {dtype} cannot be performed safely."
            )
        # max + 1 - eps maps [0, 1] evenly onto the integers (only 1.0 reaches the top)
        return image.mul(float(_max_value(dtype)) + 1.0 - 1e-3).to(dtype)
    input_max = float(_max_value(image.dtype))
    if dtype.is_floating_point:
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return ember.div(image, factor, rounding_mode="floor").to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


def normalize(tensor: ember.Tensor, mean, std, inplace: bool = False) -> ember.Tensor:
    """``(tensor - mean) / std`` per channel of a float ``(..., C, H, W)`` tensor.

    >>> normalize(ember.ones(2, 1, 1), [0.5, 0.0], [0.5, 2.0]).flatten()
    tensor([1.0000, 0.5000])
    """
    if not _is_tensor(tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(
            "Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
            f"{tensor.size()}"
        )
    if not inplace:
        tensor = tensor.clone()
    mean = ember.as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std = ember.as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if (std == 0).any():
        raise ValueError(
            f"std evaluated to zero after conversion to {tensor.dtype}, "
            "leading to division by zero."
        )
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


# -- resize ------------------------------------------------------------------------------------


def _compute_resized_output_size(image_size, size, max_size=None) -> list[int]:
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:  # the smaller edge becomes size, the aspect ratio is kept
        requested = size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(
                    f"max_size = {max_size} must be strictly greater than the requested "
                    f"size for the smaller edge size = {size}"
                )
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def _as_matrix(w: np.ndarray, like: ember.Tensor) -> ember.Tensor:
    return ember.tensor(w, dtype=like.dtype, device=like.device)


def _resize_tensor(img, size, mode, antialias):
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode {mode!r} is not supported for tensors (PIL only)")
    if antialias is None or mode not in ("bilinear", "bicubic"):
        antialias = bool(antialias) and mode in ("bilinear", "bicubic")
    out_dtype = img.dtype
    x = img if out_dtype in (ember.float32, ember.float64) else img.to(ember.float32)
    (h, w), (oh, ow) = x.shape[-2:], size
    if antialias or mode == "bicubic":
        # separable filters as matrices (ember's interpolate has neither antialias nor bicubic)
        rows = _resample.antialias_matrix if antialias else None
        mh = rows(h, oh, mode) if rows else _resample.bicubic_matrix(h, oh)
        mw = rows(w, ow, mode) if rows else _resample.bicubic_matrix(w, ow)
        x = _as_matrix(mh, x) @ x @ _as_matrix(mw, x).t()
    else:
        lead = x.shape[:-2]
        x4 = x.reshape(-1, 1, h, w)
        align = False if mode == "bilinear" else None
        x4 = ember.nn.functional.interpolate(x4, size=(oh, ow), mode=mode, align_corners=align)
        x = x4.reshape(*lead, oh, ow)
    if mode == "bicubic" and out_dtype == ember.uint8:
        x = x.clamp(min=0, max=255)
    if x.dtype != out_dtype:
        if not out_dtype.is_floating_point:
            x = ember.round(x)  # round, then cast (a cast alone truncates)
        x = x.to(out_dtype)
    return x


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size``: ``(h, w)``, or an int (or 1-sequence) for the smaller edge keeping
    the aspect ratio (the longer edge capped at ``max_size``). On tensors ``antialias``
    applies to bilinear and bicubic (as torch's ``interpolate(antialias=True)``); PIL images
    are always antialiased by Pillow.

    >>> resize(ember.rand(3, 8, 6), 4).shape
    ember.Size([3, 5, 4])
    """
    if isinstance(interpolation, int):
        interpolation = _interpolation_modes_from_int(interpolation)
    elif not isinstance(interpolation, InterpolationMode):
        raise TypeError(
            "Argument interpolation should be a InterpolationMode or a corresponding Pillow "
            "integer constant"
        )
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(
                f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                "tuple/list"
            )
        if max_size is not None and len(size) != 1:
            raise ValueError(
                "max_size should only be passed if size specifies the length of the smaller edge, "
                "i.e. size should be an int or a sequence of length 1 in torchscript mode."
            )
    _, h, w = get_dimensions(img) if (_is_tensor(img) or _is_pil_image(img)) else _not_image(img)
    size = [size] if isinstance(size, int) else list(size)
    out = _compute_resized_output_size((h, w), size, max_size)
    if [h, w] == out:
        return img
    if _is_pil_image(img):
        if antialias is False:
            import warnings

            warnings.warn(
                "Anti-alias option is always applied for PIL Image input. Argument antialias is "
                "ignored.",
                stacklevel=2,
            )
        return img.resize((out[1], out[0]), pil_modes_mapping[interpolation])
    return _resize_tensor(img, out, interpolation.value, antialias)


def _not_image(img):
    raise TypeError(f"img should be PIL Image. Got {type(img)}")


# -- pad / crop --------------------------------------------------------------------------------


def _ltrb(padding) -> list[int]:
    """torchvision's padding forms (int, [all], [lr, tb], [l, t, r, b]) as ``[l, t, r, b]``."""
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return list(padding)


def _check_pad_args(padding, fill, padding_mode, fill_types) -> None:
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, fill_types):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(
            f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element "
            "tuple"
        )
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")


def _pad_symmetric(img, ltrb):
    # negative padding crops first; the rest indexes the mirrored border (edge repeated)
    l, t, r, b = ltrb
    img = img[..., max(-t, 0) : img.shape[-2] - max(-b, 0), max(-l, 0) : img.shape[-1] - max(-r, 0)]
    l, t, r, b = (max(p, 0) for p in ltrb)
    h, w = img.shape[-2:]
    xs = list(range(l - 1, -1, -1)) + list(range(w)) + [w - 1 - i for i in range(r)]
    ys = list(range(t - 1, -1, -1)) + list(range(h)) + [h - 1 - i for i in range(b)]
    if img.ndim not in (3, 4):
        raise RuntimeError("Symmetric padding of N-D tensors are not supported yet")
    yi = ember.tensor(ys, device=img.device)[:, None]
    xi = ember.tensor(xs, device=img.device)[None, :]
    return img[:, yi, xi] if img.ndim == 3 else img[:, :, yi, xi]


def _pad_tensor(img, padding, fill, padding_mode):
    _assert_image_tensor(img)
    fill = 0 if fill is None else fill
    _check_pad_args(padding, fill, padding_mode, (int, float))
    l, t, r, b = _ltrb(padding)
    if padding_mode == "symmetric":
        return _pad_symmetric(img, [l, t, r, b])
    squeeze = img.ndim < 4
    x = img.unsqueeze(0) if squeeze else img
    out_dtype = x.dtype
    cast = padding_mode != "constant" and out_dtype not in (ember.float32, ember.float64)
    if cast:  # reflect/replicate padding run on floats (as torchvision does)
        x = x.to(ember.float32)
    pad = [l, r, t, b]
    F = ember.nn.functional
    if padding_mode == "constant":
        x = F.pad(x, pad, mode="constant", value=float(fill))
    else:
        x = F.pad(x, pad, mode="replicate" if padding_mode == "edge" else "reflect")
    if squeeze:
        x = x.squeeze(0)
    return x.to(out_dtype) if cast else x


def _parse_fill(fill, img, name="fillcolor") -> dict:
    channels = _pil_channels(img)
    fill = 0 if fill is None else fill
    if isinstance(fill, (int, float)) and channels > 1:
        fill = tuple([fill] * channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * channels
        elif len(fill) != channels:
            raise ValueError(
                "The number of elements in 'fill' does not match the number of channels of the "
                f"image ({len(fill)} != {channels})"
            )
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def _pad_pil(img, padding, fill, padding_mode):
    _check_pad_args(padding, fill, padding_mode, (numbers.Number, tuple, list))
    Image = _pil()
    if padding_mode == "constant":
        from PIL import ImageOps

        border = padding
        if isinstance(border, list):
            border = tuple(border)
        if isinstance(border, tuple) and len(border) == 1:
            border = border[0]
        out = ImageOps.expand(img, border=border, **_parse_fill(fill, img, "fill"))
        if img.mode == "P":
            out.putpalette(img.getpalette())
        return out
    l, t, r, b = _ltrb(padding)
    crop_l, crop_t, crop_r, crop_b = (max(-p, 0) for p in (l, t, r, b))
    if crop_l or crop_t or crop_r or crop_b:
        img = img.crop((crop_l, crop_t, img.width - crop_r, img.height - crop_b))
    l, t, r, b = (max(p, 0) for p in (l, t, r, b))
    arr = np.asarray(img)
    widths = ((t, b), (l, r)) + (((0, 0),) if arr.ndim == 3 else ())
    out = Image.fromarray(np.pad(arr, widths, padding_mode))
    if img.mode == "P":
        out.putpalette(img.getpalette())
    return out


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders: ``padding`` is an int, ``[all]``, ``[left/right, top/bottom]`` or
    ``[left, top, right, bottom]``; ``padding_mode`` constant (with ``fill``), edge, reflect,
    symmetric.

    >>> pad(ember.ones(1, 2, 2), [1, 0]).shape
    ember.Size([1, 2, 4])
    """
    if _is_tensor(img):
        return _pad_tensor(img, padding, fill, padding_mode)
    _require_pil(img)
    return _pad_pil(img, padding, fill, padding_mode)


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height x width`` window at ``(top, left)``; outside the image is zero.

    >>> crop(ember.arange(9.0).view(1, 3, 3), 1, 1, 2, 2)
    tensor([[[4., 5.],
             [7., 8.]]])
    """
    if not _is_tensor(img):
        _require_pil(img)
        return img.crop((left, top, left + width, top + height))
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        ltrb = [
            max(-left + min(0, right), 0),
            max(-top + min(0, bottom), 0),
            max(right - max(w, left), 0),
            max(bottom - max(h, top), 0),
        ]
        return pad(img[..., max(top, 0) : bottom, max(left, 0) : right], ltrb, fill=0)
    return img[..., top:bottom, left:right]


def center_crop(img, output_size):
    """The centred window of ``output_size`` (int or ``(h, w)``), zero-padded if larger.

    >>> center_crop(ember.arange(16.0).view(1, 4, 4), 2)
    tensor([[[ 5.,  6.],
             [ 9., 10.]]])
    """
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, h, w = get_dimensions(img)
    ch, cw = output_size
    if cw > w or ch > h:
        ltrb = [
            (cw - w) // 2 if cw > w else 0,
            (ch - h) // 2 if ch > h else 0,
            (cw - w + 1) // 2 if cw > w else 0,
            (ch - h + 1) // 2 if ch > h else 0,
        ]
        img = pad(img, ltrb, fill=0)
        _, h, w = get_dimensions(img)
        if cw == w and ch == h:
            return img
    return crop(img, int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0)), ch, cw)


def resized_crop(
    img,
    top: int,
    left: int,
    height: int,
    width: int,
    size,
    interpolation=InterpolationMode.BILINEAR,
    antialias=True,
):
    """``crop`` then ``resize`` (what RandomResizedCrop applies).

    >>> resized_crop(ember.rand(3, 8, 8), 0, 0, 4, 4, [2, 2]).shape
    ember.Size([3, 2, 2])
    """
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


# -- flips and colour --------------------------------------------------------------------------


def hflip(img):
    """Flip left-right (the last dim of a tensor).

    >>> hflip(ember.tensor([[[1, 2]]]))
    tensor([[[2, 1]]])
    """
    if _is_tensor(img):
        _assert_image_tensor(img)
        return img.flip(-1)
    _require_pil(img)
    return img.transpose(_pil().FLIP_LEFT_RIGHT)


def vflip(img):
    """Flip top-bottom (the next-to-last dim of a tensor).

    >>> vflip(ember.tensor([[[1], [2]]]))
    tensor([[[2],
             [1]]])
    """
    if _is_tensor(img):
        _assert_image_tensor(img)
        return img.flip(-2)
    _require_pil(img)
    return img.transpose(_pil().FLIP_TOP_BOTTOM)


def to_grayscale(img, num_output_channels: int = 1):
    """A PIL image as grayscale (``L``, or ``RGB`` with equal channels for 3 outputs).

    >>> to_grayscale(to_pil_image(np.zeros((2, 2, 3), np.uint8))).mode
    'L'
    """
    if not _is_pil_image(img):
        raise TypeError("Input should be PIL Image")
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    gray = img.convert("L")
    if num_output_channels == 1:
        return gray
    arr = np.array(gray, dtype=np.uint8)
    return _pil_fromarray(np.dstack([arr, arr, arr]), "RGB")


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` of a ``(..., 3, H, W)`` tensor (or a PIL image).

    >>> rgb_to_grayscale(ember.ones(3, 1, 1))  # the weights sum to 0.9999, as torchvision's
    tensor([[[0.9999]]])
    """
    if not _is_tensor(img):
        return to_grayscale(img, num_output_channels)
    if img.ndim < 3:
        raise TypeError(
            f"Input image tensor should have at least 3 dimensions, but found {img.ndim}"
        )
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    else:
        gray = img.clone()
    return gray.expand(img.shape) if num_output_channels == 3 else gray
