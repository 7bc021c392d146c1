"""Global switches torch keeps in its C++ context: threads, determinism, matmul precision, warn
always. ember records the values so that programs that set and read them run; NumPy's BLAS
thread count is fixed when NumPy loads (OMP_NUM_THREADS etc.), so ``set_num_threads`` does not
change it.

>>> ember.set_num_threads(2); ember.get_num_threads()
2
"""

from __future__ import annotations

import os
import warnings

__all__ = [
    "get_num_threads",
    "set_num_threads",
    "get_num_interop_threads",
    "set_num_interop_threads",
    "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    "set_deterministic_debug_mode",
    "get_deterministic_debug_mode",
    "set_float32_matmul_precision",
    "get_float32_matmul_precision",
    "set_warn_always",
    "is_warn_always_enabled",
]

_S = {
    "threads": os.cpu_count() or 1,
    "interop": os.cpu_count() or 1,
    "deterministic": False,
    "warn_only": False,
    "precision": "highest",
    "warn_always": False,
}


def get_num_threads() -> int:
    """The intra-op thread count last set (the CPU count at start)."""
    return _S["threads"]


def set_num_threads(num: int) -> None:
    """Record the intra-op thread count (NumPy's BLAS keeps the count it started with)."""
    if not isinstance(num, int) or isinstance(num, bool) or num <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _S["threads"] = num


def get_num_interop_threads() -> int:
    return _S["interop"]


def set_num_interop_threads(num: int) -> None:
    if not isinstance(num, int) or isinstance(num, bool) or num <= 0:
        raise RuntimeError("Number of interop threads must be positive")
    _S["interop"] = num


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the switch; every ember algorithm is deterministic on NumPy already."""
    if not isinstance(mode, bool):
        raise TypeError(
            f"use_deterministic_algorithms expects a bool, but got {type(mode).__name__}"
        )
    _S["deterministic"] = mode
    _S["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _S["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _S["warn_only"]


_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode) -> None:
    """``"default"``/0 off, ``"warn"``/1 warn-only, ``"error"``/2 on."""
    if isinstance(debug_mode, str):
        if debug_mode not in _MODES:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, "
                f"`error`, but got {debug_mode}"
            )
        debug_mode = _MODES[debug_mode]
    elif not isinstance(debug_mode, int) or isinstance(debug_mode, bool):
        raise TypeError("debug_mode must be str or int, but got " + type(debug_mode).__name__)
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(
            f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}"
        )
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    if not _S["deterministic"]:
        return 0
    return 1 if _S["warn_only"] else 2


def set_float32_matmul_precision(precision: str) -> None:
    """Record ``"highest"``, ``"high"`` or ``"medium"`` (NumPy always computes in float32)."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
            "setFloat32MatmulPrecision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _S["precision"] = precision


def get_float32_matmul_precision() -> str:
    return _S["precision"]


def set_warn_always(b: bool) -> None:
    _S["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    return _S["warn_always"]
