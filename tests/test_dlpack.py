"""DLPack and memory sharing: ember <-> NumPy <-> torch without copies, checked against torch.

Each exchange is checked for sharing (same address, writes seen on the other side), values,
dtypes and strides; bad inputs must raise what torch raises.
"""

from __future__ import annotations

import array

import numpy as np
import pytest

torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.filterwarnings("ignore:The given buffer is not writable"),
    pytest.mark.filterwarnings("ignore:torch.asarray. unspecified requires_grad"),
]

import ember
from ember.utils import dlpack as edl

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64",
          "float16", "bfloat16", "float32", "float64", "complex64", "complex128"]  # fmt: skip
NUMPY_DTYPES = [d for d in DTYPES if d != "bfloat16"]  # NumPy's DLPack has no bfloat16


def _pair(name, shape=(3, 4)):
    """The same values as a torch tensor and an ember tensor (separate memory)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(*shape, generator=g) * 30
    t = (x > 0) if name == "bool" else x.to(getattr(torch, name))
    if name.startswith("uint") and name != "uint8":
        t = x.abs().to(torch.int64).to(getattr(torch, name))
    if name == "bfloat16":
        e = ember.from_numpy(t.view(torch.int16).numpy().copy()).view(ember.bfloat16)
    elif name in ("uint16", "uint32", "uint64"):
        e = ember.from_numpy(t.to(torch.int64).numpy().astype(name))
    else:
        e = ember.from_numpy(t.numpy().copy())
    return t, e


def _same(e, t):
    """ember tensor e and torch tensor t hold equal values of the same dtype and shape."""
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert tuple(e.shape) == tuple(t.shape)
    back = torch.from_dlpack(e.detach())
    assert torch.equal(back, t)


def _one(name):
    return {"bool": True, "complex64": 1 + 2j, "complex128": 1 + 2j}.get(name, 7)


@pytest.mark.parametrize("name", DTYPES)
def test_torch_from_ember_shares_memory(name):
    t, e = _pair(name)
    got = torch.from_dlpack(e)
    assert got.dtype == t.dtype and torch.equal(got, t)
    assert got.data_ptr() == e.data_ptr()
    got[1, 2] = _one(name)  # torch writes, ember sees
    assert e[1, 2].item() == got[1, 2].item()
    e[0, 0] = _one(name)  # ember writes, torch sees
    assert got[0, 0].item() == e[0, 0].item()


@pytest.mark.parametrize("name", DTYPES)
def test_ember_from_torch_shares_memory(name):
    t, _ = _pair(name)
    e = ember.from_dlpack(t)
    assert isinstance(e, ember.Tensor)
    _same(e, t)
    assert e.data_ptr() == t.data_ptr()
    e[2, 3] = _one(name)
    assert t[2, 3].item() == e[2, 3].item()
    t[0, 1] = _one(name)
    assert e[0, 1].item() == t[0, 1].item()


@pytest.mark.parametrize("name", NUMPY_DTYPES)
def test_numpy_exchange_shares_memory(name):
    t, e = _pair(name)
    a = np.from_dlpack(e)
    assert a.dtype == t.numpy().dtype and a.ctypes.data == e.data_ptr()
    np.testing.assert_array_equal(a, t.numpy())
    a[0, 0] = _one(name)
    assert e[0, 0].item() == a[0, 0].item()
    back = ember.from_dlpack(a)
    assert back.data_ptr() == a.ctypes.data
    back[1, 1] = _one(name)
    assert a[1, 1] == back[1, 1].item()


VIEWS = {
    "transpose": lambda x: x.t(),
    "step": lambda x: x[::2, 1::2],
    "column": lambda x: x[:, 2],
    "offset": lambda x: x[1:, 1:],
    "expand": lambda x: x[:1].expand(5, 4),
    "zero_d": lambda x: x[1, 1],
    "empty": lambda x: x[:0],
    "empty_cols": lambda x: x[:, 4:],
}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_strided_views_keep_torch_strides(view):
    t, e = _pair("float64")
    tv, ev = VIEWS[view](t), VIEWS[view](e)
    got = torch.from_dlpack(ev)  # ember view -> torch
    assert torch.equal(got, tv) and got.shape == tv.shape
    if tv.numel() > 1:
        assert got.stride() == tv.stride()
    if tv.numel():
        assert got.data_ptr() == ev.data_ptr()
    back = ember.from_dlpack(tv)  # torch view -> ember
    _same(back, tv)
    if tv.numel() > 1:
        assert back.stride() == tv.stride()
    if tv.numel():
        assert back.data_ptr() == tv.data_ptr()
    if view in ("transpose", "step", "column"):
        got.fill_(-1.0)  # a write through a strided alias reaches exactly the view's elements
        tv.fill_(-1.0)
        _same(e, t)


def test_requires_grad_and_stream_errors_match_torch():
    t, e = torch.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    for f in (torch.from_dlpack, np.from_dlpack, ember.from_dlpack):
        for src in (t, e):
            with pytest.raises(BufferError, match="Can't export tensors that require gradient"):
                f(src)
    for kwargs, exc in (({"stream": 3}, AssertionError), ({"stream": "x"}, TypeError)):
        with pytest.raises(exc) as ref:
            t.detach().__dlpack__(**kwargs)
        with pytest.raises(exc) as ours:
            e.detach().__dlpack__(**kwargs)
        assert str(ours.value) == str(ref.value)
    # stream=None and -1 are fine on the CPU
    assert torch.equal(torch.from_dlpack(_Wrap(e.detach(), stream=None)), t.detach())


class _Wrap:
    """A producer that forwards to a tensor with fixed extra kwargs."""

    def __init__(self, src, **extra):
        self.src, self.extra = src, extra

    def __dlpack__(self, **kw):
        return self.src.__dlpack__(**{**kw, **self.extra})

    def __dlpack_device__(self):
        return self.src.__dlpack_device__()


def test_versions_device_and_capsules_match_torch():
    t, e = torch.arange(3.0), ember.arange(3.0)
    assert e.__dlpack_device__() == t.__dlpack_device__()
    assert type(e.__dlpack_device__()[0]).__name__ == "DLDeviceType"
    assert int(edl.DLDeviceType.kDLCUDA) == int(torch.utils.dlpack.DLDeviceType.kDLCUDA)
    for kwargs in ({}, {"max_version": (1, 0)}, {"max_version": (0, 8)}, {"max_version": (1, 3)},
                   {"copy": True}, {"dl_device": (1, 0)}):  # fmt: skip
        ref, ours = t.__dlpack__(**kwargs), e.__dlpack__(**kwargs)
        assert repr(ours).split('"')[1] == repr(ref).split('"')[1]  # dltensor(_versioned)
        assert torch.equal(torch.from_dlpack(ours), torch.from_dlpack(ref))
    # legacy capsules in both directions, consumed once
    cap = edl.to_dlpack(e)
    got = torch.from_dlpack(cap)
    assert got.data_ptr() == e.data_ptr()
    with pytest.raises(RuntimeError, match="consumed only once"):
        torch.from_dlpack(cap)
    cap = torch.utils.dlpack.to_dlpack(t)
    got = edl.from_dlpack(cap)
    assert got.data_ptr() == t.data_ptr()
    with pytest.raises(RuntimeError, match="consumed only once"):
        ember.from_dlpack(cap)
    for f, to in (
        (torch.from_dlpack, edl.to_dlpack),
        (ember.from_dlpack, torch.utils.dlpack.to_dlpack),
    ):
        for kw in ({"copy": True}, {"device": "cpu"}):
            with pytest.raises(AssertionError, match="already a DLPack capsule"):
                f(to(e if to is edl.to_dlpack else t), **kw)


@pytest.mark.parametrize("copy", [None, True, False])
def test_copy_kwarg_like_torch(copy):
    t, e = torch.arange(4.0), ember.arange(4.0)
    shares = copy is not True
    assert (torch.from_dlpack(e, copy=copy).data_ptr() == e.data_ptr()) is shares
    assert (ember.from_dlpack(t, copy=copy).data_ptr() == t.data_ptr()) is shares
    a = np.arange(4.0)
    assert (ember.from_dlpack(a, copy=copy).data_ptr() == a.ctypes.data) is shares
    assert (torch.from_dlpack(a, copy=copy).data_ptr() == a.ctypes.data) is shares
    assert (ember.from_dlpack(e, copy=copy).data_ptr() == e.data_ptr()) is shares
    assert (torch.from_dlpack(t, copy=copy).data_ptr() == t.data_ptr()) is shares
    out = ember.from_dlpack(t, device="cpu", copy=copy)
    assert out.device == ember.device("cpu") and torch.equal(torch.from_dlpack(out), t)


def test_torch_roundtrip_through_ember_keeps_bfloat16_bits():
    t = torch.randn(5, 3).to(torch.bfloat16)
    e = ember.from_dlpack(t)
    assert e.dtype == ember.bfloat16
    assert torch.equal(torch.from_dlpack(e).view(torch.int16), t.view(torch.int16))
    f = e.float()  # ember computes with what it imported
    assert torch.equal(torch.from_dlpack(f), t.float())


# -- asarray / as_tensor -----------------------------------------------------------------------


class _DL:
    """A foreign producer with only the DLPack protocol."""

    def __init__(self, a):
        self.a = a

    def __dlpack__(self, **kw):
        return self.a.__dlpack__(**kw)

    def __dlpack_device__(self):
        return self.a.__dlpack_device__()


def _sources():
    base = np.arange(6, dtype=np.float32)
    return base, {
        "ndarray": lambda: base,
        "ndarray_view": lambda: base[::2],
        "ndarray_int": lambda: np.arange(6),
        "dlpack": lambda: _DL(base),
        "memoryview": lambda: memoryview(base),
        "memoryview_int": lambda: memoryview(np.arange(4)),
        "bytearray": lambda: bytearray(b"abcdefgh"),
        "bytes": lambda: b"abcdabcd",
        "array_i": lambda: array.array("i", [1, 2, 3, 4]),
        "np_scalar": lambda: np.float64(2.5),
        "list": lambda: [1.0, 2.0],
        "int": lambda: 3,
    }


def _outcome(f, src, base, **kw):
    try:
        r = f(src(), **kw)
    except Exception as exc:  # compared by type with torch's
        return type(exc)
    ptr = base.ctypes.data
    shared = r.numel() > 0 and (ptr <= r.data_ptr() < ptr + base.nbytes)
    return str(r.dtype).split(".")[1], tuple(r.shape), shared, r.tolist()


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"copy": True},
        {"copy": False},
        {"dtype": "float64"},
        {"dtype": "float32"},
        {"dtype": "float64", "copy": False},
        {"dtype": "int32"},
    ],  # fmt: skip
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "default",
)
def test_asarray_matches_torch(kw):
    base, sources = _sources()
    for name, src in sources.items():
        if name == "dlpack" and kw.get("copy") is not None:
            # torch 2.13 ignores copy= for DLPack producers (copy=False raises "can't alias
            # arbitrary sequence", copy=True still aliases); ember honours it: checked below
            continue
        tk = {k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()}
        ek = {k: getattr(ember, v) if k == "dtype" else v for k, v in kw.items()}
        with np.errstate(all="ignore"):
            ref = _outcome(torch.asarray, src, base, **tk)
            ours = _outcome(ember.asarray, src, base, **ek)
        assert ours == ref, name


def test_as_tensor_matches_torch():
    base, sources = _sources()
    for name, src in sources.items():
        for kw in ({}, {"dtype": "float64"}):
            tk = {k: getattr(torch, v) for k, v in kw.items()}
            ek = {k: getattr(ember, v) for k, v in kw.items()}
            with np.errstate(all="ignore"):
                assert _outcome(ember.as_tensor, src, base, **ek) == _outcome(
                    torch.as_tensor, src, base, **tk
                ), (name, kw)


def test_asarray_tensor_copy_and_requires_grad_like_torch():
    def run(lib):
        leaf = lib.ones(3, requires_grad=True)
        plain = lib.ones(3)
        nonleaf = leaf * 2
        out = []
        for src in (leaf, plain, nonleaf):
            for kw in ({}, {"copy": True}, {"requires_grad": False}, {"requires_grad": True},
                       {"copy": True, "requires_grad": False}, {"dtype": lib.float64},
                       {"dtype": lib.float64, "copy": False}):  # fmt: skip
                try:
                    r = lib.asarray(src, **kw)
                except Exception as exc:
                    out.append(type(exc))
                    continue
                gf = r.grad_fn.name() if r.grad_fn is not None else None
                out.append((r is src, r.requires_grad, r.is_leaf, gf,
                            r.data_ptr() == src.data_ptr(), src.requires_grad))  # fmt: skip
        return out

    assert run(ember) == run(torch)


class _ArrayInterface:
    """An object exposing only NumPy's array interface (as many C extensions do)."""

    def __init__(self, a):
        self.keep = a
        self.__array_interface__ = a.__array_interface__


def test_array_interface_objects_share_memory_like_numpy():
    # ember's addition (torch raises "Could not infer dtype" here): NumPy's own rules apply
    a = np.arange(12, dtype=np.int16).reshape(3, 4)[:, 1:]
    obj = _ArrayInterface(a)
    via_np = np.asarray(obj)
    for t in (ember.asarray(obj), ember.as_tensor(obj), ember.asarray(obj, copy=False)):
        assert t.dtype == ember.int16 and tuple(t.shape) == via_np.shape
        assert t.data_ptr() == via_np.ctypes.data and t.stride() == (4, 1)
    t = ember.asarray(obj)
    t[0, 0] = 99
    assert a[0, 0] == 99
    assert ember.asarray(obj, copy=True).data_ptr() != a.ctypes.data
    with pytest.raises(RuntimeError, match="Could not infer dtype"):
        torch.asarray(obj)


def test_asarray_copy_of_dlpack_producer():
    a = np.arange(4.0)
    assert ember.asarray(_DL(a), copy=False).data_ptr() == a.ctypes.data
    assert ember.asarray(_DL(a), copy=True).data_ptr() != a.ctypes.data
    assert torch.equal(torch.from_dlpack(ember.asarray(_DL(a), copy=True)), torch.from_numpy(a))


def test_numpy_errors_match_torch():
    for bad in (np.arange(4)[::-1], np.arange(3, dtype=">i4"), np.array(["a"], dtype=object)):
        for kw in ({}, {"copy": False}):
            with pytest.raises(Exception) as ref:
                torch.asarray(bad, **kw)
            with pytest.raises(Exception) as ours:
                ember.asarray(bad, **kw)
            assert type(ours.value) is type(ref.value)
