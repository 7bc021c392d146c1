"""ember.cuda: availability and device queries. CUDA tensors need CuPy (the ``gpu`` extra)."""

from __future__ import annotations

import importlib.util

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize"]

_count: int | None = None


def device_count() -> int:
    """Number of GPUs CuPy can see; 0 when CuPy or a GPU is missing."""
    global _count
    if _count is None:
        _count = 0
        if importlib.util.find_spec("cupy") is not None:
            try:
                import cupy

                _count = int(cupy.cuda.runtime.getDeviceCount())
            except Exception:  # no driver, no device: treated as no GPU, as torch does
                _count = 0
    return _count


def is_available() -> bool:
    """True when CuPy is installed and a GPU answers."""
    return device_count() > 0


_current = 0


def current_device() -> int:
    return _current


def set_device(device) -> None:
    global _current
    from .._device import device as _dev

    d = _dev(device) if not isinstance(device, int) else _dev("cuda", device)
    _current = d.index or 0
    if is_available():
        import cupy

        cupy.cuda.Device(_current).use()


def synchronize(device=None) -> None:
    if is_available():
        import cupy

        cupy.cuda.Device().synchronize()
