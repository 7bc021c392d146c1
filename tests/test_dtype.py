"""dtypes and type promotion against torch: promote_types, can_cast and result_type over all
pairs of the twelve common dtypes, the dtype of real op results for every mix of dimensioned
tensors, zero-dim tensors and Python scalars (with float32 and float64 as the default dtype),
the default dtype, finfo/iinfo, and the dtype objects themselves."""

import copy
import itertools
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember import _dtype as D  # noqa: E402

NAMES = ("bool uint8 int8 int16 int32 int64 float16 bfloat16 float32 float64 "
         "complex64 complex128").split()  # fmt: skip
SCALARS = (True, 3, 2.5, 1 + 2j)
# operand kinds: a tensor with dimensions, a zero-dim tensor, a Python scalar
KINDS = ("dim", "zero", "scalar")


def _name(d) -> str:
    return str(d).rsplit(".", 1)[-1]


def _operands(lib, kind):
    """(label, value) for every operand of one kind, built in ``lib``."""
    if kind == "scalar":
        return [(repr(s), s) for s in SCALARS]
    shape = (2,) if kind == "dim" else ()
    return [(n, lib.ones(shape, dtype=getattr(lib, n))) for n in NAMES]


def _outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001 - the exception type is the outcome compared
        return next(c for c in type(e).__mro__ if c.__module__ == "builtins").__name__
    return _name(r if isinstance(r, (torch.dtype, ember.dtype)) else r.dtype)


OPS = {
    "result_type": lambda lib, a, b: lib.result_type(a, b),
    "add": lambda lib, a, b: lib.add(a, b) if isinstance(a, lib.Tensor) else a + b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / b,
    "eq": lambda lib, a, b: a == b,
    "lt": lambda lib, a, b: a < b,
}


@pytest.mark.parametrize("name", NAMES)
def test_promote_types_all_pairs(name):
    bad = []
    for other in NAMES:
        want = torch.promote_types(getattr(torch, name), getattr(torch, other))
        got = ember.promote_types(getattr(ember, name), getattr(ember, other))
        if _name(got) != _name(want):
            bad.append(f"{name}, {other}: {got} != torch {want}")
    assert not bad, bad


@pytest.mark.parametrize("name", NAMES)
def test_can_cast_all_pairs(name):
    bad = [
        other
        for other in NAMES
        if torch.can_cast(getattr(torch, name), getattr(torch, other))
        != ember.can_cast(getattr(ember, name), getattr(ember, other))
    ]
    assert not bad, f"can_cast({name}, x) differs from torch for x in {bad}"


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("kinds", [k for k in itertools.product(KINDS, KINDS)
                                   if k != ("scalar", "scalar")])  # fmt: skip
@pytest.mark.parametrize("op", OPS)
def test_promotion_matches_torch(op, kinds, default):
    """The dtype torch computes in (result_type) and the dtype of real results, for every dtype
    on each side, including int / int -> default float and comparisons -> bool."""
    torch.set_default_dtype(getattr(torch, default))
    ember.set_default_dtype(getattr(ember, default))
    fn = OPS[op]
    bad = []
    tpairs = itertools.product(_operands(torch, kinds[0]), _operands(torch, kinds[1]))
    epairs = itertools.product(_operands(ember, kinds[0]), _operands(ember, kinds[1]))
    for ((la, ta), (lb, tb)), ((_, ea), (_, eb)) in zip(tpairs, epairs):
        if torch.result_type(ta, tb) == torch.complex32:
            continue  # ember has no complex32 (float16 with a lower-priority complex)
        want = _outcome(lambda: fn(torch, ta, tb))  # noqa: B023 - called at once
        got = _outcome(lambda: fn(ember, ea, eb))  # noqa: B023
        if got != want:
            bad.append(f"{op}({kinds[0]} {la}, {kinds[1]} {lb}): {got} != torch {want}")
    assert not bad, f"{len(bad)} differences: {bad[:20]}"


NUMPY_SCALARS = (np.float64(2.5), np.float32(2.5), np.float16(2), np.int64(3), np.int8(3),
                 np.uint8(3), np.complex128(1j), np.complex64(1), np.bool_(True))  # fmt: skip


@pytest.mark.parametrize("op", ["mul", "radd", "div", "eq", "result_type"])
def test_numpy_scalar_operands(op):
    """NumPy scalars promote like the Python number of their kind (a weak scalar)."""
    fns = {"mul": lambda t, s: t * s, "radd": lambda t, s: s + t, "div": lambda t, s: t / s,
           "eq": lambda t, s: t == s, "result_type": lambda t, s: type(t).__module__ == "torch"
           and torch.result_type(t, s) or ember.result_type(t, s)}  # fmt: skip
    bad = []
    for name, s, shape in itertools.product(NAMES, NUMPY_SCALARS, [(2,), ()]):
        t = torch.ones(shape, dtype=getattr(torch, name))
        e = ember.ones(shape, dtype=getattr(ember, name))
        if torch.complex32 in (torch.result_type(t, s), torch.result_type(t, 1j)):
            continue  # no complex32 in ember
        want = _outcome(lambda: fns[op](t, s))  # noqa: B023 - called at once
        got = _outcome(lambda: fns[op](e, s))  # noqa: B023
        if got != want:
            bad.append(f"{op}({name}{list(shape)}, {s!r}): {got} != torch {want}")
    assert not bad, bad


def test_result_type_scalars_and_errors():
    for a, b in [(1, 2.0), (True, 1), (1, 1j), (True, False), (2.5, 1j)]:
        assert _name(ember.result_type(a, b)) == _name(torch.result_type(a, b))
    # torch reads NumPy integers as ints and every other NumPy scalar as a float
    for s in (np.float64(1.5), np.int64(2), np.bool_(True), np.uint8(1), np.float16(1)):
        for n in ("int32", "float16", "bool"):
            t, e = torch.ones(2, dtype=getattr(torch, n)), ember.ones(2, dtype=getattr(ember, n))
            assert _name(ember.result_type(e, s)) == _name(torch.result_type(t, s)), (n, s)
    for bad in ([1], "a", None):
        with pytest.raises(TypeError):
            torch.result_type(torch.ones(2), bad)
        with pytest.raises(TypeError):
            ember.result_type(ember.ones(2), bad)
    with pytest.raises(TypeError):
        ember.result_type(ember.ones(2))


def test_default_dtype():
    assert ember.get_default_dtype() is ember.float32
    for name in ("float64", "float16", "bfloat16", "float32"):
        torch.set_default_dtype(getattr(torch, name))
        ember.set_default_dtype(getattr(ember, name))
        assert _name(ember.get_default_dtype()) == _name(torch.get_default_dtype()) == name
        for data in (1.5, [1, 2.5], [True, 0.5]):
            assert _name(ember.tensor(data).dtype) == _name(torch.tensor(data).dtype)
        assert _name(ember.ones(2).dtype) == _name(torch.ones(2).dtype)
        assert _name(ember.arange(0.5, 2).dtype) == _name(torch.arange(0.5, 2).dtype)
        t, e = torch.ones(2, dtype=torch.int32), ember.ones(2, dtype=ember.int32)
        assert _name((e / e).dtype) == _name((t / t).dtype)
    for name in ("float64", "float32"):  # complex follows the default float
        torch.set_default_dtype(getattr(torch, name))
        ember.set_default_dtype(getattr(ember, name))
        assert _name(ember.tensor(1j).dtype) == _name(torch.tensor(1j).dtype)


@pytest.mark.parametrize("bad", ["int32", "complex64", "bool", "str"])
def test_set_default_dtype_errors(bad):
    targ = "float32" if bad == "str" else getattr(torch, bad)
    earg = "float32" if bad == "str" else getattr(ember, bad)
    with pytest.raises(TypeError) as t:
        torch.set_default_dtype(targ)
    with pytest.raises(TypeError) as e:
        ember.set_default_dtype(earg)
    assert str(e.value) == str(t.value)
    assert ember.get_default_dtype() is ember.float32


@pytest.mark.parametrize("name", NAMES + ["uint16", "uint32", "uint64"])
def test_dtype_objects(name):
    t, e = getattr(torch, name), getattr(ember, name)
    assert repr(e) == repr(t).replace("torch.", "ember.") == str(e)
    for attr in ("is_floating_point", "is_complex", "is_signed", "itemsize"):
        assert getattr(e, attr) == getattr(t, attr), attr
    assert _name(e.to_real()) == _name(t.to_real())
    try:
        want = _name(t.to_complex())
    except RuntimeError as err:
        with pytest.raises(RuntimeError, match="Unknown Complex ScalarType"):
            e.to_complex()
        assert str(err).split()[-1] in e._tensor_type
    else:
        if want != "complex32":  # ember has no complex32
            assert _name(e.to_complex()) == want
    assert pickle.loads(pickle.dumps(e)) is e
    assert copy.deepcopy(e) is e and copy.copy(e) is e
    assert e == e and e != ember.float32 or name == "float32"
    assert hash(e) == hash(getattr(ember, name))


def test_dtype_aliases():
    for alias in ("half", "float", "double", "cfloat", "cdouble", "short", "int", "long", "bool"):
        assert _name(getattr(ember, alias)) == _name(getattr(torch, alias)), alias


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64", "complex64",
                                  "complex128", None])  # fmt: skip
def test_finfo(name):
    t = torch.finfo(getattr(torch, name)) if name else torch.finfo()
    e = D.finfo(getattr(ember, name)) if name else D.finfo()
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, attr) == getattr(t, attr), attr
    assert repr(e) == repr(t)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64", "uint16", "uint32",
                                  "uint64"])  # fmt: skip
def test_iinfo(name):
    t, e = torch.iinfo(getattr(torch, name)), D.iinfo(getattr(ember, name))
    for attr in ("bits", "min", "max", "dtype"):
        assert getattr(e, attr) == getattr(t, attr), attr
    assert repr(e) == repr(t)


def test_info_errors():
    for t_call, e_call in [
        (lambda: torch.finfo(torch.int32), lambda: D.finfo(ember.int32)),
        (lambda: torch.finfo(torch.bool), lambda: D.finfo(ember.bool)),
        (lambda: torch.iinfo(torch.float32), lambda: D.iinfo(ember.float32)),
        (lambda: torch.iinfo(torch.bool), lambda: D.iinfo(ember.bool)),
    ]:
        with pytest.raises(TypeError) as t:
            t_call()
        with pytest.raises(TypeError) as e:
            e_call()
        assert str(e.value) == str(t.value).replace("torch", "ember")
