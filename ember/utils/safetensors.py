"""The safetensors format in pure Python and NumPy: the names of ``safetensors.torch``.

A safetensors file is a u64 little-endian header length ``N``, ``N`` bytes of UTF-8 JSON
(``{name: {"dtype", "shape", "data_offsets": [begin, end)}, "__metadata__": {str: str}}``,
space-padded so the data starts 8-byte aligned), then the raw little-endian C-order bytes of
every tensor. Loading never runs code, and every header is checked as the Rust reader checks
it (``safetensors/src/tensor.rs``): header at most 100 MB, JSON object, string metadata, known
dtypes, offsets that tile the data exactly (no gap, overlap or trailing bytes) and
``prod(shape) * itemsize == end - begin``. Bad files raise :class:`SafetensorError` with the
Rust library's message. Writes go to a temporary file in the same folder, are fsynced, then
renamed over the target, so a crash never leaves half a file.

>>> from ember.utils.safetensors import save_file, load_file
>>> save_file({"w": ember.ones(2, 3)}, "model.safetensors", metadata={"format": "pt"})
>>> load_file("model.safetensors")["w"].shape
ember.Size([2, 3])
"""

from __future__ import annotations

import contextlib
import json
import math
import mmap
import os
import struct
import sys

import numpy as np

from .. import _dtype as D
from .._atomic import atomic_write
from .._device import canonical, to_numpy
from .._tensor import Tensor

__all__ = [
    "SafetensorError", "safe_open", "save", "save_file", "load", "load_file", "save_model",
    "load_model",
]  # fmt: skip

MAX_HEADER_SIZE = 100_000_000
_U64_MAX = 2**64 - 1

# safetensors' Dtype enum in declaration order: the writer lays tensors out by this order,
# descending, then by name, so the widest (best aligned) types come first.
_ORDER = (
    "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0",
    "F8_E4M3FNUZ", "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64",
    "F64", "I64", "U64",
)  # fmt: skip
_BITS = {"BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "I16": 16, "U16": 16,
         "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64,
         "U64": 64}  # fmt: skip
_BITS.update({k: 8 for k in _ORDER if k.startswith("F8")})
# ember dtype name <-> safetensors code, for the dtypes both have
_CODE = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "uint16": "U16",
         "float16": "F16", "bfloat16": "BF16", "int32": "I32", "uint32": "U32",
         "float32": "F32", "complex64": "C64", "float64": "F64", "int64": "I64",
         "uint64": "U64"}  # fmt: skip
_DTYPE = {code: getattr(D, "bool_" if name == "bool" else name) for name, code in _CODE.items()}
_SUPPORTED = ("bool, int8, uint8, int16, uint16, int32, uint32, int64, uint64, float16, "
              "float32, float64, bfloat16, complex64")  # fmt: skip


class SafetensorError(Exception):
    """A malformed safetensors file, a missing tensor or a bad slice (as safetensors raises)."""


# -- reading -----------------------------------------------------------------------------------


def _usize(v) -> bool:
    return type(v) is int and 0 <= v <= _U64_MAX


def _json_type(v) -> str:
    """How serde names a JSON value in its errors ("integer `-2`", "a sequence" ...)."""
    if isinstance(v, (list, dict)):
        return "sequence" if isinstance(v, list) else "map"
    kind = {bool: "boolean", int: "integer", float: "floating point", str: "string"}
    return f"{kind.get(type(v), 'null')} `{json.dumps(v)}`"


def _check_info(name: str, info) -> tuple:
    """One tensor entry of the header -> (code, shape, begin, end), checked as serde does."""
    if not isinstance(info, dict):
        raise ValueError(f"invalid type: {_json_type(info)}, expected struct TensorInfo")
    for field in ("dtype", "shape", "data_offsets"):
        if field not in info:
            raise ValueError(f"missing field `{field}` for tensor `{name}`")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if code not in _BITS:
        expected = ", ".join(f"`{c}`" for c in _ORDER)
        raise ValueError(f"unknown variant `{code}`, expected one of {expected}")
    for seq in (shape, offsets):
        if not isinstance(seq, list):
            raise ValueError(f"invalid type: {_json_type(seq)}, expected a sequence")
        for d in seq:
            if not _usize(d):
                raise ValueError(f"invalid value: {_json_type(d)}, expected usize")
    if len(offsets) != 2:
        raise ValueError(f"invalid length {len(offsets)}, expected 2 elements in sequence")
    return code, tuple(shape), offsets[0], offsets[1]


def _swap(a: np.ndarray) -> np.ndarray:
    """``a`` as raw unsigned ints with the byte order flipped per element (complex: per part);
    used on big-endian hosts, since the format is little-endian."""
    width = a.itemsize // 2 if a.dtype.kind == "c" else a.itemsize
    return a.view(f"=u{width}").byteswap() if width > 1 else a


def _parse_header(buf, prefix: str):
    """Validate a whole file held in ``buf`` (bytes-like); return (entries, metadata, start).

    ``entries`` maps each name to (code, shape, begin, end) in the order of the data; offsets
    are relative to ``start``, the first byte after the header.
    """

    def fail(msg):
        return SafetensorError(f"{prefix}: {msg}")

    total = len(buf)
    if total < 8:
        raise fail("header too small")
    (n,) = struct.unpack("<Q", bytes(buf[:8]))
    if n > MAX_HEADER_SIZE:
        raise fail("header too large")
    if n + 8 > total:
        raise fail("invalid header length")
    try:
        text = bytes(buf[8 : 8 + n]).decode("utf-8")
    except UnicodeDecodeError as e:
        raise fail(f"invalid UTF-8 in header: {e}") from None
    try:
        header = json.loads(text, parse_constant=_no_constant)
        if not isinstance(header, dict):
            raise ValueError(f"invalid type: {_json_type(header)}, expected struct HashMetadata")
        metadata = header.pop("__metadata__", None)
        if metadata is not None:
            if not isinstance(metadata, dict):
                raise ValueError(f"invalid type: {_json_type(metadata)}, expected a map")
            for k, v in metadata.items():
                if not isinstance(v, str):
                    raise ValueError(f"invalid type: {_json_type(v)}, expected a string "
                                     f"(metadata key `{k}`)")  # fmt: skip
        infos = {name: _check_info(name, info) for name, info in header.items()}
    except ValueError as e:  # json.JSONDecodeError is a ValueError too
        raise fail(f"invalid JSON in header: {e}") from None
    except RecursionError:
        raise fail("invalid JSON in header: recursion limit exceeded") from None
    # The data must be tiled exactly: sorted by offsets, each tensor starts where the last ended.
    ordered = dict(sorted(infos.items(), key=lambda kv: kv[1][2:]))
    end = 0
    for name, (code, shape, b, e) in ordered.items():
        if b != end or e < b:
            raise fail(f"invalid offset for tensor `{name}`")
        nbits = math.prod(shape) * _BITS[code]
        if nbits > _U64_MAX:
            raise fail("overflow computing buffer size from shape and/or element type")
        if nbits % 8:
            raise fail(f"misaligned slice for tensor `{name}`")
        if e - b != nbits // 8:
            raise fail(f"invalid shape, data type, or offset for tensor `{name}`")
        end = e
    if end + 8 + n != total:
        raise fail("incomplete metadata, file not fully covered")
    return ordered, metadata, 8 + n


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")  # Python's json would accept NaN, Infinity


def _np_dtype(code: str, name: str) -> np.dtype:
    if code not in _DTYPE:
        raise SafetensorError(f"tensor `{name}` has dtype {code}, which ember does not support "
                              f"(supported: {_SUPPORTED})")  # fmt: skip
    return D.to_numpy_dtype(_DTYPE[code])


def _array(buf, start: int, entry: tuple, name: str) -> np.ndarray:
    """A fresh, aligned, native-order array copied out of the file's bytes."""
    code, shape, b, e = entry
    npd = _np_dtype(code, name)
    if e == b:
        return np.empty(shape, npd)
    raw = np.frombuffer(buf, dtype=np.uint8, count=e - b, offset=start + b).copy()
    arr = raw.view(npd).reshape(shape)
    return _swap(arr).view(npd) if sys.byteorder == "big" else arr


_FRAMEWORKS = {"pt": "pt", "torch": "pt", "ember": "pt", "np": "np", "numpy": "np"}


def _to_framework(arr: np.ndarray, framework: str, device):
    if framework == "np":
        return arr
    t = Tensor._wrap(arr)
    return t if device is None else t.to(device)


def _device_arg(device):
    if isinstance(device, int):
        device = f"cuda:{device}"
    dev = canonical(device)
    return None if dev.type == "cpu" else dev


class _Slice:
    """What ``safe_open.get_slice`` returns: shape and dtype now, data when indexed."""

    def __init__(self, owner: safe_open, name: str):
        self._owner, self._name = owner, name
        self._entry = owner._entries[name]

    def get_shape(self) -> list:
        return list(self._entry[1])

    def get_dtype(self) -> str:
        return self._entry[0]

    def __getitem__(self, index):
        code, shape, b, e = self._entry
        owner = self._owner
        npd = _np_dtype(code, self._name)
        if e == b or sys.byteorder == "big":
            full = _array(owner._buf, owner._start, self._entry, self._name)
        else:  # index a view of the mapped file, copy only the part asked for
            full = np.frombuffer(owner._buf, npd, count=(e - b) // npd.itemsize,
                                 offset=owner._start + b).reshape(shape)  # fmt: skip
        if owner._framework == "pt":  # ember's indexing: torch's rules and errors
            part = Tensor._wrap(full)[index]._data
        else:  # the checks safetensors' NumPy slices make
            part = full[self._checked(index if isinstance(index, tuple) else (index,), shape)]
        out = np.array(part, copy=True, order="C")
        return _to_framework(out, owner._framework, owner._device)

    def _checked(self, index: tuple, shape: tuple) -> tuple:
        def fail(msg):
            text = ", ".join(_show(i) for i in index)
            return SafetensorError(f"Error during slicing [{text}] with shape {list(shape)}: {msg}")

        def bounds(i, d, n):
            return fail(f"index {i} out of bounds for tensor dimension #{d} of size {n}")

        dims = [i for i in index if i is not Ellipsis]
        if len(dims) > len(shape):
            raise fail("more slicing indexes than dimensions in tensor")
        pos = list(range(len(dims)))  # the dim each index applies to
        if Ellipsis in index:
            k = index.index(Ellipsis)
            pos = list(range(k)) + list(range(len(shape) - (len(dims) - k), len(shape)))
        for d, i in zip(pos, dims):
            n = shape[d]
            if isinstance(i, slice):
                if i.step is not None and i.step <= 0:
                    raise SafetensorError(f"Slice step must be a positive integer, got {i.step}")
                if i.start is not None and not -n <= i.start < n:
                    raise bounds(i.start, d, n)
                if i.stop is not None and not -n <= i.stop <= n:
                    raise bounds(i.stop - 1, d, n)
            elif isinstance(i, (int, np.integer)):
                if not -n <= i < n:
                    raise bounds(i, d, n)
            else:
                raise SafetensorError(f"Unsupported slice index at position {index.index(i)}: "
                                      "expected slice, int, or ellipsis")  # fmt: skip
        return index


def _show(i) -> str:
    if isinstance(i, slice):
        parts = ["" if v is None else str(v) for v in (i.start, i.stop)]
        return ":".join(parts) + (f":{i.step}" if i.step is not None else "")
    return "..." if i is Ellipsis else str(i)


class safe_open:
    """Open a safetensors file lazily (memory-mapped): read the names and metadata at once,
    tensors or slices of them on request. ``framework="pt"`` gives ember tensors,
    ``"numpy"`` NumPy arrays.

    >>> with safe_open("model.safetensors", framework="pt") as f:
    ...     w = f.get_tensor("w"); row = f.get_slice("w")[0]
    """

    def __init__(self, filename, framework: str, device="cpu"):
        if framework not in _FRAMEWORKS:
            raise SafetensorError(f"framework {framework} is invalid")
        self._framework = _FRAMEWORKS[framework]
        self._device = _device_arg(device)
        with open(os.fspath(filename), "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            self._buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        try:
            self._entries, self._metadata, self._start = _parse_header(
                self._buf, "Error while deserializing header"
            )
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> safe_open:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if isinstance(self._buf, mmap.mmap):
            with contextlib.suppress(BufferError):  # a slice view may still hold it
                self._buf.close()

    def keys(self) -> list:
        """The tensor names, sorted."""
        return sorted(self._entries)

    def offset_keys(self) -> list:
        """The tensor names in the order of their data in the file."""
        return list(self._entries)

    def metadata(self):
        """The ``__metadata__`` dict of the header (str -> str), or None."""
        return None if self._metadata is None else dict(self._metadata)

    def _entry(self, name: str):
        if name not in self._entries:
            raise SafetensorError(f"File does not contain tensor {name}")
        return self._entries[name]

    def get_tensor(self, name: str):
        arr = _array(self._buf, self._start, self._entry(name), name)
        return _to_framework(arr, self._framework, self._device)

    def get_slice(self, name: str) -> _Slice:
        self._entry(name)
        return _Slice(self, name)

    def get_tensors(self) -> dict:
        return {name: self.get_tensor(name) for name in self._entries}


def load_file(filename, device="cpu") -> dict:
    """Every tensor of a safetensors file, as ember tensors on ``device``.

    >>> load_file("model.safetensors")
    {'w': tensor([...])}
    """
    with safe_open(filename, framework="pt", device=device) as f:
        return f.get_tensors()


def load(data: bytes) -> dict:
    """Every tensor of a safetensors file held in memory, as CPU ember tensors.

    >>> load(save({"a": ember.zeros(2)}))
    {'a': tensor([0., 0.])}
    """
    buf = memoryview(data).cast("B") if not isinstance(data, bytes) else data
    entries, _, start = _parse_header(buf, "Error while deserializing")
    return {name: Tensor._wrap(_array(buf, start, e, name)) for name, e in entries.items()}


# -- writing -----------------------------------------------------------------------------------

_SHARED = """
            Some tensors share memory, this will lead to duplicate memory on disk and potential \
differences when loading them again: {}.
            A potential way to correctly save your model is to use `save_model`.
            More information at https://huggingface.co/docs/safetensors/torch_shared_tensors
            """


def _byte_range(a: np.ndarray) -> tuple:
    lo = a.__array_interface__["data"][0] if isinstance(a, np.ndarray) else int(a.data.ptr)
    if not a.size:
        return lo, lo
    hi = lo + sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s > 0) + a.itemsize
    return lo + sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s < 0), hi


def _shared_groups(tensors: dict) -> list:
    """Groups of names whose memory overlaps (non-empty tensors only), as safetensors finds."""
    areas = sorted((*_byte_range(t._data), k) for k, t in tensors.items() if t.numel())
    groups, last = [], None
    for lo, hi, name in areas:
        if last is not None and lo < last:
            groups[-1].add(name)
            last = max(last, hi)
        else:
            groups.append({name})
            last = hi
    return groups


def _check_tensors(tensors) -> None:
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, ember.Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(k, str):
            raise TypeError(f"tensor names must be str, got {type(k).__name__}: {k!r}")
        if k == "__metadata__":
            raise ValueError("`__metadata__` is reserved for the header and cannot name a tensor")
        if not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected ember.Tensor but received {type(v)}")
    failing = [g for g in _shared_groups(tensors) if len(g) > 1]
    if failing:
        raise RuntimeError(_SHARED.format(failing))
    for k, v in tensors.items():
        if not v.is_contiguous():
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{k}` which is not allowed. It "
                "either means you are trying to save tensors which are reference of each other in "
                "which case it's recommended to save only the full tensors, and reslice at load "
                "time, or simply call `.contiguous()` on your tensor to pack it before saving."
            )
        if v.dtype.name not in _CODE:
            raise SafetensorError(f'Unknown dtype "{v.dtype.name}" (tensor `{k}`). Supported '
                                  f"dtypes: {_SUPPORTED}")  # fmt: skip


def _check_metadata(metadata) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        raise TypeError(f"argument 'metadata': '{type(metadata).__name__}' object cannot be "
                        "converted to 'PyDict'")  # fmt: skip
    for k, v in metadata.items():
        for x in (k, v):
            if not isinstance(x, str):
                raise TypeError(f"argument 'metadata': '{type(x).__name__}' object is not an "
                                "instance of 'str'")  # fmt: skip


def _serialize(tensors: dict, metadata) -> tuple:
    """(header bytes with its length prefix, [little-endian arrays in file order])."""
    _check_tensors(tensors)
    _check_metadata(metadata)
    rank = {c: i for i, c in enumerate(_ORDER)}
    names = sorted(tensors, key=lambda k: (-rank[_CODE[tensors[k].dtype.name]], k))
    header = {"__metadata__": dict(metadata)} if metadata is not None else {}
    arrays, offset = [], 0
    for k in names:
        a = to_numpy(tensors[k]._data)
        if sys.byteorder == "big":
            a = _swap(a)
        header[k] = {"dtype": _CODE[tensors[k].dtype.name], "shape": list(a.shape),
                     "data_offsets": [offset, offset + a.nbytes]}  # fmt: skip
        arrays.append(a)
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data then starts 8-byte aligned
    return struct.pack("<Q", len(text)) + text, arrays


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors bytes of a dict of contiguous tensors (names -> tensors), with optional
    ``metadata`` (str -> str) in the header.

    >>> len(save({"a": ember.zeros(2)}))
    72
    """
    head, arrays = _serialize(tensors, metadata)
    return b"".join([head, *(a.tobytes() for a in arrays)])


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write a dict of contiguous tensors to ``filename`` in safetensors format, atomically.

    >>> save_file({"a": ember.zeros(2)}, "a.safetensors", metadata={"format": "pt"})
    """
    head, arrays = _serialize(tensors, metadata)
    with atomic_write(filename) as fh:
        fh.write(head)
        for a in arrays:
            fh.write(np.ascontiguousarray(a).reshape(-1).view(np.uint8).data)


# -- models with tied weights ------------------------------------------------------------------


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _is_complete(t: Tensor) -> bool:
    """Whether ``t`` covers all the memory of the array it is a view of."""
    a = t._data
    r = _root(a) if isinstance(a, np.ndarray) else a
    return _byte_range(a) == _byte_range(r) and a.nbytes == r.nbytes


def _duplicates(state_dict: dict, preferred=()) -> dict:
    """For each group of tensors sharing memory: the name kept -> the names dropped."""
    out = {}
    for group in _shared_groups(state_dict):
        if len(group) < 2:
            continue
        complete = sorted(k for k in group if _is_complete(state_dict[k]))
        if not complete:
            raise RuntimeError(
                "Error while trying to find names to remove to save state dict, but found no "
                f"suitable name to keep for saving amongst: {group}. None is covering the entire "
                "storage. Refusing to save/load the model since you could be storing much more "
                "memory than needed."
            )
        keep = next((k for k in complete if k in preferred), complete[0])
        out[keep] = sorted(group - {keep})
    return out


def save_model(model, filename, metadata: dict | None = None, force_contiguous: bool = True):
    """Save ``model.state_dict()`` with tied weights written once (the dropped names go to the
    metadata as ``dropped -> kept``), as ``safetensors.torch.save_model`` does.

    >>> save_model(nn.Linear(2, 2), "linear.safetensors")
    """
    state = model.state_dict()
    for keep, dropped in _duplicates(state).items():
        for name in dropped:
            metadata = {} if metadata is None else metadata
            metadata.setdefault(name, keep)
            del state[name]
    if force_contiguous:
        state = {k: v.contiguous() for k, v in state.items()}
    save_file(state, filename, metadata=metadata)


def load_model(model, filename, strict: bool = True, device="cpu") -> tuple:
    """Load a file written by :func:`save_model` into ``model``; returns (missing, unexpected)
    names, raising for either when ``strict``.

    >>> missing, unexpected = load_model(nn.Linear(2, 2), "linear.safetensors")
    """
    state = load_file(filename, device=device)
    dups = _duplicates(model.state_dict(), preferred=set(state))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = set(missing)
    unexpected = list(unexpected)
    for dropped in dups.values():
        for name in dropped:
            if name in missing:
                missing.remove(name)
            else:
                unexpected.append(name)
    if strict and (missing or unexpected):
        error = f"Error(s) in loading state_dict for {type(model).__name__}:"
        if missing:
            error += "\n    Missing key(s) in state_dict: " + ", ".join(
                f'"{k}"' for k in sorted(missing))  # fmt: skip
        if unexpected:
            error += "\n    Unexpected key(s) in state_dict: " + ", ".join(
                f'"{k}"' for k in sorted(unexpected))  # fmt: skip
        raise RuntimeError(error)
    return sorted(missing), unexpected
