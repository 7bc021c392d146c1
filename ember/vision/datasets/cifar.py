"""CIFAR-10 from its Python batches (``root/cifar-10-batches-py``)."""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from ._utils import check_integrity, download_url, extract_tar, safe_load
from .vision import VisionDataset, _to_image


def _get(entry: dict, key: str):
    """``entry[key]`` whether the pickle's keys came back as str or bytes."""
    if key in entry:
        return entry[key]
    return entry[key.encode("latin1")]


def _has(entry: dict, key: str) -> bool:
    return key in entry or key.encode("latin1") in entry


def _text(x) -> str:
    return x.decode("latin1") if isinstance(x, bytes) else x


class CIFAR10(VisionDataset):
    """CIFAR-10: 32x32 RGB images in 10 classes, read from the Python batches in
    ``root/cifar-10-batches-py`` (``data_batch_1`` ... ``data_batch_5``, ``test_batch``,
    ``batches.meta``), each checked against its md5.

    The batches are pickles; they are read with an unpickler that only rebuilds NumPy arrays
    (any other global in the file, e.g. ``os.system``, raises ``pickle.UnpicklingError``
    without running). ``dataset[i]`` is ``(PIL RGB image, int)`` as in torchvision when Pillow
    is installed, else the ``32x32x3`` uint8 ndarray. ``data`` is the uint8 ndarray
    ``(N, 32, 32, 3)``, ``targets`` a list of ints. ``download=True`` fetches and unpacks
    ``url`` (md5-checked) when files are missing.

    >>> ds = CIFAR10("data", train=False, download=True)  # doctest: +SKIP
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {
        "filename": "batches.meta",
        "key": "label_names",
        "md5": "5ff9c542aee3614f3951f8cda6e48888",
    }

    def __init__(
        self,
        root,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError(
                "Dataset not found or corrupted. You can use download=True to download it"
            )
        data, self.targets = [], []
        for name, _ in self.train_list if train else self.test_list:
            entry = safe_load(os.path.join(self.root, self.base_folder, name))
            data.append(np.asarray(_get(entry, "data"), dtype=np.uint8))
            labels = _get(entry, "labels") if _has(entry, "labels") else _get(entry, "fine_labels")
            self.targets.extend(int(t) for t in labels)
        # rows are 3072 bytes: the red plane, then green, then blue (CHW) -> HWC
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))
        self._load_meta()

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not check_integrity(path, self.meta["md5"]):
            raise RuntimeError(
                "Dataset metadata file not found or corrupted. You can use download=True to "
                "download it"
            )
        self.classes = [_text(c) for c in _get(safe_load(path), self.meta["key"])]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def _check_integrity(self) -> bool:
        return all(
            check_integrity(os.path.join(self.root, self.base_folder, name), md5)
            for name, md5 in self.train_list + self.test_list
        )

    def download(self) -> None:
        """Fetch ``url`` (md5-checked) into ``root`` and unpack it, unless the batches are
        there and intact."""
        if self._check_integrity():
            return
        archive = download_url(self.url, self.root, self.filename, self.tgz_md5)
        extract_tar(archive, self.root)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = _to_image(self.data[index], "RGB"), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"
