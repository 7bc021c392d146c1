"""PyTorch's zip container, written and read without miniz.

The writer lays records out as ``caffe2/serialize/inline_container.cc`` does with miniz:
every record STORED (never compressed) under ``<archive>/``, its payload 64-byte aligned by an
``FB`` extra field of ``Z`` bytes, general-purpose flag bit 3 with a data descriptor after
each non-empty payload, ZIP64 fields where a size or offset reaches 4 GiB, and a ZIP64 end
record before the classic one. The reader is strict: it reads the central directory, refuses
compressed, duplicate, escaping or overlapping records and sizes beyond the file, and only
then hands out payloads (as bytes, as a fresh array, or as a view of a memory map).
"""

from __future__ import annotations

import os
import struct
import sys
import zlib

import numpy as np

ALIGNMENT = 64
# miniz switches an entry to ZIP64 fields at 0xFFFFFFFF; a module constant so tests can
# exercise the ZIP64 layout with small files
ZIP64_LIMIT = 0xFFFFFFFF
_U16_MAX = 0xFFFF

_LOCAL = struct.Struct("<IHHHHHIIIHH")  # local file header, 30 bytes
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # central directory header, 46 bytes
_EOCD = struct.Struct("<IHHHHIIH")  # end of central directory, 22 bytes
_EOCD64 = struct.Struct("<IQHHIIQQQQ")  # ZIP64 end of central directory, 56 bytes
_LOCATOR64 = struct.Struct("<IIQI")  # ZIP64 end of central directory locator, 20 bytes
_SIG_LOCAL, _SIG_CENTRAL, _SIG_EOCD = 0x04034B50, 0x02014B50, 0x06054B50
_SIG_EOCD64, _SIG_LOCATOR64, _SIG_DESCRIPTOR = 0x06064B50, 0x07064B50, 0x08074B50
_FLAG_DESCRIPTOR, _FLAG_UTF8 = 0x0008, 0x0800


def archive_name(path) -> str:
    """The folder torch puts records under for a file path: the base name without its last
    extension (``ckpt.v2.pt`` -> ``ckpt.v2``); ``archive`` for non-ASCII names."""
    name = os.fspath(path)
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        base.encode("ascii")
    except UnicodeEncodeError:
        return "archive"
    dot = base.rfind(".")
    stem = base if dot < 0 else base[:dot]
    if not stem:
        raise RuntimeError(f"invalid file name: {name}")
    return stem


def _hash_combine(seed: int, value: int) -> int:
    """c10::hash_combine on uint64 (boost's formula)."""
    m = (1 << 64) - 1
    return (seed ^ (value + 0x9E3779B9 + ((seed << 6) & m) + (seed >> 2))) & m


class ZipWriter:
    """Writes records to ``out`` (anything with ``write``) in torch's layout.

    >>> w = ZipWriter(io.BytesIO(), "archive"); w.write_record("data.pkl", b"..."); w.finish()
    """

    def __init__(self, out, name: str, alignment: int = ALIGNMENT, crc: bool = True):
        self.out, self.prefix, self.alignment, self.crc = out, name + "/", alignment, crc
        self.pos = 0
        self.entries = []  # (full name bytes, crc, size, local header offset)
        self.written: set = set()
        self.crc_hash = 0

    def _write(self, b) -> None:
        self.out.write(b)
        self.pos += len(b) if isinstance(b, bytes) else memoryview(b).nbytes

    def write_record(self, name: str, data) -> None:
        """Append one record; ``data`` is bytes, a str or a C-contiguous NumPy array."""
        if name in self.written:
            raise RuntimeError(f"Tried to serialize file twice: {name}")
        if isinstance(data, str):
            data = data.encode()
        if isinstance(data, np.ndarray):
            data = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        payload = memoryview(data).cast("B")
        size, offset = payload.nbytes, self.pos
        full = (self.prefix + name).encode("utf-8")
        crc = zlib.crc32(payload) if size and self.crc else 0
        big_size, big_off = size >= ZIP64_LIMIT, offset >= ZIP64_LIMIT
        z64 = b""
        if big_size or big_off:
            fields = (struct.pack("<QQ", size, size) if big_size else b"") + (
                struct.pack("<Q", offset) if big_off else b""
            )
            z64 = struct.pack("<HH", 0x0001, len(fields)) + fields
        start = offset + _LOCAL.size + len(full) + len(z64) + 4
        pad = -start % self.alignment
        extra = z64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        flags = _FLAG_UTF8 | (_FLAG_DESCRIPTOR if size else 0)
        self._write(_LOCAL.pack(_SIG_LOCAL, 0, flags, 0, 0, 0, 0, 0, 0, len(full), len(extra)))
        self._write(full + extra)
        if size:
            self._write(payload)
            if big_size or big_off:
                self._write(struct.pack("<IIQQ", _SIG_DESCRIPTOR, crc, size, size))
            else:
                self._write(struct.pack("<IIII", _SIG_DESCRIPTOR, crc, size, size))
            self.crc_hash = _hash_combine(self.crc_hash, crc)
        self.entries.append((full, crc, size, offset))
        self.written.add(name)

    def finish(self) -> None:
        """Write ``version``, ``.data/serialization_id`` and the central directory."""
        if "version" not in self.written and ".data/version" not in self.written:
            self.write_record("version", "3\n")
        if "byteorder" not in self.written:  # torch's writeEndOfFile adds it if missing
            self.write_record("byteorder", sys.byteorder)
        # torch's id is a hash of the record names (std::hash, which is implementation
        # defined) then the combined CRC of the payloads; the first half here uses CRC-32
        names = 0
        for n in sorted(self.written | {".data/serialization_id"}):
            names = _hash_combine(names, zlib.crc32(n.encode()))
        self.write_record(".data/serialization_id", f"{names:020d}{self.crc_hash:020d}")
        cd_start = self.pos
        for full, crc, size, offset in self.entries:
            fields = b""
            if size >= ZIP64_LIMIT:
                fields += struct.pack("<QQ", size, size)
            if offset >= ZIP64_LIMIT:
                fields += struct.pack("<Q", offset)
            extra = struct.pack("<HH", 0x0001, len(fields)) + fields if fields else b""
            s32 = 0xFFFFFFFF if size >= ZIP64_LIMIT else size
            o32 = 0xFFFFFFFF if offset >= ZIP64_LIMIT else offset
            flags = _FLAG_UTF8 | (_FLAG_DESCRIPTOR if size else 0)
            self._write(_CENTRAL.pack(_SIG_CENTRAL, 0, 0, flags, 0, 0, 0, crc, s32, s32,
                                      len(full), len(extra), 0, 0, 0, 0, o32))  # fmt: skip
            self._write(full + extra)
        cd_size, n = self.pos - cd_start, len(self.entries)
        eocd64 = self.pos
        self._write(_EOCD64.pack(_SIG_EOCD64, 44, 0x031E, 0x002D, 0, 0, n, n, cd_size, cd_start))
        self._write(_LOCATOR64.pack(_SIG_LOCATOR64, 0, eocd64, 1))
        self._write(_EOCD.pack(_SIG_EOCD, 0, 0, min(n, _U16_MAX), min(n, _U16_MAX),
                               min(cd_size, 0xFFFFFFFF), min(cd_start, 0xFFFFFFFF), 0))  # fmt: skip


class Record:
    __slots__ = ("name", "offset", "size", "crc")

    def __init__(self, name, offset, size, crc):
        self.name, self.offset, self.size, self.crc = name, offset, size, crc


def is_zip(f) -> bool:
    """Whether ``f`` (a seekable binary file) starts with a local file header, as torch's
    ``_is_zipfile`` checks."""
    start = f.tell()
    head = f.read(4)
    f.seek(start)
    return head == b"PK\x03\x04"


class ZipReader:
    """A checked view of a torch zip in a seekable binary file ``f``.

    ``records`` maps names (without the archive folder) to their payload offset and size.
    Raises RuntimeError for anything torch's writer would not produce and that could make a
    reader disagree with another (duplicates, compression, names outside the folder, sizes
    beyond the file).
    """

    def __init__(self, f):
        self.f = f
        self.base = f.tell()
        f.seek(0, os.SEEK_END)
        self.length = f.tell() - self.base
        self.records: dict[str, Record] = {}
        self._read_directory()

    def _fail(self, why: str):
        raise RuntimeError(f"PytorchStreamReader failed reading zip archive: {why}")

    def _read(self, offset: int, n: int) -> bytes:
        if offset < 0 or n < 0 or offset + n > self.length:
            self._fail(f"read of {n} bytes at offset {offset} is outside the file "
                       f"({self.length} bytes)")  # fmt: skip
        self.f.seek(self.base + offset)
        b = self.f.read(n)
        if len(b) != n:
            self._fail("truncated file")
        return b

    def _read_directory(self) -> None:
        tail_len = min(self.length, _EOCD.size + _U16_MAX)
        tail = self._read(self.length - tail_len, tail_len)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _EOCD.size:
            self._fail("failed finding central directory")
        eocd_pos = self.length - tail_len + at
        _, disk, cd_disk, n_disk, n, cd_size, cd_off, _ = _EOCD.unpack_from(tail, at)
        if disk or cd_disk or n_disk != n:
            self._fail("multi-disk archives are not supported")
        if eocd_pos >= _LOCATOR64.size:
            loc = self._read(eocd_pos - _LOCATOR64.size, _LOCATOR64.size)
            sig, _, eocd64_off, _ = _LOCATOR64.unpack(loc)
            if sig == _SIG_LOCATOR64:
                rec = self._read(eocd64_off, _EOCD64.size)
                sig, _, _, _, disk, cd_disk, n_disk, n64, size64, off64 = _EOCD64.unpack(rec)
                if sig != _SIG_EOCD64 or disk or cd_disk or n_disk != n64:
                    self._fail("bad ZIP64 end of central directory record")
                # the classic record must agree (or defer with its sentinel): two readers
                # must not see two different directories
                for classic, wide, top in ((n, n64, _U16_MAX), (cd_size, size64, 0xFFFFFFFF),
                                           (cd_off, off64, 0xFFFFFFFF)):  # fmt: skip
                    if classic != wide and classic != top:
                        self._fail("the ZIP64 and classic end records disagree")
                n, cd_size, cd_off = n64, size64, off64
        if cd_off + cd_size > eocd_pos or n * _CENTRAL.size > cd_size:
            self._fail(f"central directory ({n} entries, {cd_size} bytes at {cd_off}) does not "
                       f"fit before its end record at {eocd_pos}")  # fmt: skip
        cd = self._read(cd_off, cd_size)
        prefix = None
        spans = []
        p = 0
        for _ in range(n):
            if p + _CENTRAL.size > len(cd):
                self._fail("central directory is truncated")
            (sig, _, _, flags, method, _, _, crc, csize, usize, nlen, xlen, clen, _, _, _,
             hoff) = _CENTRAL.unpack_from(cd, p)  # fmt: skip
            if sig != _SIG_CENTRAL:
                self._fail("bad central directory entry")
            raw_name = cd[p + _CENTRAL.size : p + _CENTRAL.size + nlen]
            extra = cd[p + _CENTRAL.size + nlen : p + _CENTRAL.size + nlen + xlen]
            p += _CENTRAL.size + nlen + xlen + clen
            if p > len(cd):
                self._fail("central directory is truncated")
            usize, csize, hoff = _zip64_fields(extra, usize, csize, hoff, self._fail)
            try:
                name = raw_name.decode("utf-8")
            except UnicodeDecodeError:
                self._fail(f"record name {raw_name!r} is not UTF-8")
            if method != 0 or csize != usize:
                self._fail(f"record {name!r} is compressed (method {method}); torch.save "
                           "stores every record uncompressed")  # fmt: skip
            if flags & 0x1:
                self._fail(f"record {name!r} is encrypted")
            folder, sep, rel = name.partition("/")
            if prefix is None:
                prefix = folder
            if not sep or folder != prefix or not rel:
                self._fail(f"record {name!r} is outside the archive folder {prefix!r}/")
            parts = rel.split("/")
            if "\\" in rel or any(s in ("", ".", "..") for s in parts):
                self._fail(f"record name {name!r} is not a plain relative path")
            if rel in self.records:
                self._fail(f"duplicate record {name!r}")
            data_off = self._payload_offset(hoff, raw_name, name)
            if data_off + usize > cd_off:
                self._fail(f"record {name!r} of {usize} bytes at {data_off} runs past the "
                           "data area")  # fmt: skip
            self.records[rel] = Record(rel, data_off, usize, crc)
            spans.append((hoff, data_off + usize, name))
        spans.sort()
        for (_, end, a), (start, _, b) in zip(spans, spans[1:]):
            if start < end:
                self._fail(f"records {a!r} and {b!r} overlap")
        self.prefix = prefix

    def _payload_offset(self, hoff: int, raw_name: bytes, name: str) -> int:
        head = self._read(hoff, _LOCAL.size)
        sig, _, _, method, _, _, _, _, _, nlen, xlen = _LOCAL.unpack(head)
        if sig != _SIG_LOCAL or method != 0:
            self._fail(f"bad local header for record {name!r}")
        if self._read(hoff + _LOCAL.size, nlen) != raw_name:
            self._fail(f"local header name of record {name!r} differs from the directory's")
        return hoff + _LOCAL.size + nlen + xlen

    def has(self, name: str) -> bool:
        return name in self.records

    def names(self) -> list:
        return list(self.records)

    def read(self, name: str, check_crc: bool = True) -> bytes:
        """The payload of record ``name`` as bytes (CRC-checked unless its CRC is 0, which
        torch writes when CRC computation is off)."""
        r = self._get(name)
        b = self._read(r.offset, r.size)
        if check_crc and r.crc and zlib.crc32(b) != r.crc:
            self._fail(f"CRC-32 mismatch in record {r.name!r}")
        return b

    def read_array(self, name: str) -> np.ndarray:
        """The payload as a fresh writable uint8 array, read straight into it."""
        r = self._get(name)
        out = np.empty(r.size, np.uint8)
        if r.size:
            self.f.seek(self.base + r.offset)
            got = self.f.readinto(out) if hasattr(self.f, "readinto") else None
            if got is None:
                b = self.f.read(r.size)
                got = len(b)
                out[:got] = np.frombuffer(b, np.uint8)
            if got != r.size:
                self._fail(f"truncated record {r.name!r}")
            if r.crc and zlib.crc32(out) != r.crc:
                self._fail(f"CRC-32 mismatch in record {r.name!r}")
        return out

    def _get(self, name: str) -> Record:
        try:
            return self.records[name]
        except KeyError:
            self._fail(f"file not found: {self.prefix}/{name}")


def _zip64_fields(extra: bytes, usize: int, csize: int, hoff: int, fail):
    """Sizes and offset from a ZIP64 extra field, for those the fixed fields mark 0xFFFFFFFF."""
    p = 0
    while p + 4 <= len(extra):
        tag, ln = struct.unpack_from("<HH", extra, p)
        body = extra[p + 4 : p + 4 + ln]
        p += 4 + ln
        if tag != 0x0001:
            continue
        q = 0
        vals = []
        for cur in (usize, csize, hoff):
            if cur == 0xFFFFFFFF:
                if q + 8 > len(body):
                    fail("ZIP64 extra field is too short")
                vals.append(struct.unpack_from("<Q", body, q)[0])
                q += 8
            else:
                vals.append(cur)
        return tuple(vals)
    if 0xFFFFFFFF in (usize, csize, hoff):
        fail("ZIP64 sizes are missing their extra field")
    return usize, csize, hoff
