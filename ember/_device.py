"""Device objects. A device owns its array module ``xp``: NumPy for cpu, CuPy (lazily) for cuda."""

from __future__ import annotations

import builtins
import re

import numpy as np

__all__ = ["device", "xp_of", "get_xp"]


# the device types torch's parser knows (c10/core/DeviceType.cpp), in its order
_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
    "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
)  # fmt: skip
# torch's grammar for a device string: ([a-zA-Z_]+)(?::([1-9]\d*|0))?
_DEVICE_RE = re.compile(r"([a-zA-Z_]+)(?::([1-9][0-9]*|0))?")


class _NoCudaError(RuntimeError, AssertionError):
    """CUDA was asked for where there is none. torch raises AssertionError here; ember's error
    is also a RuntimeError so it can name what to install."""


def _no_accelerator():
    raise RuntimeError("Cannot access accelerator device when none is available.")


class device:
    """A device: ``ember.device('cpu')``, ``ember.device('cuda:1')``, ``ember.device('cuda', 0)``.

    >>> ember.device('cuda', 1)
    device(type='cuda', index=1)
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise TypeError(
                    "device(): argument 'type' (position 1) must be str, not ember.device"
                )
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool) and index is None:
            # a bare index names the current accelerator
            if type < 0:
                raise RuntimeError("Device index must not be negative")
            from . import cuda

            if not cuda.is_available():
                _no_accelerator()
            self.type, self.index = "cuda", type
            return
        if not isinstance(type, str):
            raise TypeError(
                f"device() received an invalid combination of arguments - got "
                f"({builtins.type(type).__name__}), but expected one of: (ember.device device), "
                "(str type, int index = -1)"
            )
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            raise TypeError(
                f"device(): argument 'index' (position 2) must be int, not "
                f"{builtins.type(index).__name__}"
            )
        if not type:
            raise RuntimeError("Device string must not be empty")
        m = _DEVICE_RE.fullmatch(type)
        if m is None:
            raise RuntimeError(f"Invalid device string: '{type}'")
        name, idx = m.groups()
        if name not in _TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}"
            )
        if idx is not None:
            if index is not None:
                raise RuntimeError(
                    "type (string) must not include an index because index was passed "
                    f"explicitly: {type}"
                )
            index = int(idx)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type, self.index = name, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        # as torch: a device equals only a device (never a string)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type,) if self.index is None else (self.type, self.index))

    def __enter__(self):  # torch allows `with torch.device(...)`; default device is not modelled
        return self

    def __exit__(self, *exc):
        return False


CPU = device("cpu")
_NO_CUDA = (
    "ember has no CUDA here: CUDA tensors need CuPy and an NVIDIA GPU. Install the gpu extra: "
    "pip install 'ember[gpu]'"
)
_cupy = None


def _import_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as e:
            raise _NoCudaError(_NO_CUDA) from e
        _cupy = cupy
    return _cupy


def canonical(d) -> device:
    """A device from a string, int or device; cuda gets its index (cuda -> cuda:0)."""
    if d is None:
        return CPU
    if not isinstance(d, device):
        d = device(d)
    if d.type == "cpu":
        return CPU
    if d.type == "cuda":
        from . import cuda

        if not cuda.is_available():
            raise _NoCudaError(_NO_CUDA)
        idx = d.index if d.index is not None else cuda.current_device()
        if idx >= cuda.device_count():
            raise RuntimeError(
                f"CUDA error: invalid device ordinal (device {idx} of {cuda.device_count()})"
            )
        return device("cuda", idx)
    raise RuntimeError(f"ember has no backend for device type '{d.type}'")


def get_xp(d: device):
    return np if d.type == "cpu" else _import_cupy()


def xp_of(arr):
    """The array module of a backend array (numpy unless it is a CuPy array)."""
    return np if isinstance(arr, np.ndarray) else _import_cupy()


def device_of(arr) -> device:
    if isinstance(arr, np.ndarray):
        return CPU
    return device("cuda", arr.device.id)


def to_numpy(arr):
    return arr if isinstance(arr, np.ndarray) else arr.get()


def ptr(a) -> int:
    """The address of an array's first element."""
    if isinstance(a, np.ndarray):
        return a.__array_interface__["data"][0]
    return a.data.ptr
