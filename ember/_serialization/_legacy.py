"""PyTorch's legacy non-zip format (torch <= 1.5, or ``_use_new_zipfile_serialization=False``):
consecutive pickles (magic number, protocol version, sys_info, the object, the sorted storage
keys) followed by each storage as an int64 element count and its raw bytes. Storage persistent
ids are ``('storage', type, key, location, numel, view_metadata)``.

Every pickle in the file goes through the unpickler the caller chose, so ``weights_only``
holds on this path too (the lesson of CVE-2025-32434).
"""

from __future__ import annotations

import pickle
import struct
import sys

import numpy as np

from .._device import CPU
from ._rebuild import LoadedStorage, StorageType, short_repr

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


def is_tar(f) -> bool:
    """Whether ``f`` is a tar archive (torch's oldest format, refused)."""
    start = f.tell()
    f.seek(start + 257)
    magic = f.read(5)
    f.seek(start)
    return magic == b"ustar"


def load(f, length: int, restore, unpickle, *, weights_only: bool):
    """The object in legacy file ``f`` (positioned at its start; ``length`` bytes long).

    ``unpickle(persistent_load)`` reads one pickle from ``f`` at its position.
    """
    if unpickle(None) != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = unpickle(None)
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {short_repr(version, 50)}")
    sys_info = unpickle(None)
    little = not isinstance(sys_info, dict) or sys_info.get("little_endian", True)
    storages: dict = {}
    views: dict = {}
    declared = [0]  # bytes all storages declare: together they must fit in the file

    def persistent_load(saved_id):
        if not isinstance(saved_id, tuple) or not saved_id:
            raise pickle.UnpicklingError(f"bad persistent id {short_repr(saved_id, 100)}")
        tag = saved_id[0].decode("ascii") if isinstance(saved_id[0], bytes) else saved_id[0]
        if tag == "module" and not weights_only:
            return saved_id[1]  # a pickled nn.Module class (its source is not checked)
        if tag != "storage" or len(saved_id) != 6:
            raise pickle.UnpicklingError(f"Unknown saved id type: {short_repr(tag, 60)}")
        _, stype, key, location, numel, view = saved_id
        if not isinstance(stype, StorageType) or type(numel) is not int or numel < 0:
            raise pickle.UnpicklingError(f"bad storage id {short_repr(saved_id, 200)}")
        stype.check()
        location = location.decode("ascii") if isinstance(location, bytes) else location
        if not isinstance(location, str):
            raise pickle.UnpicklingError("storage location must be a string")
        # torch writes str keys; anything else would be hashed here (a tuple nested 10**5 deep
        # overflows the C stack in hash())
        if type(key) is not str:
            raise pickle.UnpicklingError(f"storage key must be a str, got {type(key).__name__}")
        nbytes = numel * stype.dtype.itemsize
        if key not in storages:
            declared[0] += nbytes
            if declared[0] > length:
                raise RuntimeError(f"storage {short_repr(key, 40)} declares {nbytes} bytes: the "
                                   f"storages declare more than the whole file ({length} "
                                   "bytes)")  # fmt: skip
            s = LoadedStorage(np.empty(nbytes, np.uint8), stype.dtype, CPU)
            moved = restore(s, location)
            if moved.device.type != "cpu":
                raise RuntimeError("legacy (non-zip) checkpoints load to the CPU only: pass "
                                   "map_location='cpu'")  # fmt: skip
            storages[key] = moved
        root = storages[key]
        if root.dtype is not stype.dtype:
            raise RuntimeError(f"storage {short_repr(key, 40)} is read as both {root.dtype} and "
                               f"{stype.dtype}")  # fmt: skip
        if view is None:
            return root
        if not isinstance(view, tuple) or len(view) != 3:
            raise pickle.UnpicklingError("bad storage view metadata")
        vkey, offset, vsize = view
        if type(vkey) is not str:
            raise pickle.UnpicklingError(f"storage view key must be a str, got "
                                         f"{type(vkey).__name__}")  # fmt: skip
        if vkey not in views:
            item = root.dtype.itemsize
            if (
                type(offset) is not int
                or type(vsize) is not int
                or offset < 0
                or vsize < 0
                or ((offset + vsize) * item > root.nbytes())
            ):
                raise RuntimeError(f"storage view {short_repr(view, 100)} is outside its storage")
            views[vkey] = LoadedStorage(root.array[offset * item : (offset + vsize) * item],
                                        root.dtype, root.device)  # fmt: skip
        return views[vkey]

    result = unpickle(persistent_load)
    keys = unpickle(None)
    if not isinstance(keys, list):
        raise pickle.UnpicklingError("legacy checkpoint: the storage key list is missing")
    order = "<" if little else ">"
    for key in keys:
        if type(key) is not str or key not in storages:
            raise RuntimeError(
                f"storage key {short_repr(key, 40)} not found in the checkpoint's object"
            )
        s = storages[key]
        head = f.read(8)
        if len(head) != 8:
            raise RuntimeError("legacy checkpoint is truncated (storage size)")
        (count,) = struct.unpack(order + "q", head)
        if count * s.dtype.itemsize != s.nbytes():
            raise RuntimeError(f"storage {short_repr(key, 40)} holds {count} elements in the "
                               f"file but its id declares {s.size()}")  # fmt: skip
        got = f.readinto(s.array) if hasattr(f, "readinto") else None
        if got is None:
            b = f.read(s.nbytes())
            got = len(b)
            s.array[:got] = np.frombuffer(b, np.uint8)
        if got != s.nbytes():
            raise RuntimeError(f"legacy checkpoint is truncated (storage {short_repr(key, 40)})")
        if little != (sys.byteorder == "little"):
            byteswap(s.array, s.dtype)
    return result


def byteswap(raw: np.ndarray, dtype) -> None:
    """Swap the bytes of each element of ``dtype`` in ``raw`` in place (each half of a
    complex number separately, as torch's ``storage.byteswap``)."""
    unit = dtype.itemsize // 2 if dtype.is_complex else dtype.itemsize
    if unit > 1:
        raw.view(f"u{unit}").byteswap(inplace=True)


def save(obj, f, protocol: int) -> None:
    """Write ``obj`` in the legacy format (``torch.save(..., _use_new_zipfile_serialization=
    False)``)."""
    from ._save import StorageTable, TorchName, TorchPickler

    class LegacyPickler(TorchPickler):
        def persistent_id(self, o):
            if type(o) is _Ref:
                return o.pid()
            return None

    class _Ref:
        __slots__ = ("ref",)

        def pid(self):
            r = self.ref
            return ("storage", TorchName("torch", r.type_name), r.key, r.location, r.numel,
                    None)  # fmt: skip

    table = StorageTable()
    wrapped: dict = {}
    orig_locate = table.locate

    def locate(t):
        ref, off, size, stride = orig_locate(t)
        if ref.type_name == "UntypedStorage":
            raise RuntimeError(f"the legacy format cannot hold {t.dtype} tensors; use the zip "
                               "format")  # fmt: skip
        w = wrapped.get(ref.key)
        if w is None:
            w = wrapped[ref.key] = _Ref()
            w.ref = ref
        return w, off, size, stride

    table.locate = locate
    sys_info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": 2, "int": 4, "long": 4}}  # fmt: skip
    for head in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info):
        pickle.dump(head, f, protocol=protocol)
    LegacyPickler(f, protocol, table).dump(obj)
    keys = sorted(r.key for r in table.refs)
    pickle.dump(keys, f, protocol=protocol)
    by_key = {r.key: r for r in table.refs}
    for k in keys:
        r = by_key[k]
        f.write(struct.pack("<q", r.raw.nbytes // r.dtype.itemsize))
        f.write(memoryview(np.ascontiguousarray(r.raw)))
