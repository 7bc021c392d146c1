"""Anomaly mode: nodes remember where they were made, and backward checks for NaN.

While it is on, every recorded node keeps the traceback of the forward call that made it (this
costs a stack walk per op, so only then); a backward that fails warns with that traceback before
the error propagates, and a node whose backward returns NaN raises
``RuntimeError: Function 'MulBackward0' returned nan values in its 0th output.``

>>> with ember.autograd.detect_anomaly():
...     y = (x / x).sum()          # x has a zero
...     y.backward()               # RuntimeError naming DivBackward0, with y's traceback
"""

from __future__ import annotations

import warnings

from .graph import EXTRAS

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "set_anomaly_enabled"]  # fmt: skip


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on (``torch.is_anomaly_enabled``)."""
    return EXTRAS.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    return EXTRAS.check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn anomaly mode on or off (``torch.set_anomaly_enabled``)."""
    EXTRAS.anomaly = bool(enabled)
    EXTRAS.check_nan = bool(check_nan)
    EXTRAS.update()


class detect_anomaly:
    """Context manager that turns anomaly detection on (warns that it slows things down)."""

    def __init__(self, check_nan=True) -> None:
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Set anomaly detection on or off: at once, and as a context manager restored on exit.

    >>> ember.autograd.set_detect_anomaly(True)   # stays on
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)
