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
    "finfo",
    "iinfo",
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
        """The complex dtype with this real part (float16 gives complex64: ember has no
        complex32); integer and bool dtypes raise as in torch."""
        if self.category < _FLOAT:
            raise RuntimeError(f"Unknown Complex ScalarType for {self._tensor_type[:-6]}")
        return complex128 if self.name in ("float64", "complex128") else complex64

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

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
# NumPy dtypes whose tensors take gradients (bfloat16 joins when it is loaded)
DIFFERENTIABLE = {d.np for d in (float16, float32, float64, complex64, complex128)}


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
        DIFFERENTIABLE.add(bfloat16.np)
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
        f"can't convert np.ndarray of type numpy.{npd.type.__name__}. The only supported types "
        "are: "
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
    """Set the dtype Python floats become: float32 (the default), float64, float16 or bfloat16.

    >>> set_default_dtype(float64); get_default_dtype()
    ember.float64
    >>> set_default_dtype(float32)
    """
    global _default_dtype
    if not isinstance(d, dtype):
        raise TypeError(
            "invalid dtype object: only floating-point types are supported as the default type"
        )
    if d.category != _FLOAT:
        raise TypeError("only floating-point types are supported as the default type")
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


def _number_dtype(a):
    if isinstance(a, (bool, int, float, complex)):  # np.float64 and np.complex128 are, too
        return scalar_dtype(a)
    if isinstance(a, np.generic):
        # as torch: other NumPy integers count as ints, any other NumPy number as a float
        if a.dtype.kind in "iu":
            return int64
        return _default_dtype if a.dtype.kind in "bfc" else None
    return None


def result_type(tensor, other) -> dtype:
    """The dtype an arithmetic op on ``tensor`` and ``other`` (tensors or numbers) computes in.

    >>> result_type(ember.ones(2, dtype=ember.int32), 2.5)
    ember.float32
    """
    from ._tensor import Tensor

    dims, zeros, scalars = [], [], []
    for a in (tensor, other):
        if isinstance(a, Tensor):
            (dims if a.ndim else zeros).append(a.dtype)
        elif (d := _number_dtype(a)) is not None:
            scalars.append(d)
        else:
            raise TypeError(
                "result_type() received an invalid combination of arguments - got "
                f"({type(tensor).__name__}, {type(other).__name__}), but expected one of: "
                "(Tensor tensor, Tensor other), (Number scalar, Tensor tensor), "
                "(Tensor tensor, Number other), (Number scalar1, Number scalar2)"
            )
    return result_types(dims, zeros, scalars)


def _by_name(name: str) -> dtype:
    return next(d for d in ALL if d.name == name)


class finfo:
    """Machine limits of a floating dtype, as ``torch.finfo``: ``bits``, ``eps``, ``max``,
    ``min``, ``tiny`` (= ``smallest_normal``), ``resolution``, ``dtype`` (its name).
    A complex dtype describes its real part.

    >>> finfo(float16).eps
    0.0009765625
    """

    def __init__(self, type=None):
        d = get_default_dtype() if type is None else type
        if not isinstance(d, dtype) or d.category < _FLOAT:
            raise TypeError(
                "ember.finfo() requires a floating point input type. Use ember.iinfo to handle "
                "'ember.finfo'"
            )
        d = d.to_real()
        if d is bfloat16:  # the numbers ml_dtypes would give, without importing it
            self.bits, self.eps, self.resolution = 16, 2.0**-7, 0.01
            self.max, self.tiny = (2 - 2.0**-7) * 2.0**127, 2.0**-126
        else:
            f = np.finfo(d.np)
            self.bits, self.eps, self.resolution = f.bits, float(f.eps), 10.0**-f.precision
            self.max, self.tiny = float(f.max), float(f.smallest_normal)
        self.min, self.smallest_normal, self.dtype = -self.max, self.tiny, d.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:
    """Limits of an integer dtype, as ``torch.iinfo``: ``bits``, ``min``, ``max``, ``dtype``.

    >>> iinfo(int8).max
    127
    """

    def __init__(self, type):
        if not isinstance(type, dtype) or type.category != _INT:
            if type is bool_:
                raise TypeError("ember.bool is not supported by ember.iinfo")
            raise TypeError(
                "ember.iinfo() requires an integer input type. Use ember.finfo to handle "
                "'ember.iinfo'"
            )
        i = np.iinfo(type.np)
        self.bits, self.min, self.max, self.dtype = i.bits, int(i.min), int(i.max), type.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
