"""Per-op overhead of ember against torch, in the same process.

(a) a 2x2 add with requires_grad; (b) a 31-op forward+backward chain on an 8x8 tensor;
(c) a 784-512-256-10 MLP forward+backward with cross-entropy at batch 128.
Prints the median of several repeats for each library and the ember/torch ratio.

    python bench/overhead.py [--repeats 7]
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
    return statistics.median(runs), min(runs), max(runs)


def case_add(lib):
    x = lib.ones(2, 2, requires_grad=True)
    y = lib.ones(2, 2, requires_grad=True)
    return lambda: x + y


def case_chain(lib):
    x = lib.tensor(np.random.default_rng(0).standard_normal((8, 8)), dtype=lib.float32,
                   requires_grad=True)  # fmt: skip

    def run():
        y = x
        for _ in range(10):
            y = (y * 0.5).tanh() + y
        y.sum().backward()

    return run


def _cross_entropy(lib, logits, target):
    nn = getattr(lib, "nn", None)
    if nn is not None and hasattr(nn, "functional") and hasattr(nn.functional, "cross_entropy"):
        return lib.nn.functional.cross_entropy(logits, target)
    # ember before the nn issue: log-softmax written from ops
    m = logits.amax(dim=1, keepdim=True).detach()
    z = logits - m
    logp = z - z.exp().sum(dim=1, keepdim=True).log()
    onehot = (target.unsqueeze(1) == lib.arange(logits.shape[1])).to(logits.dtype)
    return -(logp * onehot).sum() / logits.shape[0]


def case_mlp(lib):
    rng = np.random.default_rng(0)
    sizes = [784, 512, 256, 10]
    ws = [lib.tensor(rng.standard_normal((o, i)) * 0.05, dtype=lib.float32, requires_grad=True)
          for i, o in zip(sizes, sizes[1:])]  # fmt: skip
    bs = [lib.zeros(o, requires_grad=True) for o in sizes[1:]]
    x = lib.tensor(rng.standard_normal((128, 784)), dtype=lib.float32)
    target = lib.tensor(rng.integers(0, 10, 128))

    def run():
        h = x
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = h @ w.t() + b
            if i < len(ws) - 1:
                h = h.relu()
        loss = _cross_entropy(lib, h, target)
        for p in ws + bs:
            p.grad = None
        loss.backward()

    return run


CASES = [("(a) 2x2 add, requires_grad", case_add, 20000),
         ("(b) 31-op chain fwd+bwd 8x8", case_chain, 500),
         ("(c) MLP 784-512-256-10 b128 fwd+bwd", case_mlp, 20)]  # fmt: skip


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        torch = None
    print(f"{'case':40s} {'ember':>12s} {'torch':>12s} {'ratio':>7s}   (median; min-max ratio)")
    for name, make, number in CASES:
        e = timeit(make(ember), number, args.repeats)
        if torch is None:
            print(f"{name:40s} {e[0] * 1e6:10.1f}us {'-':>12s}")
            continue
        t = timeit(make(torch), number, args.repeats)
        print(f"{name:40s} {e[0] * 1e6:10.1f}us {t[0] * 1e6:10.1f}us {e[0] / t[0]:7.2f}   "
              f"({e[1] / t[2]:.2f}-{e[2] / t[1]:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
