"""ember.vision.datasets against torchvision 0.28: tiny files in the real formats (idx with
the real magic numbers, Python-2-style CIFAR pickles) read by both; downloads from a local
http server (md5 checked, atomic, clear errors); a malicious pickle refused; the bundled
Digits set."""

import gzip
import hashlib
import http.server
import io
import os
import pickle
import struct
import tarfile
import threading

import numpy as np
import pytest
from helpers import require_torchvision

import ember
import ember.vision.transforms as T
from ember.vision import datasets
from ember.vision.datasets import _utils

tv = require_torchvision()
import torch  # noqa: E402
import torchvision.datasets as TD  # noqa: E402
import torchvision.transforms as TT  # noqa: E402

Image = pytest.importorskip("PIL.Image")

rng = np.random.default_rng(0)


# -- the real file formats ---------------------------------------------------------------------


def idx_bytes(arr: np.ndarray) -> bytes:
    """An idx file: magic 0x00000800 + ndim (uint8 data), big-endian int32 sizes, the bytes."""
    head = struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(np.uint8).tobytes()


def write_mnist(root, cls="MNIST", n_train=7, n_test=5, plain=True, gz=True):
    raw = os.path.join(root, cls, "raw")
    os.makedirs(raw, exist_ok=True)
    arrays = {}
    for prefix, n in [("train", n_train), ("t10k", n_test)]:
        arrays[prefix] = (rng.integers(0, 256, (n, 28, 28)), rng.integers(0, 10, n))
        for kind, arr in zip(["images-idx3-ubyte", "labels-idx1-ubyte"], arrays[prefix]):
            data = idx_bytes(arr)
            assert data[:4] == (b"\x00\x00\x08\x03" if arr.ndim == 3 else b"\x00\x00\x08\x01")
            if plain:
                with open(os.path.join(raw, f"{prefix}-{kind}"), "wb") as f:
                    f.write(data)
            if gz:
                with gzip.open(os.path.join(raw, f"{prefix}-{kind}.gz"), "wb") as f:
                    f.write(data)
    return arrays


class Py2Pickler(pickle._Pickler):
    """Pickles ``bytes`` as Python 2 ``str`` (BINSTRING), as the CIFAR files were written."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def py2_pickle(obj) -> bytes:
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    # numpy 1.x (which wrote the real files) named its module numpy.core
    return buf.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


CIFAR_NAMES = [
    b"airplane",
    b"automobile",
    b"bird",
    b"cat",
    b"deer",
    b"dog",
    b"frog",
    b"horse",
    b"ship",
    b"truck",
]
CIFAR_FILES = [
    "data_batch_1",
    "data_batch_2",
    "data_batch_3",
    "data_batch_4",
    "data_batch_5",
    "test_batch",
]


def write_cifar(root, n=3):
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)
    for name in CIFAR_FILES:
        batch = {
            b"batch_label": name.encode(),
            b"labels": [int(v) for v in rng.integers(0, 10, n)],
            b"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8),
            b"filenames": [f"img_{i}.png".encode() for i in range(n)],
        }
        with open(os.path.join(folder, name), "wb") as f:
            f.write(py2_pickle(batch))
    meta = {b"label_names": CIFAR_NAMES, b"num_cases_per_batch": n, b"num_vis": 3072}
    with open(os.path.join(folder, "batches.meta"), "wb") as f:
        f.write(py2_pickle(meta))
    return folder


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def unchecked_cifar(monkeypatch, cls):
    """Checksums of the real files do not match tiny ones: check existence only."""
    monkeypatch.setattr(cls, "train_list", [[n, None] for n in CIFAR_FILES[:5]])
    monkeypatch.setattr(cls, "test_list", [["test_batch", None]])
    monkeypatch.setattr(
        cls, "meta", {"filename": "batches.meta", "key": "label_names", "md5": None}
    )


def assert_same_samples(eds, tds):
    assert len(eds) == len(tds)
    for i in range(len(tds)):
        (ei, et), (ti, tt) = eds[i], tds[i]
        assert type(et) is type(tt) and et == tt
        if isinstance(ti, torch.Tensor):
            np.testing.assert_array_equal(ei.numpy(), ti.numpy())
            assert str(ei.dtype).split(".")[-1] == str(ti.dtype).split(".")[-1]
        else:
            assert isinstance(ei, Image.Image) and (ei.mode, ei.size) == (ti.mode, ti.size)
            np.testing.assert_array_equal(np.asarray(ei), np.asarray(ti))


# -- MNIST -------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ["MNIST", "FashionMNIST"])
def test_mnist_reads_like_torchvision(tmp_path, cls):
    arrays = write_mnist(tmp_path, cls)
    E, Tv = getattr(datasets, cls), getattr(TD, cls)
    assert E.classes == Tv.classes and E.mirrors == Tv.mirrors and E.resources == Tv.resources
    for train in (True, False):
        eds, tds = E(str(tmp_path), train=train), Tv(str(tmp_path), train=train)
        assert_same_samples(eds, tds)
        np.testing.assert_array_equal(eds.data.numpy(), tds.data.numpy())
        np.testing.assert_array_equal(eds.targets.numpy(), tds.targets.numpy())
        assert (eds.data.dtype, eds.targets.dtype) == (ember.uint8, ember.int64)
        assert eds.class_to_idx == tds.class_to_idx
        assert eds.raw_folder == tds.raw_folder
        images, labels = arrays["train" if train else "t10k"]
        np.testing.assert_array_equal(eds.data.numpy(), images)
        np.testing.assert_array_equal(eds.targets.numpy(), labels)
        assert repr(eds) == repr(tds)
    # transforms: the same pipeline through each library
    eds = E(
        str(tmp_path),
        transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]),
        target_transform=lambda y: y + 100,
    )
    tds = Tv(
        str(tmp_path),
        transform=TT.Compose([TT.ToTensor(), TT.Normalize((0.1307,), (0.3081,))]),
        target_transform=lambda y: y + 100,
    )
    assert repr(eds).splitlines()[:-1] == repr(tds).splitlines()[:-1]  # the lambda's repr differs
    for i in range(len(tds)):
        (ex, ey), (tx, ty) = eds[i], tds[i]
        assert ey == ty >= 100
        np.testing.assert_allclose(ex.numpy(), tx.numpy(), rtol=1e-6, atol=1e-6)
    batch = next(iter(ember.utils.data.DataLoader(eds, batch_size=4)))
    assert tuple(batch[0].shape) == (4, 1, 28, 28) and batch[1].dtype == ember.int64


def test_mnist_gz_only_and_missing(tmp_path):
    arrays = write_mnist(tmp_path, plain=False, gz=True)
    gz = datasets.MNIST(str(tmp_path), train=False)  # torchvision needs the unpacked files
    np.testing.assert_array_equal(gz.data.numpy(), arrays["t10k"][0])
    np.testing.assert_array_equal(gz.targets.numpy(), arrays["t10k"][1])
    with pytest.raises(RuntimeError, match="Dataset not found"):
        datasets.MNIST(str(tmp_path / "nothing"))
    with pytest.raises(RuntimeError) as t_err:
        TD.MNIST(str(tmp_path / "nothing"))
    assert "Dataset not found" in str(t_err.value)


def test_mnist_without_pillow_gives_arrays(tmp_path, monkeypatch):
    arrays = write_mnist(tmp_path)
    import ember.vision.transforms.functional as F

    def no_pil():
        raise ImportError("no Pillow")

    monkeypatch.setattr(F, "_pil", no_pil)
    img, y = datasets.MNIST(str(tmp_path))[2]
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (28, 28)
    np.testing.assert_array_equal(img, arrays["train"][0][2])
    assert y == arrays["train"][1][2]


def test_idx_errors(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x08\x03" + b"\x00" * 12)
    with pytest.raises(RuntimeError, match="magic"):
        datasets.mnist.read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(idx_bytes(np.zeros((2, 3, 3)))[:-4])
    with pytest.raises(RuntimeError, match="truncated"):
        datasets.mnist.read_idx(short)


# -- CIFAR-10 ----------------------------------------------------------------------------------


def test_cifar10_reads_like_torchvision(tmp_path, monkeypatch):
    write_cifar(tmp_path)
    unchecked_cifar(monkeypatch, TD.CIFAR10)
    unchecked_cifar(monkeypatch, datasets.CIFAR10)
    for train in (True, False):
        eds = datasets.CIFAR10(str(tmp_path), train=train)
        tds = TD.CIFAR10(str(tmp_path), train=train)
        assert_same_samples(eds, tds)
        assert isinstance(eds.data, np.ndarray) and eds.data.shape == tds.data.shape
        np.testing.assert_array_equal(eds.data, tds.data)
        assert eds.targets == tds.targets and isinstance(eds.targets, list)
        assert eds.classes == tds.classes == [c.decode() for c in CIFAR_NAMES]
        assert eds.class_to_idx == tds.class_to_idx
        assert repr(eds) == repr(tds)
    eds = datasets.CIFAR10(str(tmp_path), train=False, transform=T.ToTensor())
    tds = TD.CIFAR10(str(tmp_path), train=False, transform=TT.ToTensor())
    assert_same_samples(eds, tds)
    assert repr(eds) == repr(tds)


def test_cifar10_checks_md5(tmp_path, monkeypatch):
    folder = write_cifar(tmp_path)
    for cls in (datasets.CIFAR10, TD.CIFAR10):  # the real checksums: tiny files are "corrupted"
        with pytest.raises(RuntimeError, match="not found or corrupted"):
            cls(str(tmp_path))
    sums = [[n, md5(os.path.join(folder, n))] for n in CIFAR_FILES]
    meta = {
        "filename": "batches.meta",
        "key": "label_names",
        "md5": md5(os.path.join(folder, "batches.meta")),
    }
    for cls in (datasets.CIFAR10, TD.CIFAR10):
        monkeypatch.setattr(cls, "train_list", sums[:5])
        monkeypatch.setattr(cls, "test_list", sums[5:])
        monkeypatch.setattr(cls, "meta", meta)
    assert len(datasets.CIFAR10(str(tmp_path))) == len(TD.CIFAR10(str(tmp_path))) == 15
    with open(os.path.join(folder, "batches.meta"), "ab") as f:
        f.write(b"x")
    for cls in (datasets.CIFAR10, TD.CIFAR10):
        with pytest.raises(RuntimeError, match="metadata file not found or corrupted"):
            cls(str(tmp_path))


def test_malicious_pickle_is_refused(tmp_path, monkeypatch):
    folder = write_cifar(tmp_path)
    marker = tmp_path / "pwned"
    # GLOBAL os.system, then call it: what pickle.load would run
    payload = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    for name in ["data_batch_1", "batches.meta"]:
        with open(os.path.join(folder, name), "wb") as f:
            f.write(payload)
        unchecked_cifar(monkeypatch, datasets.CIFAR10)
        with pytest.raises(pickle.UnpicklingError, match="os.system"):
            datasets.CIFAR10(str(tmp_path))
        assert not marker.exists()
        write_cifar(tmp_path)
    for evil in [
        b"cbuiltins\neval\n(S'1'\ntR.",
        b"c_codecs\nencode\n(S'x'\nS'rot13'\ntR.",
        b"cnumpy\nload\n(S'x'\ntR.",
    ]:
        with pytest.raises(pickle.UnpicklingError):
            _utils.NumpyUnpickler(io.BytesIO(evil)).load()
    # the same file as Python 3 writes it (bytes through _codecs.encode) loads
    arr = np.arange(6, dtype=np.uint8).reshape(2, 3)
    out = _utils.NumpyUnpickler(io.BytesIO(pickle.dumps({"a": arr, "b": b"xy"}, protocol=2))).load()
    np.testing.assert_array_equal(out["a"], arr)
    assert out["b"] == b"xy"


# -- downloads ---------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path):
    """An http server on 127.0.0.1 serving tmp_path/www; yields its base url."""
    www = tmp_path / "www"
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(www), **k)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield www, f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def closed_port_url():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"


def test_mnist_download(tmp_path, server, monkeypatch):
    www, url = server
    arrays = write_mnist(www / "src", plain=False, gz=True)
    raw = www / "src" / "MNIST" / "raw"
    for p in raw.iterdir():
        os.replace(p, www / p.name)
    resources = [(n, md5(www / n)) for n, _ in datasets.MNIST.resources]
    monkeypatch.setattr(datasets.MNIST, "resources", resources)
    # the first mirror is down: the second serves
    monkeypatch.setattr(datasets.MNIST, "mirrors", [closed_port_url(), url])
    root = tmp_path / "data"
    ds = datasets.MNIST(str(root), train=False, download=True)
    np.testing.assert_array_equal(ds.data.numpy(), arrays["t10k"][0])
    files = sorted(os.listdir(root / "MNIST" / "raw"))
    assert files == sorted([n for n, _ in resources] + [n[:-3] for n, _ in resources])
    # torchvision reads what ember downloaded
    tds = TD.MNIST(str(root), train=False)
    assert_same_samples(ds, tds)
    # already there: no network needed
    monkeypatch.setattr(datasets.MNIST, "mirrors", [closed_port_url()])
    assert len(datasets.MNIST(str(root), download=True)) == 7


def test_download_wrong_md5_and_unreachable(tmp_path, server, monkeypatch):
    www, url = server
    (www / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((1, 2, 2)))))
    resources = [("train-images-idx3-ubyte.gz", "0" * 32)] + datasets.MNIST.resources[1:]
    monkeypatch.setattr(datasets.MNIST, "resources", resources)
    monkeypatch.setattr(datasets.MNIST, "mirrors", [url])
    root = tmp_path / "data"
    with pytest.raises(RuntimeError, match="md5") as err:
        datasets.MNIST(str(root), download=True)
    assert "Error downloading train-images-idx3-ubyte.gz" in str(err.value)
    assert os.listdir(root / "MNIST" / "raw") == []  # nothing half-written is left
    monkeypatch.setattr(datasets.MNIST, "mirrors", [closed_port_url()])
    with pytest.raises(RuntimeError, match="could not download .*network"):
        datasets.MNIST(str(root), download=True)
    assert os.listdir(root / "MNIST" / "raw") == []
    with pytest.raises(RuntimeError, match="could not download"):
        _utils.download_url(closed_port_url() + "x.bin", tmp_path, md5=None)


def test_cifar10_download(tmp_path, server, monkeypatch):
    www, url = server
    folder = write_cifar(www / "src")
    with tarfile.open(www / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    assert datasets.CIFAR10.url == TD.CIFAR10.url and datasets.CIFAR10.tgz_md5 == TD.CIFAR10.tgz_md5
    sums = [[n, md5(os.path.join(folder, n))] for n in CIFAR_FILES]
    meta = {
        "filename": "batches.meta",
        "key": "label_names",
        "md5": md5(os.path.join(folder, "batches.meta")),
    }
    for cls in (datasets.CIFAR10, TD.CIFAR10):
        monkeypatch.setattr(cls, "train_list", sums[:5])
        monkeypatch.setattr(cls, "test_list", sums[5:])
        monkeypatch.setattr(cls, "meta", meta)
    monkeypatch.setattr(datasets.CIFAR10, "url", url + "cifar-10-python.tar.gz")
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", "f" * 32)
    root = tmp_path / "data"
    with pytest.raises(RuntimeError, match="md5"):
        datasets.CIFAR10(str(root), download=True)
    assert not (root / "cifar-10-python.tar.gz").exists()
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", md5(www / "cifar-10-python.tar.gz"))
    eds = datasets.CIFAR10(str(root), train=False, download=True)
    assert_same_samples(eds, TD.CIFAR10(str(root), train=False))
    # an archive with a member escaping the root is refused
    evil = www / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../escaped")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(Exception):  # noqa: B017  (tarfile's own filter error type)
        _utils.extract_tar(evil, tmp_path / "out")
    assert not (tmp_path / "escaped").exists()


# -- Digits ------------------------------------------------------------------------------------


def test_digits():
    train, test = datasets.Digits(), datasets.Digits(train=False)
    assert (len(train), len(test)) == (1437, 360)
    assert train.classes == [str(i) for i in range(10)]
    assert train.class_to_idx == {str(i): i for i in range(10)}
    img, y = test[0]
    assert isinstance(img, ember.Tensor) and tuple(img.shape) == (1, 8, 8)
    assert img.dtype == ember.float32 and isinstance(y, int)
    assert tuple(train.data.shape) == (1437, 8, 8) and train.targets.dtype == ember.int64
    both = np.concatenate([train.data.numpy(), test.data.numpy()])
    assert both.min() == 0.0 and both.max() == 1.0
    np.testing.assert_array_equal(both * 16, np.round(both * 16))  # k/16 exactly
    labels = np.concatenate([train.targets.numpy(), test.targets.numpy()])
    counts = np.bincount(labels, minlength=10)
    assert counts.sum() == 1797 and counts.min() >= 170 and counts.max() <= 190
    assert np.bincount(test.targets.numpy(), minlength=10).min() >= 20  # every class in test
    # the split: a permutation of the file's rows, first 1437 train
    with gzip.open(datasets.digits._BUNDLED, "rt") as f:
        table = np.array([[int(v) for v in line.split(",")] for line in f])
    perm = np.random.default_rng(0).permutation(1797)
    np.testing.assert_array_equal(train.data.numpy().reshape(-1, 64) * 16, table[perm[:1437], :64])
    np.testing.assert_array_equal(test.targets.numpy(), table[perm[1437:], 64])
    # transforms get the (1, 8, 8) tensor; a DataLoader batches it
    ds = datasets.Digits(
        transform=T.Compose([T.Normalize((0.5,), (0.5,)), T.Resize(16)]),
        target_transform=lambda t: -t,
    )
    x, y = ds[3]
    assert tuple(x.shape) == (1, 16, 16) and y == -int(train.targets[3])
    xb, yb = next(iter(ember.utils.data.DataLoader(datasets.Digits(), batch_size=32)))
    assert tuple(xb.shape) == (32, 1, 8, 8) and tuple(yb.shape) == (32,)


def test_digits_matches_scikit_learn():
    sk = pytest.importorskip("sklearn.datasets")
    bunch = sk.load_digits()
    perm = np.random.default_rng(0).permutation(1797)
    for train, idx in [(True, perm[:1437]), (False, perm[1437:])]:
        ds = datasets.Digits(train=train)
        np.testing.assert_array_equal(ds.data.numpy() * 16, bunch.images[idx])
        np.testing.assert_array_equal(ds.targets.numpy(), bunch.target[idx])


def test_digits_root(tmp_path):
    with pytest.raises(RuntimeError, match="not found"):
        datasets.Digits(root=str(tmp_path))
    rows = np.concatenate([rng.integers(0, 17, (20, 64)), np.arange(20)[:, None] % 10], axis=1)
    with gzip.open(tmp_path / "digits.csv.gz", "wt") as f:
        f.writelines(",".join(map(str, r)) + "\n" for r in rows)
    ds, dt = datasets.Digits(root=str(tmp_path)), datasets.Digits(root=str(tmp_path), train=False)
    assert len(ds) + len(dt) == 20 and len(dt) == 4
    assert repr(ds).splitlines()[2] == f"    Root location: {tmp_path}"
