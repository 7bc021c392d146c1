"""Downloads with checksums, atomic writes, and a pickle reader that runs no code."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import shutil
import tarfile
import urllib.error
import urllib.request

import numpy as np

from ..._atomic import atomic_write

USER_AGENT = "ember/vision"


def calculate_md5(fpath, chunk_size: int = 1024 * 1024) -> str:
    """The hex md5 of a file (a checksum, not security).

    >>> calculate_md5(__file__)  # doctest: +SKIP
    'd41d8cd98f00b204e9800998ecf8427e'
    """
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_integrity(fpath, md5: str | None = None) -> bool:
    """``fpath`` is a file and, when ``md5`` is given, has that checksum."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or calculate_md5(fpath) == md5


def download_url(
    url: str, root, filename: str | None = None, md5: str | None = None, timeout: float = 60.0
) -> str:
    """Download ``url`` to ``root/filename`` unless a file with the right md5 is there.

    The bytes go to a temporary file, are checked against ``md5``, and only then renamed into
    place, so an interrupted or corrupted download never leaves a file that looks complete.
    Raises ``RuntimeError`` naming the url when the network is unreachable or the checksum
    differs.
    """
    root = os.path.expanduser(os.fspath(root))
    fpath = os.path.join(root, filename or os.path.basename(url))
    if check_integrity(fpath, md5):
        return fpath
    os.makedirs(root, exist_ok=True)
    digest = hashlib.md5(usedforsecurity=False)
    with atomic_write(fpath) as fh:  # renamed into place only if the block completes
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                while chunk := response.read(1 << 16):
                    fh.write(chunk)
                    digest.update(chunk)
        except (urllib.error.URLError, OSError) as e:
            raise RuntimeError(
                f"could not download {url}: {e} (is the network reachable? you can also "
                f"place the file at {fpath} yourself)"
            ) from e
        if md5 is not None and digest.hexdigest() != md5:
            raise RuntimeError(
                f"downloaded {url} has md5 {digest.hexdigest()}, expected {md5}: "
                "file not found or corrupted"
            )
    return fpath


def extract_gzip(src, dst) -> None:
    """Decompress ``src`` (.gz) to ``dst`` atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    with atomic_write(dst) as fh, gzip.open(src, "rb") as zf:
        shutil.copyfileobj(zf, fh)


def extract_tar(src, dst_dir) -> None:
    """Extract a tar archive into ``dst_dir``, refusing members that would land outside it
    (absolute paths, ``..``) or that are links or devices (tarfile's ``data`` filter)."""
    with tarfile.open(src, "r:*") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dst_dir, filter="data")
            return
        base = os.path.realpath(dst_dir)
        for m in tar.getmembers():
            target = os.path.realpath(os.path.join(base, m.name))
            if not (m.isfile() or m.isdir()) or os.path.commonpath([base, target]) != base:
                raise RuntimeError(f"refusing to extract {m.name!r} from {src}")
        tar.extractall(dst_dir)


# -- a pickle reader for NumPy arrays ----------------------------------------------------------


def _latin1_encode(s, encoding="latin1"):
    # Python 3 pickles of bytes at protocol 2 call _codecs.encode(str, 'latin1')
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return s.encode("latin1")


def _numpy_globals() -> dict:
    core = np._core if hasattr(np, "_core") else np.core
    reconstruct = core.multiarray._reconstruct
    scalar = core.multiarray.scalar
    allowed = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,
    }
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(mod, "_reconstruct")] = reconstruct
        allowed[(mod, "scalar")] = scalar
    return allowed


class NumpyUnpickler(pickle.Unpickler):
    """An unpickler for plain containers of NumPy arrays (the CIFAR batches): ``find_class``
    resolves only NumPy's array-rebuilding globals; any other global (``os.system`` ...)
    raises ``pickle.UnpicklingError`` before anything is called."""

    _allowed = None

    def find_class(self, module, name):
        if NumpyUnpickler._allowed is None:
            NumpyUnpickler._allowed = _numpy_globals()
        try:
            return NumpyUnpickler._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: only NumPy arrays are allowed in "
                "this file"
            ) from None


def safe_load(path, encoding: str = "latin1"):
    """Unpickle ``path`` with :class:`NumpyUnpickler` (``encoding`` for Python 2 strings)."""
    with open(path, "rb") as f:
        return NumpyUnpickler(io.BytesIO(f.read()), encoding=encoding).load()
