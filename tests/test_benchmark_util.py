"""ember.utils.benchmark against torch.utils.benchmark: Measurements built from the same raw
times print the same reprs and statistics, Compare prints the same tables, and Timer measures
and refuses bad arguments as torch's does."""

from __future__ import annotations

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.utils.benchmark as TB  # noqa: E402

import ember  # noqa: E402
from ember.utils import benchmark as EB  # noqa: E402


def _same_text(e: str, t: str):
    """Equal up to the library's name and object addresses."""
    e = re.sub(r"0x[0-9a-f]+", "0x?", e).replace("ember.", "torch.")
    t = re.sub(r"0x[0-9a-f]+", "0x?", t)
    assert e == t, f"ember:\n{e}\n\ntorch:\n{t}"


def _times(rng, n, scale, spread):
    return list(scale * np.exp(spread * rng.standard_normal(n)))


SPECS = [
    dict(stmt="x + y", setup="pass"),
    dict(stmt="x + y", setup="x = 1", label="add", sub_label="float", description="n=4"),
    dict(stmt="for i in range(3):\n    f(i)", setup="import os\nx = 2", sub_label="loop"),
    dict(stmt="for i in range(3):\n    f(i)", setup="", label="multi", num_threads=4),
    dict(stmt="g()", setup="", label="L", description="d", env="A"),
]


def _measurement(B, spec, number, raw):
    return B.Measurement(number_per_run=number, raw_times=list(raw),
                         task_spec=B.TaskSpec(**spec))  # fmt: skip


_SCALES = ((3e-6, 0.02), (4.2e-3, 0.15), (7e-9, 0.5), (2.5, 0.001))  # seconds, log-spread
CASES = [(n, scale, spread) for n in (1, 2, 3, 4, 5, 11, 60) for scale, spread in _SCALES]


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("n,scale,spread", CASES)
def test_measurement(spec, n, scale, spread):
    rng = np.random.default_rng(n)
    raw = _times(rng, n, scale * 100, spread)
    e, t = _measurement(EB, spec, 100, raw), _measurement(TB, spec, 100, raw)
    _same_text(repr(e), repr(t))
    assert e.times == t.times
    for attr in ("median", "mean", "iqr"):
        assert getattr(e, attr) == pytest.approx(getattr(t, attr), rel=1e-12, abs=1e-300), attr
    assert e.significant_figures == t.significant_figures
    assert e.has_warnings == t.has_warnings
    assert e.title == t.title and e.as_row_name == t.as_row_name and e.env == t.env
    for th in (0.01, 0.1, 0.3):
        assert e.meets_confidence(th) == t.meets_confidence(th)
    assert e.meets_confidence() == t.meets_confidence()
    assert e.task_spec.summarize() == t.task_spec.summarize()
    assert e.label == t.label and e.num_threads == t.num_threads


def test_merge():
    rng = np.random.default_rng(0)
    parts = [(SPECS[1], 10, _times(rng, 3, 1e-5, 0.1)), (SPECS[1], 100, _times(rng, 4, 1e-4, 0.1)),
             (SPECS[0], 1, _times(rng, 2, 1e-6, 0.1))]  # fmt: skip
    e = EB.Measurement.merge([_measurement(EB, *p) for p in parts])
    t = TB.Measurement.merge([_measurement(TB, *p) for p in parts])
    assert [m.times for m in e] == [m.times for m in t]
    assert [m.number_per_run for m in e] == [m.number_per_run for m in t]
    assert [m.task_spec.stmt for m in e] == [m.task_spec.stmt for m in t]


@pytest.mark.parametrize("x", [1e-10, 3e-9, 9.99e-7, 1e-6, 1.5e-5, 0.00042, 0.5, 1.0, 37.0])
def test_units(x):
    assert EB.select_unit(x) == TB.select_unit(x)
    unit = TB.select_unit(x)[0]
    assert EB.unit_to_english(unit) == TB.unit_to_english(unit)


@pytest.mark.parametrize("x", [3.14159, 0.000123456, 987654.321, 1.0, 42.5, 0.99951])
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_trim_sigfig(x, n):
    assert EB.trim_sigfig(x, n) == TB.trim_sigfig(x, n)


def _table_measurements(B, seed):
    """A grid: labels x sub_labels x descriptions, two thread counts, one env pair, gaps."""
    rng = np.random.default_rng(seed)
    ms = []
    for label in ("conv", "matmul"):
        for threads in (1, 4):
            for sub in ("float", "double", "int"):
                for k, desc in enumerate(("n=1", "n=32", "n=1024")):
                    if (sub, desc) == ("int", "n=32"):
                        continue  # an empty cell
                    spread = 0.4 if (sub, desc) == ("double", "n=1") else 0.01
                    raw = _times(rng, 7, 1e-4 * (1 + k) * (1 + len(sub)) / threads, spread)
                    spec = dict(stmt=f"f_{sub}(x)", setup="", label=label, sub_label=sub,
                                description=desc, num_threads=threads)  # fmt: skip
                    ms.append(_measurement(B, spec, 10, raw))
    # replicates of one task merge into one cell
    spec = dict(stmt="f_float(x)", setup="", label="conv", sub_label="float", description="n=1")
    ms.append(_measurement(B, spec, 5, _times(rng, 3, 5e-5, 0.01)))
    return ms


def _envs(B, seed):
    rng = np.random.default_rng(seed)
    return [_measurement(B, dict(stmt="h()", setup="", label="env", sub_label=s, description=d,
                                 env=env), 1, _times(rng, 5, 2e-3, 0.05))
            for env in ("before", "after") for s in ("a", "b") for d in ("x", "y")]  # fmt: skip


OPTIONS = {
    "plain": [],
    "trim": ["trim_significant_figures"],
    "colorize": ["colorize"],
    "colorize rowwise": [("colorize", True)],
    "warnings": ["highlight_warnings"],
    "all": ["trim_significant_figures", "colorize", "highlight_warnings"],
}


@pytest.mark.parametrize("make", [_table_measurements, _envs], ids=["grid", "envs"])
@pytest.mark.parametrize("opts", list(OPTIONS.values()), ids=list(OPTIONS))
def test_compare(make, opts):
    out = []
    for B in (TB, EB):
        c = B.Compare(make(B, 0))
        for o in opts:
            name, *args = o if isinstance(o, tuple) else (o,)
            getattr(c, name)(*args)
        out.append(str(c))
    _same_text(out[1], out[0])


def test_compare_print(capsys):
    printed = []
    for B in (TB, EB):
        B.Compare(_table_measurements(B, 1)).print()
        printed.append(capsys.readouterr().out)
    _same_text(printed[1], printed[0])


def test_compare_rejects_other_objects():
    errs = []
    for B in (TB, EB):
        with pytest.raises(ValueError) as info:
            B.Compare([1.5])
        errs.append(str(info.value))
    assert errs[0] == errs[1]


# -- Timer ------------------------------------------------------------------------------------


def test_timer_measures():
    t = EB.Timer("x * 2", setup="x = torch.ones(4)", label="mul", sub_label="f32",
                 description="4")  # fmt: skip
    m = t.timeit(200)
    assert isinstance(m, EB.Measurement) and m.number_per_run == 200 and len(m.raw_times) == 1
    assert 0 < m.median < 1e-2
    m = t.blocked_autorange(min_run_time=0.02)
    assert sum(m.raw_times) >= 0.02 and str(m.number_per_run).strip("0") == "1"
    calls = []
    m = t.adaptive_autorange(max_run_time=0.05, callback=lambda n, s: calls.append(n))
    assert calls and all(n == m.number_per_run for n in calls)
    assert m.title == "mul: f32" and m.description == "4"


def test_timer_statement_forms():
    """Block strings are dedented and stripped as torch's; globals and ember-as-torch work."""
    stmt = """
        y = x + 1
        z = y * 2
    """
    specs = []
    for B in (TB, EB):
        t = B.Timer(stmt, setup="\n    x = 3\n", globals={"w": 1}, label="L")
        t.timeit(10)
        specs.append((t._task_spec.stmt, t._task_spec.setup, t._task_spec.summarize()))
    assert specs[0] == specs[1]
    assert EB.Timer("torch.ones(2) + w", globals={"w": 1}).timeit(5).number_per_run == 5
    assert EB.Timer("ember.ones(2)").timeit(5).raw_times[0] > 0


@pytest.mark.parametrize("call", [
    lambda B: B.Timer(stmt=lambda: None),
    lambda B: B.Timer("pass", global_setup="int x;"),
    lambda B: B.Timer("pass", language="fortran"),
    lambda B: B.Timer("pass").repeat(),
    lambda B: B.Timer("pass").autorange(),
])  # fmt: skip
def test_timer_errors(call):
    errs = []
    for B in (TB, EB):
        with pytest.raises(Exception) as info:
            call(B)
        errs.append((type(info.value), str(info.value)))
    assert errs[0] == errs[1]


def test_exports():
    for name in (
        "Timer",
        "Measurement",
        "TaskSpec",
        "Compare",
        "Colorize",
        "Language",
        "select_unit",
        "trim_sigfig",
        "unit_to_english",
        "ordered_unique",
        "timer",
    ):
        assert hasattr(EB, name) and hasattr(TB, name), name
    assert [c.value for c in EB.Colorize] == [c.value for c in TB.Colorize]
    assert callable(EB.timer) and isinstance(EB.timer(), float)
    assert ember.utils.benchmark is EB
