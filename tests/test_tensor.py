"""The Tensor's own API against torch: Size, shape and memory-layout metadata of views, element
access and conversion (item, tolist, numpy, __array__, len, iter, bool/int/float/index), dtype
conversion (to, type, float() ...), new_* methods, and the printed form of several dtypes."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember.ops.shape import _slice  # noqa: E402

NAMES = ("bool uint8 int8 int16 int32 int64 float16 bfloat16 float32 float64 "
         "complex64 complex128").split()  # fmt: skip


def _builtin(exc):
    return next(c for c in type(exc).__mro__ if c.__module__ == "builtins")


def both(fn):
    """``fn(lib)`` for torch and ember; each result or the exception raised."""
    out = []
    for lib in (torch, ember):
        try:
            out.append(fn(lib))
        except Exception as e:  # noqa: BLE001 - compared by the caller
            out.append(e)
    return out


def same(fn):
    """``fn(lib)`` gives equal results in torch and ember (Size, dtype and device objects by their
    printed form), or raises the same builtin exception type in both."""
    t, e = both(fn)
    if isinstance(t, Exception):
        assert isinstance(e, _builtin(t)), f"torch raised {t!r}, ember gave {e!r}"
        return
    assert not isinstance(e, Exception), f"torch gave {t!r}, ember raised {e!r}"
    if isinstance(t, (torch.Size, torch.dtype, torch.device)):
        assert repr(e) == repr(t).replace("torch.", "ember.")
    elif isinstance(t, torch.Tensor):
        assert repr(e) == repr(t).replace("torch.", "ember.")
    else:
        assert type(e) is type(t) and e == t, f"{e!r} != torch {t!r}"


def _step(x, dim, start, stop, step):
    if isinstance(x, torch.Tensor):
        return x[(slice(None),) * dim + (slice(start, stop, step),)]
    return _slice(x, dim=dim, start=start, end=stop, step=step)


# -- Size ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [lambda L: L.Size([2, 3]), lambda L: L.Size(), lambda L: L.Size((4,)),
     lambda L: str(L.Size([2])).replace(L.__name__, "lib"), lambda L: L.Size([2, 3]).numel(),
     lambda L: L.Size([]).numel(), lambda L: L.Size([2, 0]).numel(),
     lambda L: L.Size([2, 3])[1:], lambda L: L.Size([2, 3])[::-1], lambda L: L.Size([2, 3])[0],
     lambda L: L.Size([2, 3]) + (4,), lambda L: (4,) + L.Size([2, 3]), lambda L: L.Size([2]) * 2,
     lambda L: 2 * L.Size([2]), lambda L: L.Size([2]) + [3], lambda L: L.Size([2.5]),
     lambda L: L.Size(3), lambda L: L.Size([np.int64(2), True]), lambda L: L.Size([L.tensor(2)]),
     lambda L: L.Size([L.tensor(2.0)]), lambda L: L.Size([2, 3]) == (2, 3),
     lambda L: L.Size([2, 3]) == [2, 3], lambda L: hash(L.Size([2, 3])) == hash((2, 3)),
     lambda L: L.Size([2, 3]).index(3), lambda L: L.Size([-1]), lambda L: L.ones(2, 3).shape,
     lambda L: L.ones(()).shape, lambda L: L.ones(2, 3).size(), lambda L: L.ones(2, 3).shape[1:],
     lambda L: type(L.ones(2).shape) is L.Size],
)  # fmt: skip
def test_size(fn):
    same(fn)


# -- metadata and memory layout of views --------------------------------------------------------

VIEWS = {
    "contiguous": lambda x: x,
    "transpose": lambda x: x.transpose(0, 2),
    "permute": lambda x: x.permute(1, 0, 2),
    "T_2d": lambda x: x.select(0, 1).T,
    "sliced": lambda x: _step(_step(x, 1, 1, None, 1), 2, None, None, 2),
    "step3": lambda x: _step(x, 2, 1, None, 3),
    "select0": lambda x: x.select(0, 1),
    "select_last": lambda x: x.select(2, 1),
    "expand": lambda x: x.narrow(1, 0, 1).expand(2, 5, 4),
    "expand_new_dim": lambda x: x.select(0, 0).expand(3, 3, 4),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "unsqueeze_sliced": lambda x: x.narrow(2, 1, 1).unsqueeze(0),
    "unsqueeze_last": lambda x: x.select(2, 0).unsqueeze(-1),
    "narrow": lambda x: x.narrow(2, 1, 2),
    "narrow_transposed": lambda x: x.transpose(1, 2).narrow(0, 1, 1),
    "size_one": lambda x: x.narrow(1, 1, 1),
    "empty": lambda x: x.narrow(1, 0, 0),
    "view": lambda x: x.view(6, 4),
    "reshape_narrow": lambda x: x.reshape(-1).narrow(0, 3, 21),
    "transposed_size_one": lambda x: x.narrow(0, 0, 1).transpose(0, 2),
    "expand_transposed": lambda x: x.select(0, 0).narrow(1, 0, 1).expand(3, 7).t(),
    "scalar": lambda x: x.select(0, 1).select(0, 2).select(0, 3),
    "squeeze": lambda x: x.narrow(1, 1, 1).squeeze(1),
}
METADATA = ["stride()", "storage_offset()", "is_contiguous()", "shape", "size()", "size(-1)",
            "dim()", "ndim", "numel()", "nelement()", "ndimension()", "stride(0)", "stride(-1)",
            "size(3)", "stride(3)", "size(-4)", "element_size()", "is_contiguous() == "
            "contiguous().is_contiguous()", "contiguous().stride()"]  # fmt: skip


@pytest.mark.parametrize("view", VIEWS)
def test_view_metadata(view):
    """The same view made in both libraries has torch's strides, offset and contiguity."""
    for attr in METADATA:
        same(lambda L: eval(f"v.{attr}", {"v": VIEWS[view](L.arange(24.0).reshape(2, 3, 4))}))  # noqa: B023


@pytest.mark.parametrize("view", VIEWS)
def test_data_ptr_follows_offset(view):
    base = ember.arange(24.0).reshape(2, 3, 4)
    v = VIEWS[view](base)
    if v.numel():
        assert v.data_ptr() - base.data_ptr() == v.storage_offset() * v.element_size()


def test_fresh_tensor_layouts():
    for shape in [(2, 0, 4), (0,), (3, 1), (1, 4), (0, 0), (1,), (2, 1, 1), ()]:
        for make in ("zeros", "ones", "empty", "rand"):
            same(lambda L: getattr(L, make)(shape).stride())  # noqa: B023
            same(lambda L: getattr(L, make)(shape).is_contiguous())  # noqa: B023
    same(lambda L: L.ones(1, 4).T.stride())
    same(lambda L: L.ones(1, 4).T.is_contiguous())


@pytest.mark.parametrize("call", ["size", "stride"])
@pytest.mark.parametrize("arg", [2, -3, 5, 1.5, "0"])
def test_dim_argument_errors(call, arg):
    same(lambda L: getattr(L.ones(2, 3), call)(arg))
    same(lambda L: getattr(L.tensor(1.0), call)(0))
    same(lambda L: getattr(L.tensor(1.0), call)(-1))
    same(lambda L: getattr(L.ones(2, 3), call)(dim=1))


@pytest.mark.parametrize("name", NAMES)
def test_element_size_and_flags(name):
    for attr in ("element_size()", "itemsize", "nbytes", "is_floating_point()", "is_complex()",
                 "is_signed()", "dtype", "device", "is_cuda", "is_cpu", "get_device()",
                 "is_sparse", "is_quantized", "is_meta"):  # fmt: skip
        same(lambda L: eval(f"t.{attr}", {"t": L.ones(2, 3, dtype=getattr(L, name))}))  # noqa: B023


# -- element access and conversion --------------------------------------------------------------


SCALAR_CONVERSIONS = [
    lambda t: t.item(), lambda t: type(t.item()), lambda t: int(t), lambda t: float(t),
    lambda t: bool(t), lambda t: complex(t), lambda t: [10, 20, 30, 40][t], lambda t: t.tolist(),
    lambda t: type(t.tolist()), lambda t: f"{t:.3f}", lambda t: f"{t}",
]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_item_tolist_and_python_numbers(name):
    for v in (3, 0, 1):
        for fn in SCALAR_CONVERSIONS:
            same(lambda L: fn(L.tensor(v, dtype=getattr(L, name))))  # noqa: B023
    for data in ([[1, 0], [3, 2]], [], [[[1]]]):
        same(lambda L: L.tensor(data, dtype=getattr(L, name)).tolist())  # noqa: B023
        same(lambda L: [type(x) for x in L.tensor(data, dtype=getattr(L, name)).view(-1).tolist()])  # noqa: B023


@pytest.mark.parametrize(
    "fn",
    [lambda L: L.tensor([1, 2]).item(), lambda L: L.tensor([]).item(),
     lambda L: L.ones(1, 1).item(),
     lambda L: int(L.ones(2)), lambda L: float(L.ones(2)), lambda L: float(L.ones(1, 1, 1)),
     lambda L: int(L.tensor(2.7)), lambda L: int(L.tensor(-2.7)), lambda L: int(L.tensor(3 + 1j)),
     lambda L: float(L.tensor(3 + 1j)), lambda L: complex(L.ones(2)), lambda L: bool(L.ones(2)),
     lambda L: bool(L.ones(0)), lambda L: bool(L.zeros(1, 1)),
     lambda L: bool(L.tensor(float("nan"))),
     lambda L: L.tensor(2.7).__index__(), lambda L: L.tensor([2]).__index__(),
     lambda L: L.tensor(True).__index__(), lambda L: L.ones(2, dtype=L.int64).__index__(),
     lambda L: len(L.ones(3, 2)), lambda L: len(L.tensor(3)), lambda L: list(L.tensor(3)),
     lambda L: len(L.ones(0, 2)), lambda L: [x.tolist() for x in L.tensor([[1, 2], [3, 4]])],
     lambda L: [x.shape for x in L.ones(3, 2)]],
)  # fmt: skip
def test_conversion_errors_and_iteration(fn):
    same(fn)


def test_numpy_shares_memory():
    t = ember.zeros(3)
    a = t.numpy()
    a[0] = 5
    assert t.tolist() == [5.0, 0.0, 0.0]
    t.add_(1)
    assert a.tolist() == [6.0, 1.0, 1.0]
    v = ember.arange(6.0).reshape(2, 3).transpose(0, 1)
    assert np.shares_memory(v.numpy(), v.numpy()) and v.numpy().strides == (8 // 2, 12)
    same(lambda L: L.ones(2).numpy().dtype == np.float32)
    same(lambda L: L.ones(2, dtype=L.int16).numpy().dtype == np.int16)


@pytest.mark.parametrize(
    "fn",
    [lambda L: L.ones(2, requires_grad=True).numpy(),
     lambda L: np.asarray(L.ones(2, requires_grad=True)),
     lambda L: L.ones(2, requires_grad=True).numpy(force=True).tolist(),
     lambda L: L.ones(2, requires_grad=True).detach().numpy().tolist(),
     lambda L: (L.ones(2, requires_grad=True) * 2).tolist(),
     lambda L: L.ones(1, requires_grad=True).item(),
     lambda L: np.asarray(L.ones(2, dtype=L.int32)).tolist(),
     lambda L: np.asarray(L.ones(2), dtype=np.float64).dtype == np.float64,
     lambda L: np.array(L.tensor(2)).tolist(), lambda L: np.asarray(L.ones(2, 3).T).shape],
)  # fmt: skip
def test_numpy_and_array_protocol(fn):
    same(fn)


def test_array_protocol_shares_memory():
    t = ember.zeros(2)
    np.asarray(t)[1] = 3
    assert t.tolist() == [0.0, 3.0]


# -- dtype conversion -------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_to_dtype(name):
    vals = [0.0, 1.5, 2.0, 7.75] if name in ("bool", "uint8") else [1.5, -2.5, 0.0, 3.75]
    same(lambda L: L.tensor(vals).to(getattr(L, name)))
    same(lambda L: L.tensor(vals).to(dtype=getattr(L, name)))
    same(lambda L: L.tensor(vals).type(getattr(L, name)))
    same(lambda L: L.tensor([1, 0, 3], dtype=getattr(L, name)).to(L.float64))
    same(lambda L: L.tensor([1, 0, 3], dtype=getattr(L, name)).type())
    same(lambda L: L.tensor([1, 0, 3]).type(L.tensor([1, 0], dtype=getattr(L, name)).type()))
    for method in ("float", "double", "half", "bfloat16", "int", "long", "short", "char", "byte",
                   "bool", "cfloat", "cdouble"):  # fmt: skip
        same(lambda L: getattr(L.tensor([1, 0, 3], dtype=getattr(L, name)), method)())  # noqa: B023


@pytest.mark.parametrize(
    "fn",
    [lambda L: L.ones(2).type("torch.DoubleTensor"), lambda L: L.ones(2).type("torch.IntTensor"),
     lambda L: L.ones(2).type("DoubleTensor"), lambda L: L.ones(2).type("torch.Bogus"),
     lambda L: L.ones(2).to("cpu", L.float64), lambda L: L.ones(2).to(L.ones(1, dtype=L.int8)),
     lambda L: L.ones(2).to(device="cpu", dtype=L.float16), lambda L: L.ones(2).to("bogus"),
     lambda L: (lambda t: t.to(L.float32) is t)(L.ones(2)),
     lambda L: (lambda t: t.to("cpu") is t)(L.ones(2)),
     lambda L: (lambda t: t.to(L.float32, copy=True) is t)(L.ones(2)),
     lambda L: (lambda t: t.float() is t)(L.ones(2)),
     lambda L: (lambda t: t.type(t.dtype) is t)(L.ones(2)),
     lambda L: L.ones(2, requires_grad=True).double().grad_fn.name(),
     lambda L: L.ones(2, requires_grad=True).float().grad_fn,
     lambda L: L.ones(2, requires_grad=True).int().requires_grad],
)  # fmt: skip
def test_to_and_type(fn):
    same(fn)


def test_type_string_round_trip():
    # user code compares these strings, so ember keeps torch's literal ones
    for name in NAMES:
        s = ember.ones(1, dtype=getattr(ember, name)).type()
        assert s == torch.ones(1, dtype=getattr(torch, name)).type()
        assert ember.ones(2).type(s).dtype is getattr(ember, name)
        assert ember.ones(2).type(s.replace("torch.", "ember.")).dtype is getattr(ember, name)


# -- new tensors like this one ------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [lambda L: L.ones(2, dtype=L.float64).new_zeros(3), lambda L: L.ones(2).new_zeros((2, 3)),
     lambda L: L.ones(2, dtype=L.int8).new_ones(2, 3), lambda L: L.ones(2).new_full((2,), 3),
     lambda L: L.ones(2, dtype=L.int16).new_full((2,), 3.7),
     lambda L: L.ones(2, dtype=L.float64).new_tensor([1, 2]),
     lambda L: L.ones(2, dtype=L.float64).new_tensor([1, 2], dtype=L.int32),
     lambda L: L.ones(2, dtype=L.float64).new_empty(2).shape,
     lambda L: L.ones(2, dtype=L.float64).new_empty((2, 1)).dtype,
     lambda L: L.ones(2).new_zeros(2, requires_grad=True),
     lambda L: L.ones(2, dtype=L.int32).new_zeros(2, requires_grad=True)],
)  # fmt: skip
def test_new_methods(fn):
    same(fn)


# -- printed form -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_repr_by_dtype(name):
    same(lambda L: L.tensor([[1, 0, 3], [2, 5, 1]], dtype=getattr(L, name)))
    same(lambda L: L.tensor(3, dtype=getattr(L, name)))
    same(lambda L: L.tensor([], dtype=getattr(L, name)))
    same(lambda L: L.zeros(2, 0, dtype=getattr(L, name)))
    if name in ("float16", "bfloat16", "float32", "float64", "complex64", "complex128"):
        same(lambda L: L.tensor([1.5, -2.25, 1e-3], dtype=getattr(L, name)))
        same(lambda L: L.tensor([1.5, 2.5], dtype=getattr(L, name), requires_grad=True))
        same(lambda L: L.tensor([1.5, 2.5], dtype=getattr(L, name), requires_grad=True) * 2)


def test_layout_and_memory_formats():
    for name in ("strided", "contiguous_format", "channels_last", "channels_last_3d",
                 "preserve_format"):  # fmt: skip
        assert repr(getattr(ember, name)) == repr(getattr(torch, name)).replace("torch.", "ember.")
    for L in (torch, ember):
        assert repr(L.ones(2).layout).endswith(".strided")
    for shape, fmt in (((2, 3, 4, 5), "channels_last"), ((2, 3, 4, 5, 6), "channels_last_3d")):
        got = []
        for L in (torch, ember):
            x = L.ones(*shape)
            y = x.contiguous(memory_format=getattr(L, fmt))
            f = getattr(L, fmt)
            got.append((y.stride(), x.is_contiguous(memory_format=f),
                        y.is_contiguous(memory_format=f), y.is_contiguous()))  # fmt: skip
        assert got[0] == got[1]
