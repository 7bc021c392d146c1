"""Named tuples returned by multi-output functions (``ember.max(x, dim)`` -> ``values, indices``).

Each type is a tuple (unpackable, indexable, comparable with plain tuples) with read-only field
attributes, built from one sequence as torch's structseq types are, and printed as torch prints:

>>> import ember
>>> r = ember.return_types.max((ember.tensor([3.0]), ember.tensor([1])))
>>> values, indices = r
>>> r
ember.return_types.max(
values=tensor([3.]),
indices=tensor([1]))
"""

from __future__ import annotations

from operator import itemgetter

_FIELDS = {
    "aminmax": ("min", "max"),
    "cummax": ("values", "indices"),
    "cummin": ("values", "indices"),
    "frexp": ("mantissa", "exponent"),
    "geqrf": ("a", "tau"),
    "histogram": ("hist", "bin_edges"),
    "histogramdd": ("hist", "bin_edges"),
    "kthvalue": ("values", "indices"),
    "linalg_cholesky_ex": ("L", "info"),
    "linalg_eig": ("eigenvalues", "eigenvectors"),
    "linalg_eigh": ("eigenvalues", "eigenvectors"),
    "linalg_inv_ex": ("inverse", "info"),
    "linalg_ldl_factor": ("LD", "pivots"),
    "linalg_ldl_factor_ex": ("LD", "pivots", "info"),
    "linalg_lstsq": ("solution", "residuals", "rank", "singular_values"),
    "linalg_lu": ("P", "L", "U"),
    "linalg_lu_factor": ("LU", "pivots"),
    "linalg_lu_factor_ex": ("LU", "pivots", "info"),
    "linalg_qr": ("Q", "R"),
    "linalg_slogdet": ("sign", "logabsdet"),
    "linalg_solve_ex": ("result", "info"),
    "linalg_svd": ("U", "S", "Vh"),
    "lu_unpack": ("P", "L", "U"),
    "max": ("values", "indices"),
    "median": ("values", "indices"),
    "min": ("values", "indices"),
    "mode": ("values", "indices"),
    "nanmedian": ("values", "indices"),
    "qr": ("Q", "R"),
    "slogdet": ("sign", "logabsdet"),
    "sort": ("values", "indices"),
    "svd": ("U", "S", "V"),
    "topk": ("values", "indices"),
    "triangular_solve": ("solution", "cloned_coefficient"),
}


class _StructSeq(tuple):
    """Base of the return types: a tuple whose items also have names."""

    __slots__ = ()
    _fields: tuple = ()

    def __new__(cls, sequence, dict=None):  # torch's structseq signature
        seq = tuple(sequence)
        if len(seq) != len(cls._fields):
            raise TypeError(
                f"{cls.__module__}.{cls.__name__}() takes a {len(cls._fields)}-sequence "
                f"({len(seq)}-sequence given)"
            )
        return super().__new__(cls, seq)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"{self.__module__}.{type(self).__name__}(\n{body})"

    __str__ = __repr__

    def __reduce__(self):
        return type(self), (tuple(self),)


def _make(name: str, fields: tuple) -> type:
    ns = {"__slots__": (), "_fields": fields, "__module__": __name__, "__qualname__": name,
          "n_fields": len(fields), "n_sequence_fields": len(fields), "n_unnamed_fields": 0,
          "__match_args__": fields}  # fmt: skip
    ns.update({f: property(itemgetter(i), doc=f"Item {i}.") for i, f in enumerate(fields)})
    return type(name, (_StructSeq,), ns)


# one module attribute per type, as ``torch.return_types.max``
globals().update({_n: _make(_n, _f) for _n, _f in _FIELDS.items()})
