"""The guides' code runs: every ```python block of docs/porting.md and docs/new-op.md.

Each block runs in a fresh namespace, in a temporary working directory (checkpoints it writes
land there). Blocks that must not run (a GPU, the network, excerpts of the source tree) use
another fence tag (```python-norun, ```text, ```bash) and are only listed. Ops a block
registers at runtime, and attributes it adds to ``ember`` or ``Tensor`` (other than submodules it
imports), are removed after it, so the op table the rest of the suite sees is unchanged.
"""

from __future__ import annotations

import contextlib
import re
import types
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember.ops.registry import COMPOSITES, OPS  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs"
GUIDES = ("porting.md", "new-op.md")
README = "../README.md"  # its one example runs too; the guides need at least 3 blocks each
# an opening fence: ``` + tag at the start of a line; the block ends at the next bare ```
_FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
RUN_TAGS = {"python"}
SHOWN_TAGS = {"python-norun", "text", "bash", "console", "toml", ""}


def _blocks(name):
    text = (DOCS / name).read_text(encoding="utf-8")
    for m in _FENCE.finditer(text):
        yield m.group(1), text.count("\n", 0, m.start()) + 1, m.group(2)


def _runnable():
    out = []
    for name in (*GUIDES, README):
        if not (DOCS / name).exists():
            continue
        for tag, line, code in _blocks(name):
            if tag in RUN_TAGS:
                out.append(pytest.param(name, line, code, id=f"{name}:{line}"))
    return out


BLOCKS = _runnable()


@contextlib.contextmanager
def _restoring():
    """Put back the op table, ember's and Tensor's attributes and the RNG states on exit."""
    ops, comps = set(OPS), set(COMPOSITES)
    ember_names, tensor_names = set(vars(ember)), set(vars(ember.Tensor))
    rng, trng = ember.get_rng_state(), torch.get_rng_state()
    try:
        yield
    finally:
        for k in set(OPS) - ops:
            del OPS[k]
        for k in set(COMPOSITES) - comps:
            del COMPOSITES[k]
        for k in set(vars(ember)) - ember_names:
            if not isinstance(getattr(ember, k), types.ModuleType):  # imported submodules stay
                delattr(ember, k)
        for k in set(vars(ember.Tensor)) - tensor_names:
            delattr(ember.Tensor, k)
        ember.set_rng_state(rng)
        torch.set_rng_state(trng)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A temporary working directory, and the global state put back afterwards."""
    monkeypatch.chdir(tmp_path)
    with _restoring():
        yield


def _run(name, line, code):
    where = f"docs/{name}:{line}".replace("docs/../", "")
    exec(compile(code, where, "exec"), {"__name__": "__doc_snippet__"})


def test_guides_exist_and_have_runnable_code():
    for name in GUIDES:
        tags = [tag for tag, _, _ in _blocks(name)]
        assert tags.count("python") >= 3, f"{name}: only {tags.count('python')} python blocks"
        unknown = sorted(set(tags) - RUN_TAGS - SHOWN_TAGS)
        # a typo such as ```py would otherwise be skipped silently
        assert not unknown, f"{name}: fence tags neither run nor listed as shown: {unknown}"


@pytest.mark.parametrize("name,line,code", BLOCKS)
def test_snippet_runs(name, line, code, isolated):
    _run(name, line, code)


def test_runtime_op_is_removed_after_its_block(isolated):
    # the worked example registers my_scaled_tanh; it must not outlive its block (the sweep's
    # test_every_op_has_samples sees the table), and so the block can run again
    (block,) = [p.values for p in BLOCKS if "def my_scaled_tanh" in p.values[2]]
    for _ in range(2):
        with _restoring():
            _run(*block)
            assert "my_scaled_tanh" in OPS and hasattr(ember.Tensor, "my_scaled_tanh_")
        assert "my_scaled_tanh" not in OPS and not hasattr(ember, "my_scaled_tanh")
        assert not hasattr(ember.Tensor, "my_scaled_tanh")
