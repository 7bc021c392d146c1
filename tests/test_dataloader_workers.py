"""DataLoader with worker processes: order, seeding, worker info, transport, and faults (a worker
raising, killed by SIGKILL, too slow for ``timeout``, abandoned iterators, a dying parent)."""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import ember
import ember.utils.data as ed

torch = pytest.importorskip("torch")
import torch.utils.data as td  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork/SIGKILL semantics")

LIMIT = 10.0  # seconds: an upper bound, for "never hangs"


@pytest.fixture(autouse=True)
def no_children_left():
    yield
    deadline = time.monotonic() + LIMIT
    while mp.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mp.active_children() == []


class Squares:
    """Map-style dataset with tensor, NumPy, number and string fields."""

    def __init__(self, lib, n=23):
        self.lib_name, self.n = lib.__name__, n  # a module does not pickle (spawn)

    @property
    def lib(self):
        return sys.modules[self.lib_name]

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": self.lib.full((2, 3), float(i * i)), "a": np.arange(4) + i, "i": i,
                "f": i / 4, "s": f"#{i}"}  # fmt: skip


def same(e, t):
    if isinstance(t, torch.Tensor):
        assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert list(e) == list(t)
        for k in t:
            same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            same(a, b)
    else:
        assert e == t


@pytest.mark.parametrize("num_workers", [1, 2, 3])
def test_batches_in_order_match_torch(num_workers):
    e = list(ed.DataLoader(Squares(ember), batch_size=4, num_workers=num_workers))
    t = list(td.DataLoader(Squares(torch), batch_size=4, num_workers=num_workers))
    same(e, t)
    assert e[0]["x"].numpy().flags.writeable  # received buffers stay writable
    e[0]["x"].add_(1)


def test_spawn_context_and_no_autocollation():
    e = list(ed.DataLoader(Squares(ember, 5), batch_size=None, num_workers=1,
                           multiprocessing_context="spawn"))  # fmt: skip
    same(e, list(td.DataLoader(Squares(torch, 5), batch_size=None)))


def _info(i):
    w = ed.get_worker_info()
    return [w.id, w.num_workers, w.seed, random.random(), float(np.random.rand()),
            float(ember.rand(()))]  # fmt: skip


class Infos:
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return _info(i)


def test_worker_seeding_and_info():
    g = ember.Generator().manual_seed(11)
    b = [x for batch in ed.DataLoader(Infos(), batch_size=1, num_workers=2, generator=g,
                                      collate_fn=lambda s: s) for x in batch]  # fmt: skip
    ids = [r[0] for r in b]
    assert ids == [0, 1] * 4  # round robin
    assert {r[1] for r in b} == {2}
    seeds = {r[0]: r[2] for r in b}
    assert seeds[1] == seeds[0] + 1
    # what each worker drew first equals what its seed gives
    for wid, seed in seeds.items():
        first = next(r for r in b if r[0] == wid)
        random.seed(seed)
        np.random.seed(seed % 2**32)
        ember.manual_seed(seed)
        assert first[3:] == [random.random(), float(np.random.rand()), float(ember.rand(()))]
    # same generator seed -> same worker seeds; the next epoch gets a new base seed
    g2 = ember.Generator().manual_seed(11)
    dl = ed.DataLoader(Infos(), batch_size=1, num_workers=2, generator=g2, collate_fn=lambda s: s)
    again = [x for batch in dl for x in batch]
    assert again == b
    assert [x for batch in dl for x in batch][0][2] != b[0][2]
    assert ed.get_worker_info() is None


class _Stream:
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        w = self.data.get_worker_info()
        start, step = (0, 1) if w is None else (w.id, w.num_workers)
        return iter(range(start, self.n, step))


class Stream(_Stream, ed.IterableDataset):
    data = ed


class TorchStream(_Stream, td.IterableDataset):
    data = td


@pytest.mark.parametrize("persistent", [False, True])
def test_iterable_dataset_split_by_worker_info(persistent):
    dl = ed.DataLoader(Stream(11), batch_size=2, num_workers=3, persistent_workers=persistent)
    tl = td.DataLoader(TorchStream(11), batch_size=2, num_workers=3, persistent_workers=persistent)
    for _ in range(2):
        same([b.tolist() for b in dl], [b.tolist() for b in tl])
    del dl, tl


def test_persistent_workers_reuse_processes():
    dl = ed.DataLoader(Squares(ember, 9), batch_size=2, num_workers=2, persistent_workers=True,
                       shuffle=True)  # fmt: skip
    it = iter(dl)
    pids = {w.pid for w in it._workers}
    for _ in range(3):
        got = sorted(i for b in dl for i in b["i"].tolist())
        assert got == list(range(9))
    assert {w.pid for w in dl._iterator._workers} == pids
    del it, dl


def test_in_order_false_gives_every_batch():
    got = [b["i"].tolist() for b in ed.DataLoader(Squares(ember), batch_size=3, num_workers=2,
                                                  in_order=False)]  # fmt: skip
    assert sorted(i for b in got for i in b) == list(range(23))


# -- faults ---------------------------------------------------------------------------------------


class Raises:
    def __init__(self, exc):
        self.exc = exc

    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 5:
            raise self.exc
        return i


@pytest.mark.parametrize("exc", [ValueError("bad sample 5"), KeyError("k"), IndexError("i")])
def test_worker_exception_reraised_with_traceback(exc):
    def message(data):
        it = iter(data.DataLoader(Raises(exc), batch_size=2, num_workers=2))
        try:
            list(it)
        except type(exc) as e:
            return str(e)  # not the exception: its traceback would keep the iterator alive
        finally:
            it._shutdown_workers()  # torch's own takes 10 s when left to the garbage collector
        raise AssertionError("did not raise")

    msgs = [message(ed), message(td)]
    gc.collect()
    for m in msgs:
        assert f"Caught {type(exc).__name__} in DataLoader worker process 0" in m
        assert "Original Traceback (most recent call last)" in m
        assert "raise self.exc" in m
        assert str(exc) in m


class Kills:
    def __len__(self):
        return 100

    def __getitem__(self, i):
        if i == 7:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


def test_killed_worker_raises_quickly():
    t0 = time.monotonic()
    with pytest.raises(
        RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"
    ):
        list(ed.DataLoader(Kills(), batch_size=2, num_workers=2))
    assert time.monotonic() - t0 < LIMIT


class Sleeps:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(2 if i == 2 else 0)
        return i


def test_timeout_raises():
    t0 = time.monotonic()
    for data in (ed, td):
        with pytest.raises(RuntimeError, match="DataLoader timed out after 1 seconds"):
            list(data.DataLoader(Sleeps(), batch_size=1, num_workers=1, timeout=1))
    assert time.monotonic() - t0 < 2 * LIMIT


def test_break_and_del_shut_workers_down():
    dl = ed.DataLoader(Squares(ember, 40), batch_size=2, num_workers=2)
    for k, _ in enumerate(dl):
        if k == 2:
            break
    it = iter(dl)
    pids = [w.pid for w in it._workers]
    next(it)
    del it
    for pid in pids:  # reaped: no zombies
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_workers_exit_when_parent_dies(tmp_path):
    out = tmp_path / "pids"
    script = textwrap.dedent(f"""
        import os, time, ember.utils.data as ed
        class Slow:
            def __len__(self): return 10**6
            def __getitem__(self, i):
                time.sleep(1); return i
        it = iter(ed.DataLoader(Slow(), num_workers=2, prefetch_factor=1))
        open({str(out)!r}, "w").write(" ".join(str(w.pid) for w in it._workers))
        os._exit(0)  # dies without shutting the workers down
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    pids = [int(p) for p in out.read_text().split()]
    deadline = time.monotonic() + LIMIT
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if _alive(p)]
    assert alive == []


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # an orphan's zombie is reaped by init; treat "Z" state as gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _init_fn(worker_id):
    random.seed(1000 + worker_id)  # runs after the loader's seeding, so it wins


def _bad_init(worker_id):
    raise ValueError(f"init failed in {worker_id}")


class Draws:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return random.random()


def test_worker_init_fn():
    got = [float(b) for b in ed.DataLoader(Draws(), num_workers=2, worker_init_fn=_init_fn)]
    firsts = []
    for wid in (0, 1):
        random.seed(1000 + wid)
        firsts.append(random.random())
    assert got[:2] == firsts
    with pytest.raises(ValueError, match="init failed in 0"):
        list(ed.DataLoader(Draws(), num_workers=2, worker_init_fn=_bad_init))
    gc.collect()


def test_context_object():
    ctx = mp.get_context("fork")
    dl = ed.DataLoader(range(6), batch_size=2, num_workers=2, multiprocessing_context=ctx)
    assert [b.tolist() for b in dl] == [[0, 1], [2, 3], [4, 5]]
