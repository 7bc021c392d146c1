"""ember.cuda: availability and device queries. CUDA tensors need CuPy (the ``gpu`` extra).

Without CuPy or a GPU, ``is_available()`` is False, ``device_count()`` is 0, seeding is a no-op
(as in torch) and anything that needs a GPU raises an error naming the extra to install.

>>> import ember
>>> ember.cuda.is_available(), ember.cuda.device_count()
(False, 0)
"""

from __future__ import annotations

import importlib.util

__all__ = [
    "is_available", "device_count", "current_device", "set_device", "synchronize",
    "manual_seed", "manual_seed_all", "get_device_name", "is_initialized", "empty_cache",
]  # fmt: skip

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


def is_initialized() -> bool:
    return is_available()


def _require():
    if not is_available():
        from .._device import _NO_CUDA, _NoCudaError

        raise _NoCudaError(_NO_CUDA)


_current = 0


def current_device() -> int:
    _require()
    return _current


def set_device(device) -> None:
    global _current
    from .._device import device as _dev

    d = _dev("cuda", device) if isinstance(device, int) else _dev(device)
    _require()
    _current = d.index or 0
    import cupy

    cupy.cuda.Device(_current).use()


def synchronize(device=None) -> None:
    _require()
    import cupy

    cupy.cuda.Device().synchronize()


def get_device_name(device=None) -> str:
    _require()
    import cupy

    idx = _current if device is None else getattr(device, "index", device) or 0
    return cupy.cuda.runtime.getDeviceProperties(idx)["name"].decode()


def manual_seed(seed) -> None:
    """Seed the GPU generator; silently does nothing without a GPU, as in torch."""
    if is_available():
        import cupy

        cupy.random.seed(int(seed) % 2**32)


manual_seed_all = manual_seed


def empty_cache() -> None:
    if is_available():
        import cupy

        cupy.get_default_memory_pool().free_all_blocks()
