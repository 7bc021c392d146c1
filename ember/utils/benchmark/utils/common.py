"""Base shared classes and utilities: TaskSpec, Measurement and number formatting.

The statistics follow torch's exactly, including where torch computes in float32 (significant
figures, units, trimming): the same raw times print the same strings.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import textwrap
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

__all__ = ["TaskSpec", "Measurement", "select_unit", "unit_to_english", "trim_sigfig",
           "ordered_unique", "set_torch_threads"]  # fmt: skip

_MAX_SIGNIFICANT_FIGURES = 4
_MIN_CONFIDENCE_INTERVAL = 25e-9  # 25 ns

# A Measurement warns when the spread (IQR / median) passes these.
_IQR_WARN_THRESHOLD = 0.1
_IQR_GROSS_WARN_THRESHOLD = 0.25


def _f32(x) -> np.float32:
    return np.float32(x)


def _log10_f32(x) -> float:
    """log10 of ``x`` as a float32, correctly rounded (as torch's float32 log10; NumPy's own
    float32 log10 can be an ulp off, which moves unit and digit boundaries)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(_f32(np.log10(np.float64(_f32(x)))))


@dataclasses.dataclass(init=True, repr=False, eq=True, frozen=True)
class TaskSpec:
    """What a Timer measures (everything but its globals)."""

    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self) -> str:
        """The label (or the one-line stmt) and the sub_label."""
        if self.label is not None:
            return self.label + (f": {self.sub_label}" if self.sub_label else "")
        if "\n" not in self.stmt:
            return self.stmt + (f": {self.sub_label}" if self.sub_label else "")
        return (
            f"stmt:{f' ({self.sub_label})' if self.sub_label else ''}\n"
            f"{textwrap.indent(self.stmt, '  ')}"
        )

    def setup_str(self) -> str:
        if self.setup == "pass" or not self.setup:
            return ""
        if "\n" in self.setup:
            return f"setup:\n{textwrap.indent(self.setup, '  ')}"
        return f"setup: {self.setup}"

    def summarize(self) -> str:
        """The TaskSpec part of a Measurement's repr."""
        sections = [self.title, self.description or "", self.setup_str()]
        return "\n".join([f"{i}\n" if "\n" in i else i for i in sections if i])


_TASKSPEC_FIELDS = tuple(i.name for i in dataclasses.fields(TaskSpec))


@dataclasses.dataclass(init=True, repr=False)
class Measurement:
    """The times of one statement: ``raw_times`` of blocks of ``number_per_run`` runs.

    >>> m = Measurement(100, [1e-4, 4e-4, 2e-4], TaskSpec("f(x)", "pass"))
    >>> m.times, m.median
    ([1e-06, 4e-06, 2e-06], 2e-06)
    """

    number_per_run: int
    raw_times: list[float]
    task_spec: TaskSpec
    metadata: dict[Any, Any] | None = None  # reserved for user payloads

    def __post_init__(self) -> None:
        self._sorted_times: tuple[float, ...] = ()
        self._warnings: tuple[str, ...] = ()
        self._median: float = -1.0
        self._mean: float = -1.0
        self._p25: float = -1.0
        self._p75: float = -1.0

    def __getattr__(self, name: str) -> Any:
        # the TaskSpec's fields read through (m.label, m.env, m.num_threads ...)
        if name in _TASKSPEC_FIELDS:
            return getattr(self.task_spec, name)
        return super().__getattribute__(name)

    @property
    def times(self) -> list[float]:
        """Per-run times: each block's time divided by ``number_per_run``."""
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self) -> float:
        self._lazy_init()
        return self._median

    @property
    def mean(self) -> float:
        self._lazy_init()
        return self._mean

    @property
    def iqr(self) -> float:
        self._lazy_init()
        return self._p75 - self._p25

    @property
    def significant_figures(self) -> int:
        """A rough estimate of the digits the interquartile spread supports (1 to 4), used by
        Compare's ``trim_significant_figures``."""
        self._lazy_init()
        n_total = len(self._sorted_times)
        lower = int(n_total // 4)
        upper = int(np.ceil(_f32(3 * n_total / 4)))
        points = self._sorted_times[lower:upper]
        std = float(_f32(np.std(np.asarray(points, dtype=np.float32).astype(np.float64))))
        sqrt_n = float(np.sqrt(_f32(len(points))))
        ci = max(1.645 * std / sqrt_n, _MIN_CONFIDENCE_INTERVAL)
        relative_ci = _log10_f32(self._median / ci)
        figures = int(np.floor(_f32(relative_ci)))
        return min(max(figures, 1), _MAX_SIGNIFICANT_FIGURES)

    @property
    def has_warnings(self) -> bool:
        self._lazy_init()
        return bool(self._warnings)

    def _lazy_init(self) -> None:
        if self.raw_times and not self._sorted_times:
            self._sorted_times = tuple(sorted(self.times))
            a = np.asarray(self._sorted_times, dtype=np.float64)
            self._median = float(np.quantile(a, 0.5))
            self._mean = float(a.mean())
            self._p25 = float(np.quantile(a, 0.25))
            self._p75 = float(np.quantile(a, 0.75))

            def add_warning(msg: str) -> None:
                rel_iqr = self.iqr / self.median * 100
                self._warnings += (
                    f"  WARNING: Interquartile range is {rel_iqr:.1f}% "
                    f"of the median measurement.\n           {msg}",
                )

            if not self.meets_confidence(_IQR_GROSS_WARN_THRESHOLD):
                add_warning("This suggests significant environmental influence.")
            elif not self.meets_confidence(_IQR_WARN_THRESHOLD):
                add_warning("This could indicate system fluctuation.")

    def meets_confidence(self, threshold: float = _IQR_WARN_THRESHOLD) -> bool:
        return self.iqr / self.median < threshold

    @property
    def title(self) -> str:
        return self.task_spec.title

    @property
    def as_row_name(self) -> str:
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self) -> str:
        self._lazy_init()
        skip_line, newline = "MEASUREMENT_REPR_SKIP_LINE", "\n"
        n = len(self._sorted_times)
        time_unit, time_scale = select_unit(self._median)
        iqr_filter = "" if n >= 4 else skip_line
        s = "s" if n > 1 else ""
        repr_str = f"""
{super().__repr__()}
{self.task_spec.summarize()}
  {"Median: " if n > 1 else ""}{self._median / time_scale:.2f} {time_unit}
  {iqr_filter}IQR:    {self.iqr / time_scale:.2f} {time_unit} ({self._p25 / time_scale:.2f} to {self._p75 / time_scale:.2f})
  {n} measurement{s}, {self.number_per_run} runs {"per measurement," if n > 1 else ","} {self.num_threads} thread{"s" if self.num_threads > 1 else ""}
{newline.join(self._warnings)}""".strip()  # noqa: E501
        return "\n".join(ln for ln in repr_str.splitlines(keepends=False) if skip_line not in ln)

    @staticmethod
    def merge(measurements: Iterable[Measurement]) -> list[Measurement]:
        """Merge replicates of the same TaskSpec into one Measurement (``number_per_run=1``,
        metadata dropped)."""
        grouped: collections.defaultdict[TaskSpec, list[Measurement]] = collections.defaultdict(
            list
        )
        for m in measurements:
            grouped[m.task_spec].append(m)

        def merge_group(task_spec, group):
            times: list[float] = []
            for m in group:
                times.extend(m.times)  # blocks may differ in number_per_run: use per-run times
            return Measurement(number_per_run=1, raw_times=times, task_spec=task_spec)

        return [merge_group(t, g) for t, g in grouped.items()]


def select_unit(t: float) -> tuple[str, float]:
    """The unit that puts ``t`` seconds in [1, 1000): ``select_unit(2e-5) == ("us", 1e-6)``."""
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(int(_log10_f32(t) // 3), "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


def unit_to_english(u: str) -> str:
    return {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}[u]


def trim_sigfig(x: float, n: int) -> float:
    """Trim ``x`` to ``n`` significant figures: ``trim_sigfig(3.14159, 2)`` is about 3.1."""
    if n != int(n):
        raise AssertionError("Number of significant figures must be an integer")
    magnitude = int(np.ceil(_log10_f32(abs(x))))
    scale = 10 ** (magnitude - n)
    return float(np.round(_f32(x / scale)) * _f32(scale))


def ordered_unique(elements: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(elements))


@contextlib.contextmanager
def set_torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` threads where ember can set them (NumPy's BLAS pool is fixed
    at start-up, so this is a no-op unless ember gains ``set_num_threads``)."""
    import ember

    get, put = getattr(ember, "get_num_threads", None), getattr(ember, "set_num_threads", None)
    if get is None or put is None:
        yield
        return
    prior = get()
    try:
        put(n)
        yield
    finally:
        put(prior)
