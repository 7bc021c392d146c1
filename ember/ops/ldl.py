"""LDL (Bunch-Kaufman) factorization of symmetric / Hermitian indefinite matrices and its solver:
``linalg.ldl_factor``, ``linalg.ldl_factor_ex``, ``linalg.ldl_solve``.

NumPy has no ``sytrf``, so the factorization is LAPACK's unblocked ``?sytf2`` / ``?hetf2``
(lower triangle, Bunch-Kaufman partial pivoting, alpha = (1 + sqrt(17)) / 8) written in NumPy: a
Python loop over the columns of each matrix, the trailing update vectorised. The output is LAPACK's
compact form, as torch returns it: L below the diagonal and D (1x1 and 2x2 blocks) on it, the
upper triangle zero; 1-based int32 pivots, negative (twice) for a 2x2 block.

torch calls the blocked ``sytrf``, which for n up to its block size (LAPACK's default 64) runs
exactly this unblocked algorithm; above it a panel variant picks the same pivots in exact
arithmetic, so only near ties in pivot choice can differ. The solver is ``?sytrs`` / ``?hetrs``.
As in torch neither op has a derivative: their backward raises.
"""

from __future__ import annotations

import numpy as np

from .decomp import _check_float, _check_shape, _host, _not_implemented
from .registry import _tname, op
from .registry import no_derivative as _no_derivative
from .shape import _broadcast_shape

_ALPHA = (1.0 + np.sqrt(17.0)) / 8.0


def _cabs1(x):
    """LAPACK's |re| + |im| (i?amax's measure); plain abs for real numbers."""
    return np.abs(x.real) + np.abs(x.imag) if np.iscomplexobj(x) else np.abs(x)


def _sytf2(a, herm):
    """Factor one n x n matrix in place (only its lower triangle is read); returns (ipiv, info).

    ``herm`` (complex only): Hermitian (``?hetf2``: conjugates, real diagonal) rather than
    complex symmetric (``?sytf2``)."""
    n = a.shape[0]
    ipiv = np.zeros(n, np.int32)
    info = 0
    conj = np.conj if herm else (lambda x: x)
    # the diagonal's size: |real part| for Hermitian input (its imaginary part is ignored)
    dabs = (lambda x: abs(x.real)) if herm else (lambda x: float(_cabs1(x)))
    k = 0
    while k < n:
        kstep = 1
        absakk = dabs(a[k, k])
        if k < n - 1:
            col = _cabs1(a[k + 1 :, k])
            imax = k + 1 + int(np.argmax(col))  # the first largest, as i?amax
            colmax = float(col[imax - k - 1])
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0.0 or np.isnan(absakk):
            if info == 0:
                info = k + 1  # a zero (or NaN) column: D(k) is singular
            kp = k
            if herm:
                a[k, k] = a[k, k].real
        else:
            if absakk >= _ALPHA * colmax:
                kp = k
            else:
                # the largest off-diagonal of row/column imax in the trailing matrix
                rowmax = float(_cabs1(a[imax, k:imax]).max())
                if imax < n - 1:
                    rowmax = max(rowmax, float(_cabs1(a[imax + 1 :, imax]).max()))
                if absakk >= _ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif dabs(a[imax, imax]) >= _ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:
                _swap(a, k, kk, kp, kstep, herm)
            elif herm:
                a[k, k] = a[k, k].real
                if kstep == 2:
                    a[k + 1, k + 1] = a[k + 1, k + 1].real
            if kstep == 1:
                if k < n - 1:
                    d11 = 1.0 / (a[k, k].real if herm else a[k, k])
                    x = a[k + 1 :, k].copy()
                    # rank-1 update of the trailing lower triangle: A -= x d11 x^T (x^H)
                    t = a[k + 1 :, k + 1 :]
                    t -= np.tril(np.outer(x * d11, conj(x)))
                    if herm:
                        idx = np.arange(t.shape[0])
                        t[idx, idx] = t[idx, idx].real
                    a[k + 1 :, k] = x * d11
            elif k < n - 2:
                _update2(a, k, herm)
        if kstep == 1:
            ipiv[k] = kp + 1
        else:
            ipiv[k] = ipiv[k + 1] = -(kp + 1)
        k += kstep
    return ipiv, info


def _swap(a, k, kk, kp, kstep, herm):
    """Interchange rows and columns kk and kp of the trailing lower triangle A[k:, k:]."""
    conj = np.conj if herm else (lambda x: x)
    if kp < a.shape[0] - 1:
        a[kp + 1 :, [kk, kp]] = a[kp + 1 :, [kp, kk]]
    # column kk between the two meets row kp (mirrored): swap them (conjugated when Hermitian)
    c = a[kk + 1 : kp, kk].copy()
    a[kk + 1 : kp, kk] = conj(a[kp, kk + 1 : kp])
    a[kp, kk + 1 : kp] = conj(c)
    if herm:
        a[kp, kk] = np.conj(a[kp, kk])
        a[kk, kk], a[kp, kp] = a[kp, kp].real, a[kk, kk].real
    else:
        a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
    if kstep == 2:
        if herm:
            a[k, k] = a[k, k].real
        a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]


def _update2(a, k, herm):
    """The rank-2 update of a 2x2 pivot at k, k+1: ?sytf2 / ?hetf2's formulas, column by column
    in LAPACK's order (each column's multipliers use the not yet updated columns k, k+1)."""
    n = a.shape[0]
    if herm:
        d = abs(a[k + 1, k])
        d11 = a[k + 1, k + 1].real / d
        d22 = a[k, k].real / d
        tt = 1.0 / (d11 * d22 - 1.0)
        d21 = a[k + 1, k] / d
        d = tt / d
        for j in range(k + 2, n):
            wk = d * (d11 * a[j, k] - d21 * a[j, k + 1])
            wkp1 = d * (d22 * a[j, k + 1] - np.conj(d21) * a[j, k])
            a[j:, j] -= a[j:, k] * np.conj(wk) + a[j:, k + 1] * np.conj(wkp1)
            a[j, k], a[j, k + 1] = wk, wkp1
            a[j, j] = a[j, j].real
        return
    d21 = a[k + 1, k]
    d11 = a[k + 1, k + 1] / d21
    d22 = a[k, k] / d21
    t = 1.0 / (d11 * d22 - 1.0)
    d21 = t / d21
    for j in range(k + 2, n):
        wk = d21 * (d11 * a[j, k] - a[j, k + 1])
        wkp1 = d21 * (d22 * a[j, k + 1] - a[j, k])
        a[j:, j] -= a[j:, k] * wk + a[j:, k + 1] * wkp1
        a[j, k], a[j, k + 1] = wk, wkp1


def _ldl_np(A, herm):
    """LAPACK sytrf (lower) on a stack: ``(LD, pivots int32, info int32)``."""
    *batch, n, _ = A.shape
    herm = bool(herm) and np.iscomplexobj(A)
    nb = int(np.prod(batch, dtype=np.int64))
    ld = np.tril(A).reshape(nb, n, n).copy()
    piv = np.empty((ld.shape[0], n), np.int32)
    info = np.zeros(ld.shape[0], np.int32)
    for b in range(ld.shape[0]):
        piv[b], info[b] = _sytf2(ld[b], herm)
    return ld.reshape(A.shape), piv.reshape(*batch, n), info.reshape(batch)


def _sytrs(a, ipiv, b, herm):
    """Solve ``A X = B`` in place on b (n x k) from one compact factorization (lower)."""
    n = a.shape[0]
    conj = np.conj if herm else (lambda x: x)
    # L D y = P b: forward, applying the interchanges as they come
    k = 0
    while k < n:
        if ipiv[k] > 0:
            kp = ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            b[k + 1 :] -= np.outer(a[k + 1 :, k], b[k])
            b[k] /= a[k, k].real if herm else a[k, k]
            k += 1
        else:
            kp = -ipiv[k + 1] - 1
            if kp != k + 1:
                b[[k + 1, kp]] = b[[kp, k + 1]]
            b[k + 2 :] -= np.outer(a[k + 2 :, k], b[k]) + np.outer(a[k + 2 :, k + 1], b[k + 1])
            akm1k = a[k + 1, k]
            akm1 = a[k, k] / conj(akm1k)
            ak = a[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1.0
            bkm1 = b[k] / conj(akm1k)
            bk = b[k + 1] / akm1k
            b[k] = (ak * bkm1 - bk) / denom
            b[k + 1] = (akm1 * bk - bkm1) / denom
            k += 2
    # L^T x = y (L^H when Hermitian): backward, undoing the interchanges
    k = n - 1
    while k >= 0:
        b[k] -= conj(a[k + 1 :, k]) @ b[k + 1 :]
        step = 1 if ipiv[k] > 0 else 2
        if step == 2:
            b[k - 1] -= conj(a[k + 1 :, k - 1]) @ b[k + 1 :]
        kp = abs(int(ipiv[k])) - 1
        if kp != k:
            b[[k, kp]] = b[[kp, k]]
        k -= step
    return b


# -- ops --------------------------------------------------------------------------------------


@op(multi=True, grad_name="torch::autograd::NotImplemented", namespace="linalg")
def _ldl_factor_ex(xp, A, *, hermitian=False):
    """``(LD, pivots, info)`` of LAPACK's sytrf / hetrf (lower)."""
    ld, piv, info = _ldl_np(_host(A), hermitian)
    return xp.asarray(ld), xp.asarray(piv), xp.asarray(info)


@_ldl_factor_ex.parser
def _(A, *, hermitian=False, check_errors=False, out=None):
    name = "torch.linalg.ldl_factor_ex"
    _check_shape(name, A)
    _check_float(name, A, low=_not_implemented("ldl_factor_kernel_cpu"))
    return (A,), {"hermitian": bool(hermitian)}


_ldl_factor_ex.vjp(_no_derivative("linalg_ldl_factor_ex"))
_ldl_factor_ex.no_samples = "its backward raises (as torch's); tests/test_ldl.py checks it"


@op(grad_name="torch::autograd::NotImplemented", namespace="linalg")
def _ldl_solve(xp, LD, pivots, B, *, hermitian=False):
    """X with ``A X = B`` from ``ldl_factor``'s ``(LD, pivots)`` (LAPACK's sytrs / hetrs)."""
    LD, piv, B = _host(LD), _host(pivots), _host(B)
    batch = tuple(_broadcast_shape([LD.shape[:-2], B.shape[:-2]]))
    n, k = B.shape[-2:]
    nb = int(np.prod(batch, dtype=np.int64))
    ld = np.broadcast_to(LD, batch + LD.shape[-2:]).reshape(nb, n, n)
    pv = np.broadcast_to(piv, batch + piv.shape[-1:]).reshape(nb, n)
    x = np.broadcast_to(B, batch + (n, k)).reshape(nb, n, k).copy()
    herm = bool(hermitian) and np.iscomplexobj(LD)
    for i in range(x.shape[0]):
        _sytrs(ld[i], pv[i], x[i], herm)
    return xp.asarray(x.reshape(batch + (n, k)))


@_ldl_solve.parser
def _(LD, pivots, B, *, hermitian=False, out=None):
    name = "torch.linalg.ldl_solve"
    _check_shape(name, LD)
    _check_float(name, LD, low=_not_implemented("ldl_solve_kernel_cpu"))
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise RuntimeError(f"{name}: Expected LD.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(pivots.shape)} instead")  # fmt: skip
    if pivots.dtype.is_floating_point or pivots.dtype.is_complex or pivots.dtype.name == "bool":
        raise RuntimeError(f"{name}: Expected pivots to be integers. Got {_tname(pivots.dtype)}")
    if B.dtype is not LD.dtype:
        raise RuntimeError(
            f"Expected b and A to have the same dtype, but found b of type {_tname(B.dtype)} "
            f"and A of type {_tname(LD.dtype)} instead."
        )
    if B.ndim < 2:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [-{B.ndim}, {B.ndim - 1}], but "
            "got -2)"
        )
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(
            f"Incompatible matrix sizes for {name}: each A matrix is {n} by {n} but each b "
            f"matrix is {B.shape[-2]} by {B.shape[-1]}"
        )
    _broadcast_shape([tuple(LD.shape[:-2]), tuple(B.shape[:-2])])  # torch's broadcast error
    return (LD, pivots, B), {"hermitian": bool(hermitian)}


_ldl_solve.defvjp(*[_no_derivative("linalg_ldl_solve")] * 3)
_ldl_solve.no_samples = "its backward raises (as torch's); tests/test_ldl.py checks it"
