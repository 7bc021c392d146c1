"""Test session rules: the oracle (torch) and per-test restoration of global state.

Tests that need torch skip when it is missing, unless EMBER_REQUIRE_ORACLE=1 (CI), where a
missing torch fails the session at its start and any skip for want of torch fails its test.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # `from helpers import check` in test modules

from helpers import ORACLE_ENV, oracle_required, require_torch  # noqa: E402

import ember  # noqa: E402


def pytest_sessionstart(session):
    try:
        import torch
    except ImportError as e:
        if oracle_required():
            pytest.exit(
                f"{ORACLE_ENV}=1 but the oracle torch cannot be imported: {e}", returncode=1
            )
        return
    # each xdist worker is one process of two on two cores: torch's own thread pool only
    # oversubscribes them (and costs ~0.1 s per small linalg backward)
    torch.set_num_threads(1)


# the test extra's references: under the oracle env, a skip for want of any of them fails
_REFERENCES = ("torch", "torchvision", "safetensors", "tensorboard", "PIL", "hypothesis",
               "ml_dtypes", "matplotlib", "tqdm")  # fmt: skip


def _torch_skip(report) -> bool:
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return False
    reason = str(report.longrepr[-1])  # importorskip's reason: could not import 'name...'
    return any(f"could not import '{name}" in reason for name in _REFERENCES)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if oracle_required() and _torch_skip(report):
        report.outcome = "failed"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    # a module-level `pytest.importorskip("torch")` skips at collection
    outcome = yield
    report = outcome.get_result()
    if oracle_required() and _torch_skip(report):
        report.outcome = "failed"


@pytest.fixture
def torch():
    """The oracle module (a skip without it; a failure under EMBER_REQUIRE_ORACLE=1)."""
    return require_torch()


@pytest.fixture(autouse=True)
def _restore_defaults():
    yield
    ember.set_default_dtype(ember.float32)
    t = sys.modules.get("torch")
    if t is not None and hasattr(t, "set_default_dtype"):
        t.set_default_dtype(t.float32)
