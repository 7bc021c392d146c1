"""Timer: ``timeit.Timer`` with replicates, warm-up and labels, as torch's benchmark Timer.

>>> t = Timer("x * 2", setup="x = ember.ones(8)", label="mul")
>>> m = t.blocked_autorange(min_run_time=0.05)    # a Measurement
"""

from __future__ import annotations

import enum
import textwrap
import timeit
from collections.abc import Callable
from typing import Any

from . import common

__all__ = ["Timer", "timer", "Language"]


_GPU: list = []  # [ember.cuda or None], filled on the first call


def timer() -> float:
    """The default clock: waits for queued GPU work first, where there is a GPU."""
    if not _GPU:
        from .... import cuda

        _GPU.append(cuda if cuda.is_available() else None)
    if _GPU[0] is not None:
        _GPU[0].synchronize()
    return timeit.default_timer()


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


class Timer:
    """Measure the time of a Python statement, as ``torch.utils.benchmark.Timer``.

    ``stmt``/``setup``/``timer``/``globals`` as in ``timeit.Timer``; ``label``, ``sub_label``,
    ``description``, ``env`` name the measurement for printing and :class:`Compare`;
    ``num_threads`` is recorded (and set where ember can set it). ``torch`` and ``ember`` are
    both bound to ember in the statement's globals unless given.

    >>> Timer("x + 1", "x = ember.ones(4)").timeit(100).number_per_run
    100
    """

    _timer_cls = timeit.Timer

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "",
                 timer: Callable[[], float] = timer, globals: dict[str, Any] | None = None,
                 label: str | None = None, sub_label: str | None = None,
                 description: str | None = None, env: str | None = None, num_threads: int = 1,
                 language: Language | str = Language.PYTHON) -> None:  # fmt: skip
        import ember

        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        self._globals = dict(globals or {})  # a copy: eval adds __builtins__
        if language in (Language.PYTHON, "py", "python"):
            self._globals.setdefault("torch", ember)
            self._globals.setdefault("ember", ember)
            self._language = Language.PYTHON
            if global_setup:
                raise ValueError(
                    f"global_setup is C++ only, got `{global_setup}`. Most likely this code can "
                    "simply be moved to `setup`."
                )
        elif language in (Language.CPP, "cpp", "c++"):
            raise NotImplementedError("ember's Timer measures Python statements only (no C++).")
        else:
            raise ValueError(f"Invalid language `{language}`.")

        # a block string's leading newline and indentation are not part of the statement
        stmt = textwrap.dedent(stmt)
        stmt = (stmt[1:] if stmt and stmt[0] == "\n" else stmt).rstrip()
        setup = textwrap.dedent(setup)
        setup = (setup[1:] if setup and setup[0] == "\n" else setup).rstrip()
        self._timer = self._timer_cls(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = common.TaskSpec(
            stmt=stmt, setup=setup, global_setup=global_setup, label=label, sub_label=sub_label,
            description=description, env=env, num_threads=num_threads,
        )  # fmt: skip

    def _timeit(self, number: int) -> float:
        # no real statement takes under 1 ns, and this keeps divisions finite
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number: int = 1000000) -> common.Measurement:
        """Run ``stmt`` ``number`` times (after a short warm-up): one replicate."""
        with common.set_torch_threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))
            return common.Measurement(
                number_per_run=number,
                raw_times=[self._timeit(number=number)],
                task_spec=self._task_spec,
            )

    def repeat(self, repeat: int = -1, number: int = -1) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback: Callable[[int, float], None] | None = None) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _threaded_measurement_loop(self, number, time_hook, stop_hook, min_run_time,
                                   max_run_time=None, callback=None) -> list[float]:  # fmt: skip
        total_time = 0.0
        can_stop = False
        times: list[float] = []
        with common.set_torch_threads(self._task_spec.num_threads):
            while total_time < min_run_time or not can_stop:
                time_spent = time_hook()
                times.append(time_spent)
                total_time += time_spent
                if callback:
                    callback(number, time_spent)
                can_stop = stop_hook(times)
                if max_run_time and total_time > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time: float) -> int:
        """Runs per block such that the timer's own overhead is under 0.01% (also warms up)."""
        import statistics

        with common.set_torch_threads(self._task_spec.num_threads):
            overhead = statistics.median_low([self._timeit(0) for _ in range(5)])
            number = 1
            while True:
                time_taken = self._timeit(number)
                relative_overhead = overhead / time_taken
                if relative_overhead <= 1e-4 and time_taken >= min_run_time / 1000:
                    break
                if time_taken > min_run_time:
                    break
                if number * 10 > 2147483647:
                    break
                number *= 10
        return number

    def blocked_autorange(self, callback: Callable[[int, float], None] | None = None,
                          min_run_time: float = 0.2) -> common.Measurement:  # fmt: skip
        """Replicates of blocks of runs until ``min_run_time`` seconds are spent; the block size
        is chosen so that calling the timer is negligible.

        >>> Timer("1 + 1").blocked_autorange(min_run_time=0.01).median < 1e-3
        True
        """
        number = self._estimate_block_size(min_run_time)
        times = self._threaded_measurement_loop(
            number, lambda: self._timeit(number), lambda times: True,
            min_run_time=min_run_time, callback=callback,
        )  # fmt: skip
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)  # fmt: skip

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01,
                           max_run_time: float = 10.0,
                           callback: Callable[[int, float], None] | None = None,
                           ) -> common.Measurement:  # fmt: skip
        """As blocked_autorange, and goes on until IQR / median is under ``threshold`` or
        ``max_run_time`` is spent."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop_hook(times):
            if len(times) > 3:
                m = common.Measurement(number_per_run=number, raw_times=times,
                                       task_spec=self._task_spec)  # fmt: skip
                return m.meets_confidence(threshold=threshold)
            return False

        times = self._threaded_measurement_loop(
            number, lambda: self._timeit(number), stop_hook, min_run_time, max_run_time,
            callback=callback,
        )  # fmt: skip
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)  # fmt: skip
