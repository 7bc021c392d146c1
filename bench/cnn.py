"""A LeNet-sized CNN training step and a lone conv, ember against torch in one process.

LeNet: conv(1->6,5)-relu-maxpool2-conv(6->16,5)-relu-maxpool2-linear(256->120)-relu-
linear(120->84)-relu-linear(84->10), batch 64 of 28x28, cross-entropy, forward+backward+SGD.
Conv: 64x16x14x14 * 32x16x5x5, forward and forward+backward. Prints medians and ratios.

    python bench/cnn.py [--repeats 7] [--profile] [--breakdown] [--tune-malloc]

--breakdown: ember's step per phase (forward/backward/optimizer) and op, and the overhead.
--tune-malloc: glibc's heap kept (no trimming) in this process: both libraries then pay no
page faults (~1 ms a step each on the bench VM with glibc's defaults; see tune_malloc).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, __file__.rsplit("/bench/", 1)[0])

import ember  # noqa: E402


def timeit(fn, number, repeats):
    fn()  # warm up
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - t0) / number)
    return statistics.median(runs)


def lenet(lib, seed=0, phases=None):
    rng = np.random.default_rng(seed)
    F = lib.nn.functional
    shapes = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 256), (120,), (84, 120), (84,),
              (10, 84), (10,)]  # fmt: skip
    params = [lib.tensor(rng.standard_normal(s).astype(np.float32) * 0.1, requires_grad=True)
              for s in shapes]  # fmt: skip
    x = lib.tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 64))

    mark = phases.__setitem__ if phases is not None else lambda k, v: None

    def step():
        w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = params
        mark("phase", "forward")
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        h = F.relu(F.linear(h.flatten(1), w3, b3))
        h = F.relu(F.linear(h, w4, b4))
        loss = F.cross_entropy(F.linear(h, w5, b5), y)
        mark("phase", "backward")
        loss.backward()
        mark("phase", "optimizer")
        with lib.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None
        return loss

    return step


def conv(lib, backward):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((64, 16, 14, 14)).astype(np.float32), requires_grad=True)
    w = lib.tensor(rng.standard_normal((32, 16, 5, 5)).astype(np.float32), requires_grad=True)

    def fwd():
        with lib.no_grad():
            return lib.nn.functional.conv2d(x, w)

    def both():
        lib.nn.functional.conv2d(x, w).sum().backward()

    return both if backward else fwd


def breakdown(steps=30):
    """Where ember's LeNet step goes: NumPy time inside each op's forward (kernels), per phase,
    and the rest (registry, autograd engine, Python) as overhead. Medians over steps."""
    from ember.ops.registry import OPS

    phases = {"phase": "forward"}
    acc: dict = {}
    orig = {}
    for name, o in OPS.items():
        orig[name] = fwd = o.forward

        def timed(*a, _fwd=fwd, _name=name, **k):
            t0 = time.perf_counter()
            try:
                return _fwd(*a, **k)
            finally:
                key = (phases["phase"], _name)
                acc.setdefault(key, []).append(time.perf_counter() - t0)

        o.forward = timed
    try:
        step = lenet(ember, phases=phases)
        step()
        totals = []
        per: dict = {}
        for _ in range(steps):
            acc.clear()
            t0 = time.perf_counter()
            step()
            totals.append(time.perf_counter() - t0)
            for key, ts in acc.items():
                per.setdefault(key, []).append(sum(ts))
    finally:
        for name, o in OPS.items():
            o.forward = orig[name]
    med = {k: statistics.median(v) * 1e3 for k, v in per.items()}
    total = statistics.median(totals) * 1e3
    print(f"\nember LeNet step, median of {steps} (ms; op kernels, then the rest as overhead)")
    for phase in ("forward", "backward", "optimizer"):
        rows = sorted(((v, k[1]) for k, v in med.items() if k[0] == phase), reverse=True)
        print(f"  {phase:9s} kernels {sum(v for v, _ in rows):6.2f}: " + ", ".join(
            f"{n} {v:.2f}" for v, n in rows if v >= 0.02))  # fmt: skip
    print(f"  overhead (registry, engine, Python) {total - sum(med.values()):6.2f}")
    print(f"  total {total:6.2f}")


def tune_malloc():
    """glibc only: keep freed memory mapped (the heap is not trimmed, big blocks not unmapped).

    Both libraries allocate MB-sized arrays every step; with glibc's defaults the heap top is
    trimmed and re-grown, and each first touch of a 4 KiB page faults (~1 us on the bench VM):
    ~1100 faults a step for ember's LeNet step and ~1200 for torch's when it runs alone. This
    removes that cost from both sides of the comparison (process-wide, so opt-in)."""
    import ctypes

    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
    libc.mallopt(-1, 128 << 20)  # M_TRIM_THRESHOLD
    libc.mallopt(-2, 64 << 20)  # M_TOP_PAD


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--profile", action="store_true", help="cProfile ember's LeNet step")
    ap.add_argument("--breakdown", action="store_true", help="ember's step per phase and op")
    ap.add_argument("--tune-malloc", action="store_true", help="glibc: no heap trimming (both)")
    args = ap.parse_args()
    if args.tune_malloc:
        tune_malloc()
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    cases = [("lenet step", lambda lib: lenet(lib), 5),
             ("conv fwd", lambda lib: conv(lib, False), 10),
             ("conv fwd+bwd", lambda lib: conv(lib, True), 5)]  # fmt: skip
    print(f"{'case':14s} {'ember ms':>9s} {'torch ms':>9s} {'ratio':>6s}")
    for name, make, number in cases:
        te = timeit(make(ember), number, args.repeats)
        tt = timeit(make(torch), number, args.repeats)
        print(f"{name:14s} {te * 1e3:9.2f} {tt * 1e3:9.2f} {te / tt:6.2f}")
    if args.breakdown:
        breakdown()
    if args.profile:
        import cProfile
        import pstats

        step = lenet(ember)
        step()
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(20):
            step()
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
