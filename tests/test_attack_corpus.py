"""Malicious and malformed checkpoints: ``ember.load`` (weights_only, the default) must refuse
every one with a clean ``pickle.UnpicklingError`` or ``RuntimeError``, run no code (each
payload tries to create a marker file), and stay within bounded time and memory. Where torch
refuses the same file under ``weights_only=True``, the exception class is compared.

The files are generated here from pickle opcodes and ``zipfile``; nothing is downloaded.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import tarfile
import time
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember import serialization  # noqa: E402

# -- pickle opcodes --------------------------------------------------------------------------
P2, P4 = b"\x80\x02", b"\x80\x04"
MARK, TUPLE, TUPLE1, REDUCE, STOP, BUILD = b"(", b"t", b"\x85", b"R", b".", b"b"
EMPTY_TUPLE, EMPTY_LIST, EMPTY_DICT = b")", b"]", b"}"
SETITEM, SETITEMS, APPEND, APPENDS = b"s", b"u", b"a", b"e"
BINPERSID, NEWFALSE, NONE = b"Q", b"\x89", b"N"
MEMO0, GET0 = b"q\x00", b"h\x00"  # BINPUT 0 / BINGET 0


def G(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()


def U(s: str) -> bytes:
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def INT(n: int) -> bytes:
    if -(2**31) <= n < 2**31:
        return b"J" + struct.pack("<i", n)
    return b"\x8a" + bytes([len(pickle.encode_long(n))]) + pickle.encode_long(n)


def TUP(*items: bytes) -> bytes:
    return MARK + b"".join(items) + TUPLE


def call(func: bytes, *args: bytes) -> bytes:
    return func + TUP(*args) + REDUCE


def tensor_args(stype="FloatStorage", key="0", numel=4, offset=0, size=(4,), stride=(1,),
                loc="cpu", module="torch", raw_size=None, metadata=b"") -> bytes:  # fmt: skip
    """The argument tuple torch writes for ``_rebuild_tensor_v2``, fields replaceable
    (``raw_size``: opcodes for the size argument; ``metadata``: opcodes of a 7th argument)."""
    pid = TUP(U("storage"), G(module, stype), U(key), U(loc), INT(numel)) + BINPERSID
    size_ops = TUP(*map(INT, size)) if raw_size is None else raw_size
    return TUP(pid, INT(offset), size_ops, TUP(*map(INT, stride)), NEWFALSE,
               call(G("collections", "OrderedDict")), metadata)  # fmt: skip


def tensor(**kw) -> bytes:
    """The opcodes torch writes for one tensor."""
    return G("torch._utils", "_rebuild_tensor_v2") + tensor_args(**kw) + REDUCE


def archive(pkl: bytes, records=None, *, prefix="archive", extra=(), compress=False) -> bytes:
    """A torch-shaped zip (stdlib zipfile) holding ``pkl`` as data.pkl."""
    out = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are on purpose
        with zipfile.ZipFile(out, "w", method) as z:
            z.writestr(f"{prefix}/data.pkl", pkl)
            z.writestr(f"{prefix}/.format_version", "1")
            z.writestr(f"{prefix}/byteorder", "little")
            for name, data in (records if records is not None else {"data/0": bytes(16)}).items():
                z.writestr(f"{prefix}/{name}", data)
            z.writestr(f"{prefix}/version", "3\n")
            for name, data in extra:
                z.writestr(name, data)
    return out.getvalue()


class Evil:
    """Pickles as a call that creates the marker file (what an attacker ships)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def legacy(*pickles: bytes, tail: bytes = b"") -> bytes:
    """A legacy (non-zip) torch file: consecutive pickles then raw storage data."""
    return b"".join(pickles) + tail


MAGIC = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
VERSION = pickle.dumps(1001, protocol=2)
SYS_INFO = pickle.dumps({"protocol_version": 1001, "little_endian": True,
                         "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)  # fmt: skip


def _patch(raw: bytes, at: int, fmt: str, value) -> bytes:
    b = bytearray(raw)
    struct.pack_into(fmt, b, at, value)
    return bytes(b)


def _good() -> bytes:
    b = io.BytesIO()
    torch.save({"w": torch.arange(16.0)}, b)
    return b.getvalue()


def _cd_entry(raw: bytes, suffix: bytes) -> int:
    """Offset of the central directory entry whose name ends with ``suffix``."""
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        nlen = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46 : at + 46 + nlen].endswith(suffix):
            return at
        at = raw.find(b"PK\x01\x02", at + 4)
    raise AssertionError(suffix)


# -- the corpus ------------------------------------------------------------------------------
# name -> (builder(marker) -> file bytes, torch parity): "same" = torch raises the same class,
# "raises" = torch refuses too (another class or layer), None = torch is not run on it
def _corpus():
    c = {}
    cmd = lambda m: U(f"touch {m}")  # noqa: E731
    code = lambda m: U(f"open({str(m)!r}, 'w').close()")  # noqa: E731

    def add(name, parity="same"):
        def deco(fn):
            c[name] = (fn, parity)
            return fn

        return deco

    # code execution through globals
    add("os_system")(lambda m: archive(P2 + call(G("os", "system"), cmd(m)) + STOP))
    add("posix_system")(lambda m: archive(P2 + call(G("posix", "system"), cmd(m)) + STOP))
    add("builtins_eval")(lambda m: archive(P2 + call(G("builtins", "eval"), code(m)) + STOP))
    add("builtins_exec")(lambda m: archive(P2 + call(G("builtins", "exec"), code(m)) + STOP))
    add("py2_builtin_eval")(lambda m: archive(P2 + call(G("__builtin__", "eval"), code(m)) + STOP))
    add("subprocess_popen")(lambda m: archive(
        P2 + call(G("subprocess", "Popen"), EMPTY_LIST + MARK + U("touch") + U(str(m)) + APPENDS)
        + STOP))  # fmt: skip
    add("getattr_import")(lambda m: archive(P2 + call(
        G("builtins", "getattr"), call(G("builtins", "__import__"), U("os")), U("system"))
        + TUP(cmd(m)) + REDUCE + STOP))  # fmt: skip
    add("pickle_pickler_pickled")(lambda m: archive(pickle.dumps(Evil(m), protocol=2)))
    # opcodes the restricted unpickler does not implement
    add("stack_global")(lambda m: archive(P4 + U("os") + U("system") + b"\x93" + TUP(cmd(m))
                                          + REDUCE + STOP))  # fmt: skip
    add("inst")(lambda m: archive(P2 + MARK + cmd(m) + b"ios\nsystem\n" + STOP))
    add("obj")(lambda m: archive(P2 + MARK + G("os", "system") + cmd(m) + b"o" + STOP))
    add("obj_allowed_class")(lambda m: archive(P2 + MARK + G("collections", "OrderedDict")
                                               + b"o" + STOP))  # fmt: skip
    add("newobj_ex")(lambda m: archive(P2 + G("collections", "OrderedDict") + EMPTY_TUPLE
                                       + EMPTY_DICT + b"\x92" + STOP))  # fmt: skip
    add("ext1_copyreg")(lambda m: archive(P2 + b"\x82\x01" + TUP(cmd(m)) + REDUCE + STOP))
    add("binbytes_protocol3")(lambda m: archive(b"\x80\x03C\x03abc" + STOP))
    # BUILD gadgets: __setstate__ planted through state, or through slot state
    add("build_setstate_global")(lambda m: archive(
        P2 + call(G("collections", "OrderedDict")) + TUP(NONE, EMPTY_DICT + U("__setstate__")
        + G("builtins", "eval") + SETITEM) + BUILD + code(m) + BUILD + STOP))  # fmt: skip
    add("build_slotstate_tuple", "raises")(lambda m: archive(
        P2 + call(G("collections", "OrderedDict")) + TUP(NONE, EMPTY_DICT + U("__setstate__")
        + G("builtins", "complex") + SETITEM) + BUILD + code(m) + BUILD + STOP))  # fmt: skip
    add("build_tensor_internals", None)(lambda m: archive(P2 + call(
        G("torch._tensor", "_rebuild_from_type_v2"), G("torch._utils", "_rebuild_tensor_v2"),
        G("torch", "Tensor"), tensor_args(), EMPTY_DICT + U("_data") + U("not an array")
        + SETITEM) + STOP))  # fmt: skip
    # nested loaders
    inner = lambda m: pickle.dumps(Evil(m), protocol=2).decode("latin1")  # noqa: E731
    add("nested_pickle_loads")(lambda m: archive(P2 + call(G("pickle", "loads"), call(
        G("_codecs", "encode"), U(inner(m)), U("latin1"))) + STOP))  # fmt: skip
    add("nested_torch_load_from_bytes")(lambda m: archive(P2 + call(
        G("torch.storage", "_load_from_bytes"), call(G("_codecs", "encode"), U(inner(m)),
        U("latin1"))) + STOP))  # fmt: skip
    add("numpy_reconstruct_object")(
        lambda m: archive(pickle.dumps(np.array([Evil(m)], dtype=object), protocol=2))
    )
    add("functools_partial")(
        lambda m: archive(
            P2
            + call(G("functools", "partial"), G("os", "system"), cmd(m))
            + EMPTY_TUPLE
            + REDUCE
            + STOP
        )
    )
    add("operator_attrgetter")(lambda m: archive(P2 + call(G("operator", "attrgetter"),
                                                           U("system")) + STOP))  # fmt: skip
    add("allowlisted_os_still_blocked")(lambda m: archive(P2 + call(G("os", "system"), cmd(m))
                                                          + STOP))  # fmt: skip
    # container opcodes on the wrong objects (CVE-2026-24747's SETITEM on non-dicts)
    add("setitem_on_list")(lambda m: archive(P2 + EMPTY_LIST + U("k") + U("v") + SETITEM + STOP))
    add("setitem_on_tuple")(lambda m: archive(P2 + EMPTY_TUPLE + U("k") + U("v") + SETITEM
                                              + STOP))  # fmt: skip
    add("setitems_on_tensor")(lambda m: archive(P2 + tensor() + MARK + U("k") + U("v") + SETITEMS
                                                + STOP))  # fmt: skip
    add("append_on_dict")(lambda m: archive(P2 + EMPTY_DICT + U("x") + APPEND + STOP))
    add("appends_on_tensor")(lambda m: archive(P2 + tensor() + MARK + U("x") + APPENDS + STOP))
    # persistent ids
    add("persid_module")(lambda m: archive(P2 + TUP(U("module"), G("collections",
                                                    "OrderedDict"), NONE, NONE)
                                           + BINPERSID + STOP))  # fmt: skip
    add("persid_int", "raises")(lambda m: archive(P2 + INT(0) + BINPERSID + STOP))
    add("persid_string")(lambda m: archive(P2 + U("storage") + BINPERSID + STOP))
    # storages and views that do not fit
    add("numel_beyond_record")(lambda m: archive(P2 + tensor(numel=1000) + STOP))
    add("negative_stride")(lambda m: archive(P2 + tensor(offset=3, stride=(-1,))
                                                       + STOP))  # fmt: skip
    add("extent_beyond_storage")(lambda m: archive(P2 + tensor(offset=2, size=(4,))
                                                             + STOP))  # fmt: skip
    add("negative_size")(lambda m: archive(P2 + tensor(size=(-4,)) + STOP))
    add("negative_offset")(lambda m: archive(P2 + tensor(offset=-8) + STOP))
    add("huge_size")(lambda m: archive(P2 + tensor(size=(2**62,), stride=(1,))
                                                 + STOP))  # fmt: skip
    add("size_stride_mismatch")(lambda m: archive(P2 + tensor(size=(2, 2), stride=(1,))
                                                            + STOP))  # fmt: skip
    add("one_key_two_dtypes", None)(lambda m: archive(P2 + TUP(
        tensor(), tensor(stype="LongStorage", numel=2, size=(2,))) + STOP))  # fmt: skip
    add("missing_record")(lambda m: archive(P2 + tensor(key="7") + STOP))
    add("cuda_location_no_cuda", "same")(lambda m: archive(P2 + tensor(loc="cuda:0") + STOP))
    add("unknown_location")(lambda m: archive(P2 + tensor(loc="evil") + STOP))
    add("torch_only_dtype_storage")(lambda m: archive(P2 + tensor(stype="QInt8Storage") + STOP))
    # malformed pickles
    add("truncated_pickle", "raises")(lambda m: archive(P2 + tensor()[:40]))
    add("no_stop", "raises")(lambda m: archive(P2 + EMPTY_DICT))
    add("huge_binunicode_length", "raises")(
        lambda m: archive(P2 + b"X" + struct.pack("<I", 0xFFFFFFF0) + b"abc" + STOP)
    )
    add("memo_miss", "raises")(lambda m: archive(P2 + b"h\xc8" + STOP))
    add("deep_marks", "raises")(lambda m: archive(P2 + MARK * 20_000 + STOP))
    add("stop_on_empty_stack", "raises")(lambda m: archive(P2 + STOP))
    add("bytearray_huge", None)(lambda m: archive(P2 + call(G("builtins", "bytearray"),
                                                            INT(10**12)) + STOP))  # fmt: skip
    add("codecs_zlib", None)(lambda m: archive(P2 + call(G("_codecs", "encode"), U("abc"),
                                                         U("zlib")) + STOP))  # fmt: skip
    add("junk_after_stop", None)(
        lambda m: archive(P2 + EMPTY_DICT + STOP + pickle.dumps(Evil(m), protocol=2))
    )
    # the zip container
    add("duplicate_names", None)(
        lambda m: archive(
            P2 + EMPTY_DICT + STOP, extra=[("archive/data.pkl", pickle.dumps(Evil(m), protocol=2))]
        )
    )
    add("dotdot_name", None)(lambda m: archive(P2 + EMPTY_DICT + STOP,
                                               extra=[("archive/../evil.pkl", b"x")]))  # fmt: skip
    add("outside_prefix", None)(lambda m: archive(P2 + EMPTY_DICT + STOP,
                                                  extra=[("other/data.pkl", b"x")]))  # fmt: skip
    add("deflated_bomb", "raises")(lambda m: archive(bytes(20_000_000), compress=True))
    add("deflated_records", None)(lambda m: archive(P2 + EMPTY_DICT + STOP, compress=True))
    add("no_data_pkl")(
        lambda m: archive(P2 + STOP, prefix="archive").replace(
            b"archive/data.pkl", b"archive/data.pkx"
        )
    )
    add("truncated_file")(lambda m: _good()[: len(_good()) // 2])
    add("bad_crc", None)(
        lambda m: _good().replace(
            np.arange(16.0, dtype=np.float32).tobytes(), np.ones(16, np.float32).tobytes()
        )
    )
    add("record_size_beyond_file")(lambda m: _patch(
        _patch(_good(), _cd_entry(_good(), b"data/0") + 20, "<I", 2**31), _cd_entry(
            _good(), b"data/0") + 24, "<I", 2**31))  # fmt: skip
    add("central_directory_huge", None)(lambda m: _patch(_good(), len(_good()) - 22 + 12,
                                                             "<I", 0xFFFFFFF0))  # fmt: skip
    add("zip64_eocd_huge_entries")(
        lambda m: _patch(_good(), _good().rfind(b"PK\x06\x06") + 32, "<Q", 2**60)
    )
    add("torchscript_archive", "same")(
        lambda m: archive(
            pickle.dumps(Evil(m), protocol=2), {"constants.pkl": pickle.dumps((), protocol=2)}
        )
    )
    # every format branch enforces weights_only (CVE-2025-32434)
    add("legacy_object_exec")(lambda m: legacy(MAGIC, VERSION, SYS_INFO,
                                               pickle.dumps(Evil(m), protocol=2)))  # fmt: skip
    add("legacy_magic_exec")(lambda m: legacy(pickle.dumps(Evil(m), protocol=2), VERSION))
    add("legacy_module_persid")(
        lambda m: legacy(
            MAGIC,
            VERSION,
            SYS_INFO,
            P2 + TUP(U("module"), G("collections", "OrderedDict"), NONE, NONE) + BINPERSID + STOP,
        )
    )
    add("legacy_huge_storage")(
        lambda m: legacy(
            MAGIC,
            VERSION,
            SYS_INFO,
            P2
            + TUP(U("storage"), G("torch", "FloatStorage"), U("1"), U("cpu"), INT(2**40), NONE)
            + BINPERSID
            + STOP,
            pickle.dumps(["1"], protocol=2),
            tail=struct.pack("<q", 2**40),
        )
    )
    add("legacy_count_mismatch")(lambda m: legacy(MAGIC, VERSION, SYS_INFO, P2 + TUP(
        U("storage"), G("torch", "FloatStorage"), U("1"), U("cpu"), INT(4), NONE)
        + BINPERSID + STOP, pickle.dumps(["1"], protocol=2),
        tail=struct.pack("<q", 1000) + bytes(16)))  # fmt: skip
    add("legacy_tar", "same")(lambda m: _tar(m))
    add("empty_file", "raises")(lambda m: b"")
    add("random_bytes")(lambda m: bytes(range(256)) * 4)
    # hashing: hash() of a tuple recurses in C with no depth check (10**5 levels segfault) and
    # no memo (t = (t, t) shared 40 levels deep is 2**40 steps); torch is not run on these
    deep = NONE + TUPLE1 * 100_000
    add("deep_tuple_dict_key", None)(lambda m: archive(P2 + EMPTY_DICT + deep + NONE + SETITEM
                                                       + STOP))  # fmt: skip
    add("deep_tuple_set_item", None)(lambda m: archive(
        P2 + call(G("builtins", "set"), EMPTY_LIST + deep + APPEND) + STOP))  # fmt: skip
    add("deep_tuple_ordereddict_pair", None)(lambda m: archive(P2 + call(
        G("collections", "OrderedDict"), EMPTY_LIST + TUP(deep, NONE) + APPEND)
        + STOP))  # fmt: skip
    shared = lambda first: first + (MEMO0 + GET0 + b"\x86") * 40  # noqa: E731
    add("shared_tuple_dict_key", None)(lambda m: archive(P2 + EMPTY_DICT + shared(NONE) + NONE
                                                         + SETITEM + STOP))  # fmt: skip
    add("shared_list_in_error_message", None)(lambda m: archive(
        P2 + tensor(raw_size=shared(EMPTY_LIST), stride=(1,)) + STOP))  # fmt: skip
    add("legacy_tuple_storage_key", None)(lambda m: legacy(MAGIC, VERSION, SYS_INFO, P2 + TUP(
        U("storage"), G("torch", "FloatStorage"), deep, U("cpu"), INT(1), NONE) + BINPERSID
        + STOP))  # fmt: skip
    # amplification: a few bytes that make the loader allocate or walk a lot
    add("legacy_storages_declare_more_than_file", None)(lambda m: legacy(
        MAGIC, VERSION, SYS_INFO, P2 + EMPTY_LIST + MARK + b"".join(
            TUP(U("storage"), G("torch", "DoubleStorage"), U(str(i)), U("cpu"), INT(10_000),
                NONE) + BINPERSID for i in range(2000)) + APPENDS + STOP,
        pickle.dumps([str(i) for i in range(2000)], protocol=2)))  # fmt: skip
    many = lambda n: MARK + b"".join(INT(i) for i in range(n)) + APPENDS  # noqa: E731
    add("memo_reuse_set_copies", None)(lambda m: archive(
        P2 + EMPTY_LIST + EMPTY_LIST + many(20_000) + b"q\x01" + APPEND + G("builtins", "set")
        + b"q\x02" + APPEND + (b"h\x02h\x01" + TUPLE1 + REDUCE + APPEND) * 500 + STOP))  # fmt: skip
    add("memo_reuse_codecs_encode", None)(lambda m: archive(
        P2 + EMPTY_LIST + U("a" * 200_000) + b"q\x01" + APPEND + G("_codecs", "encode")
        + b"q\x02" + APPEND + (b"h\x02h\x01" + U("latin1") + b"\x86" + REDUCE + APPEND)
        * 3000 + STOP))  # fmt: skip
    add("memo_reuse_build_state", None)(lambda m: archive(
        P2 + EMPTY_LIST + EMPTY_DICT + MARK + b"".join(U(f"k{i}") + NONE for i in range(20_000))
        + SETITEMS + b"q\x01" + APPEND + (call(G("collections", "OrderedDict")) + b"h\x01"
        + BUILD + APPEND) * 500 + STOP))  # fmt: skip
    add("set_of_zero_stride_view", None)(lambda m: archive(P2 + call(G("builtins", "set"),
        tensor(size=(2**30,), stride=(0,))) + STOP))  # fmt: skip
    # state that would replace behaviour: Tensor.numpy, OrderedDict.items
    add("tensor_state_shadows_method", None)(lambda m: archive(P2 + call(
        G("torch._tensor", "_rebuild_from_type_v2"), G("torch._utils", "_rebuild_tensor_v2"),
        G("torch", "Tensor"), tensor_args(), EMPTY_DICT + U("numpy") + G("builtins", "set")
        + SETITEM) + STOP))  # fmt: skip
    add("ordereddict_build_shadows_items", None)(lambda m: archive(
        P2 + call(G("collections", "OrderedDict")) + EMPTY_DICT + U("items")
        + G("collections", "OrderedDict") + SETITEM + BUILD + STOP))  # fmt: skip
    add("device_index_overflow", None)(lambda m: archive(
        P2 + call(G("torch", "device"), U("cpu"), INT(2**70)) + STOP))  # fmt: skip
    # refused already (coverage): allowlisted callables with hostile arguments
    add("rebuild_from_type_calls_encode", None)(lambda m: archive(P2 + call(
        G("torch._tensor", "_rebuild_from_type_v2"), G("_codecs", "encode"), G("torch", "Tensor"),
        TUP(U("x"), U("rot13")), NONE) + STOP))  # fmt: skip
    add("get_layout_dunder", None)(lambda m: archive(P2 + call(
        G("torch.serialization", "_get_layout"), U("torch.__builtins__")) + STOP))  # fmt: skip
    add("v3_dtype_wider_than_storage", None)(lambda m: archive(P2 + G(
        "torch._utils", "_rebuild_tensor_v3") + TUP(TUP(U("storage"), G("torch", "UntypedStorage"),
        U("0"), U("cpu"), INT(12)) + BINPERSID, INT(0), TUP(INT(2)), TUP(INT(1)), NEWFALSE,
        call(G("collections", "OrderedDict")), G("torch", "float64")) + REDUCE + STOP,
        {"data/0": bytes(12)}))  # fmt: skip
    add("stride_overflows_int64")(lambda m: archive(P2 + tensor(size=(2,), stride=(2**62,))
                                                    + STOP))  # fmt: skip
    return c


def _tar(marker) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as t:
        for name in ("storages", "tensors", "pickle"):
            data = pickle.dumps(Evil(marker), protocol=2)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return out.getvalue()


CORPUS = _corpus()


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_attack_is_refused(tmp_path, name, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative payload path would land here too
    marker = tmp_path / "pwned"
    build, parity = CORPUS[name]
    path = tmp_path / "evil.pt"
    path.write_bytes(build(marker))
    if name == "allowlisted_os_still_blocked":
        serialization.add_safe_globals([os.system])
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises((pickle.UnpicklingError, RuntimeError)) as ours:
                ember.load(path)
    finally:
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        serialization.clear_safe_globals()
    assert not marker.exists(), "the payload ran"
    assert elapsed < 5.0
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    msg = str(ours.value)
    assert 10 < len(msg) < 2000 and "Traceback" not in msg
    if parity is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            torch.load(path, weights_only=True)
    assert not marker.exists(), "the payload ran under torch"
    if parity == "same":
        for cls in (pickle.UnpicklingError, RuntimeError):
            assert isinstance(ours.value, cls) == isinstance(theirs.value, cls), (
                type(ours.value),
                type(theirs.value),
                str(theirs.value)[:300],
            )


def test_neg_bit_on_zero_stride_view_stays_small(tmp_path):
    """A 16-byte storage viewed 2**34 times with zero strides and torch's lazy negation bit:
    ember materializes the negation on the storage, not on the view (which was 64 GiB)."""
    path = tmp_path / "neg.pt"
    meta = EMPTY_DICT + U("neg") + b"\x88" + SETITEM
    path.write_bytes(
        archive(
            P2 + tensor(size=(2**17, 2**17), stride=(0, 0), metadata=meta) + STOP,
            {"data/0": np.arange(1.0, 5.0, dtype=np.float32).tobytes()},
        )
    )
    tracemalloc.start()
    try:
        ours = ember.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20
    theirs = torch.load(path, weights_only=True)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert theirs.is_neg()
    assert ours[5, 7].item() == theirs[5, 7].item() == -1.0


def test_weights_only_false_path_still_maps_names(tmp_path):
    """The full unpickler is the user's explicit choice: it maps torch's names and warns."""
    b = io.BytesIO()
    torch.save({"w": torch.ones(2)}, b)
    b.seek(0)
    with pytest.warns(UserWarning, match="arbitrary code"):
        got = ember.load(b, weights_only=False)
    assert isinstance(got["w"], ember.Tensor)


def test_unsafe_globals_listed_statically(tmp_path):
    """get_unsafe_globals_in_checkpoint names the dangerous globals without running them,
    as torch's does."""
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(archive(P2 + call(G("os", "system"), U(f"touch {marker}")) + STOP))
    assert serialization.get_unsafe_globals_in_checkpoint(path) == ["os.system"]
    assert torch.serialization.get_unsafe_globals_in_checkpoint(path) == ["os.system"]
    assert not marker.exists()


@pytest.mark.parametrize("region", ["data.pkl", "directory"])
def test_fuzzed_files_fail_cleanly(tmp_path, region):
    """Random byte flips (seeded) in a real checkpoint's pickle or zip directory: every load
    either succeeds or raises UnpicklingError/RuntimeError, never anything else."""
    b = io.BytesIO()
    t = torch.arange(6.0).reshape(2, 3)
    torch.save({"w": t, "v": t[1], "n": [1, 2.5, "s", None, (True,)]}, b)
    # CRC 0 (torch's "not computed") for data.pkl, so flips reach the unpickler
    raw = _patch(b.getvalue(), _cd_entry(b.getvalue(), b"data.pkl") + 16, "<I", 0)
    info = zipfile.ZipFile(io.BytesIO(raw)).getinfo("archive/data.pkl")
    nlen, xlen = struct.unpack_from("<HH", raw, info.header_offset + 26)
    start = info.header_offset + 30 + nlen + xlen
    lo, hi = (start, start + info.file_size) if region == "data.pkl" else (
        raw.find(b"PK\x01\x02"), len(raw))  # fmt: skip
    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(2000):
        buf = bytearray(raw)
        for pos in rng.integers(lo, hi, size=int(rng.integers(1, 4))):
            buf[pos] = int(rng.integers(0, 256))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ember.load(io.BytesIO(bytes(buf)))
            outcomes.add("loaded")
        except (pickle.UnpicklingError, RuntimeError) as e:
            outcomes.add(type(e).__name__)
    assert outcomes - {"loaded"}, outcomes  # the flips did break files
