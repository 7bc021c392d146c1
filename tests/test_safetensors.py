"""ember.utils.safetensors against the safetensors package (its Rust reader and writer) and torch.

Files written by either side load in the other; the header validation raises where the Rust
reader raises, with the same error class name and message.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest

torch = pytest.importorskip("torch")
st = pytest.importorskip("safetensors")
import safetensors.numpy as stn
import safetensors.torch as stt

import ember
from ember.utils import safetensors as es

ml_dtypes = pytest.importorskip("ml_dtypes")

NP_DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
             np.uint64, np.float16, np.float32, np.float64, np.complex64]  # fmt: skip
TORCH_DTYPES = ["bool", "uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
                "float16", "bfloat16", "float32", "float64", "complex64"]  # fmt: skip


def _arrays(rng):
    """One array per dtype and shape kind (n-d, 0-d, empty)."""
    out = {}
    for i, dt in enumerate(NP_DTYPES):
        name = np.dtype(dt).name
        base = rng.standard_normal((2, 3)) * 50
        if np.dtype(dt).kind == "c":
            base = base + 1j * rng.standard_normal((2, 3))
        out[f"{name}_2d"] = (base if np.dtype(dt).kind in "fc" else np.abs(base)).astype(dt)
        out[f"{name}_0d"] = np.asarray(base[0, 0]).astype(dt)
        out[f"{name}_empty"] = np.zeros((0, i % 3 + 1), dt)
    return out


def _torch_of(t):
    """An ember tensor as a torch tensor (bfloat16 through its bits)."""
    if t.dtype == ember.bfloat16:
        bits = t._data.view(np.int16)
        return torch.from_numpy(bits.copy()).view(torch.bfloat16)
    return torch.from_numpy(t.numpy().copy())


def _assert_same(e, t):
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    assert torch.equal(_torch_of(e), t)


# -- interoperability --------------------------------------------------------------------------


def test_bytes_identical_to_safetensors_numpy():
    arrays = _arrays(np.random.default_rng(0))
    ours = es.save({k: ember.from_numpy(v) for k, v in arrays.items()}, metadata={"k": "v"})
    theirs = stn.save(arrays, metadata={"k": "v"})
    assert ours == theirs
    assert es.save({}) == stn.save({})
    n = struct.unpack("<Q", ours[:8])[0]
    assert n % 8 == 0 and ours[8 + n - 1 : 8 + n] in (b" ", b"}")


def test_ember_file_loads_in_safetensors_torch_and_numpy(tmp_path):
    arrays = _arrays(np.random.default_rng(1))
    tensors = {k: ember.from_numpy(v) for k, v in arrays.items()}
    tensors["bf16"] = ember.randn(3, 5).bfloat16()
    tensors["bf16_0d"] = ember.tensor(1.5, dtype=ember.bfloat16)
    path = tmp_path / "m.safetensors"
    es.save_file(tensors, path, metadata={"format": "pt", "note": "ünïcode"})
    loaded = stt.load_file(path)
    assert set(loaded) == set(tensors)
    for k, t in tensors.items():
        _assert_same(t, loaded[k])
    with st.safe_open(path, framework="pt") as f:
        assert f.metadata() == {"format": "pt", "note": "ünïcode"}
    # safetensors.numpy has no bfloat16: compare the rest
    loaded_np = stn.load(es.save({k: v for k, v in tensors.items() if "bf16" not in k}))
    for k, v in arrays.items():
        np.testing.assert_array_equal(loaded_np[k], v)
        assert loaded_np[k].dtype == v.dtype and loaded_np[k].shape == v.shape


def test_safetensors_torch_file_loads_in_ember(tmp_path):
    g = torch.Generator().manual_seed(0)
    tensors = {}
    for name in TORCH_DTYPES:
        dt = getattr(torch, name)
        x = torch.randn(4, 3, generator=g) * 20
        tensors[name] = x.to(dt) if name != "bool" else x > 0
        tensors[name + "_0d"] = x[0, 0].to(dt).clone()
        tensors[name + "_empty"] = torch.zeros(2, 0, dtype=dt)
    path = tmp_path / "t.safetensors"
    stt.save_file(tensors, path, metadata={"a": "1"})
    for loaded in (es.load_file(path), es.load(path.read_bytes())):
        assert set(loaded) == set(tensors)
        for k, t in tensors.items():
            assert isinstance(loaded[k], ember.Tensor)
            _assert_same(loaded[k], t)
            assert loaded[k].is_contiguous() and loaded[k]._data.flags.aligned
    # loaded tensors own their memory: writable, and independent of the file
    x = es.load_file(path)["float32"]
    x.add_(1)
    assert torch.equal(_torch_of(x), tensors["float32"] + 1)


def test_safe_open_matches_safetensors(tmp_path):
    path = tmp_path / "s.safetensors"
    w = torch.arange(60, dtype=torch.float32).reshape(3, 4, 5)
    stt.save_file({"w": w, "b": torch.ones(2, dtype=torch.bfloat16), "i": torch.arange(3)}, path,
                  metadata={"m": "x"})  # fmt: skip
    indices = [np.s_[1], np.s_[1:], np.s_[:, 2], np.s_[..., 1:4:2], np.s_[0, :, ::2],
               np.s_[-1], np.s_[1:2, ..., 3], np.s_[:0], np.s_[:]]  # fmt: skip
    with st.safe_open(path, framework="pt") as ref, es.safe_open(path, framework="pt") as ours:
        assert ours.keys() == ref.keys()
        assert ours.offset_keys() == ref.offset_keys()
        assert ours.metadata() == ref.metadata()
        for name in ref.keys():
            _assert_same(ours.get_tensor(name), ref.get_tensor(name))
            assert ours.get_slice(name).get_shape() == ref.get_slice(name).get_shape()
            assert ours.get_slice(name).get_dtype() == ref.get_slice(name).get_dtype()
        for ix in indices:
            _assert_same(ours.get_slice("w")[ix], ref.get_slice("w")[ix])
        _assert_same(ours.get_slice("b")[1:], ref.get_slice("b")[1:])
        for bad in (np.s_[5], np.s_[-4], np.s_[0, 0, 0, 0], np.s_[::-1]):
            with pytest.raises(Exception) as r:
                ref.get_slice("w")[bad]
            with pytest.raises(Exception) as e:
                ours.get_slice("w")[bad]
            assert type(e.value) is type(r.value)  # pt slices index as tensors do
        for ix in (np.s_[7:9], np.s_[0:9], np.s_[2:1], np.s_[-9:], np.s_[None, 1]):
            _assert_same(ours.get_slice("w")[ix], ref.get_slice("w")[ix])
        for f in (ref, ours):
            with pytest.raises(Exception, match="File does not contain tensor nope") as exc:
                f.get_tensor("nope")
            assert type(exc.value).__name__ == "SafetensorError"
    with es.safe_open(path, framework="numpy") as f:
        got = f.get_tensor("w")
        assert isinstance(got, np.ndarray)
        np.testing.assert_array_equal(got, w.numpy())
        np.testing.assert_array_equal(f.get_slice("w")[1, :, 2], w.numpy()[1, :, 2])
    # NumPy slices check their bounds as safetensors' NumPy slices do
    with st.safe_open(path, framework="np") as ref, es.safe_open(path, framework="np") as ours:
        for ix in (np.s_[1:], np.s_[..., 1:4:2], np.s_[-1], np.s_[0, :, ::2]):
            np.testing.assert_array_equal(ours.get_slice("w")[ix], ref.get_slice("w")[ix])
        for bad in (np.s_[5], np.s_[0, 0, 0, 0], np.s_[::-1], np.s_[7:9], np.s_[0:9]):
            with pytest.raises(st.SafetensorError) as r:
                ref.get_slice("w")[bad]
            with pytest.raises(es.SafetensorError) as e:
                ours.get_slice("w")[bad]
            assert str(e.value) == str(r.value)
    with pytest.raises(st.SafetensorError, match="framework foo is invalid"):
        st.safe_open(path, framework="foo")
    with pytest.raises(es.SafetensorError, match="framework foo is invalid"):
        es.safe_open(path, framework="foo")
    with pytest.raises(FileNotFoundError):
        es.safe_open(tmp_path / "missing", framework="pt")


# -- validation of malformed files -------------------------------------------------------------


def _file(header, data=b"", pad=True, n=None):
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h) if n is None else n) + h + data


def _t(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


BAD = {
    "empty_file": b"",
    "too_small": b"\0" * 4,
    "header_too_large": struct.pack("<Q", 100_000_001) + b"{}",
    "header_2_40": struct.pack("<Q", 2**40) + b"{}",
    "header_past_end": struct.pack("<Q", 100) + b"{}      ",
    "not_json": _file(b"{abc"),
    "zero_header": struct.pack("<Q", 0),
    "non_utf8": _file(b'{"\xff":1}'),
    "json_list": _file([1, 2]),
    "trailing_nul_in_header": _file(b"{}\0\0\0\0\0\0", pad=False),
    "overlap": _file({"a": _t(), "b": _t(offsets=(4, 12))}, b"\0" * 12),
    "gap": _file(
        {"a": _t(shape=[1], offsets=(0, 4)), "b": _t(shape=[1], offsets=(8, 12))}, b"\0" * 12
    ),  # fmt: skip
    "begin_after_end": _file({"a": _t(shape=[0], offsets=(8, 0))}, b"\0" * 8),
    "trailing_bytes": _file({"a": _t()}, b"\0" * 9),
    "truncated_data": _file({"a": _t()}, b"\0" * 7),
    "truncated_file": _file({"a": _t(shape=(4, 4), offsets=(0, 64))}, b"\0" * 64)[:-10],
    "extent_mismatch": _file({"a": _t(shape=[3])}, b"\0" * 8),
    "shape_overflow": _file({"a": _t(shape=[2**62, 2**62])}, b"\0" * 8),
    "unknown_dtype": _file({"a": _t(dtype="F33")}, b"\0" * 8),
    "lowercase_dtype": _file({"a": _t(dtype="f32")}, b"\0" * 8),
    "metadata_int_value": _file({"__metadata__": {"a": 1}}),
    "metadata_not_map": _file({"__metadata__": "x"}),
    "negative_dim": _file({"a": _t(shape=[-2])}, b"\0" * 8),
    "float_offset": _file(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0.0, 8]}}, b"\0" * 8
    ),  # fmt: skip
    "string_dim": _file(
        {"a": {"dtype": "F32", "shape": ["2"], "data_offsets": [0, 8]}}, b"\0" * 8
    ),  # fmt: skip
    "bool_dim": _file(
        {"a": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, b"\0" * 4
    ),  # fmt: skip
    "three_offsets": _file({"a": _t(offsets=(0, 8, 9))}, b"\0" * 8),
    "missing_offsets": _file({"a": {"dtype": "F32", "shape": [2]}}, b"\0" * 8),
    "entry_not_map": _file({"a": 5}),
    "deep_nesting": _file(b'{"a": {"x": ' + b"[" * 5000 + b"]" * 5000 + b"}}"),
    "nan_literal": _file(
        b'{"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0], "x": NaN}}'
    ),
}
# files the Rust reader accepts although a writer would never produce them
ODD_BUT_VALID = {
    "unpadded_header": _file({"a": _t()}, b"\x00\x00\x80?\x00\x00\x00@", pad=False),
    "extra_field": _file({"a": {**_t(), "x": 1}}, b"\0" * 8),
    "duplicate_key": _file(
        b'{"a":'
        + json.dumps(_t(shape=[1], offsets=(0, 4))).encode()
        + b',"a":'
        + json.dumps(_t(shape=[1], offsets=(0, 4))).encode()
        + b"}",
        b"\x00\x00\x80?",
    ),  # fmt: skip
    "empty_header": _file({}),
    "unpadded_empty": struct.pack("<Q", 2) + b"{}",
    "leading_spaces": _file(b"  {}"),
    "null_metadata": _file({"__metadata__": None}),
    "zero_sized": _file(
        {"a": _t(shape=[0, 5], offsets=(0, 0)), "b": _t(shape=[1], offsets=(0, 4))}, b"\0" * 4
    ),  # fmt: skip
}


def _message_core(msg: str) -> str:
    """The part of a safetensors message that names the fault (before serde's position)."""
    core = msg.split(": ", 1)[1]
    return core.split(" at line ")[0].split(":")[0]


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_raises_like_safetensors(case, tmp_path):
    data = BAD[case]
    with pytest.raises(st.SafetensorError) as ref:
        stn.load(data)
    with pytest.raises(es.SafetensorError) as ours:
        es.load(data)
    assert str(ours.value).startswith("Error while deserializing: ")
    assert _message_core(str(ref.value)) in str(ours.value)
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(st.SafetensorError) as ref:
        st.safe_open(path, framework="np")
    with pytest.raises(es.SafetensorError) as ours:
        es.safe_open(path, framework="np")
    assert str(ours.value).startswith("Error while deserializing header: ")
    assert _message_core(str(ref.value)) in str(ours.value)


@pytest.mark.parametrize("case", sorted(ODD_BUT_VALID))
def test_odd_but_valid_files_load_like_safetensors(case):
    ref = stt.load(ODD_BUT_VALID[case])
    ours = es.load(ODD_BUT_VALID[case])
    assert ours.keys() == ref.keys()
    for k in ref:
        _assert_same(ours[k], ref[k])


def test_unsupported_known_dtype_is_named():
    # F8_E4M3 is a valid safetensors dtype that ember has no tensor type for
    data = _file({"a": _t(dtype="F8_E4M3", shape=[2], offsets=(0, 2))}, b"\0\0")
    assert stt.load(data)["a"].dtype == torch.float8_e4m3fn
    with pytest.raises(es.SafetensorError, match="F8_E4M3"):
        es.load(data)


# -- writing -----------------------------------------------------------------------------------


def _both_raise(ember_dict, torch_dict, **kw):
    with pytest.raises(Exception) as ref:
        stt.save(torch_dict, **kw)
    with pytest.raises(Exception) as ours:
        es.save(ember_dict, **kw)
    assert type(ours.value) is type(ref.value), (ours.value, ref.value)
    return str(ours.value), str(ref.value)


def test_writer_refuses_what_safetensors_torch_refuses():
    w, tw = ember.zeros(4, 4), torch.zeros(4, 4)
    ours, ref = _both_raise({"a": w, "b": w}, {"a": tw, "b": tw})
    assert "Some tensors share memory" in ours and "Some tensors share memory" in ref
    _both_raise({"a": w[:3], "b": w[2:]}, {"a": tw[:3], "b": tw[2:]})
    ours, ref = _both_raise({"a": w.t()}, {"a": tw.t()})
    assert "non contiguous tensor: `a`" in ours and "non contiguous tensor: `a`" in ref
    _both_raise([w], [tw])
    _both_raise({"a": [1.0]}, {"a": [1.0]})
    _both_raise({"a": w}, {"a": tw}, metadata={"k": 1})
    # disjoint views of one buffer, and empty views, are fine for both
    parts = es.save({"a": w[:2], "b": w[2:], "c": w[:0]})
    assert stt.load(parts).keys() == {"a", "b", "c"}
    stt.save({"a": tw[:2], "b": tw[2:], "c": tw[:0]})
    # safetensors.numpy names unsupported dtypes with a SafetensorError; so does ember
    with pytest.raises(st.SafetensorError, match='Unknown dtype "complex128"'):
        stn.save({"a": np.zeros(2, np.complex128)})
    with pytest.raises(es.SafetensorError, match='Unknown dtype "complex128"'):
        es.save({"a": ember.zeros(2, dtype=ember.complex128)})


def test_save_file_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    es.save_file({"a": ember.ones(3)}, path)
    before = path.read_bytes()
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask

    def boom(fd):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk on fire"):
        es.save_file({"a": ember.zeros(1000)}, path)
    assert path.read_bytes() == before  # the old file is untouched
    assert os.listdir(tmp_path) == ["m.safetensors"]  # and no temporary file is left


def _tied(mod):
    m = mod.Sequential(mod.Embedding(5, 3), mod.Linear(3, 5, bias=False))
    m[1].weight = m[0].weight
    return m


def test_save_model_drops_tied_weights_like_safetensors(tmp_path):
    tm, em = _tied(torch.nn), _tied(ember.nn)
    with torch.no_grad():
        tm[0].weight.copy_(torch.arange(15.0).reshape(5, 3))
    em[0].weight.data = ember.arange(15.0).reshape(5, 3)
    em[1].weight = em[0].weight
    stt.save_model(tm, tmp_path / "t.safetensors")
    es.save_model(em, tmp_path / "e.safetensors")
    for p in ("t", "e"):
        with st.safe_open(tmp_path / f"{p}.safetensors", framework="pt") as f:
            assert f.keys() == ["0.weight"]
            assert f.metadata() == {"1.weight": "0.weight"}
    # each side loads the other's file into its tied model
    em2, tm2 = _tied(ember.nn), _tied(torch.nn)
    assert es.load_model(em2, tmp_path / "t.safetensors") == ([], [])
    assert stt.load_model(tm2, tmp_path / "e.safetensors") == (set(), [])
    assert torch.equal(_torch_of(em2[1].weight.detach()), tm2[1].weight.detach())
    with pytest.raises(RuntimeError, match="Missing key"):
        es.load_model(ember.nn.Linear(3, 5), tmp_path / "t.safetensors")
