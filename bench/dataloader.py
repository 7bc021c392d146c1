"""DataLoader throughput, ember vs torch, same dataset and run.

A map-style dataset whose ``__getitem__`` costs about 1 ms of Python/NumPy work (pad, random crop,
flip, normalize a 3x32x32 image, a few times), batch 64, 0 and 2 workers, worker start-up included
(one fresh iterator per epoch, as a training loop without persistent workers).

    .venv/bin/python bench/dataloader.py [--n 2048] [--epochs 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import ember
import ember.utils.data as ed

try:
    import torch
    import torch.utils.data as td
except ImportError:  # ember alone still runs
    torch = td = None


class Augmented:
    def __init__(self, lib, n, reps):
        self.lib_name, self.n, self.reps = lib.__name__, n, reps
        self.images = np.random.default_rng(0).random((64, 3, 32, 32), dtype=np.float32)

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        rng = np.random.default_rng(i)
        img = self.images[i % 64]
        for _ in range(self.reps):
            padded = np.pad(img, ((0, 0), (4, 4), (4, 4)), mode="reflect")
            y, x = rng.integers(0, 9, size=2)
            out = padded[:, y : y + 32, x : x + 32]
            if rng.random() < 0.5:
                out = out[:, :, ::-1]
            out = (out - out.mean(axis=(1, 2), keepdims=True)) / (out.std() + 1e-6)
        lib = ember if self.lib_name == "ember" else torch
        return lib.from_numpy(np.ascontiguousarray(out, dtype=np.float32)), i % 10


def _calibrate(target_ms=1.0):
    ds = Augmented(ember, 100, 1)
    t = time.perf_counter()
    for i in range(100):
        ds[i]
    per = (time.perf_counter() - t) / 100 * 1e3
    return max(1, round(target_ms / per))


def throughput(data, lib, n, reps, workers, epochs):
    dl = data.DataLoader(Augmented(lib, n, reps), batch_size=64, shuffle=True,
                         num_workers=workers)  # fmt: skip
    for _ in dl:  # warm-up epoch (imports, page faults)
        break
    t = time.perf_counter()
    seen = 0
    for _ in range(epochs):
        for x, _y in dl:
            seen += x.shape[0]
    return seen / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2048)
    ap.add_argument("--epochs", type=int, default=2)
    a = ap.parse_args()
    reps = _calibrate()
    print(f"__getitem__ ~1 ms ({reps} augmentation passes), n={a.n}, batch 64, samples/s:")
    for workers in (0, 2):
        e = throughput(ed, ember, a.n, reps, workers, a.epochs)
        line = f"num_workers={workers}: ember {e:8.0f}"
        if td is not None:
            t = throughput(td, torch, a.n, reps, workers, a.epochs)
            line += f"  torch {t:8.0f}  ember/torch {e / t:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
