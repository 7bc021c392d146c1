"""Peak memory of an MLP training step with and without activation checkpointing.

A ``--layers``-deep tanh MLP (``--width`` units, batch ``--batch``, float32): one forward and
backward, peak measured with tracemalloc (NumPy reports its array allocations to it). Weights and
their ``.grad`` exist before the measured step (a warm-up step made them; the grads are zeroed in
place), so the peak is what the step adds: activations, gradients in flight, temporaries.
The step time is measured in a separate step without tracing.

    python bench/checkpoint_memory.py [--layers 20 --width 1024 --batch 256]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, __file__.rsplit("/bench/", 1)[0])

import ember  # noqa: E402
from ember.utils.checkpoint import checkpoint, checkpoint_sequential  # noqa: E402


def make(layers, width, batch):
    rng = np.random.default_rng(0)
    ws = [ember.tensor(rng.standard_normal((width, width)) / width**0.5, dtype=ember.float32,
                       requires_grad=True) for _ in range(layers)]  # fmt: skip
    x = ember.tensor(rng.standard_normal((batch, width)), dtype=ember.float32)
    return ws, x


def step(ws, x, mode):
    fns = [lambda h, w=w: (h @ w).tanh() for w in ws]
    if mode == "none":
        h = x
        for f in fns:
            h = f(h)
    elif mode.startswith("per-layer"):
        # the reentrant variant needs an input that requires grad (as torch): else the
        # first segment's output takes no gradient and its weights get none
        reentrant = mode.endswith("reentrant")
        h = x.detach().requires_grad_(reentrant)
        for f in fns:
            h = checkpoint(f, h, use_reentrant=reentrant)
    else:  # "segments=<k>"
        h = checkpoint_sequential(fns, int(mode.split("=")[1]), x, use_reentrant=False)
    h.square().mean().backward()


def measure(ws, x, mode):
    step(ws, x, mode)  # warm-up: the grads exist from here on
    t0 = time.perf_counter()
    step(ws, x, mode)
    dt = time.perf_counter() - t0
    for w in ws:
        w.grad.zero_()
    tracemalloc.start()
    step(ws, x, mode)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, dt, [w.grad.numpy().copy() for w in ws]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--layers", type=int, default=20)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=256)
    args = ap.parse_args(argv)
    ws, x = make(args.layers, args.width, args.batch)
    act = args.batch * args.width * 4 / 2**20
    print(f"{args.layers}-layer tanh MLP, width {args.width}, batch {args.batch}: one activation "
          f"is {act:.1f} MiB, one weight {args.width**2 * 4 / 2**20:.1f} MiB")  # fmt: skip
    segs = max(2, round(args.layers**0.5))
    modes = ["none", "per-layer (use_reentrant=False)", "per-layer reentrant",
             f"segments={segs}"]  # fmt: skip
    base = None
    for mode in modes:
        peak, dt, grads = measure(ws, x, mode)
        if base is None:
            base, ref = peak, grads
            note = ""
        else:
            same = all(np.array_equal(a, b) for a, b in zip(ref, grads))
            note = f"saves {(base - peak) / 2**20:6.1f} MiB ({1 - peak / base:5.1%})"
            note += "" if same else "  GRADIENTS DIFFER"
        print(f"{mode:34s} peak {peak / 2**20:7.1f} MiB  step {dt * 1e3:7.1f} ms  {note}")
    print("A tanh layer keeps only its input for backward, and that is what checkpointing it keeps")
    print("too; checkpointing segments of several layers keeps one input per segment.")


if __name__ == "__main__":
    main()
