"""dtype objects and PyTorch's type-promotion rules.

A dtype wraps one NumPy dtype. Promotion follows c10's ``promoteTypes`` table and
``ResultTypeState`` (dimensioned tensors > zero-dim tensors > Python scalars, by category).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "dtype",
    "get_default_dtype",
    "set_default_dtype",
    "promote_types",
    "result_type",
    "can_cast",
]

# category: 0 bool, 1 integral, 2 floating, 3 complex
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type, printed as ``ember.float32``; compares equal only to itself."""

    __slots__ = ("name", "np", "itemsize", "category", "is_signed", "_tensor_type", "__weakref__")

    def __init__(self, name, np_dtype, category, tensor_type):
        self.name = name
        self.np = np.dtype(np_dtype) if np_dtype is not None else None
        self.itemsize = self.np.itemsize if self.np is not None else 2
        self.category = category
        self.is_signed = category != _BOOL and name not in ("uint8", "uint16", "uint32", "uint64")
        self._tensor_type = tensor_type

    @property
    def is_floating_point(self) -> bool:
        return self.category == _FLOAT

    @property
    def is_complex(self) -> bool:
        return self.category == _COMPLEX

    def to_real(self) -> dtype:
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self) -> dtype:
        return {"float64": complex128, "complex128": complex128}.get(self.name, complex64)

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return self.name

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


float16 = dtype("float16", np.float16, _FLOAT, "HalfTensor")
float32 = dtype("float32", np.float32, _FLOAT, "FloatTensor")
float64 = dtype("float64", np.float64, _FLOAT, "DoubleTensor")
complex64 = dtype("complex64", np.complex64, _COMPLEX, "ComplexFloatTensor")
complex128 = dtype("complex128", np.complex128, _COMPLEX, "ComplexDoubleTensor")
uint8 = dtype("uint8", np.uint8, _INT, "ByteTensor")
int8 = dtype("int8", np.int8, _INT, "CharTensor")
int16 = dtype("int16", np.int16, _INT, "ShortTensor")
int32 = dtype("int32", np.int32, _INT, "IntTensor")
int64 = dtype("int64", np.int64, _INT, "LongTensor")
uint16 = dtype("uint16", np.uint16, _INT, "UInt16Tensor")
uint32 = dtype("uint32", np.uint32, _INT, "UInt32Tensor")
uint64 = dtype("uint64", np.uint64, _INT, "UInt64Tensor")
bool_ = dtype("bool", np.bool_, _BOOL, "BoolTensor")
# bfloat16's NumPy dtype comes from ml_dtypes, imported only when bfloat16 is first used.
bfloat16 = dtype("bfloat16", None, _FLOAT, "BFloat16Tensor")

ALL = (
    bool_, uint8, int8, int16, int32, int64, uint16, uint32, uint64,
    float16, bfloat16, float32, float64, complex64, complex128,
)  # fmt: skip
# the dtypes torch promotes freely among (uint16/32/64 have limited support in torch too)
PROMOTABLE = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
              complex64, complex128)  # fmt: skip

_by_np: dict = {d.np: d for d in ALL if d.np is not None}


def _load_bfloat16() -> np.dtype:
    if bfloat16.np is None:
        try:
            import ml_dtypes
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise RuntimeError(
                "bfloat16 needs the ml_dtypes package: pip install 'ember[bfloat16]'"
            ) from e
        bfloat16.np = np.dtype(ml_dtypes.bfloat16)
        _by_np[bfloat16.np] = bfloat16
    return bfloat16.np


def from_numpy_dtype(npd) -> dtype:
    """The ember dtype of a NumPy dtype; raises TypeError for ones torch lacks."""
    try:
        return _by_np[npd]
    except KeyError:
        pass
    npd = np.dtype(npd)
    if npd in _by_np:
        return _by_np[npd]
    if npd.name == "bfloat16":
        _load_bfloat16()
        return bfloat16
    raise TypeError(
        f"can't convert np.ndarray of type numpy.{npd.name}. The only supported types are: "
        "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, "
        "uint32, uint16, uint8, and bool."
    )


def to_numpy_dtype(d: dtype) -> np.dtype:
    return d.np if d.np is not None else _load_bfloat16()


_default_dtype = float32


def get_default_dtype() -> dtype:
    """The dtype Python floats become (``ember.float32`` unless changed)."""
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype; only float32 and float64 (and float16/bfloat16) are allowed.

    >>> set_default_dtype(float64); get_default_dtype()
    ember.float64
    """
    global _default_dtype
    if not isinstance(d, dtype) or d.category != _FLOAT:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype = d


def default_complex() -> dtype:
    return complex128 if _default_dtype is float64 else complex64


_INT_ORDER = (uint8, int8, int16, int32, int64)


def _promote(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    ca, cb = a.category, b.category
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if hi.category == _COMPLEX and lo.category == _FLOAT and lo is float64:
            return complex128
        return hi
    if ca == _INT:
        if (
            a.name.startswith("uint")
            and a is not uint8
            or b.name.startswith("uint")
            and b is not uint8
        ):
            # torch only promotes the wide unsigned types with themselves
            raise RuntimeError(
                f"Promotion for uint16, uint32, uint64 types is not supported, "
                f"attempted to promote {a.name.capitalize()} and {b.name.capitalize()}"
            )
        if {a, b} == {uint8, int8}:
            return int16
        return max(a, b, key=_INT_ORDER.index)
    if ca == _FLOAT:
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a.itemsize >= b.itemsize else b
    return a if a.itemsize >= b.itemsize else b  # complex


_promote_cache: dict = {}


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """The smallest dtype both can be cast to, as ``torch.promote_types``.

    >>> promote_types(int32, float16)
    ember.float16
    """
    key = (type1, type2)
    r = _promote_cache.get(key)
    if r is None:
        r = _promote_cache[key] = _promote(type1, type2)
    return r


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # c10's combine_categories: the higher-priority group wins unless the lower one
    # belongs to a higher category.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == _COMPLEX:
        return higher
    if lower.category == _COMPLEX:
        return higher.to_complex() if higher.category == _FLOAT else lower
    if higher.category == _FLOAT:
        return higher
    if higher is bool_ or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(s) -> dtype:
    """The dtype a Python number takes as a wrapped scalar in promotion."""
    if isinstance(s, bool):
        return bool_
    if isinstance(s, int):
        return int64
    if isinstance(s, complex):
        return default_complex()
    return _default_dtype


def result_types(dims, zeros, scalars) -> dtype:
    """Promote three priority groups: dtypes of dimensioned tensors, of zero-dim tensors, and of
    Python scalars (already mapped: float -> default dtype, complex -> default complex)."""
    groups = []
    for g in (dims, zeros, scalars):
        r = None
        for d in g:
            r = d if r is None else promote_types(r, d)
        groups.append(r)
    return _combine(groups[0], _combine(groups[1], groups[2]))


def can_cast(from_: dtype, to: dtype) -> bool:
    """Whether torch allows this cast under its same-kind rule, as ``torch.can_cast``.

    >>> can_cast(float32, int32)
    False
    """
    if from_.category == _COMPLEX and to.category != _COMPLEX:
        return False
    if from_.category == _FLOAT and to.category in (_INT, _BOOL):
        return False
    if from_.category != _BOOL and to.category == _BOOL:
        return False
    return True


def result_type(*args) -> dtype:
    """``torch.result_type(tensor1, tensor2)``: the dtype an arithmetic op would compute in."""
    from ._tensor import Tensor

    dims, zeros, scalars = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            (dims if a.ndim else zeros).append(a.dtype)
        elif isinstance(a, (bool, int, float, complex)):
            scalars.append(scalar_dtype(a))
        else:
            raise TypeError(
                f"result_type(): argument must be Tensor or Number, not {type(a).__name__}"
            )
    return result_types(dims, zeros, scalars)
