"""The 8x8 UCI hand-written digits, bundled with ember (``ember/vision/data/digits.csv.gz``)."""

from __future__ import annotations

import functools
import os
from typing import Any, Callable

import numpy as np

import ember

from .vision import VisionDataset

_BUNDLED = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "digits.csv.gz")
N_TRAIN = 1437  # of 1797; the other 360 are the test split


def split_permutation(n: int = 1797) -> np.ndarray:
    """The fixed order behind the split: ``np.random.default_rng(0).permutation(n)``; the first
    1,437 indices are the training set, the last 360 the test set."""
    return np.random.default_rng(0).permutation(n)


@functools.lru_cache(maxsize=4)
def _read_table(path: str) -> np.ndarray:
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 65:
        raise RuntimeError(f"{path}: expected rows of 64 pixels and a label, got {table.shape}")
    table.flags.writeable = False  # shared by every Digits built from this file
    return table


class Digits(VisionDataset):
    """The UCI ML hand-written digits (1,797 images of 8x8 pixels, 10 classes), bundled, so
    nothing is downloaded: a dataset small enough for tests, demos and a first CNN.

    The split is fixed: rows (in the file's order) are permuted by
    ``np.random.default_rng(0).permutation(1797)``; the first 1,437 form the training set and
    the last 360 the test set. Pixels (0..16 in the file) are scaled to float32 in
    ``[0, 1]`` (``pixel / 16``).

    ``dataset[i]`` is ``(image, int)`` where the image is an ember float32 tensor of shape
    ``(1, 8, 8)`` (channel first, ready for ``Conv2d``), passed through ``transform`` when
    one is given (tensor transforms such as ``Normalize`` or ``Resize`` apply). ``data`` is the
    float32 tensor ``(N, 8, 8)``, ``targets`` an int64 tensor ``(N,)``, ``classes`` the digits
    ``'0'`` .. ``'9'``. ``root``, when given, is a folder holding a ``digits.csv.gz`` to read
    instead of the bundled copy.

    >>> ds = Digits(train=False)
    >>> len(ds), ds[0][0].shape
    (360, ember.Size([1, 8, 8]))
    """

    classes = [str(i) for i in range(10)]

    def __init__(
        self,
        root=None,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        path = _BUNDLED if root is None else os.path.join(self.root, "digits.csv.gz")
        if not os.path.isfile(path):
            raise RuntimeError(f"Dataset not found: {path} is missing")
        table = _read_table(os.path.abspath(path))
        order = split_permutation(len(table))
        n_train = round(len(table) * N_TRAIN / 1797)
        rows = table[order[:n_train] if train else order[n_train:]]
        images = (rows[:, :64].astype(np.float32) / np.float32(16)).reshape(-1, 8, 8)
        self.data = ember.from_numpy(images)
        self.targets = ember.from_numpy(rows[:, 64].copy())

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img = self.data[index].unsqueeze(0)
        target = int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"
