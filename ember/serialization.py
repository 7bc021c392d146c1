"""Checkpoints in PyTorch's format, both ways, safe by default (``torch.serialization``).

``ember.save`` writes torch's zip format (``torch.load(f, weights_only=True)`` reads it);
``ember.load`` reads files ``torch.save`` wrote (zip, big-endian, legacy non-zip), with a
restricted unpickler unless ``weights_only=False``.

>>> ember.save({"w": ember.ones(2)}, "ckpt.pt"); ember.load("ckpt.pt")
{'w': tensor([1., 1.])}
"""

from __future__ import annotations

import io
import os
import pickle
import sys
import warnings
from enum import Enum

# the safe-globals API is small; the format code loads on the first save/load
from ._atomic import atomic_write
from ._serialization._unpickler import (
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)

__all__ = [
    "save",
    "load",
    "add_safe_globals",
    "safe_globals",
    "get_safe_globals",
    "clear_safe_globals",
    "get_unsafe_globals_in_checkpoint",
    "DEFAULT_PROTOCOL",
    "LoadEndianness",
    "get_default_load_endianness",
    "set_default_load_endianness",
    "get_crc32_options",
    "set_crc32_options",
    "get_default_mmap_options",
    "set_default_mmap_options",
]

DEFAULT_PROTOCOL = 2
_UNSAFE_MESSAGE = (
    "Re-running `ember.load` with `weights_only` set to `False` will likely succeed, but it can "
    "result in arbitrary code execution. Do it only if you got the file from a trusted source."
)


# -- options (torch.utils.serialization.config's load/save settings) ---------------------------
class LoadEndianness(Enum):
    """Byte order assumed for checkpoints without a ``byteorder`` record."""

    NATIVE = 1
    LITTLE = 2
    BIG = 3


_options = {"endianness": None, "crc32": True, "mmap_shared": False}


def get_default_load_endianness():
    """The byte order assumed when a checkpoint has no ``byteorder`` record (None: little)."""
    return _options["endianness"]


def set_default_load_endianness(endianness) -> None:
    """Set the byte order assumed when a checkpoint has no ``byteorder`` record.

    >>> set_default_load_endianness(LoadEndianness.BIG); set_default_load_endianness(None)
    """
    if not isinstance(endianness, LoadEndianness) and endianness is not None:
        raise TypeError("Invalid argument type in function set_default_load_endianness")
    _options["endianness"] = endianness


def get_crc32_options() -> bool:
    """Whether ``save`` writes the CRC-32 of each record (default True)."""
    return _options["crc32"]


def set_crc32_options(compute_crc32: bool) -> None:
    """Whether ``save`` computes CRC-32s; without them stdlib ``zipfile`` refuses to read
    the records, but ``load`` (ember's and torch's) still does."""
    _options["crc32"] = bool(compute_crc32)


def get_default_mmap_options() -> int:
    """``mmap.MAP_PRIVATE`` (copy on write, the default) or ``mmap.MAP_SHARED``."""
    import mmap as _mmap

    return _mmap.MAP_SHARED if _options["mmap_shared"] else _mmap.MAP_PRIVATE


class set_default_mmap_options:
    """Set how ``load(..., mmap=True)`` maps files: ``mmap.MAP_PRIVATE`` (writes stay in
    memory) or ``mmap.MAP_SHARED`` (writes reach the file). A function or a context manager.

    >>> with set_default_mmap_options(mmap.MAP_SHARED):  # doctest: +SKIP
    ...     ember.load(path, mmap=True)
    """

    def __init__(self, flags: int) -> None:
        import mmap as _mmap

        if flags != _mmap.MAP_PRIVATE and flags != _mmap.MAP_SHARED:
            raise ValueError("Invalid argument in function set_default_mmap_options, expected "
                             f"mmap.MAP_PRIVATE or mmap.MAP_SHARED, but got {flags}")  # fmt: skip
        self.prev = _options["mmap_shared"]
        _options["mmap_shared"] = flags == _mmap.MAP_SHARED

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _options["mmap_shared"] = self.prev


# -- save ------------------------------------------------------------------------------------
def save(obj, f, pickle_module=pickle, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:  # fmt: skip
    """Save ``obj`` to ``f`` (a path or a binary file object) in PyTorch's zip format.

    Tensors sharing memory are written once and share it again when loaded. Writes to a path
    are atomic: the data goes to a temporary file in the same folder, which is flushed, synced
    and renamed over ``f``, so a crash mid-save leaves any previous file intact.

    >>> ember.save({"w": ember.ones(2)}, "ckpt.pt")  # torch.load("ckpt.pt") reads it
    """
    from ._serialization import _zipformat

    if pickle_module is not pickle:
        raise ValueError("ember.save writes with the standard pickle module only")
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        name = _zipformat.archive_name(path) if _use_new_zipfile_serialization else None
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise RuntimeError(f"Parent directory {folder} does not exist.")
        with atomic_write(path) as out:
            _save_to(obj, out, name, pickle_protocol, _use_new_zipfile_serialization,
                     _disable_byteorder_record)  # fmt: skip
        return
    write = getattr(f, "write", None)
    if not callable(write):
        msg = f"Buffer of {str(type(f)).strip('<>')} has no callable attribute 'write'"
        raise (AttributeError if write is None else TypeError)(msg)
    _save_to(obj, f, "archive", pickle_protocol, _use_new_zipfile_serialization,
             _disable_byteorder_record)  # fmt: skip
    if hasattr(f, "flush"):
        f.flush()


def _save_to(obj, out, name, protocol, zip_format, no_byteorder) -> None:
    from ._serialization import _legacy, _zipformat
    from ._serialization._save import pickle_with_storages

    if not zip_format:
        _legacy.save(obj, out, protocol)
        return
    data, refs = pickle_with_storages(obj, protocol)
    w = _zipformat.ZipWriter(out, name, crc=_options["crc32"])
    w.write_record("data.pkl", data)
    w.write_record(".format_version", "1")
    w.write_record(".storage_alignment", str(_zipformat.ALIGNMENT))
    if not no_byteorder:
        w.write_record("byteorder", sys.byteorder)
    for ref in refs:
        w.write_record(f"data/{ref.key}", ref.raw)
    w.finish()


# -- load ------------------------------------------------------------------------------------
def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None,
         mmap: bool | None = None, **pickle_load_args):  # fmt: skip
    """Load an object saved by ``torch.save`` or ``ember.save`` from a path or a binary file.

    ``weights_only=True`` (the default) reads only tensors, containers, numbers, strings and
    the globals marked safe with ``add_safe_globals``; nothing in the file can run code.
    ``weights_only=False`` unpickles everything (torch's names mapped to ember's) and can run
    code from the file: use it only for files you trust. ``map_location`` is a device, a
    string, a dict of location tags or a callable ``(storage, location) -> storage``.
    ``mmap=True`` maps the file instead of reading the tensors (no copy).

    >>> ember.load("ckpt.pt", map_location="cpu")
    {'w': tensor([1., 1.])}
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                               "specified")  # fmt: skip
        if pickle_load_args.keys() - {"encoding"}:
            warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    else:
        warnings.warn(
            "ember.load(weights_only=False) unpickles with the full pickle module: a malicious "
            "checkpoint can run arbitrary code. Load only files you trust.",
            UserWarning,
            stacklevel=2,
        )
        if pickle_module is None:
            pickle_module = pickle
    from ._serialization._rebuild import restorer

    pickle_load_args.setdefault("encoding", "utf-8")
    restore = restorer(map_location)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as opened:
            return _load_file(opened, os.fspath(f), restore, pickle_module, weights_only, mmap,
                              pickle_load_args)  # fmt: skip
    try:
        f.seek(f.tell())
    except (io.UnsupportedOperation, AttributeError) as e:
        raise type(e)(f"{e}. You can only ember.load from a file that is seekable. Please "
                      "pre-load the data into a buffer like io.BytesIO and try to load from it "
                      "instead.") from None  # fmt: skip
    return _load_file(f, None, restore, pickle_module, weights_only, mmap, pickle_load_args)


def _load_file(f, path, restore, pickle_module, weights_only, mmap, load_args):
    from ._serialization import _legacy, _zipformat

    if _zipformat.is_zip(f):
        reader = _zipformat.ZipReader(f)
        if reader.has("constants.pkl"):
            if weights_only:
                raise RuntimeError("Cannot use ``weights_only=True`` with TorchScript archives "
                                   f"passed to ``ember.load``. {_UNSAFE_MESSAGE}")  # fmt: skip
            raise RuntimeError("this is a TorchScript archive; ember.load reads torch.save "
                               "checkpoints only")  # fmt: skip
        mapped = None
        if mmap:
            if path is None:
                raise ValueError("f must be a file path in order to use the mmap argument")
            mapped = _map_file(f, path)
        return _wo_errors(weights_only, _load_zip, reader, restore, pickle_module,
                          weights_only, mapped, load_args)  # fmt: skip
    if mmap:
        name = "" if path is None else f"{path}, "
        raise RuntimeError(
            "mmap can only be used with files saved with "
            f"`torch.save({name}_use_new_zipfile_serialization=True), please "
            "torch.save your checkpoint with this option in order to use mmap."
        )
    if _legacy.is_tar(f):
        if weights_only:
            raise RuntimeError("Cannot use ``weights_only=True`` with files saved in the legacy "
                               f".tar format. {_UNSAFE_MESSAGE}")  # fmt: skip
        raise RuntimeError("ember does not read the legacy .tar format (PyTorch < 0.4)")
    start = f.tell()
    f.seek(0, os.SEEK_END)
    length = f.tell() - start
    f.seek(start)

    def unpickle(persistent_load):
        return _unpickle_one(f, persistent_load, pickle_module, weights_only, load_args)

    return _wo_errors(weights_only, _legacy.load, f, length, restore, unpickle,
                      weights_only=weights_only)  # fmt: skip


def _wo_errors(restricted, fn, *args, **kwargs):
    """Run a loader; under weights_only, say so in unpickling errors (as torch does)."""
    try:
        return fn(*args, **kwargs)
    except pickle.UnpicklingError as e:
        if not restricted:
            raise
        raise pickle.UnpicklingError(
            f"Weights only load failed. {_UNSAFE_MESSAGE}\nWeightsUnpickler error: {e}"
        ) from None


def _unpickle_one(f, persistent_load, pickle_module, weights_only, load_args):
    from ._serialization._unpickler import Unpickler

    if weights_only:
        enc = load_args.get("encoding", "utf-8")
        return Unpickler(f, persistent_load, encoding=enc).load()
    u = _full_unpickler(pickle_module)(f, **load_args)
    if persistent_load is not None:
        u.persistent_load = persistent_load
    return u.load()


def _full_unpickler(pickle_module):
    """``pickle_module.Unpickler`` that maps torch's names to ember's (weights_only=False)."""
    from ._serialization._rebuild import storage_type, torch_globals

    class TorchNamesUnpickler(pickle_module.Unpickler):
        def find_class(self, module, name):
            full = f"{module}.{name}"
            table = torch_globals()
            if full in table:
                return table[full]
            if module.startswith("torch") and "Storage" in name and storage_type(name):
                return storage_type(name)
            if module == "torch" or module.startswith("torch."):
                return _ember_twin(module, name)
            return super().find_class(module, name)

    return TorchNamesUnpickler


def _ember_twin(module: str, name: str):
    """``torch.nn.modules.linear.Linear`` -> ``ember.nn.modules.linear.Linear``: ember mirrors
    torch's module layout, so whole pickled modules load as ember's."""
    import importlib

    try:
        obj = importlib.import_module("ember" + module[len("torch") :])
        for part in name.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise pickle.UnpicklingError(f"{module}.{name} has no ember equivalent") from None
    return obj


def _map_file(f, path):
    import mmap as _mmap

    size = os.fstat(f.fileno()).st_size
    if size == 0:
        return None
    if _options["mmap_shared"]:  # writes through tensors reach the file, as MAP_SHARED
        with open(path, "r+b") as rw:
            return _mmap.mmap(rw.fileno(), 0, access=_mmap.ACCESS_WRITE)
    return _mmap.mmap(f.fileno(), 0, access=_mmap.ACCESS_COPY)


def _load_zip(reader, restore, pickle_module, weights_only, mapped, load_args):
    import numpy as np

    from ._device import CPU
    from ._serialization import _legacy
    from ._serialization._rebuild import LoadedStorage, StorageType, short_repr

    if reader.has("byteorder"):
        byteorder = reader.read("byteorder")
        if byteorder not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + byteorder.decode("utf-8", "replace"))
    else:  # no record: little endian unless set_default_load_endianness says otherwise
        fallback = _options["endianness"]
        byteorder = {None: b"little", LoadEndianness.LITTLE: b"little",
                     LoadEndianness.BIG: b"big"}.get(fallback, sys.byteorder.encode())  # fmt: skip
    swap = byteorder.decode() != sys.byteorder
    loaded: dict = {}

    def persistent_load(saved_id):
        if not isinstance(saved_id, tuple) or len(saved_id) != 5:
            raise pickle.UnpicklingError(f"bad storage id {short_repr(saved_id, 200)}")
        tag, stype, key, location, numel = saved_id
        tag = tag.decode("ascii") if isinstance(tag, bytes) else tag
        location = location.decode("ascii") if isinstance(location, bytes) else location
        if tag != "storage" or not isinstance(stype, StorageType):
            raise pickle.UnpicklingError(f"Unknown typename for persistent_load, expected "
                                         f"'storage' but got {short_repr(tag, 60)}")  # fmt: skip
        if type(key) is not str or type(numel) is not int or numel < 0:
            raise pickle.UnpicklingError(f"bad storage id {short_repr(saved_id, 200)}")
        stype.check()
        if not isinstance(location, str):
            raise pickle.UnpicklingError("storage location must be a string")
        if key in loaded:
            s = loaded[key]
            if s.dtype is not stype.dtype:
                raise RuntimeError(f"storage data/{key} is read as both {s.dtype} and "
                                   f"{stype.dtype}")  # fmt: skip
            return s
        name = f"data/{key}"
        if not reader.has(name):
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found")
        rec = reader.records[name]
        nbytes = numel * stype.dtype.itemsize
        if rec.size != nbytes:
            raise RuntimeError(
                f"storage {name} declares {numel} elements of {stype.dtype} "
                f"({nbytes} bytes) but its record holds {rec.size} bytes"
            )
        if mapped is not None and nbytes:
            raw = np.frombuffer(mapped, np.uint8, count=nbytes, offset=reader.base + rec.offset)
            if swap:
                raw = raw.copy()
        else:
            raw = reader.read_array(name)
        if swap:
            _legacy.byteswap(raw, stype.dtype)
        s = restore(LoadedStorage(raw, stype.dtype, CPU), location)
        loaded[key] = s
        return s

    data = io.BytesIO(reader.read("data.pkl"))
    obj = _unpickle_one(data, persistent_load, pickle_module, weights_only, load_args)
    if weights_only and data.read(1):
        raise pickle.UnpicklingError("data.pkl has bytes after its STOP opcode")
    return obj


def get_unsafe_globals_in_checkpoint(f) -> list:
    """The ``module.name`` of globals in a checkpoint that ``weights_only`` loading would refuse,
    read statically from its ``data.pkl`` (nothing is built).

    >>> get_unsafe_globals_in_checkpoint("ckpt.pt")
    []
    """
    from ._serialization import _zipformat
    from ._serialization._rebuild import torch_globals
    from ._serialization._unpickler import globals_in_pickle, user_globals

    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as opened:
            return get_unsafe_globals_in_checkpoint(opened)
    if not _zipformat.is_zip(f):
        raise ValueError("Expected input to be a checkpoint returned by torch.save")
    reader = _zipformat.ZipReader(f)
    if reader.has("constants.pkl"):
        raise ValueError("Expected input to be a checkpoint returned by torch.save but got a "
                         "torchscript checkpoint")  # fmt: skip
    found = globals_in_pickle(reader.read("data.pkl"))
    return list(found - set(torch_globals()) - set(user_globals()))
