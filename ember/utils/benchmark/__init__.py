"""Benchmark utilities, as ``torch.utils.benchmark``: Timer, Measurement, Compare.

>>> from ember.utils import benchmark
>>> m = benchmark.Timer("x @ x", setup="x = ember.ones(64, 64)").blocked_autorange()
>>> benchmark.Compare([m]).print()
"""

from .utils.common import (
    Measurement,
    TaskSpec,
    ordered_unique,
    select_unit,
    set_torch_threads,
    trim_sigfig,
    unit_to_english,
)
from .utils.compare import Colorize, Compare
from .utils.timer import Language, Timer, timer

__all__ = ["Timer", "timer", "Language", "Measurement", "TaskSpec", "Compare", "Colorize",
           "select_unit", "unit_to_english", "trim_sigfig", "ordered_unique",
           "set_torch_threads"]  # fmt: skip
