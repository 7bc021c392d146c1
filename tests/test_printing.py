"""ember._printing.format_tensor against repr(torch.tensor(...)) with "torch." -> "ember."."""

import os

import numpy as np
import pytest


def _import_oracle():
    """torch, or a skip; with EMBER_REQUIRE_ORACLE=1 a missing torch is a failure instead."""
    if os.environ.get("EMBER_REQUIRE_ORACLE") == "1":
        import torch

        return torch
    return pytest.importorskip("torch")


torch = _import_oracle()

import ember._dtype as D
from ember._printing import format_tensor, get_printoptions, set_printoptions


def _torch_tensor(arr, dtype):
    """The torch tensor holding ``arr``'s values, with the torch dtype named like ``dtype``."""
    torch_dtype = getattr(torch, dtype.name)
    if dtype is D.bfloat16:  # torch.from_numpy does not take ml_dtypes arrays; float32 is exact
        arr = arr.astype(np.float32)
    return torch.from_numpy(np.array(arr)).to(torch_dtype)


def _expected(arr, dtype, **kw):
    t = _torch_tensor(arr, dtype)
    if kw.get("requires_grad"):
        t.requires_grad_()
    return repr(t).replace("torch.", "ember.")


def _check(arr, dtype, requires_grad=False):
    with np.errstate(over="ignore"):
        arr = np.asarray(arr).astype(D.to_numpy_dtype(dtype))
    got = format_tensor(arr, dtype=dtype, requires_grad=requires_grad)
    assert got == _expected(arr, dtype, requires_grad=requires_grad)


@pytest.fixture(autouse=True)
def _restore_options():
    yield
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    D.set_default_dtype(D.float32)
    torch.set_default_dtype(torch.float32)


def _rng(seed=0):
    return np.random.default_rng(seed)


FLOAT_CASES = {
    "normal": lambda: _rng(1).normal(size=(4, 5)),
    "normal_small": lambda: _rng(2).normal(size=7) * 1e-3,
    "normal_1e-5": lambda: _rng(3).normal(size=6) * 1e-5,
    "normal_1e9": lambda: _rng(4).normal(size=(3, 3)) * 1e9,
    "normal_100": lambda: _rng(5).normal(size=(2, 6)) * 100,
    "range_ratio": lambda: np.array([0.001, 1.5, 2.0]),
    "just_below_ratio": lambda: np.array([0.01, 9.99]),
    "ints_as_float": lambda: np.array([1.0, 2.0, -3.0, 10.0]),
    "int_floats_sci": lambda: np.array([1.0, 1e9]),
    "int_floats_ratio": lambda: np.array([1.0, 2000.0]),
    "zeros": lambda: np.zeros((2, 3)),
    "neg_zero": lambda: np.array([-0.0, 0.0, 1.0]),
    "neg_zero_frac": lambda: np.array([-0.0, 0.5, -1.25]),
    "nan_inf": lambda: np.array([np.nan, np.inf, -np.inf, 1.0, 2.0]),
    "nan_inf_frac": lambda: np.array([np.nan, np.inf, -np.inf, 1.5]),
    "nan_inf_sci": lambda: np.array([np.nan, -np.inf, 1e-7, 3.0]),
    "only_nonfinite": lambda: np.array([np.nan, np.inf]),
    "rounding_up": lambda: np.array([9.99996, 0.5]),
    "huge": lambda: np.array([1e30, -2.5e-30]),
    "mixed_signs": lambda: np.array([[-1.5, 2.25], [3.125, -400.0]]),
    "scalar": lambda: np.array(3.5),
    "scalar_int_valued": lambda: np.array(-2.0),
    "scalar_nan": lambda: np.array(np.nan),
    "scalar_tiny": lambda: np.array(1e-8),
    "3d": lambda: _rng(6).normal(size=(2, 3, 4)),
    "4d": lambda: _rng(7).normal(size=(2, 2, 2, 3)),
    "wide_row": lambda: _rng(8).normal(size=40) * 1000,
    "wide_2d": lambda: _rng(9).normal(size=(3, 25)),
    "summarize_1d": lambda: _rng(10).normal(size=2000),
    "summarize_2d": lambda: _rng(11).normal(size=(50, 50)),
    "summarize_3d": lambda: _rng(12).normal(size=(10, 20, 30)),
    "summarize_one_long_dim": lambda: _rng(13).normal(size=(2, 1000)),
    "summarize_ints_as_float": lambda: np.arange(3000.0).reshape(30, 100),
    "summarize_hidden_outlier": lambda: np.concatenate([np.ones(10), [1e-9], np.ones(2000)]),
}


@pytest.mark.parametrize("dtype", [D.float32, D.float64, D.float16, D.bfloat16])
@pytest.mark.parametrize("case", sorted(FLOAT_CASES))
def test_float(case, dtype):
    _check(FLOAT_CASES[case](), dtype)  # float16 overflows to inf for some cases: also checked


INT_CASES = {
    "small": lambda: np.array([1, 2, 3]),
    "negative": lambda: np.array([[-5, 100], [7, -1234]]),
    "scalar": lambda: np.array(42),
    "3d": lambda: np.arange(24).reshape(2, 3, 4),
    "wide": lambda: np.arange(100) * 1000,
    "summarize": lambda: np.arange(5000).reshape(50, 100),
    "summarize_1d": lambda: np.arange(-1500, 1500),
}


@pytest.mark.parametrize(
    "dtype",
    [D.int64, D.int32, D.int16, D.int8, D.uint8, D.uint16, D.uint32, D.uint64],
    ids=lambda d: d.name,
)
@pytest.mark.parametrize("case", sorted(INT_CASES))
def test_int(case, dtype):
    arr = INT_CASES[case]()
    if dtype.name in ("int8", "uint8", "int16"):
        arr = arr % 100
    elif dtype.name.startswith("uint"):
        arr = np.abs(arr)
    _check(arr, dtype)


@pytest.mark.parametrize(
    "arr",
    [
        np.array([True, False, True]),
        np.array(False),
        np.array([[True, False], [False, False]]),
        _rng(14).random(3000) > 0.5,
    ],
    ids=["1d", "scalar", "2d", "summarize"],
)
def test_bool(arr):
    _check(arr, D.bool_)


COMPLEX_CASES = {
    "simple": lambda: np.array([1 + 2j, -3.5 - 0.25j, 0j]),
    "int_valued": lambda: np.array([1 + 2j, 3 - 4j]),
    "neg_zero_imag": lambda: np.array([complex(1.0, -0.0), complex(-0.0, 0.0)]),
    "nan_inf": lambda: np.array([complex(np.nan, 1), complex(1, np.inf), complex(-np.inf, -2.5)]),
    "sci": lambda: np.array([1e-6 + 1j, 1e5 - 3j]),
    "random": lambda: _rng(15).normal(size=(3, 4)) + 1j * _rng(16).normal(size=(3, 4)),
    "scalar": lambda: np.array(2.5 - 1j),
    "wide": lambda: _rng(17).normal(size=30) * 100 + 1j * _rng(18).normal(size=30),
    "summarize": lambda: _rng(19).normal(size=(40, 40)) + 1j,
}


@pytest.mark.parametrize("dtype", [D.complex64, D.complex128], ids=lambda d: d.name)
@pytest.mark.parametrize("case", sorted(COMPLEX_CASES))
def test_complex(case, dtype):
    _check(COMPLEX_CASES[case](), dtype)


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0), (3, 0, 2)], ids=str)
@pytest.mark.parametrize(
    "dtype", [D.float32, D.float64, D.int64, D.bool_, D.complex64, D.float16], ids=lambda d: d.name
)
def test_empty(shape, dtype):
    _check(np.zeros(shape), dtype)


@pytest.mark.parametrize(
    "dtype", [D.float32, D.float64, D.complex64, D.complex128, D.float16], ids=lambda d: d.name
)
def test_default_dtype_float64(dtype):
    D.set_default_dtype(D.float64)
    torch.set_default_dtype(torch.float64)
    _check(np.array([1.5, 2.0]), dtype)
    _check(np.zeros((0, 2)), dtype)
    _check(np.array(2.0), dtype)


@pytest.mark.parametrize(
    "arr",
    [np.array([1.0, 2.5]), np.array(3.0), _rng(20).normal(size=(30, 40)), np.ones(25) * 1e6],
    ids=["1d", "scalar", "summarized", "wraps"],
)
def test_requires_grad(arr):
    _check(arr, D.float32, requires_grad=True)
    _check(arr, D.float64, requires_grad=True)


def test_grad_fn():
    x = torch.tensor([1.5, -2.0, 3.0], requires_grad=True)
    for y in (x * 2, x + 1, x.sum(), (x.double() * 1e-7).exp()):
        name = type(y.grad_fn).__name__
        dtype = getattr(D, str(y.dtype).removeprefix("torch."))
        got = format_tensor(y.detach().numpy(), dtype=dtype, grad_fn_name=name)
        assert got == repr(y).replace("torch.", "ember.")


def test_grad_fn_wraps_to_new_line():
    arr = np.arange(18.0) * 1.5
    y = torch.from_numpy(arr).float().requires_grad_() * 1
    got = format_tensor(arr, dtype=D.float32, grad_fn_name=type(y.grad_fn).__name__)
    assert got == repr(y).replace("torch.", "ember.")


def test_device_suffix():
    assert format_tensor(np.array([1.0, 2.0]), dtype=D.float32, device="cuda:0") == (
        "tensor([1., 2.], device='cuda:0')"
    )
    assert format_tensor(np.array(1), dtype=D.int32, device="cuda:1", requires_grad=False) == (
        "tensor(1, device='cuda:1', dtype=ember.int32)"
    )
    got = format_tensor(np.ones(12) * 0.5, dtype=D.float64, device="cuda:0", requires_grad=True)
    assert got == (
        "tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000,\n"
        "        0.5000, 0.5000, 0.5000], device='cuda:0', dtype=ember.float64,\n"
        "       requires_grad=True)"
    )
    assert format_tensor(np.zeros((0, 2)), dtype=D.int64, device="cuda:0") == (
        "tensor([], device='cuda:0', size=(0, 2), dtype=ember.int64)"
    )


OPTION_SETS = [
    {"precision": 2},
    {"precision": 8},
    {"precision": 0},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"edgeitems": 0},
    {"threshold": 5, "edgeitems": 0},
    {"linewidth": 40},
    {"linewidth": 200},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 6},
]

OPTION_ARRAYS = {
    "normal": (lambda: _rng(21).normal(size=(4, 12)), D.float32),
    "tiny": (lambda: _rng(22).normal(size=9) * 1e-6, D.float64),
    "int_valued": (lambda: np.arange(20.0), D.float32),
    "zeros": (lambda: np.zeros(4), D.float32),
    "ints": (lambda: np.arange(30).reshape(5, 6), D.int64),
    "complex": (lambda: _rng(23).normal(size=8) + 0.5j, D.complex64),
    "3d": (lambda: _rng(24).normal(size=(7, 8, 9)), D.float32),
    "big": (lambda: _rng(25).normal(size=1500), D.float32),
    "scalar": (lambda: np.array(1.23456789), D.float64),
}


@pytest.mark.parametrize("arr_case", sorted(OPTION_ARRAYS))
@pytest.mark.parametrize(
    "opts", OPTION_SETS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
def test_printoptions(opts, arr_case):
    set_printoptions(**opts)
    torch.set_printoptions(**opts)
    make, dtype = OPTION_ARRAYS[arr_case]
    _check(make(), dtype)
    assert get_printoptions() == torch._tensor_str.get_printoptions()


def test_printoptions_restored():
    set_printoptions(precision=2, threshold=10, edgeitems=1, linewidth=50, sci_mode=True)
    set_printoptions(profile="default")
    assert get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    _check(np.array([1.123456, 2.0]), D.float32)


def test_custom_prefix():
    got = format_tensor(_rng(26).normal(size=(2, 3)), dtype=D.float32, prefix="Parameter(")
    t = torch.from_numpy(_rng(26).normal(size=(2, 3)).astype(np.float32))
    want = torch._tensor_str._add_suffixes(
        "Parameter(" + torch._tensor_str._tensor_str(t, 10), [], 10, False
    )
    assert got == want
