"""Tensor printing, matching PyTorch's ``torch/_tensor_str.py`` (with ``torch.`` -> ``ember.``).

``format_tensor`` turns a NumPy array plus tensor metadata into exactly the string that
``repr(torch_tensor)`` gives: the same float formatting (fixed or scientific, ``1.`` for
integer-valued floats), column alignment, summarization with ``...``, line wrapping and the
``device=`` / ``size=`` / ``dtype=`` / ``grad_fn=`` suffixes.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from . import _dtype as D

__all__ = ["format_tensor", "set_printoptions", "get_printoptions", "printoptions"]


class _PrintOptions:
    def __init__(self):
        self.precision = 4
        self.threshold = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode = None


_OPTS = _PrintOptions()

# profile name -> (precision, threshold, edgeitems, linewidth)
_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """Set printing options, with the semantics of ``torch.set_printoptions``.

    ``profile`` ("default", "short" or "full") resets the four numeric options first; the
    other arguments then override it. ``sci_mode`` is always set, so omitting it means "auto".
    """
    if profile in _PROFILES:
        _OPTS.precision, _OPTS.threshold, _OPTS.edgeitems, _OPTS.linewidth = _PROFILES[profile]
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current printing options, as keyword arguments for ``set_printoptions``."""
    return {
        "precision": _OPTS.precision,
        "threshold": _OPTS.threshold,
        "edgeitems": _OPTS.edgeitems,
        "linewidth": _OPTS.linewidth,
        "sci_mode": _OPTS.sci_mode,
    }


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the printing options (same arguments as ``set_printoptions``)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---------------------------------------------------------------------------- element formatting


class _Formatter:
    """Chooses a format (int-valued / fixed / scientific) and a column width for some values."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.ravel()
        if not self.floating:
            self.max_width = max([1] + [len(f"{v}") for v in flat.tolist()])
            return
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return  # nothing to size by; note sci_mode option is not applied here (as torch)
        mags = np.abs(vals)
        lo, hi = mags.min(), mags.max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if _OPTS.sci_mode is None:
            self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
        else:
            self.sci_mode = _OPTS.sci_mode
        self.max_width = max(self._width(v) for v in vals.tolist())

    def _width(self, value: float) -> int:
        if self.sci_mode:
            return len(f"{value:.{_OPTS.precision}e}")
        if self.int_mode:
            return len(f"{value:.0f}") + 1  # room for the trailing "."
        return len(f"{value:.{_OPTS.precision}f}")

    def format(self, value) -> str:
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = f"{value:.{_OPTS.precision}f}"
        return text.rjust(self.max_width)


def _format_value(value, formatters) -> str:
    """One element as text; ``formatters`` is (real,) or (real, imag) for complex values."""
    if len(formatters) == 1:
        return formatters[0].format(value)
    real = formatters[0].format(value.real)
    imag = (formatters[1].format(value.imag) + "j").lstrip()
    # a sign is already there for negative numbers (and -0.0); otherwise add "+"
    return real + imag if imag[0] in "+-" else real + "+" + imag


# ---------------------------------------------------------------------------- layout


def _summarized_data(a: np.ndarray) -> np.ndarray:
    """The elements that a summarized print shows (they decide the format and width)."""
    e = _OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        # like torch, a[-0:] is the whole vector when edgeitems == 0
        return np.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if not e:
        return a[(slice(0, 0),) * a.ndim]
    n = a.shape[0]
    rows = [a[i] for i in range(e)] + [a[i] for i in range(n - e, n)] if n > 2 * e else list(a)
    return np.stack([_summarized_data(r) for r in rows])


def _vector_str(vec: np.ndarray, indent: int, summarize: bool, formatters) -> str:
    element_length = formatters[0].max_width + 2  # ", " between elements
    if len(formatters) == 2:
        element_length += formatters[1].max_width + 1  # imaginary part and "j"
    per_line = max(1, math.floor((_OPTS.linewidth - indent) / element_length))

    def fmt(part):
        return [_format_value(v, formatters) for v in part.tolist()]

    e = _OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and vec.shape[0] > 2 * e:
        data = fmt(vec[:e]) + [" ..."] + fmt(vec[-e:])
    else:
        data = fmt(vec)
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a: np.ndarray, indent: int, summarize: bool, formatters) -> str:
    if a.ndim == 0:
        return _format_value(a.item(), formatters)
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, formatters)
    e, n = _OPTS.edgeitems, a.shape[0]
    if summarize and n > 2 * e:
        head = [_nested_str(a[i], indent + 1, summarize, formatters) for i in range(e)]
        tail = [_nested_str(a[i], indent + 1, summarize, formatters) for i in range(n - e, n)]
        slices = head + ["..."] + tail
    else:
        slices = [_nested_str(a[i], indent + 1, summarize, formatters) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _python_values(arr: np.ndarray, dtype) -> np.ndarray:
    """``arr`` in the tensor's dtype, widened so that ``.tolist()`` gives exact Python values."""
    arr = np.asarray(arr)
    np_dtype = D.to_numpy_dtype(dtype)
    if arr.dtype != np_dtype:
        arr = arr.astype(np_dtype)
    if dtype.is_complex:
        return arr.astype(np.complex128)
    if dtype.is_floating_point:
        return arr.astype(np.float64)  # exact for float16/bfloat16/float32
    return arr


def _tensor_str(values: np.ndarray, indent: int) -> str:
    summarize = values.size > _OPTS.threshold
    shown = _summarized_data(values) if summarize else values
    if values.dtype.kind == "c":
        formatters = (_Formatter(shown.real), _Formatter(shown.imag))
    else:
        formatters = (_Formatter(shown),)
    return _nested_str(values, indent, summarize, formatters)


# ---------------------------------------------------------------------------- suffixes


def _has_default_dtype(dtype) -> bool:
    default = D.get_default_dtype().name
    default_complex = "complex128" if default == "float64" else "complex64"
    return dtype.name in (default, default_complex, "int64", "bool")


def _device_str(device) -> str | None:
    text = str(device)
    if text == "cpu":
        return None
    return "cuda:0" if text == "cuda" else text


def _add_suffixes(text: str, suffixes, indent: int) -> str:
    """Append ``, suffix`` items, moving one to a new line when it would pass the line width."""
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1  # same arithmetic as torch
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def format_tensor(
    arr,
    *,
    dtype,
    device="cpu",
    requires_grad=False,
    grad_fn_name=None,
    prefix="tensor(",
) -> str:
    """What ``repr`` of a torch tensor with these values and metadata returns (``ember.`` names)."""
    values = _python_values(arr, dtype)
    indent = len(prefix)
    suffixes = []
    device_text = _device_str(device)
    if device_text is not None:
        suffixes.append(f"device='{device_text}'")
    if values.size == 0:
        # NumPy-style: the shape is shown unless it is (0,); the dtype unless it is the default
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
        if dtype.name != D.get_default_dtype().name:
            suffixes.append(f"dtype=ember.{dtype.name}")
        body = "[]"
    else:
        if not _OPTS.edgeitems:
            suffixes.append(f"size={tuple(values.shape)}")
        if not _has_default_dtype(dtype):
            suffixes.append(f"dtype=ember.{dtype.name}")
        body = _tensor_str(values, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
