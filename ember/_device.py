"""Device objects. A device owns its array module ``xp``: NumPy for cpu, CuPy (lazily) for cuda."""

from __future__ import annotations

import numpy as np

__all__ = ["device", "xp_of", "get_xp"]


class device:
    """``ember.device('cpu')``, ``ember.device('cuda:1')``, ``ember.device('cuda', 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device(): index given twice")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and index is None:
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments: {type!r}")
        name = type
        if ":" in name:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {name}")  # fmt: skip
            name, _, idx = name.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if name not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, meta device type at start of device string: " + type
            )
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = name, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):  # torch allows `with torch.device(...)`; default device is not modelled
        return self

    def __exit__(self, *exc):
        return False


CPU = device("cpu")
_cupy = None


def _import_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as e:
            raise RuntimeError(
                "CUDA tensors need CuPy and an NVIDIA GPU: install the gpu extra "
                "(pip install 'ember[gpu]')"
            ) from e
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
            raise RuntimeError(
                "Found no NVIDIA driver or CuPy on your system: CUDA tensors need CuPy and a GPU "
                "(pip install 'ember[gpu]')"
            )
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
