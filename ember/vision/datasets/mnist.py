"""MNIST and Fashion-MNIST from their idx files (``root/<Class>/raw``)."""

from __future__ import annotations

import gzip
import os
from typing import Any, Callable

import numpy as np

import ember

from ._utils import check_integrity, download_url, extract_gzip
from .vision import VisionDataset, _to_image

# idx type codes (the third byte of the magic number) -> big-endian NumPy dtypes
_IDX_TYPES = {8: ">u1", 9: ">i1", 11: ">i2", 12: ">i4", 13: ">f4", 14: ">f8"}


def read_idx(path) -> np.ndarray:
    """An array from an idx file (plain or ``.gz``): magic ``0x0000 <type> <ndim>``, then
    ``ndim`` big-endian int32 sizes, then the values.

    >>> read_idx("train-labels-idx1-ubyte").shape  # doctest: +SKIP
    (60000,)
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise RuntimeError(f"{path} is not an idx file (bad magic number)")
    ty, nd = data[2], data[3]
    if ty not in _IDX_TYPES or not 1 <= nd <= 3:
        raise RuntimeError(f"{path}: unsupported idx type {ty} / {nd} dims")
    shape = tuple(int(s) for s in np.frombuffer(data, ">u4", count=nd, offset=4))
    dtype = np.dtype(_IDX_TYPES[ty])
    count = int(np.prod(shape))
    expected = 4 * (nd + 1) + count * dtype.itemsize
    if len(data) < expected:
        raise RuntimeError(
            f"{path} is truncated: {len(data)} bytes, shape {shape} needs {expected}"
        )
    arr = np.frombuffer(data, dtype, count=count, offset=4 * (nd + 1)).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


class MNIST(VisionDataset):
    """The MNIST digits: 28x28 grayscale images and labels 0-9, read from the idx files in
    ``root/MNIST/raw`` (``train-images-idx3-ubyte`` ... plain or ``.gz``).

    ``dataset[i]`` is ``(PIL image in mode 'L', int)`` as in torchvision when Pillow is
    installed; without Pillow the image is the ``28x28`` uint8 ndarray. ``data`` is a uint8
    tensor ``(N, 28, 28)``, ``targets`` an int64 tensor ``(N,)``. ``download=True`` fetches
    the four ``.gz`` files from ``mirrors`` (md5-checked) when they are missing.

    >>> ds = MNIST("data", train=False, download=True)  # doctest: +SKIP
    >>> img, label = ds[0]
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

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
        if not self._check_exists():
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        prefix = "train" if train else "t10k"
        images = read_idx(self._raw_path(f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(self._raw_path(f"{prefix}-labels-idx1-ubyte"))
        if images.dtype != np.uint8 or images.ndim != 3:
            raise TypeError(f"images should be uint8 of 3 dims, got {images.dtype} {images.shape}")
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise TypeError(f"labels should be uint8 of 1 dim, got {labels.dtype} {labels.shape}")
        self.data = ember.from_numpy(images)
        self.targets = ember.from_numpy(labels.astype(np.int64))

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def _raw_path(self, name: str) -> str:
        """The file, or its ``.gz`` where only that is there."""
        path = os.path.join(self.raw_folder, name)
        return path if os.path.isfile(path) else path + ".gz"

    def _check_exists(self) -> bool:
        return all(
            check_integrity(self._raw_path(name[: -len(".gz")])) for name, _ in self.resources
        )

    def download(self) -> None:
        """Fetch the missing idx files (md5-checked, tried mirror by mirror) and unpack them."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            errors = []
            for mirror in self.mirrors:
                try:
                    gz = download_url(f"{mirror}{filename}", self.raw_folder, filename, md5)
                except RuntimeError as e:
                    errors.append(f"Tried {mirror}, got:\n{e}")
                    continue
                extract_gzip(gz, gz[: -len(".gz")])
                break
            else:
                raise RuntimeError(f"Error downloading {filename}:\n" + "\n".join(errors))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img = _to_image(self.data[index].numpy(), "L")
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


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's 28x28 clothing images), read and returned as :class:`MNIST`,
    from ``root/FashionMNIST/raw``."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
