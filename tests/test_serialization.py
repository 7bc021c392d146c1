"""ember.save / ember.load against torch.save / torch.load: files move both ways.

Every test builds the same objects in both libraries (or reads a file one of them wrote) and
compares values, dtypes, storage sharing, offsets and strides, and the bytes of the archive.
"""

from __future__ import annotations

import collections
import io
import mmap
import os
import pathlib
import pickle
import struct
import warnings
import zipfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember import serialization  # noqa: E402
from ember._serialization import _zipformat  # noqa: E402

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64",
          "float16", "bfloat16", "float32", "float64", "complex64", "complex128"]  # fmt: skip


def _np(t) -> np.ndarray:
    """A torch or ember tensor's values as NumPy (bfloat16 through float32)."""
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy()
    a = ember._tensor.to_numpy(t._data)
    return a.astype(np.float32) if a.dtype.name == "bfloat16" else a


def _same(e, t) -> None:
    assert isinstance(e, ember.Tensor) and isinstance(t, torch.Tensor)
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert tuple(e.shape) == tuple(t.shape)
    assert e.requires_grad == t.requires_grad
    np.testing.assert_array_equal(_np(e), _np(t))


def _buf(save, obj, **kw) -> io.BytesIO:
    b = io.BytesIO()
    save(obj, b, **kw)
    b.seek(0)
    return b


def _torch_values(dtype: str):
    # every value kind: zeros, small ints (exact in every dtype), negatives where signed
    t = (torch.arange(12) % 5).reshape(3, 4)
    if dtype not in ("bool", "uint8", "uint16", "uint32", "uint64"):
        t = t - 2
    t = t.to(getattr(torch, dtype))
    if dtype.startswith("complex"):
        t = t + 1j * t.flip(0)
    return t


def _ember_from_torch(t):
    """The same values as an ember tensor, built without ember.load."""
    if t.dtype == torch.bfloat16:
        return ember.tensor(t.float().numpy()).to(ember.bfloat16)
    return ember.tensor(t.numpy())


# -- dtypes, both ways -----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_both_ways(dtype):
    t = _torch_values(dtype)
    e = ember.load(_buf(torch.save, t))  # torch -> ember
    _same(e, t)
    mine = _buf(ember.save, _ember_from_torch(t))  # ember -> torch
    back = torch.load(mine, weights_only=True)
    _same(_ember_from_torch(back), t)
    assert back.dtype == t.dtype
    # the pickle is the one torch writes for the same tensor (v3 and UntypedStorage for the
    # wide unsigned dtypes, typed storages for the rest)
    theirs = _buf(torch.save, t)
    rec = "archive/data.pkl"
    assert zipfile.ZipFile(mine).read(rec) == zipfile.ZipFile(theirs).read(rec)


def test_zero_dim_empty_and_requires_grad():
    objs = {
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 3),
        "grad": torch.ones(2, requires_grad=True),
        "nonleaf": torch.ones(2, requires_grad=True) * 2,
    }
    loaded = ember.load(_buf(torch.save, objs))
    for k, t in objs.items():
        _same(loaded[k], t)
    mine = {"scalar": ember.tensor(3.5), "empty": ember.zeros(0, 3),
            "grad": ember.ones(2, requires_grad=True),
            "nonleaf": ember.ones(2, requires_grad=True) * 2}  # fmt: skip
    back = torch.load(_buf(ember.save, mine), weights_only=True)
    for k, t in objs.items():
        assert back[k].requires_grad == t.requires_grad
        torch.testing.assert_close(back[k], t.detach(), check_stride=True)


# -- the archive itself ----------------------------------------------------------------------
def test_archive_bytes_match_torch(tmp_path):
    """Saved under the same file name, ember's archive is torch's byte for byte except the
    record-name hash half of .data/serialization_id (torch's uses C++ std::hash)."""
    t_sd = collections.OrderedDict(w=torch.arange(6.0).reshape(2, 3), b=torch.ones(3).bool())
    t_sd._metadata = collections.OrderedDict({"": {"version": 1}})
    (tmp_path / "t").mkdir()
    (tmp_path / "e").mkdir()
    torch.save(t_sd, tmp_path / "t" / "ckpt.v2.pt")
    e_sd = ember.load(tmp_path / "t" / "ckpt.v2.pt")
    ember.save(e_sd, tmp_path / "e" / "ckpt.v2.pt")
    theirs = (tmp_path / "t" / "ckpt.v2.pt").read_bytes()
    mine = (tmp_path / "e" / "ckpt.v2.pt").read_bytes()
    assert len(mine) == len(theirs)
    zt, ze = zipfile.ZipFile(io.BytesIO(theirs)), zipfile.ZipFile(io.BytesIO(mine))
    assert ze.namelist() == zt.namelist()
    assert ze.namelist()[:4] == ["ckpt.v2/data.pkl", "ckpt.v2/.format_version",
                                 "ckpt.v2/.storage_alignment", "ckpt.v2/byteorder"]  # fmt: skip
    sid = "ckpt.v2/.data/serialization_id"
    for info in ze.infolist():
        other = zt.getinfo(info.filename)
        assert (info.header_offset, info.file_size, info.compress_type) == (
            other.header_offset, other.file_size, zipfile.ZIP_STORED)  # fmt: skip
        if info.filename != sid:
            assert info.CRC == other.CRC
            assert ze.read(info) == zt.read(other)
    assert ze.read("ckpt.v2/version") == b"3\n"
    assert ze.read("ckpt.v2/.storage_alignment") == b"64"
    sid_mine, sid_theirs = ze.read(sid), zt.read(sid)
    assert len(sid_mine) == 40 and sid_mine.isdigit()
    assert sid_mine[20:] == sid_theirs[20:]  # the combined CRC of the records
    assert ze.testzip() is None  # stdlib zipfile checks every CRC
    # every record's payload starts on a 64-byte boundary, as torch's mmap loading assumes
    for info in ze.infolist():
        (nlen, xlen) = struct.unpack_from("<HH", mine, info.header_offset + 26)
        assert (info.header_offset + 30 + nlen + xlen) % 64 == 0


@pytest.mark.parametrize("name, folder", [("ckpt.v2.pt", "ckpt.v2"), ("noext", "noext"),
                                          ("x.", "x"), ("é.pt", "archive")])  # fmt: skip
def test_archive_folder_from_file_name(tmp_path, name, folder):
    (tmp_path / "t").mkdir()
    (tmp_path / "e").mkdir()
    torch.save(torch.ones(1), tmp_path / "t" / name)
    ember.save(ember.ones(1), tmp_path / "e" / name)
    assert zipfile.ZipFile(tmp_path / "t" / name).namelist()[0] == f"{folder}/data.pkl"
    assert zipfile.ZipFile(tmp_path / "e" / name).namelist()[0] == f"{folder}/data.pkl"
    assert float(torch.load(tmp_path / "e" / name, weights_only=True)) == 1.0


def test_bad_file_name_and_buffer():
    with pytest.raises(RuntimeError):
        torch.save(torch.ones(1), "/tmp/.hidden")
    with pytest.raises(RuntimeError, match="invalid file name"):
        ember.save(ember.ones(1), "/tmp/.hidden")
    with pytest.raises(AttributeError):
        torch.save(torch.ones(1), object())
    with pytest.raises(AttributeError):
        ember.save(ember.ones(1), object())
    with pytest.raises(RuntimeError, match="Parent directory"):
        ember.save(ember.ones(1), "/nonexistent-folder-xyz/a.pt")


def test_zip64_layout(monkeypatch):
    """Records past 4 GiB get ZIP64 fields and 24-byte descriptors; the limit is lowered so a
    small file takes the same path. stdlib zipfile and torch both read the result."""
    monkeypatch.setattr(_zipformat, "ZIP64_LIMIT", 100)
    x = ember.arange(64.0)
    b = _buf(ember.save, {"x": x, "y": ember.ones(3)})
    z = zipfile.ZipFile(b)
    assert z.testzip() is None
    got = torch.load(io.BytesIO(b.getvalue()), weights_only=True)
    np.testing.assert_array_equal(got["x"].numpy(), np.arange(64.0, dtype=np.float32))
    b.seek(0)
    np.testing.assert_array_equal(_np(ember.load(b)["x"]), np.arange(64.0, dtype=np.float32))


# -- storage sharing, views ------------------------------------------------------------------
def _views(lib):
    base = lib.arange(24.0).reshape(4, 6)
    return {
        "base": base,
        "offset": base[1:, 2:5],
        "t": base.t(),
        "row": base[2],
        "step": base[:, ::2],
        "narrow": base.narrow(1, 3, 2),
        "expand": lib.arange(3.0).expand(4, 3),
        "other": lib.arange(5, dtype=lib.int64),
    }


def test_views_offsets_strides_sharing_ember_to_torch():
    theirs = _views(torch)
    got = torch.load(_buf(ember.save, _views(ember)), weights_only=True)
    ptr = got["base"].untyped_storage().data_ptr()
    for k, t in theirs.items():
        assert got[k].stride() == t.stride(), k
        assert got[k].storage_offset() == t.storage_offset(), k
        assert torch.equal(got[k], t), k
        shared = got[k].untyped_storage().data_ptr() == ptr
        assert shared == (t.untyped_storage().data_ptr() == theirs["base"].untyped_storage().
                          data_ptr()), k  # fmt: skip
    got["offset"][0, 0] = -1.0  # still one storage after loading
    assert got["base"][1, 2] == -1.0 and got["t"][2, 1] == -1.0


def test_views_sharing_torch_to_ember_and_back():
    theirs = _views(torch)
    e = ember.load(_buf(torch.save, theirs))
    for k, t in theirs.items():
        assert e[k].stride() == t.stride(), k
        np.testing.assert_array_equal(_np(e[k]), t.numpy())
    e["offset"][0, 0] = -1.0  # the loaded tensors share one array
    assert float(e["base"][1, 2]) == -1.0 and float(e["t"][2, 1]) == -1.0
    # saved again, the sharing survives: a single 24-element storage, as torch wrote it
    again = _buf(ember.save, e)
    names = [n for n in zipfile.ZipFile(again).namelist() if "/data/" in n]
    assert names == [n for n in zipfile.ZipFile(_buf(torch.save, theirs)).namelist()
                     if "/data/" in n]  # fmt: skip
    back = torch.load(io.BytesIO(again.getvalue()), weights_only=True)
    assert back["offset"].untyped_storage().data_ptr() == back["base"].untyped_storage().data_ptr()
    assert back["offset"].storage_offset() == theirs["offset"].storage_offset()


def test_same_tensor_twice_is_one_object():
    x = ember.ones(3)
    got = torch.load(_buf(ember.save, [x, x]), weights_only=True)
    assert got[0] is got[1]
    t = torch.ones(3)
    e = ember.load(_buf(torch.save, [t, t]))
    assert e[0] is e[1]


def test_negative_strides_saved_as_a_copy():
    """torch has no negative strides: an ember array that has them (NumPy views can) is written
    as a compact copy, equal to torch's flip."""
    a = np.arange(6.0).reshape(2, 3)
    e = ember.Tensor._wrap(a[::-1, ::-1])  # such a view, made directly
    got = torch.load(_buf(ember.save, [e, ember.Tensor._wrap(a)]), weights_only=True)
    want = torch.tensor(a).flip(0, 1)
    assert torch.equal(got[0], want) and got[0].stride() == want.contiguous().stride()
    assert torch.equal(got[1], torch.tensor(a))


def test_two_dtypes_of_one_storage_raise_like_torch():
    t = torch.ones(3)
    with pytest.raises(RuntimeError, match="different types"):
        torch.save([t, t.view(torch.int32)], io.BytesIO())
    e = ember.ones(3)
    with pytest.raises(RuntimeError, match="different types"):
        ember.save([e, e.view(ember.int32)], io.BytesIO())


# -- parameters, modules, optimizers, Python values ------------------------------------------
def test_parameters_both_ways():
    objs = [torch.nn.Parameter(torch.ones(2)),
            torch.nn.Parameter(torch.zeros(3), requires_grad=False)]  # fmt: skip
    e = ember.load(_buf(torch.save, objs))
    for p, t in zip(e, objs):
        assert type(p) is ember.nn.Parameter
        _same(p, t)
    mine = [ember.nn.Parameter(ember.ones(2)),
            ember.nn.Parameter(ember.zeros(3), requires_grad=False)]  # fmt: skip
    back = torch.load(_buf(ember.save, mine), weights_only=True)
    for p, t in zip(back, objs):
        assert type(p) is torch.nn.Parameter and p.requires_grad == t.requires_grad
        assert torch.equal(p, t)


def _models():
    def make(lib):
        nn = lib.nn
        return nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                             nn.Linear(12, 4))  # fmt: skip

    return make(ember), make(torch)


def test_model_state_dict_ember_to_torch():
    em, tm = _models()
    em.train()
    em(ember.randn(5, 2, 4, 4))  # running stats move away from their initial values
    em.eval()
    tm.eval()
    sd = em.state_dict()
    loaded = torch.load(_buf(ember.save, sd), weights_only=True)
    assert list(loaded) == list(sd)
    assert loaded._metadata == sd._metadata
    tm.load_state_dict(loaded)
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 4)).astype(np.float32)
    want = _np(em(ember.tensor(x)))
    got = tm(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1.3e-6, atol=1e-5)


def test_model_state_dict_torch_to_ember():
    em, tm = _models()
    tm.train()
    tm(torch.randn(5, 2, 4, 4))
    tm.eval()
    em.eval()
    sd = ember.load(_buf(torch.save, tm.state_dict()))
    assert sd._metadata == tm.state_dict()._metadata
    em.load_state_dict(sd)
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(_np(em(ember.tensor(x))), tm(torch.tensor(x)).detach().numpy(),
                               rtol=1.3e-6, atol=1e-5)  # fmt: skip


def test_optimizer_state_dict_both_ways():
    p = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.Adam([p], lr=0.1, betas=(0.8, 0.99))
    p.grad = torch.full((3,), 0.5)
    opt.step()
    sd = opt.state_dict()
    e = ember.load(_buf(torch.save, sd))
    assert e["param_groups"] == sd["param_groups"]  # ints, floats, None, bools, tuples
    for k, v in sd["state"][0].items():
        _same(e["state"][0][k], v)
    back = torch.load(_buf(ember.save, e), weights_only=True)
    assert back["param_groups"] == sd["param_groups"]
    for k, v in sd["state"][0].items():
        assert torch.equal(back["state"][0][k], v)
    opt.load_state_dict(back)  # torch accepts what ember wrote


def test_python_values_both_ways():
    obj = {
        "ints": [0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -(2**31), 2**70, -(2**70)],
        "floats": (0.0, -1.5, 1e300, float("inf")),
        "strings": ["", "ascii", "ünïcødé", "a\nb"],
        "bytes": b"\x00\x01\xff",
        "bytearray": bytearray(b"\x00ab"),
        "complex": 1 - 2j,
        "set": {1, 2, 3},
        "nested": {"a": [(1, (2, [3])), {"b": None}], 5: True, (1, 2): False},
        "od": collections.OrderedDict([("z", 1), ("a", 2)]),
        "counter": collections.Counter("abca"),
        "size": torch.Size([2, 3]),
        "dtype": torch.float16,
        "device": torch.device("cpu"),
    }
    e = ember.load(_buf(torch.save, obj))
    for k in ("ints", "floats", "strings", "bytes", "bytearray", "complex", "set", "nested", "od",
              "counter"):  # fmt: skip
        assert e[k] == obj[k] and type(e[k]) is type(obj[k]), k
    assert e["size"] == ember.Size([2, 3]) and isinstance(e["size"], ember.Size)
    assert e["dtype"] is ember.float16 and e["device"] == ember.device("cpu")
    mine = dict(e)
    back = torch.load(_buf(ember.save, mine), weights_only=True)
    for k, v in obj.items():
        assert back[k] == v and type(back[k]) is type(v), k
    nan = ember.load(_buf(torch.save, float("nan")))
    assert nan != nan


def test_layout_and_plain_pickle():
    assert ember.load(_buf(torch.save, torch.strided)) is ember.strided
    assert torch.load(_buf(ember.save, ember.strided), weights_only=True) is torch.strided
    # plain pickling of an ember tensor (not through save) still works
    x = ember.arange(4.0, requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    np.testing.assert_array_equal(_np(y), np.arange(4.0, dtype=np.float32))
    assert y.requires_grad


# -- where tensors go ------------------------------------------------------------------------
def _cuda_file():
    """A torch file whose storages claim ``cuda:0`` (made by editing the pickle's location)."""
    raw = _buf(torch.save, {"x": torch.arange(3.0)}).getvalue()
    z = zipfile.ZipFile(io.BytesIO(raw))
    pkl = z.read("archive/data.pkl")
    assert pkl.count(b"X\x03\x00\x00\x00cpu") == 1
    pkl = pkl.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:
        for n in z.namelist():
            w.writestr(n, pkl if n.endswith("data.pkl") else z.read(n))
    return out.getvalue()


@pytest.mark.parametrize("where", [None, "cpu", "dev", "dict", "callable", "callable_none"])
def test_map_location(where):
    raw = _cuda_file()
    ml = {None: None, "cpu": "cpu", "dev": "cpu", "dict": {"cuda:0": "cpu"},
          "callable": lambda s, loc: s, "callable_none": lambda s, loc: None}[where]  # fmt: skip
    seen = []

    def record(s, loc):
        seen.append(loc)
        return s

    if where == "callable":
        ml = record
    t_ml = ml
    e_ml = ember.device("cpu") if where == "dev" else ml
    if where == "dev":
        t_ml = torch.device("cpu")
    if where in (None, "callable_none") and not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(io.BytesIO(raw), map_location=ml, weights_only=True)
        if not ember.cuda.is_available():
            with pytest.raises(RuntimeError, match="CUDA"):
                ember.load(io.BytesIO(raw), map_location=ml)
        return
    t = torch.load(io.BytesIO(raw), map_location=t_ml, weights_only=True)
    seen_t, seen[:] = list(seen), []
    e = ember.load(io.BytesIO(raw), map_location=e_ml)
    assert e["x"].device == ember.device("cpu") and t["x"].device == torch.device("cpu")
    np.testing.assert_array_equal(_np(e["x"]), t["x"].numpy())
    assert seen == seen_t  # the callable saw the same location tags


def test_map_location_cpu_file_to_cpu_variants():
    t = torch.arange(4.0)
    for ml in ("cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda s, loc: s.cpu()):
        e = ember.load(_buf(torch.save, t), map_location=ml)
        np.testing.assert_array_equal(_np(e), t.numpy())


def test_mmap_maps_without_copy(tmp_path):
    path = tmp_path / "m.pt"
    base = torch.arange(100.0)
    objs = {"a": base, "b": base[10:20], "c": torch.ones(0)}
    torch.save(objs, path)
    before = path.read_bytes()
    e = ember.load(path, mmap=True)
    t = torch.load(path, mmap=True, weights_only=True)
    for k in objs:
        np.testing.assert_array_equal(_np(e[k]), t[k].numpy())
    root = e["a"]._data
    while isinstance(root.base, np.ndarray):
        root = root.base
    owner = root.base.obj if isinstance(root.base, memoryview) else root.base
    assert isinstance(owner, mmap.mmap)  # a view of the mapped file, no copy
    assert np.shares_memory(e["a"]._data, e["b"]._data)
    e["a"][0] = 42.0  # copy-on-write, as torch's default MAP_PRIVATE: the file is unchanged
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match="file path"):
        torch.load(io.BytesIO(before), mmap=True, weights_only=True)
    with pytest.raises(ValueError, match="file path"):
        ember.load(io.BytesIO(before), mmap=True)
    torch.save(objs, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="mmap can only be used"):
        torch.load(tmp_path / "legacy.pt", mmap=True, weights_only=True)
    with pytest.raises(RuntimeError, match="mmap can only be used"):
        ember.load(tmp_path / "legacy.pt", mmap=True)


# -- other writers' files --------------------------------------------------------------------
def _rezip(raw: bytes, change) -> bytes:
    """The archive rewritten by stdlib zipfile, with ``change(name, data) -> data | None``."""
    z = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:
        for n in z.namelist():
            d = change(n, z.read(n))
            if d is not None:
                w.writestr(n, d)
    return out.getvalue()


def test_big_endian_file():
    """torch's archive with every record byteswapped and byteorder 'big': torch and ember
    both swap back."""
    objs = {d: _torch_values(d) for d in DTYPES}
    raw = _buf(torch.save, objs).getvalue()
    loaded = torch.load(io.BytesIO(raw), weights_only=True)
    keys = {str(i): t.dtype for i, t in enumerate(loaded.values())}  # storage keys in order

    def swap(name, data):
        if name.endswith("/byteorder"):
            return b"big"
        if "/data/" in name and not name.endswith("data.pkl"):
            item = keys[name.rsplit("/", 1)[1]].itemsize
            if keys[name.rsplit("/", 1)[1]].is_complex:
                item //= 2
            return np.frombuffer(data, f"u{item}").byteswap().tobytes() if item > 1 else data
        return data

    big = _rezip(raw, swap)
    t_big = torch.load(io.BytesIO(big), weights_only=True)
    e_big = ember.load(io.BytesIO(big))
    for d, t in objs.items():
        _same(e_big[d], t_big[d])
        if d not in ("uint16", "uint32", "uint64"):
            assert torch.equal(t_big[d], t), d
        # torch keeps the wide unsigned dtypes in an UntypedStorage, which it swaps as bytes
        # (that is, not at all); ember reads them as torch does


def test_missing_byteorder_and_crc_zero():
    t = torch.arange(5.0)
    # torch's writer adds the record at the end even when asked not to write it; so does ember
    theirs = _buf(torch.save, t, _disable_byteorder_record=True).getvalue()
    mine = _buf(ember.save, ember.arange(5.0), _disable_byteorder_record=True).getvalue()
    names = zipfile.ZipFile(io.BytesIO(theirs)).namelist()
    assert names == zipfile.ZipFile(io.BytesIO(mine)).namelist()
    assert names[-3:-1] == ["archive/version", "archive/byteorder"]
    raw = _rezip(theirs, lambda n, d: None if n.endswith("/byteorder") else d)
    assert "archive/byteorder" not in zipfile.ZipFile(io.BytesIO(raw)).namelist()
    t2 = torch.load(io.BytesIO(raw), weights_only=True)  # no record: little endian
    _same(ember.load(io.BytesIO(raw)), t2)
    assert torch.equal(t2, t)
    old = torch.serialization.get_crc32_options()
    torch.serialization.set_crc32_options(False)
    try:
        raw = _buf(torch.save, t).getvalue()
    finally:
        torch.serialization.set_crc32_options(old)
    with pytest.raises(zipfile.BadZipFile):  # stdlib zipfile refuses CRC 0; torch does not
        zipfile.ZipFile(io.BytesIO(raw)).read("archive/data/0")
    _same(ember.load(io.BytesIO(raw)), t)


def test_other_archive_folder_and_stdlib_zip():
    raw = _buf(torch.save, torch.arange(3.0)).getvalue()
    moved = io.BytesIO()
    with zipfile.ZipFile(moved, "w") as w:  # stdlib layout: no alignment, another folder
        for n in zipfile.ZipFile(io.BytesIO(raw)).namelist():
            w.writestr("renamed/" + n.split("/", 1)[1], zipfile.ZipFile(io.BytesIO(raw)).read(n))
    t = torch.load(io.BytesIO(moved.getvalue()), weights_only=True)
    _same(ember.load(io.BytesIO(moved.getvalue())), t)


def test_legacy_format_both_ways(tmp_path):
    x = torch.arange(10.0)
    objs = {"a": x, "b": x[2:5], "p": torch.nn.Parameter(torch.ones(3)), "i": torch.arange(3),
            "h": torch.ones(2, dtype=torch.float16), "n": [1, 2.5, None, (0.9, 0.999)]}  # fmt: skip
    torch.save(objs, tmp_path / "t.pt", _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(tmp_path / "t.pt")
    e = ember.load(tmp_path / "t.pt")
    for k in ("a", "b", "p", "i", "h"):
        _same(e[k], objs[k])
    assert type(e["p"]) is ember.nn.Parameter and e["n"] == objs["n"]
    e["b"][0] = -7.0  # still one storage
    assert float(e["a"][2]) == -7.0
    ember.save(e, tmp_path / "e.pt", _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(tmp_path / "e.pt")
    back = torch.load(tmp_path / "e.pt", weights_only=True)
    assert float(back["a"][2]) == -7.0
    assert back["b"].untyped_storage().data_ptr() == back["a"].untyped_storage().data_ptr()
    assert type(back["p"]) is torch.nn.Parameter and back["n"] == objs["n"]
    assert torch.equal(back["h"], objs["h"]) and torch.equal(back["i"], objs["i"])


# -- atomic writes ---------------------------------------------------------------------------
def test_save_to_path_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    ember.save({"v": ember.ones(3)}, path)
    before = path.read_bytes()
    mode = os.stat(path).st_mode
    calls = []
    real = _zipformat.ZipWriter.write_record

    def failing(self, name, data):
        calls.append(name)
        if name.startswith("data/"):
            raise OSError("disk full (simulated)")
        return real(self, name, data)

    monkeypatch.setattr(_zipformat.ZipWriter, "write_record", failing)
    with pytest.raises(OSError, match="simulated"):
        ember.save({"v": ember.zeros(1000)}, path)
    assert "data.pkl" in calls  # the failure came mid-write
    assert path.read_bytes() == before  # the previous checkpoint is intact
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]  # no temporary file left behind
    monkeypatch.setattr(_zipformat.ZipWriter, "write_record", real)
    ember.save({"v": ember.zeros(2)}, pathlib.Path(path))
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"] and os.stat(path).st_mode == mode
    assert torch.equal(torch.load(path, weights_only=True)["v"], torch.zeros(2))


def test_new_file_mode_and_symlink(tmp_path):
    ember.save(ember.ones(1), tmp_path / "e.pt")
    torch.save(torch.ones(1), tmp_path / "t.pt")
    assert os.stat(tmp_path / "e.pt").st_mode == os.stat(tmp_path / "t.pt").st_mode
    os.symlink(tmp_path / "e.pt", tmp_path / "link.pt")
    ember.save(ember.zeros(2), tmp_path / "link.pt")  # writes the file the link points to
    assert os.path.islink(tmp_path / "link.pt")
    assert torch.equal(torch.load(tmp_path / "e.pt", weights_only=True), torch.zeros(2))
    # the archive folder comes from the name given, as torch's does
    assert zipfile.ZipFile(tmp_path / "e.pt").namelist()[0] == "link/data.pkl"
    os.symlink(tmp_path / "t.pt", tmp_path / "tlink.pt")
    torch.save(torch.zeros(2), tmp_path / "tlink.pt")
    assert os.path.islink(tmp_path / "tlink.pt")
    assert zipfile.ZipFile(tmp_path / "t.pt").namelist()[0] == "tlink/data.pkl"


def test_file_objects(tmp_path):
    with open(tmp_path / "f.pt", "wb") as f:
        ember.save(ember.arange(3), f)
    with open(tmp_path / "f.pt", "rb") as f:
        np.testing.assert_array_equal(_np(ember.load(f)), np.arange(3))
    with open(tmp_path / "f.pt", "rb") as f:
        assert torch.equal(torch.load(f, weights_only=True), torch.arange(3))
    assert zipfile.ZipFile(tmp_path / "f.pt").namelist()[0] == "archive/data.pkl"


# -- safe globals API ------------------------------------------------------------------------
class Config:
    def __init__(self, lr):
        self.lr = lr

    def __eq__(self, other):
        return isinstance(other, Config) and other.lr == self.lr


def test_safe_globals_api_matches_torch(tmp_path):
    torch.save({"cfg": Config(0.5), "w": torch.ones(1)}, tmp_path / "c.pt")
    name = f"{Config.__module__}.Config"
    assert torch.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "c.pt") == [name]
    assert serialization.get_unsafe_globals_in_checkpoint(tmp_path / "c.pt") == [name]
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        torch.load(tmp_path / "c.pt", weights_only=True)
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        ember.load(tmp_path / "c.pt")
    with torch.serialization.safe_globals([Config]):
        t = torch.load(tmp_path / "c.pt", weights_only=True)
    with serialization.safe_globals([Config]):
        assert serialization.get_safe_globals() == [Config]
        assert serialization.get_unsafe_globals_in_checkpoint(tmp_path / "c.pt") == []
        e = ember.load(tmp_path / "c.pt")
    assert serialization.get_safe_globals() == []
    assert e["cfg"] == t["cfg"] == Config(0.5)
    serialization.add_safe_globals([(Config, name)])
    try:
        assert ember.load(tmp_path / "c.pt")["cfg"] == Config(0.5)
    finally:
        serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []
    # ember's own checkpoint, read statically: nothing unsafe in it
    ember.save(_views(ember), tmp_path / "v.pt")
    assert serialization.get_unsafe_globals_in_checkpoint(tmp_path / "v.pt") == []
    assert torch.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "v.pt") == []


def test_weights_only_false_warns_and_loads(tmp_path):
    torch.save({"cfg": Config(0.25), "w": torch.arange(2.0)}, tmp_path / "c.pt")
    with pytest.warns(UserWarning, match="arbitrary code"):
        e = ember.load(tmp_path / "c.pt", weights_only=False)
    assert e["cfg"] == Config(0.25) and isinstance(e["w"], ember.Tensor)
    with pytest.raises(RuntimeError, match="pickle_module"):
        torch.load(tmp_path / "c.pt", pickle_module=pickle, weights_only=True)
    with pytest.raises(RuntimeError, match="pickle_module"):
        ember.load(tmp_path / "c.pt", pickle_module=pickle, weights_only=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.load(io.BytesIO(_buf(torch.save, torch.ones(1)).getvalue()))  # no warning


def test_whole_module_with_weights_only_false():
    """A pickled torch module (not a state_dict) needs weights_only=False; its classes map to
    ember's, which keep torch's attribute layout."""
    tm = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh())
    raw = _buf(torch.save, tm).getvalue()
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        torch.load(io.BytesIO(raw), weights_only=True)
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        ember.load(io.BytesIO(raw))
    with pytest.warns(UserWarning, match="arbitrary code"):
        em = ember.load(io.BytesIO(raw), weights_only=False)
    assert type(em) is ember.nn.Sequential and type(em[0]) is ember.nn.Linear
    x = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(_np(em(ember.tensor(x))), tm(torch.tensor(x)).detach().numpy(),
                               rtol=1.3e-6, atol=1e-5)  # fmt: skip


# -- options ---------------------------------------------------------------------------------
def test_crc32_option_matches_torch():
    assert serialization.get_crc32_options() is torch.serialization.get_crc32_options() is True
    serialization.set_crc32_options(False)
    try:
        mine = _buf(ember.save, ember.arange(4.0)).getvalue()
    finally:
        serialization.set_crc32_options(True)
    assert all(i.CRC == 0 for i in zipfile.ZipFile(io.BytesIO(mine)).infolist())
    assert torch.equal(torch.load(io.BytesIO(mine), weights_only=True), torch.arange(4.0))
    np.testing.assert_array_equal(_np(ember.load(io.BytesIO(mine))), np.arange(4.0))


@pytest.mark.parametrize("order", [None, "LITTLE", "BIG", "NATIVE"])
def test_default_load_endianness(order):
    raw = _rezip(_buf(torch.save, torch.arange(4.0)).getvalue(),
                 lambda n, d: None if n.endswith("/byteorder") else d)  # fmt: skip
    t_order = None if order is None else getattr(torch.serialization.LoadEndianness, order)
    e_order = None if order is None else getattr(serialization.LoadEndianness, order)
    old = torch.serialization.get_default_load_endianness()
    torch.serialization.set_default_load_endianness(t_order)
    serialization.set_default_load_endianness(e_order)
    try:
        assert serialization.get_default_load_endianness() is e_order
        t = torch.load(io.BytesIO(raw), weights_only=True)
        e = ember.load(io.BytesIO(raw))
    finally:
        torch.serialization.set_default_load_endianness(old)
        serialization.set_default_load_endianness(None)
    _same(e, t)
    with pytest.raises(TypeError):
        torch.serialization.set_default_load_endianness("big")
    with pytest.raises(TypeError):
        serialization.set_default_load_endianness("big")


def test_mmap_shared_writes_reach_the_file(tmp_path):
    path = tmp_path / "s.pt"
    torch.save(torch.zeros(4), path)
    assert serialization.get_default_mmap_options() == mmap.MAP_PRIVATE
    with serialization.set_default_mmap_options(mmap.MAP_SHARED):
        assert serialization.get_default_mmap_options() == mmap.MAP_SHARED
        e = ember.load(path, mmap=True)
        e[1] = 5.0
        del e
    assert serialization.get_default_mmap_options() == mmap.MAP_PRIVATE
    assert torch.equal(torch.load(path, weights_only=True), torch.tensor([0.0, 5.0, 0.0, 0.0]))
    with pytest.raises(ValueError):
        torch.serialization.set_default_mmap_options(12345)
    with pytest.raises(ValueError):
        serialization.set_default_mmap_options(12345)


def test_ember_optimizer_state_continues_in_torch():
    """ember's Adam state after one step, saved and loaded into torch's Adam, continues the
    run exactly as a torch-only run does."""
    kw = dict(lr=0.1, betas=(0.8, 0.99))
    ep = ember.nn.Parameter(ember.ones(3, dtype=ember.float64))
    eopt = ember.optim.Adam([ep], **kw)
    ep.grad = ember.full((3,), 0.5, dtype=ember.float64)
    eopt.step()
    sd = torch.load(_buf(ember.save, eopt.state_dict()), weights_only=True)
    tp = torch.nn.Parameter(torch.tensor(_np(ep)))
    topt = torch.optim.Adam([tp], **kw)
    topt.load_state_dict(sd)
    tp.grad = torch.full((3,), 0.25, dtype=torch.float64)
    topt.step()
    ref = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    ropt = torch.optim.Adam([ref], **kw)
    for g in (0.5, 0.25):
        ref.grad = torch.full((3,), g, dtype=torch.float64)
        ropt.step()
    torch.testing.assert_close(tp.detach(), ref.detach(), rtol=1e-7, atol=1e-7)


def test_save_killed_midway_leaves_the_previous_file(tmp_path):
    """SIGKILL a child while it saves a large state_dict over an existing checkpoint: the old
    checkpoint still loads, in ember and in torch, and holds the old values."""
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "model.pt"
    child = f"""
import sys, ember
sys.stdout.reconfigure(line_buffering=True)
ember.save({{"version": ember.tensor([1.0]), "w": ember.zeros(4)}}, {str(path)!r})
print("saved", flush=True)
big = {{f"layer{{i}}.weight": ember.full((1024, 1024), float(i)) for i in range(96)}}
big["version"] = ember.tensor([2.0])
while True:
    ember.save(big, {str(path)!r})
    print("looped", flush=True)
"""
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "saved"
        deadline = time.monotonic() + 60
        # kill as soon as the temporary file of the second save exists and is growing
        while time.monotonic() < deadline:
            tmps = list(tmp_path.glob(".model.pt.*.tmp"))
            if tmps and tmps[0].exists() and tmps[0].stat().st_size > 1 << 20:
                break
            time.sleep(0.001)
        else:
            pytest.fail("the child never started its second save")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    loaded = ember.load(path)
    assert loaded["version"].tolist() == [1.0] and set(loaded) == {"version", "w"}
    assert torch.load(path, weights_only=True)["version"].tolist() == [1.0]
