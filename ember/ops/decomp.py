"""Matrix factorizations and solvers: det, slogdet, inv, solve, triangular solves, cholesky, qr,
svd, eig, eigh, pinv, lstsq, matrix_exp, lu, householder_product.

Forwards run ``xp.linalg`` (LAPACK on stacks of matrices). LAPACK's ``info`` codes, which NumPy
does not return, come from a small partial-pivoting LU and Cholesky of our own, run only when NumPy
reports a singular (or not positive-definite) input. The rules are torch's formulas
(derivatives.yaml, FunctionsManual.cpp) written in ember ops, so higher-order gradients work.

The public front ends (``ember.linalg.inv``, ``ember.det`` ...) live in ``ember/linalg.py`` and
at the bottom of this file; the ops here are the primitives they call.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _creation
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from .elementwise import where
from .registry import _tname, composite, op
from .shape import _broadcast_shape, cat, diag_embed, stack, tril, triu


class LinAlgError(RuntimeError):
    """A singular or not positive-definite input (torch.linalg.LinAlgError, a RuntimeError)."""

    __module__ = "ember.linalg"


# -- checks -------------------------------------------------------------------------------------


def _check(name, A, square=True, low=None, what="A", ints=None):
    """torch's checks of a (batch of) matrix input: ndim, square, floating dtype. ``low`` and
    ``ints`` make the exceptions for float16/bfloat16 and for integer inputs, where torch's
    differ from its usual 'Low precision' and 'Expected a floating point' RuntimeErrors."""
    _check_shape(name, A, square, what)
    _check_float(name, A, low, ints)


def _check_shape(name, A, square=True, what="A"):
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{name}: {what} must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )


def _check_float(name, A, low=None, ints=None):
    dt = A.dtype
    if not (dt.is_floating_point or dt.is_complex):
        if ints is not None:
            raise ints(dt)
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_tname(dt)}")  # fmt: skip
    if dt.itemsize == 2:
        if low is not None:
            error = low(dt)
            if error is None:  # this op takes half precision
                return
            raise error
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {_tname(dt)}")


def _not_implemented(kernel):
    return lambda dt: NotImplementedError(f"\"{kernel}\" not implemented for '{_tname(dt)}'")


def _same_dtype(name, A, B, a="A", b="B"):
    if A.dtype is not B.dtype:
        raise RuntimeError(
            f"{name}: Expected {a} and {b} to have the same dtype, but found {a} of type "
            f"{_tname(A.dtype)} and {b} of type {_tname(B.dtype)} instead"
        )


def _host(a):
    a = a._data if isinstance(a, Tensor) else a
    return a.get() if hasattr(a, "get") else np.asarray(a)  # CuPy arrays come to the host


def _raise_info(name, info, message, error=LinAlgError):
    """torch's error for the first failed matrix: ``name: (Batch element i): message(info)``."""
    info = _host(info)
    bad = np.flatnonzero(info.ravel())
    if bad.size:
        i = int(bad[0])
        where_ = f"(Batch element {i}): " if info.ndim else ""
        raise error(f"{name}: {where_}{message(int(info.ravel()[i]))}")


def _singular(i):
    return (f"The diagonal element {i} is zero, the inversion could not be completed because the "
            "input matrix is singular.")  # fmt: skip


def _not_pd(i):
    return ("The factorization could not be completed because the input is not positive-definite "
            f"(the leading minor of order {i} is not positive-definite).")  # fmt: skip


def _solver_singular(i):
    return "The solver failed because the input matrix is singular."


def _lu_zero(i):
    return (f"U[{i},{i}] is zero and using it on lu_solve would result in a division by zero. If "
            "you still want to perform the factorization, consider calling linalg.lu(A, pivot) "
            "or linalg.lu_factor_ex(A, pivot)")  # fmt: skip


# -- NumPy kernels (LAPACK's getrf / potf2 / trsm where NumPy has none) ---------------------------


def _lu_np(xp, a):
    """LAPACK getrf on a stack: packed LU, 1-based int32 pivots, int32 info (the first zero
    pivot, 1-based). Partial pivoting picks the first largest |x| (|re|+|im| for complex, as
    LAPACK's i?amax)."""
    *batch, m, n = a.shape
    k = min(m, n)
    lu = a.reshape(-1, m, n).copy()
    nb = lu.shape[0]
    rows = xp.arange(nb)
    piv = xp.empty((nb, k), xp.int32)
    info = xp.zeros(nb, xp.int32)
    with np.errstate(all="ignore"):
        for j in range(k):
            col = lu[:, j:, j]
            mag = xp.abs(col.real) + xp.abs(col.imag) if col.dtype.kind == "c" else xp.abs(col)
            p = xp.argmax(mag, axis=1) + j
            piv[:, j] = p + 1
            row = lu[rows, p].copy()
            lu[rows, p] = lu[:, j]
            lu[:, j] = row
            d = lu[:, j, j]
            zero = d == 0
            info[(info == 0) & zero] = j + 1
            low = lu[:, j + 1 :, j] / xp.where(zero, 1, d)[:, None]
            lu[:, j + 1 :, j] = low
            lu[:, j + 1 :, j + 1 :] -= low[:, :, None] * lu[:, j, None, j + 1 :]
    return lu.reshape(a.shape), piv.reshape(tuple(batch) + (k,)), info.reshape(tuple(batch))


def _perm_np(xp, piv, m):
    """LAPACK pivots -> the permutation ``perm`` with ``(P^T A)[i] = A[perm[i]]``."""
    *batch, k = piv.shape
    perm = xp.broadcast_to(xp.arange(m), tuple(batch) + (m,)).reshape(-1, m).copy()
    p = piv.reshape(-1, k).astype(xp.int64) - 1
    rows = xp.arange(perm.shape[0])
    for j in range(k):
        a, b = perm[:, j].copy(), perm[rows, p[:, j]].copy()
        perm[:, j], perm[rows, p[:, j]] = b, a
    return perm.reshape(tuple(batch) + (m,))


def _perm_matrix_np(xp, piv, m, dtype):
    perm = _perm_np(xp, piv, m)
    eye = xp.eye(m, dtype=dtype)
    # P[perm[i], i] = 1: the columns of P are the unit vectors e_perm[i]
    return xp.swapaxes(eye[perm], -1, -2)


def _unpack_np(xp, lu):
    m, n = lu.shape[-2:]
    k = min(m, n)
    L = xp.tril(lu[..., :, :k], -1) + xp.eye(m, k, dtype=lu.dtype)
    U = xp.triu(lu[..., :k, :])
    return L, U


def _trisolve_np(xp, T, B, upper, unit=False):
    """``T^{-1} B`` for triangular T (batch dims broadcast). A zero on the diagonal gives inf/nan,
    as LAPACK's trsm does; otherwise LAPACK's solver does the work."""
    n = T.shape[-1]
    batch = np.broadcast_shapes(T.shape[:-2], B.shape[:-2])
    tri = xp.triu(T) if upper else xp.tril(T)
    if unit:
        tri = tri - _diag_np(xp, tri) + xp.eye(n, dtype=T.dtype)
    dt = np.result_type(T.dtype, B.dtype)
    T = xp.broadcast_to(tri, batch + T.shape[-2:]).astype(dt, copy=False)
    B = xp.broadcast_to(B, batch + B.shape[-2:]).astype(dt, copy=False)
    if n == 0 or bool(xp.all(xp.diagonal(T, 0, -2, -1) != 0)):
        return xp.linalg.solve(T, B)
    X = B.copy()
    with np.errstate(all="ignore"):
        for i in reversed(range(n)) if upper else range(n):
            s = slice(i + 1, n) if upper else slice(0, i)
            r = X[..., i, :] - (T[..., i : i + 1, s] @ X[..., s, :])[..., 0, :]
            X[..., i, :] = r if unit else r / T[..., i, i, None]
    return X


def _diag_np(xp, a):
    d = xp.diagonal(a, 0, -2, -1)
    return d[..., :, None] * xp.eye(a.shape[-1], dtype=a.dtype)


def _lu_solve_np(xp, lu, piv, B, left=True, adjoint=False):
    """Solve with a packed LU: ``A X = B`` (or ``A^H X = B``, ``X A = B``, ``X A^H = B``)."""
    if not left:  # X op(A) = B  <=>  op(A)^H X^H = B^H
        return _h(xp, _lu_solve_np(xp, lu, piv, _h(xp, B), True, not adjoint))
    m = lu.shape[-1]
    batch = np.broadcast_shapes(lu.shape[:-2], B.shape[:-2])
    lu = xp.broadcast_to(lu, batch + lu.shape[-2:])
    piv = xp.broadcast_to(piv, batch + piv.shape[-1:])
    B = xp.broadcast_to(B, batch + B.shape[-2:])
    perm = _perm_np(xp, piv, m)
    if not adjoint:  # A = P L U: X = U^{-1} L^{-1} P^T B
        y = xp.take_along_axis(B, perm[..., :, None], axis=-2)
        y = _trisolve_np(xp, lu, y, upper=False, unit=True)
        return _trisolve_np(xp, lu, y, upper=True)
    # A^H = U^H L^H P^T: X = P L^{-H} U^{-H} B
    y = _trisolve_np(xp, _h(xp, lu), B, upper=False)
    y = _trisolve_np(xp, _h(xp, lu), y, upper=True, unit=True)
    X = xp.empty_like(y)
    xp.put_along_axis(X, perm[..., :, None], y, axis=-2)
    return X


def _h(xp, a):
    a = xp.swapaxes(a, -1, -2)
    return xp.conj(a) if a.dtype.kind == "c" else a


def _cholesky_np(xp, a):
    """LAPACK potf2 (lower) with its info: on failure at column j the matrix keeps the computed
    columns, the non-positive pivot at (j, j) and the original lower triangle after it."""
    *batch, n, _ = a.shape
    L = xp.tril(a.reshape(-1, n, n))
    info = xp.zeros(L.shape[0], xp.int32)
    with np.errstate(all="ignore"):
        for j in range(n):
            live = info == 0
            row = L[:, j, :j]
            d = L[:, j, j].real - (xp.abs(row) ** 2).sum(-1)
            bad = live & ~(d > 0)
            info[bad] = j + 1
            ok = live & ~bad
            s = xp.sqrt(xp.where(ok, d, 1))
            L[:, j, j] = xp.where(ok, s, xp.where(bad, d, L[:, j, j].real))
            dots = (L[:, j + 1 :, :j] @ xp.conj(row)[:, :, None])[..., 0]
            col = (L[:, j + 1 :, j] - dots) / s[:, None]
            L[:, j + 1 :, j] = xp.where(ok[:, None], col, L[:, j + 1 :, j])
    return L.reshape(a.shape), info.reshape(tuple(batch))


# -- helpers for the rules (ember ops, so that they differentiate again) ------------------------


@op(grad_name="ConjBackward0")
def _linalg_conj(xp, x):
    return xp.conj(x)


_linalg_conj.defvjp(lambda grad, out, x: _conj(grad))
_linalg_conj.no_samples = "helper of the complex rules below (ember.conj is another family's)"


# torch's real/imag are views (through view_as_real): their grad_fn is SelectBackward0
@op(grad_name="SelectBackward0")
def _linalg_real(xp, x):
    return xp.real(x).copy()


_linalg_real.defvjp(lambda grad, out, x: _to_complex(grad))
_linalg_real.no_samples = "helper of the complex rules below (Tensor.real is another family's)"


@op(grad_name="SelectBackward0")
def _linalg_imag(xp, x):
    return xp.imag(x).copy()


_linalg_imag.defvjp(lambda grad, out, x: _to_complex(grad) * 1j)
_linalg_imag.no_samples = "helper of the complex rules below (Tensor.imag is another family's)"


@op(grad_name="ToCopyBackward0")
def _linalg_to_complex(xp, x):
    return x.astype(_complex_of(x.dtype))


_linalg_to_complex.defvjp(lambda grad, out, x: _real(grad))
_linalg_to_complex.no_samples = "helper of the complex rules below"


def _conj(x):
    return _linalg_conj(x) if x.is_complex() else x


def _to_complex(x):
    """x as complex (its gradient back to the reals is the real part)."""
    return x if x.is_complex() else _linalg_to_complex(x)


def _mH(x):
    return _conj(x.mT)


def _real(x):
    return _linalg_real(x) if x.is_complex() else x


def _given(g):
    """Whether an output's gradient was given: the engine passes zeros for the outputs of a
    multi-output op that got none (torch passes undefined tensors; its rules skip them)."""
    return g is not None and (g.requires_grad or bool(g._data.any()))


def _const(a, like):
    t = Tensor._wrap(a)
    return t if like.device.type == "cpu" else t.to(like.device)


def _eye(n, like, m=None):
    return _creation.eye(n, m, dtype=like.dtype, device=like.device)


def _eye_mask(n, like):
    return _const(np.eye(n, dtype=bool), like)


_tril, _triu, _diag_embed = tril, triu, diag_embed  # the shape ops (one definition each)


def _set_diag(x, v):
    """x with its diagonal replaced by v (a tensor of the diagonal's shape, or a number)."""
    n = x.shape[-1]
    return where(_eye_mask(n, x), _diag_embed(v) if isinstance(v, Tensor) else v, x)


def _eye_times(g, n):
    """``g[..., None, None] * I_n``: the diagonal matrices with g on their diagonal."""
    return g.unsqueeze(-1).unsqueeze(-1) * _eye(n, g)


def _diff_matrix(values):
    """``E[..., i, j] = values[j] - values[i]``, with ones on the diagonal (the denominators of
    the eigen/singular vector rules, used as ``0 / 1`` there)."""
    e = values.unsqueeze(-2) - values.unsqueeze(-1)
    return _set_diag(e, 1.0)


def _solve(A, B, left=True):
    return _linalg_solve_ex(A, B, left=left)[0]


def _tsolve(A, B, upper, left=True, unit=False):
    return solve_triangular(A, B, upper=upper, left=left, unitriangular=unit)


def _prod_others(s):
    """``out[..., i] = prod_{j != i} s[..., j]`` by products only (s may hold zeros, and the
    gradient of a division, or of cumprod, would be nan there)."""
    n = s.shape[-1]
    out = None
    for j in range(n):
        f = where(_const(np.arange(n) == j, s), 1.0, s.narrow(-1, j, 1))
        out = f if out is None else out * f
    return out


# -- det, slogdet ---------------------------------------------------------------------------


def _square_samples(spd=False):
    def make(rng):
        out = []
        for shape in [(3, 3), (2, 3, 3), (1, 1), (2, 1, 4, 4)]:
            a = rng.uniform(-1, 1, shape)
            n = shape[-1]
            if spd:
                a = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
            else:
                a = a + n * np.eye(n)  # well conditioned, so float32 agrees with torch
            out.append(((a,), {}))
        return out

    return make


# (singular inputs, the rule's other branch, are in tests/test_decomp.py: finite differences of
# the gradient at a singular matrix are too noisy for the sweep's second-order check)
@op(grad_name="LinalgDetBackward0", samples=_square_samples())
def _linalg_det(xp, A):
    return xp.asarray(xp.linalg.det(A))


@_linalg_det.parser
def _(A):
    _check("linalg.det", A, low=_not_implemented("lu_cpu"))
    return (A,), {}


_linalg_det.check = lambda lib, A: lib.linalg.det(A)


@_linalg_det.vjp
def _(grad, out, A):
    # d det = det tr(A^{-1} dA): grad conj(det) A^{-H}; where A is (nearly) singular, the
    # adjugate through the SVD: A = U S Vh, adj(A)^H = conj(det U det Vh) U diag(prod_{j!=i} S) Vh
    n = A.shape[-1]
    if A.numel() == 0:
        return (None,)
    eps = np.finfo(out._data.dtype).eps
    sing = np.abs(_host(out)) < 100 * eps
    g = grad * _conj(out)
    if not sing.any():
        return (_solve(_mH(A), _eye_times(g, n)),)
    U, S, Vh = _linalg_svd(A, full_matrices=False)
    alpha = _conj(_linalg_det(U) * _linalg_det(Vh)) * grad
    adj = (U * (alpha.unsqueeze(-1) * _prod_others(S)).unsqueeze(-2)) @ Vh
    if sing.all():
        return (adj,)
    mask = _const(sing, out).unsqueeze(-1).unsqueeze(-1)
    safe = where(mask, _eye(n, A), A)  # the singular ones replaced, so the solve goes through
    return (where(mask, adj, _solve(_mH(safe), _eye_times(g, n))),)


@op(multi=True, grad_name="LinalgSlogdetBackward0", samples=_square_samples())
def _linalg_slogdet(xp, A):
    sign, logabs = xp.linalg.slogdet(A)
    return xp.asarray(sign), xp.asarray(logabs)


@_linalg_slogdet.parser
def _(A):
    _check("linalg.slogdet", A)
    return (A,), {}


_linalg_slogdet.check = lambda lib, A: tuple(lib.linalg.slogdet(A))


@_linalg_slogdet.vjp
def _(grad, out, A):
    # d logabsdet = Re tr(A^{-1} dA), d sign = i sign Im tr(A^{-1} dA)
    g_sign, g_abs = grad
    if A.is_complex():
        g = _to_complex(g_abs)
        if _given(g_sign):
            g = g - 1j * _linalg_imag(_conj(g_sign) * out[0])
    elif not _given(g_abs):
        return (None,)
    else:
        g = g_abs
    return (_solve(_mH(A), _eye_times(g, A.shape[-1])),)


# -- inv, solve -------------------------------------------------------------------------------


@op(multi=True, grad_name="LinalgInvExBackward0", samples=_square_samples())
def _linalg_inv_ex(xp, A):
    batch = A.shape[:-2]
    try:
        return xp.linalg.inv(A), xp.zeros(batch, xp.int32)
    except np.linalg.LinAlgError:
        lu, piv, info = _lu_np(xp, A)
        eye = xp.broadcast_to(xp.eye(A.shape[-1], dtype=A.dtype), A.shape)
        return _lu_solve_np(xp, lu, piv, eye), info


@_linalg_inv_ex.parser
def _(A):
    _check("linalg.inv", A)
    return (A,), {}


_linalg_inv_ex.check = lambda lib, A: lib.linalg.inv(A)


@_linalg_inv_ex.vjp
def _(grad, out, A):
    inv_h = _mH(out[0])
    return (-(inv_h @ (grad[0] @ inv_h)),)


def _is_vector_rhs(A, B):
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def _solve_samples(rng):
    u = rng.uniform
    eye = 3 * np.eye(3)
    return [
        ((u(-1, 1, (3, 3)) + eye, u(-1, 1, (3, 2))), {}),
        ((u(-1, 1, (2, 3, 3)) + eye, u(-1, 1, (3,))), {}),
        ((u(-1, 1, (2, 3, 3)) + eye, u(-1, 1, (2, 3))), {}),
        ((u(-1, 1, (3, 3)) + eye, u(-1, 1, (2, 3, 4))), {}),
        ((u(-1, 1, (2, 1, 3, 3)) + eye, u(-1, 1, (3, 3, 2))), {}),
        ((u(-1, 1, (3, 3)) + eye, u(-1, 1, (2, 3))), {"left": False}),
    ]


@op(multi=True, grad_name="LinalgSolveExBackward0", samples=_solve_samples)
def _linalg_solve_ex(xp, A, B, *, left=True, vector=False):
    info = None
    if vector:
        B = B[..., None]
    a, b = (A, B) if left else (xp.swapaxes(A, -1, -2), xp.swapaxes(B, -1, -2))
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a2, b2 = xp.broadcast_to(a, batch + a.shape[-2:]), xp.broadcast_to(b, batch + b.shape[-2:])
    try:
        X = xp.linalg.solve(a2, b2)
    except np.linalg.LinAlgError:
        lu, piv, info = _lu_np(xp, a)
        X = _lu_solve_np(xp, lu, piv, b2)
    if info is None:
        info = xp.zeros(A.shape[:-2], xp.int32)
    if not left:
        X = xp.swapaxes(X, -1, -2)
    return (X[..., 0] if vector else X), info


@_linalg_solve_ex.parser
def _(A, B, *, left=True, vector=None, name="linalg.solve"):
    _check(name, A)
    _same_dtype(name, A, B)
    vector = _is_vector_rhs(A, B) if vector is None else vector
    b = tuple(B.shape) + (1,) if vector else tuple(B.shape)
    if len(b) < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    if (A.shape[-2] != b[-2]) if left else (A.shape[-1] != b[-1]):
        raise RuntimeError(
            f"{name}: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{A.shape[-1]} and {b[-2]}x{b[-1]})"
        )
    _broadcast_shape([b[:-2], tuple(A.shape[:-2])])
    if vector and not left:
        raise RuntimeError(
            f"{name}: Vector broadcasting of the left hand side is not supported for left=False. "
            "In this case linalg.solve is equivalent to B / A.squeeze(-1)"
        )
    return (A, B), {"left": left, "vector": vector}


_linalg_solve_ex.check = lambda lib, A, B, **kw: lib.linalg.solve(A, B, **kw)


@_linalg_solve_ex.vjp
def _(grad, out, A, B, *, left=True, vector=False):
    # X = A^{-1} B: gB = A^{-H} gX, gA = -gB X^H (for left=False: X = B A^{-1}, mirrored)
    gX, X = grad[0], out[0]
    if vector:
        gX, X = gX.unsqueeze(-1), X.unsqueeze(-1)
    gB = _solve(_mH(A), gX, left)
    gA = -(gB @ _mH(X)) if left else -(_mH(X) @ gB)
    return gA, (gB.squeeze(-1) if vector else gB)


def _tri_samples(rng):
    u = rng.uniform
    a = u(-1, 1, (3, 3)) + 3 * np.eye(3)
    return [
        ((a, u(-1, 1, (3, 2))), {"upper": True}),
        ((a, u(-1, 1, (2, 3, 2))), {"upper": False}),
        ((u(-1, 1, (2, 3, 3)) + 3 * np.eye(3), u(-1, 1, (3, 4))), {"upper": True}),
        ((a, u(-1, 1, (2, 3))), {"upper": True, "left": False}),
        ((a, u(-1, 1, (3, 2))), {"upper": False, "unitriangular": True}),
        ((a, u(-1, 1, (4, 3))), {"upper": False, "left": False, "unitriangular": True}),
    ]


@op(namespace="linalg", grad_name="LinalgSolveTriangularBackward0", samples=_tri_samples)
def solve_triangular(xp, A, B, *, upper, left=True, unitriangular=False):
    """solve_triangular(A, B, *, upper, left=True, unitriangular=False): X with ``A X = B``
    (``X A = B`` when not left) for triangular A; only that triangle of A is read.

    >>> ember.linalg.solve_triangular(2 * ember.eye(2), ember.ones(2, 1), upper=True).tolist()
    [[0.5], [0.5]]
    """
    if left:
        return _trisolve_np(xp, A, B, upper, unitriangular)
    # X A = B  <=>  A^T X^T = B^T, and A^T is triangular the other way
    At, Bt = xp.swapaxes(A, -1, -2), xp.swapaxes(B, -1, -2)
    return xp.swapaxes(_trisolve_np(xp, At, Bt, not upper, unitriangular), -1, -2)


@solve_triangular.parser
def _(A, B, *, upper, left=True, unitriangular=False, out=None):
    name = "linalg.solve_triangular"
    _check(name, A, low=_not_implemented("triangular_solve_cpu"))
    if B.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    _same_dtype(name, A, B)
    if (A.shape[-2] != B.shape[-2]) if left else (A.shape[-1] != B.shape[-1]):
        raise RuntimeError(
            f"{name}: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{A.shape[-1]} and "
            f"{B.shape[-2]}x{B.shape[-1]})"
        )
    _broadcast_shape([tuple(B.shape[:-2]), tuple(A.shape[:-2])])
    return (A, B), {"upper": upper, "left": left, "unitriangular": unitriangular}


@solve_triangular.vjp
def _(grad, out, A, B, *, upper, left=True, unitriangular=False):
    gB = _tsolve(_mH(A), grad, not upper, left, unitriangular)
    Xh = _mH(out)
    gA = -(gB @ Xh) if left else -(Xh @ gB)
    k = int(unitriangular)
    return (_triu(gA, k) if upper else _tril(gA, -k)), gB


@op(multi=True, grad_name="TriangularSolveBackward0")
def _triangular_solve(xp, b, A, *, upper=True, transpose=False, unitriangular=False):
    a = xp.swapaxes(A, -1, -2) if transpose else A
    X = _trisolve_np(xp, a, b, upper != transpose, unitriangular)
    batch = X.shape[:-2]
    return X, xp.broadcast_to(A, batch + A.shape[-2:]).copy()


@_triangular_solve.vjp
def _(grad, out, b, A, *, upper=True, transpose=False, unitriangular=False):
    gx, gm = grad
    X = out[0]
    gb = _triangular_solve(gx, _conj(A), upper=upper, transpose=not transpose,
                           unitriangular=unitriangular)[0]  # fmt: skip
    ga = -(_conj(X) @ gb.mT) if transpose else -(gb @ _mH(X))
    k = int(unitriangular)
    ga = _triu(ga, k) if upper else _tril(ga, -k)
    if _given(gm):
        ga = ga + gm
    return gb, ga


def _triangular_solve_check(lib, b, A, **kw):
    return tuple(lib.triangular_solve(b, A, **kw))


_triangular_solve.check = _triangular_solve_check
_triangular_solve.samples = lambda rng: [
    ((rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)), kw)
    for kw in ({}, {"upper": False}, {"transpose": True}, {"unitriangular": True})
]


# -- cholesky ---------------------------------------------------------------------------------


def _sym(A):
    """(A + A^T) / 2: the sweep's checks of ops that read one triangle of a Hermitian input
    symmetrize it, so that finite differences see the function torch differentiates."""
    return (A + A.mT) / 2


def _tri_input(L, upper=False):
    return L.triu() if upper else L.tril()


def _cholesky_fw(xp, A, upper):
    try:
        L = xp.linalg.cholesky(A)
        if not bool(xp.isfinite(L).all()):  # LAPACK lets a nan through without an error
            raise np.linalg.LinAlgError
        info = xp.zeros(A.shape[:-2], xp.int32)
    except np.linalg.LinAlgError:
        L, info = _cholesky_np(xp, A)
    return (_h(xp, L) if upper else L), info


def _cholesky_grad(gL, L, upper):
    # Murray (2016): gA = L^{-H} Phi(L^H gL) L^{-1}, Phi the lower triangle with half diagonal,
    # symmetrized
    if upper:
        L, gL = _mH(L), _mH(gL)
    gA = _tril(_mH(L) @ gL)
    gA = 0.5 * (gA + _mH(_tril(gA, -1)))
    gA = _tsolve(_mH(L), gA, upper=True)
    return _tsolve(L, gA, upper=False, left=False)


def _chol_samples(rng):
    out = _square_samples(spd=True)(rng)
    return out + [(out[1][0], {"upper": True})]


@op(multi=True, grad_name="LinalgCholeskyExBackward0", samples=_chol_samples)
def _linalg_cholesky_ex(xp, A, *, upper=False):
    return _cholesky_fw(xp, A, upper)


@_linalg_cholesky_ex.parser
def _(A, *, upper=False):
    _check("linalg.cholesky", A, low=_not_implemented("cholesky_cpu"))
    return (A,), {"upper": upper}


_linalg_cholesky_ex.check = lambda lib, A, **kw: lib.linalg.cholesky(_sym(A), **kw)
_linalg_cholesky_ex.defvjp(lambda grad, out, A, upper=False: _cholesky_grad(grad[0], out[0], upper))


_CHOLESKY_WARNING = (
    "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
    "future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\n"
    "L = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be replaced "
    "with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce equivalent results for "
    "all valid (symmetric positive definite) inputs."
)


@op(grad_name="CholeskyBackward0", samples=_chol_samples)
def cholesky(xp, A, *, upper=False):
    """cholesky(input, upper=False): deprecated; see ``ember.linalg.cholesky``."""
    L, info = _cholesky_fw(xp, A, upper)
    _raise_info("cholesky", info, _not_pd)
    return L


@cholesky.parser
def _(input, upper=False, *, out=None):
    warnings.warn(_CHOLESKY_WARNING, UserWarning, stacklevel=3)
    _check("cholesky", input, low=_not_implemented("cholesky_cpu"))
    return (input,), {"upper": upper}


cholesky.defvjp(lambda grad, out, A, upper=False: _cholesky_grad(grad, out, upper))


def _quiet(fn):
    def run(lib, *args, **kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(lib, *args, **kw)

    return run


cholesky.check = _quiet(lambda lib, A, **kw: lib.cholesky(_sym(A), **kw))


def _chol_solve_samples(rng):
    a = rng.uniform(-1, 1, (3, 3))
    low = np.linalg.cholesky(a @ a.T + 3 * np.eye(3))
    b = rng.uniform(-1, 1, (3, 2))
    return [((b, low), {}), ((b, low.T.copy()), {"upper": True}),
            ((rng.uniform(-1, 1, (2, 3, 2)), low), {})]  # fmt: skip


def _chol_solve_np(xp, B, L, upper):
    if upper:
        y = _trisolve_np(xp, _h(xp, L), B, upper=False)
        return _trisolve_np(xp, L, y, upper=True)
    y = _trisolve_np(xp, L, B, upper=False)
    return _trisolve_np(xp, _h(xp, L), y, upper=True)


@op(samples=_chol_solve_samples)
def cholesky_solve(xp, B, L, *, upper=False):
    """cholesky_solve(B, L, upper=False): X with ``A X = B`` for ``A = L L^H`` (``U^H U``)."""
    return _chol_solve_np(xp, B, L, upper)


@cholesky_solve.parser
def _(input, input2, upper=False, *, out=None):
    for t, what in ((input, "b"), (input2, "u")):
        if t.ndim < 2:
            raise RuntimeError(f"{what} should have at least 2 dimensions, but has {t.ndim} "
                               "dimensions instead")  # fmt: skip
    if input.dtype is not input2.dtype:
        raise RuntimeError(
            f"Expected b and A to have the same dtype, but found b of type "
            f"{_tname(input.dtype)} and A of type {_tname(input2.dtype)} instead."
        )
    _check("cholesky_solve", input2)
    if input.shape[-2] != input2.shape[-1]:
        raise RuntimeError(
            "Incompatible matrix sizes for cholesky_solve: each A matrix is "
            f"{input2.shape[-1]} by {input2.shape[-1]} but each b matrix is {input.shape[-2]} by "
            f"{input.shape[-1]}"
        )
    _broadcast_shape([tuple(input.shape[:-2]), tuple(input2.shape[:-2])])
    return (input, input2), {"upper": upper}


cholesky_solve.check = lambda lib, B, L, **kw: lib.cholesky_solve(B, _tri_input(L, **kw), **kw)


@cholesky_solve.vjp
def _(grad, out, B, L, *, upper=False):
    gB = cholesky_solve(grad, L, upper)
    common = gB @ _mH(out)
    common = common + _mH(common)
    return gB, (-(L @ common) if upper else -(common @ L))


@op(samples=lambda rng: [((a[1],), kw) for a, kw in _chol_solve_samples(rng)[:2]])
def cholesky_inverse(xp, L, *, upper=False):
    """cholesky_inverse(L, upper=False): ``(L L^H)^{-1}`` (``(U^H U)^{-1}``) from a factor."""
    eye = xp.broadcast_to(xp.eye(L.shape[-1], dtype=L.dtype), L.shape)
    return _chol_solve_np(xp, eye, L, upper)


@cholesky_inverse.parser
def _(input, upper=False, *, out=None):
    _check("cholesky_inverse", input)
    return (input,), {"upper": upper}


cholesky_inverse.check = lambda lib, L, **kw: lib.cholesky_inverse(_tri_input(L, **kw), **kw)


@cholesky_inverse.vjp
def _(grad, out, L, *, upper=False):
    common = out @ ((grad + _mH(grad)) @ out)
    return (-(L @ common) if upper else -(common @ L),)


# -- qr ---------------------------------------------------------------------------------------

_QR_MODES = ("reduced", "complete", "r")


def _qr_samples(rng):
    u = rng.uniform
    return [((u(-1, 1, (4, 3)),), {}), ((u(-1, 1, (3, 4)),), {}), ((u(-1, 1, (2, 3, 3)),), {}),
            ((u(-1, 1, (3, 4)),), {"mode": "complete"})]  # fmt: skip


@op(multi=True, grad_name="LinalgQrBackward0", samples=_qr_samples)
def _linalg_qr(xp, A, *, mode="reduced"):
    if mode == "r":
        return xp.empty((0,), A.dtype), xp.linalg.qr(A, mode="r")
    return tuple(xp.linalg.qr(A, mode=mode))


@_linalg_qr.parser
def _(A, mode="reduced"):
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")  # fmt: skip
    _check("linalg.qr", A, square=False, low=_not_implemented("geqrf_cpu"))
    return (A,), {"mode": mode}


def _qr_check(lib, A, **kw):
    Q, R = lib.linalg.qr(A, **kw)
    return R if kw.get("mode") == "r" else (Q, R)


_linalg_qr.check = _qr_check


@_linalg_qr.vjp
def _(grad, out, A, *, mode="reduced"):
    if mode == "r":
        raise RuntimeError(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
            "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
            "linalg.qr."
        )
    gQ, gR = grad
    Q, R = out
    m, n = Q.shape[-2], R.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")  # fmt: skip
    hasQ, hasR = _given(gQ), _given(gR)
    if hasQ and hasR:
        gA = gR @ _mH(R) - _mH(Q) @ gQ
    elif hasQ:
        gA = -(_mH(Q) @ gQ)
    else:
        gA = gR @ _mH(R)
    if m >= n:
        gA = _triu(gA)
        gA = gA + _mH(gA)
        if gA.is_complex():  # halve the real part of the diagonal
            gA = gA - 0.5 * _diag_embed(_to_complex(_real(gA.diagonal(0, -2, -1))))
        else:
            gA = gA - 0.5 * _diag_embed(gA.diagonal(0, -2, -1))
        gA = Q @ gA
        if hasQ:
            gA = gA + gQ
        return (_tsolve(_mH(R), gA, upper=False, left=False),)
    X = -gA
    ret = _tril(X - _mH(X))
    if X.is_complex():  # halve the imaginary part of the diagonal
        d = _linalg_imag(ret.diagonal(0, -2, -1))
        ret = ret - 0.5j * _diag_embed(_to_complex(d))
    gA = _tsolve(_mH(R.narrow(-1, 0, m)), Q @ ret, upper=False, left=False)
    zeros = _creation.zeros(tuple(R.shape[:-1]) + (n - m,), dtype=gA.dtype, device=gA.device)
    gA = cat([gA, zeros], -1)
    if hasR:
        gA = gA + Q @ gR
    return (gA,)


# -- svd --------------------------------------------------------------------------------------


def _svd_samples(rng):
    u = rng.uniform
    return [((u(-1, 1, (3, 3)),), {}), ((u(-1, 1, (4, 3)),), {"full_matrices": False}),
            ((u(-1, 1, (2, 3, 4)),), {"full_matrices": False}), ((u(-1, 1, (4, 2)),), {}),
            ((u(-1, 1, (2, 3)),), {})]  # fmt: skip


@op(multi=True, grad_name="LinalgSvdBackward0", samples=_svd_samples)
def _linalg_svd(xp, A, *, full_matrices=True, compute_uv=True):
    if not compute_uv:
        empty = xp.empty((0,), A.dtype)
        return empty, xp.linalg.svd(A, compute_uv=False), empty
    U, S, Vh = xp.linalg.svd(A, full_matrices=full_matrices)
    return U, S, Vh


@_linalg_svd.parser
def _(A, full_matrices=True, *, compute_uv=True, driver=None, name="linalg.svd"):
    _check(name, A, square=False, low=_not_implemented("linalg_svd_cpu"))
    _finite(name, A)
    return (A,), {"full_matrices": full_matrices, "compute_uv": compute_uv}


def _finite(name, A):
    if not bool(np.isfinite(_host(A)).all()):
        raise LinAlgError(f"{name}: The algorithm failed to converge because the input matrix "
                          "contained non-finite values.")  # fmt: skip


def _svd_check(lib, A, **kw):
    # singular vectors are defined up to sign: compare S, U S Vh and the squares of U and Vh
    U, S, Vh = lib.linalg.svd(A, **kw)
    k = S.shape[-1]
    U, Vh = U[..., :k], Vh[..., :k, :]
    return S, (U * S.unsqueeze(-2)) @ Vh, U * U, Vh * Vh


_linalg_svd.check = _svd_check


@_linalg_svd.vjp
def _(grad, out, A, *, full_matrices=True, compute_uv=True):
    gU, gS, gVh = grad
    U, S, Vh = out
    k = S.shape[-1]
    if full_matrices:
        U, Vh = U.narrow(-1, 0, k), Vh.narrow(-2, 0, k)
        if gU is not None:
            gU = gU.narrow(-1, 0, k)
        if gVh is not None:
            gVh = gVh.narrow(-2, 0, k)
    return (_svd_grad(gU, gS, gVh, U, S, Vh),)


def _svd_grad(gU, gS, gVh, U, S, Vh):
    """torch's svd_backward: gA = U [(skew(U^H gU) / E) S + S (skew(V^H gV) / E) + diag(gS)] V^H
    plus the projections off the span of U (m > n) or V (m < n)."""
    m, n = U.shape[-2], Vh.shape[-1]
    hasU, hasV, hasS = _given(gU), _given(gVh), _given(gS)
    if not hasU and not hasV:
        if not hasS:
            return None
        return U @ (gS.unsqueeze(-1) * Vh) if m >= n else (U * gS.unsqueeze(-2)) @ Vh
    UhgU = VhgV = None
    if hasU:
        UhgU = _mH(U) @ gU
        UhgU = UhgU - _mH(UhgU)
    if hasV:
        VhgV = Vh @ _mH(gVh)
        VhgV = VhgV - _mH(VhgV)
    if U.is_complex():
        z = np.zeros(S.shape)
        iu = np.imag(np.diagonal(_host(UhgU), 0, -2, -1)) if hasU else z
        iv = np.imag(np.diagonal(_host(VhgV), 0, -2, -1)) if hasV else z
        if not np.allclose(iu, -iv, rtol=1e-2, atol=1e-2):
            raise RuntimeError(
                "svd_backward: The singular vectors in the complex case are specified up to "
                "multiplication by e^{i phi}. The specified loss function depends on this phase "
                "term, making it ill-defined."
            )
    S2 = S * S
    E = _diff_matrix(S2)
    if hasU and hasV:
        gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif hasU:
        gA = (UhgU / E) * S.unsqueeze(-2)
    else:
        gA = S.unsqueeze(-1) * (VhgV / E)
    if hasS:
        gA = gA + _diag_embed(gS)
    if U.is_complex() and hasU and hasV:
        gA = gA + _diag_embed(UhgU.diagonal(0, -2, -1) / (2 * S))
    if m > n and hasU:
        gA = U @ gA
        gUSinv = gU / S.unsqueeze(-2)
        gA = gA + gUSinv - U @ (_mH(U) @ gUSinv)
        return gA @ Vh
    if m < n and hasV:
        gA = gA @ Vh
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = gA + SinvgVh - (SinvgVh @ _mH(Vh)) @ Vh
        return U @ gA
    return U @ (gA @ Vh) if m >= n else (U @ gA) @ Vh


def _wants_grad(A):
    return A.requires_grad and STATE.grad


# -- eig, eigh --------------------------------------------------------------------------------


def _complex_of(dt):
    return np.complex64 if dt in (np.float32, np.complex64) else np.complex128


def _eig_samples(rng):
    u = rng.uniform
    return [((u(-1, 1, (3, 3)),), {}), ((u(-1, 1, (2, 4, 4)),), {}),
            ((_similar(u(-1, 1, (3, 3)), [1.0, 2.0, 3.0]),), {})]  # fmt: skip


def _similar(Q, eigenvalues):
    """``Q diag(eigenvalues) Q^{-1}``: a dense matrix with those (real) eigenvalues. (A
    triangular one would not do: LAPACK orders its eigenvalues differently once perturbed.)"""
    Q = Q + 2 * np.eye(len(eigenvalues))
    return (Q * np.asarray(eigenvalues)) @ np.linalg.inv(Q)


@op(multi=True, grad_name="LinalgEigBackward0", samples=_eig_samples)
def _linalg_eig(xp, A, *, compute_v=True):
    c = _complex_of(A.dtype)
    if not compute_v:
        return xp.linalg.eigvals(A).astype(c), xp.empty((0,), c)
    w, v = xp.linalg.eig(A)
    return w.astype(c), v.astype(c)


@_linalg_eig.parser
def _(A, *, compute_v=True, name="linalg.eig"):
    _check(
        name,
        A,
        low=_not_implemented("linalg_eig_out_cpu"),
        ints=lambda dt: RuntimeError(f"Unknown Complex ScalarType for {_tname(dt)}"),
    )
    if not bool(np.isfinite(_host(A)).all()):
        raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
    return (A,), {"compute_v": compute_v}


def _eig_check(lib, A):
    # eigenvectors are defined up to a phase: compare the eigenvalues, |V|^2 and V L V^{-1}
    L, V = lib.linalg.eig(A)
    if lib.__name__ == "ember":
        re, im = _real, _linalg_imag
    else:
        re, im = (lambda t: t.real), (lambda t: t.imag)
    rec = (V * L.unsqueeze(-2)) @ lib.linalg.inv(V)
    return re(L), im(L), re(V) ** 2 + im(V) ** 2, re(rec)


_linalg_eig.check = _eig_check


@_linalg_eig.vjp
def _(grad, out, A, *, compute_v=True):
    gL, gV = grad
    L, V = out
    gA = _eig_grad(gL, gV, L, V, hermitian=False)
    return ((gA if gA is None or A.is_complex() else _real(gA)),)


def _eig_grad(gL, gV, L, V, hermitian):
    """torch's linalg_eig_backward: gA = V^{-H} (diag(gL) + (V^H gV - V^H V diag(Re(V^H gV)))
    / conj(E)) V^H, with E[i, j] = L[j] - L[i] (V^{-1} = V^H when hermitian)."""
    hasL, hasV = _given(gL), _given(gV)
    if not hasV:
        if not hasL:
            return None
        if hermitian:
            return (V * gL.unsqueeze(-2)) @ _mH(V)
        return _solve(_mH(V), gL.unsqueeze(-1) * _mH(V))
    VhgV = _mH(V) @ gV
    if V.is_complex():
        im = np.imag(np.diagonal(_host(VhgV), 0, -2, -1))
        if not np.allclose(im, 0, rtol=1e-2, atol=1e-2):
            raise RuntimeError(
                f"{'linalg_eigh_backward' if hermitian else 'linalg_eig_backward'}: The "
                "eigenvectors in the complex case are specified up to multiplication by e^{i "
                "phi}. The specified loss function depends on this quantity, so it is "
                "ill-defined."
            )
    if hermitian:
        VhgV = 0.5 * (VhgV - _mH(VhgV))
    else:
        d = _to_complex(_real(VhgV.diagonal(0, -2, -1)))
        VhgV = VhgV - _mH(V) @ (V * d.unsqueeze(-2))
    ret = VhgV / _diff_matrix(_conj(L))
    if hasL:
        ret = _set_diag(ret, _to_complex(gL) if ret.is_complex() else gL)
    if hermitian:
        return V @ (ret @ _mH(V))
    return _solve(_mH(V), ret @ _mH(V))


def _eigh_samples(rng):
    out = []
    for shape in [(3, 3), (2, 4, 4), (1, 1)]:
        a = rng.uniform(-1, 1, shape)
        out.append(((a + np.swapaxes(a, -1, -2),), {}))
    out.append((out[0][0], {"UPLO": "U"}))
    return out


@op(multi=True, grad_name="LinalgEighBackward0", samples=_eigh_samples)
def _linalg_eigh(xp, A, *, UPLO="L", compute_v=True):
    if not compute_v:
        return xp.linalg.eigvalsh(A, UPLO=UPLO), xp.empty((0,), A.dtype)
    w, v = xp.linalg.eigh(A, UPLO=UPLO)
    return w, v


@_linalg_eigh.parser
def _(A, UPLO="L", *, compute_v=True, name="linalg.eigh"):
    _check(
        name, A, low=_not_implemented("linalg_eigh_cpu"), ints=_not_implemented("linalg_eigh_cpu")
    )
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return (A,), {"UPLO": UPLO.upper(), "compute_v": compute_v}


def _eigh_check(lib, A, **kw):
    L, V = lib.linalg.eigh(_sym(A), **kw)
    return L, V * V, (V * L.unsqueeze(-2)) @ V.mT


_linalg_eigh.check = _eigh_check


@_linalg_eigh.vjp
def _(grad, out, A, *, UPLO="L", compute_v=True):
    return (_eig_grad(grad[0], grad[1], out[0], out[1], hermitian=True),)


# -- pinv, lstsq ------------------------------------------------------------------------------


def _pinv_samples(rng):
    u = rng.uniform
    a = u(-1, 1, (3, 3))
    return [((u(-1, 1, (3, 4)),), {}), ((u(-1, 1, (4, 3)),), {}), ((u(-1, 1, (2, 3, 3)),), {}),
            ((a + a.T,), {"hermitian": True}), ((u(-1, 1, (3, 2)),), {"rtol": 0.1}),
            ((u(-1, 1, (3, 2)),), {"atol": 0.2})]  # fmt: skip


def _tolerances(A, atol, rtol):
    """torch's get_atol_rtol: atol 0 unless given; rtol eps * max(m, n) unless given, or 0 when
    only a positive atol is."""
    real = A.dtype.to_real() if A.is_complex() else A.dtype
    eps = float(np.finfo(np.dtype(real.name)).eps)
    if rtol is None:
        given = atol is not None and (np.any(_host(atol) > 0) if isinstance(atol, Tensor)
                                      else atol > 0)  # fmt: skip
        rtol = 0.0 if given else eps * max(A.shape[-2], A.shape[-1])
    atol = 0.0 if atol is None else atol
    return (_host(atol) if isinstance(atol, Tensor) else atol,
            _host(rtol) if isinstance(rtol, Tensor) else rtol)  # fmt: skip


@op(grad_name="LinalgPinvBackward0", samples=_pinv_samples)
def _linalg_pinv(xp, A, *, atol=0.0, rtol=0.0, hermitian=False):
    m, n = A.shape[-2:]
    if A.size == 0:
        return xp.zeros(A.shape[:-2] + (n, m), A.dtype)
    atol, rtol = xp.asarray(atol)[..., None], xp.asarray(rtol)[..., None]
    if hermitian:
        L, V = xp.linalg.eigh(A)
        S = xp.abs(L)
        tol = xp.maximum(atol, rtol * S.max(-1, keepdims=True))
        with np.errstate(all="ignore"):
            inv = xp.where(S > tol, 1 / L, 0).astype(A.dtype)
        return (V * inv[..., None, :]) @ _h(xp, V)
    U, S, Vh = xp.linalg.svd(A, full_matrices=False)
    tol = xp.maximum(atol, rtol * S[..., :1])
    with np.errstate(all="ignore"):
        inv = xp.where(S > tol, 1 / S, 0).astype(A.dtype)
    return (_h(xp, Vh) * inv[..., None, :]) @ _h(xp, U)


@_linalg_pinv.parser
def _(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    if A.ndim < 2 or not (A.is_floating_point() or A.is_complex()) or A.dtype.itemsize == 2:
        raise RuntimeError(
            f"linalg.pinv({_tname(A.dtype)}{{{list(A.shape)}}}): expected a tensor with 2 or "
            "more dimensions of float, double, cfloat or cdouble types"
        )
    if rcond is not None:  # NumPy's signature: rcond is the relative tolerance
        atol, rtol = 0.0, rcond
    atol, rtol = _tolerances(A, atol, rtol)
    return (A,), {"atol": atol, "rtol": rtol, "hermitian": hermitian}


_linalg_pinv.check = lambda lib, A, **kw: lib.linalg.pinv(_sym(A) if kw.get("hermitian") else A,
                                                           **kw)  # fmt: skip


@_linalg_pinv.vjp
def _(grad, out, A, *, atol=0.0, rtol=0.0, hermitian=False):
    return (_pinv_grad(grad, out, A),)


def _pinv_grad(grad, P, A):
    """torch's pinv_backward (the pseudo-inverse's differential, Golub & Pereyra 1973)."""
    m, n = A.shape[-2:]
    Ph, gh = _mH(P), _mH(grad)
    if m <= n:
        K = gh @ P
        KPh = K @ Ph
        return -_mH(P @ K) + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
    K = P @ gh
    PhK = Ph @ K
    return -_mH(K @ P) + ((gh - A @ K) @ P) @ Ph + PhK - (PhK @ P) @ A


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _lstsq_samples(rng):
    u = rng.uniform
    return [((u(-1, 1, (4, 3)), u(-1, 1, (4, 2))), {}),
            ((u(-1, 1, (4, 2)), u(-1, 1, (4, 2))), {"driver": "gelsd"}),
            ((u(-1, 1, (2, 4, 2)), u(-1, 1, (2, 4))), {"driver": "gelss"}),
            ((u(-1, 1, (3, 3)), u(-1, 1, (3,))), {"driver": "gels"}),
            ((u(-1, 1, (2, 4)), u(-1, 1, (2, 3))), {})]  # fmt: skip


@op(multi=True, grad_name="LinalgLstsqBackward0", samples=_lstsq_samples)
def _linalg_lstsq(xp, A, B, *, rcond=None, driver="gelsy", vector=False):
    if vector:
        B = B[..., None]
    m, n = A.shape[-2:]
    k = B.shape[-1]
    batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    a = xp.broadcast_to(A, batch + (m, n)).reshape(-1, m, n)
    b = xp.broadcast_to(B, batch + (m, k)).reshape(-1, m, k)
    real = np.empty(0, A.dtype).real.dtype
    X = xp.empty((a.shape[0], n, k), A.dtype)
    rank = xp.empty(a.shape[0], xp.int64)
    sv = xp.empty((a.shape[0], min(m, n)), real)
    for i in range(a.shape[0]):
        X[i], _, rank[i], sv[i] = xp.linalg.lstsq(a[i], b[i], rcond=rcond)
    X = X.reshape(batch + (n, k))
    full = driver == "gels" or bool((rank == n).all())
    if m > n and driver != "gelsy" and full:
        res = (xp.abs(A @ X - B) ** 2).sum(-2).astype(real)
    else:
        res = xp.empty((0,), real)
    rank = rank.reshape(batch) if driver != "gels" else xp.empty((0,), xp.int64)
    sv = sv.reshape(batch + (min(m, n),)) if driver in ("gelsd", "gelss") else xp.empty(0, real)
    return (X[..., 0] if vector else X), res, rank, sv


@_linalg_lstsq.parser
def _(A, B, rcond=None, *, driver=None):
    name = "torch.linalg.lstsq"
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if B.ndim < 1:
        raise RuntimeError(f"{name}: other must have at least 1 dimension.")
    if A.dtype is not B.dtype:
        raise RuntimeError(
            f"{name}: Expected input and other to have the same dtype, but got input's dtype "
            f"{_tname(A.dtype)} and other's dtype {_tname(B.dtype)}"
        )
    _check_float(name, A, _not_implemented("linalg_lstsq_cpu"))
    vector = B.ndim == A.ndim - 1  # (torch's lstsq, unlike solve, looks only at ndim)
    _broadcast_shape([tuple(A.shape[:-2]), tuple(B.shape[:-1] if vector else B.shape[:-2])])
    if A.shape[-2] != (B.shape[-1] if vector else B.shape[-2]):
        raise RuntimeError(f"{name}: input.size(-2) should match other.size(-{1 if vector else 2})")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError(f"{name}: parameter `driver` should be one of (gels, gelsy, gelsd, "
                           "gelss)")  # fmt: skip
    return (A, B), {"rcond": rcond, "driver": driver, "vector": vector}


def _lstsq_check(lib, A, B, **kw):
    # singular_values depend on A but take no gradient: left out of the differentiated outputs
    X, res, rank, _ = lib.linalg.lstsq(A, B, **kw)
    return X, res, rank


_linalg_lstsq.check = _lstsq_check


@_linalg_lstsq.vjp
def _(grad, out, A, B, *, rcond=None, driver="gelsy", vector=False):
    gX, gL = grad[0], grad[1]
    X = out[0]
    if vector:
        B, X = B.unsqueeze(-1), X.unsqueeze(-1)
    gA = gB = None
    if _given(gX):
        if vector:
            gX = gX.unsqueeze(-1)
        P = _linalg_pinv(A, rtol=_tolerances(A, None, None)[1])
        gA = _pinv_grad(gX @ _mH(B), P, A)
        gB = _mH(P) @ gX
    if gL is not None and gL.numel():
        r = A @ X - B
        g = gL.unsqueeze(-2)
        gA2, gB2 = 2 * (g * r) @ _mH(X), -2 * g * r
        gA = gA2 if gA is None else gA + gA2
        gB = gB2 if gB is None else gB + gB2
    if vector and gB is not None:
        gB = gB.squeeze(-1)
    return gA, gB


# -- matrix_exp -------------------------------------------------------------------------------

# Higham (2005), "The scaling and squaring method for the matrix exponential revisited": the
# degree-13 Pade approximant after scaling A by 2^-s so that ||A||_1 <= theta_13
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)  # fmt: skip
_THETA13 = 5.371920351148152


def _expm_np(xp, A):
    if A.size == 0:
        return A.copy()
    n = A.shape[-1]
    norm = xp.abs(A).sum(-2).max(-1)
    with np.errstate(divide="ignore"):
        s = xp.maximum(0, xp.ceil(xp.log2(norm / _THETA13))).astype(np.int64)
    s = xp.where(xp.isfinite(norm), s, 0)
    A = A / (2.0**s).astype(A.dtype)[..., None, None]
    b = _PADE13
    eye = xp.eye(n, dtype=A.dtype)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2
             + b[1] * eye)  # fmt: skip
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    R = xp.linalg.solve(V - U, V + U)
    for i in range(int(s.max()) if s.size else 0):
        R = xp.where((i < s)[..., None, None], R @ R, R)
    return R


@op(name="matrix_exp", namespace="linalg", grad_name="LinalgMatrixExpBackward0",
    samples=lambda rng: [((rng.uniform(-1, 1, s),), {}) for s in ((3, 3), (2, 2, 2), (1, 1))]
    + [((3 * rng.uniform(-1, 1, (3, 3)),), {})])  # fmt: skip
def matrix_exp_op(xp, A):
    """matrix_exp(A): the matrix exponential ``sum_k A^k / k!`` of each square matrix.

    >>> ember.linalg.matrix_exp(ember.zeros(2, 2)).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    if A.dtype.itemsize == 2:  # half precision: computed in float32, as torch does
        return _expm_np(xp, A.astype(np.float32)).astype(A.dtype)
    return _expm_np(xp, A)


@matrix_exp_op.parser
def _(A):
    _check("linalg.matrix_exp", A, low=lambda dt: None)
    return (A,), {}


@matrix_exp_op.vjp
def _(grad, out, A):
    # Mathias (1996): exp([[A^H, G], [0, A^H]]) holds the adjoint of the differential top right
    n = A.shape[-1]
    Ah = _mH(A)
    top = cat([Ah, grad], -1)
    bottom = cat([_creation.zeros(tuple(A.shape), dtype=A.dtype, device=A.device), Ah], -1)
    big = matrix_exp_op(cat([top, bottom], -2))
    return (big.narrow(-2, 0, n).narrow(-1, n, n),)


# -- lu ---------------------------------------------------------------------------------------


def _lu_samples(rng):
    u = rng.uniform
    return [((u(-1, 1, (3, 3)),), {}), ((u(-1, 1, (2, 3, 3)),), {}), ((u(-1, 1, (4, 3)),), {}),
            ((u(-1, 1, (3, 4)),), {})]  # fmt: skip


def _check_lu(name, A, pivot):
    if A.ndim < 2:
        raise RuntimeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")  # fmt: skip
    _check(name, A, square=False, low=_not_implemented("lu_cpu"), ints=_not_implemented("lu_cpu"))
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


@op(multi=True, grad_name="LinalgLuFactorExBackward0", samples=_lu_samples)
def _linalg_lu_factor_ex(xp, A, *, pivot=True):
    return _lu_np(xp, A)


@_linalg_lu_factor_ex.parser
def _(A, *, pivot=True):
    _check_lu("torch.lu_factor", A, pivot)
    return (A,), {"pivot": pivot}


_linalg_lu_factor_ex.check = lambda lib, A, **kw: tuple(lib.linalg.lu_factor_ex(A, **kw))


def _unpack(LU, m, n):
    """L (unit lower, m x k) and U (upper, k x n) from a packed LU, in ember ops."""
    k = min(m, n)
    L = _tril(LU.narrow(-1, 0, k), -1) + _eye(m, LU, k)
    U = _triu(LU.narrow(-2, 0, k))
    return L, U


def _perm_tensor(pivots, m, like):
    return _const(_perm_matrix_np(np, _host(pivots), m, np.dtype(like._data.dtype)), like)


@_linalg_lu_factor_ex.vjp
def _(grad, out, A, *, pivot=True):
    LU, piv = out[0], out[1]
    m, n = A.shape[-2:]
    k = min(m, n)
    L, U = _unpack(LU, m, n)
    P = _perm_tensor(piv, m, LU)
    g = grad[0]
    return (_lu_grad(g.narrow(-1, 0, k), g.narrow(-2, 0, k), P, L, U),)


def _lu_grad(gL, gU, P, L, U):
    """torch's linalg_lu_backward for A = P L U (square, wide and tall cases)."""
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    hasL, hasU = _given(gL), _given(gU)
    if not hasL and not hasU:
        return None
    if m == n:
        gA = _tril(_mH(L) @ gL, -1) if hasL else None
        if hasU:
            t = _triu(gU @ _mH(U))
            gA = t if gA is None else gA + t
        gA = _tsolve(_mH(U), gA, upper=False, left=False)
        gA = _tsolve(_mH(L), gA, upper=True, unit=True)
        return P @ gA
    if m < n:
        U1, U2 = U.narrow(-1, 0, k), U.narrow(-1, k, n - k)
        gA = _mH(L) @ gL if hasL else None
        if hasU:
            t = _triu(gU) @ _mH(U)
            gA = -t if gA is None else gA - t
        gA = _tsolve(_mH(U1), _tril(gA, -1), upper=False, left=False)
        if hasU:
            gA = cat([gA + _triu(gU.narrow(-1, 0, k)), gU.narrow(-1, k, n - k)], -1)
        gA = _tsolve(_mH(L), gA, upper=True, unit=True)
        if not hasU:
            gA = cat([gA, _creation.zeros(tuple(U2.shape), dtype=gA.dtype, device=gA.device)], -1)
        return P @ gA
    L1, L2 = L.narrow(-2, 0, k), L.narrow(-2, k, m - k)
    gA = gU @ _mH(U) if hasU else None
    if hasL:
        t = _mH(L) @ _tril(gL, -1)
        gA = -t if gA is None else gA - t
    gA = _tsolve(_mH(L1), _triu(gA), upper=True, unit=True)
    if hasL:
        gA = cat([gA + _tril(gL.narrow(-2, 0, k), -1), gL.narrow(-2, k, m - k)], -2)
    gA = _tsolve(_mH(U), gA, upper=False, left=False)
    if not hasL:
        gA = cat([gA, _creation.zeros(tuple(L2.shape), dtype=gA.dtype, device=gA.device)], -2)
    return P @ gA


@op(multi=True, grad_name="LinalgLuBackward0", samples=_lu_samples)
def _linalg_lu(xp, A, *, pivot=True):
    lu, piv, _ = _lu_np(xp, A)
    L, U = _unpack_np(xp, lu)
    return _perm_matrix_np(xp, piv, A.shape[-2], A.dtype), L, U


@_linalg_lu.parser
def _(A, *, pivot=True):
    _check_lu("linalg.lu", A, pivot)
    return (A,), {"pivot": pivot}


_linalg_lu.check = lambda lib, A, **kw: tuple(lib.linalg.lu(A, **kw))


@_linalg_lu.vjp
def _(grad, out, A, *, pivot=True):
    return (_lu_grad(grad[1], grad[2], out[0].detach(), out[1], out[2]),)


@op(multi=True, grad_name="LuUnpackBackward0")
def _lu_unpack(xp, LU, pivots, *, unpack_data=True, unpack_pivots=True):
    empty = xp.empty((0,), LU.dtype)
    L, U = _unpack_np(xp, LU) if unpack_data else (empty, empty)
    P = _perm_matrix_np(xp, pivots, LU.shape[-2], LU.dtype) if unpack_pivots else empty
    return P, L, U


@_lu_unpack.parser
def _(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    if LU_pivots.dtype.name != "int32" or not LU_pivots.is_contiguous():
        raise RuntimeError(
            "torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 "
            "dtype.\nNote: this function is intended to be used with the output produced by "
            "torch.linalg.lu_factor"
        )
    return (LU_data, LU_pivots), {"unpack_data": unpack_data, "unpack_pivots": unpack_pivots}


def _lu_unpack_check(lib, A):
    return tuple(lib.lu_unpack(*lib.linalg.lu_factor(A)))


_lu_unpack.check = _lu_unpack_check
_lu_unpack.samples = _lu_samples


@_lu_unpack.vjp
def _(grad, out, LU, pivots, *, unpack_data=True, unpack_pivots=True):
    gL, gU = grad[1], grad[2]
    m, n = LU.shape[-2:]
    k = min(m, n)
    hasL, hasU = _given(gL), _given(gU)
    if not hasL and not hasU:
        return None, None
    zeros = _creation.zeros
    if hasL and hasU:
        if m == n:
            return _tril(gL, -1) + _triu(gU), None
        a1 = _tril(gL.narrow(-2, 0, k), -1) + _triu(gU.narrow(-1, 0, k))
        if m > n:
            return cat([a1, gL.narrow(-2, k, m - k)], -2), None
        return cat([a1, gU.narrow(-1, k, n - k)], -1), None
    if hasL:
        g = _tril(gL, -1)
        if m < n:
            g = cat([g, zeros(tuple(gL.shape[:-1]) + (n - m,), dtype=g.dtype)], -1)
        return g, None
    g = _triu(gU)
    if n < m:
        g = cat([g, zeros(tuple(gU.shape[:-2]) + (m - n, n), dtype=g.dtype)], -2)
    return g, None


def _lu_solve_samples(rng):
    u = rng.uniform
    a = u(-1, 1, (3, 3))
    return [((a, u(-1, 1, (3, 2))), {}), ((a, u(-1, 1, (3, 2))), {"adjoint": True}),
            ((a, u(-1, 1, (2, 3))), {"left": False}),
            ((a, u(-1, 1, (2, 3))), {"left": False, "adjoint": True}),
            ((u(-1, 1, (2, 3, 3)), u(-1, 1, (3, 1))), {})]  # fmt: skip


@op(name="lu_solve", namespace="linalg", grad_name="LinalgLuSolveBackward0",
    samples=_lu_solve_samples)  # fmt: skip
def lu_solve_op(xp, LU, pivots, B, *, left=True, adjoint=False):
    """lu_solve(LU, pivots, B, *, left=True, adjoint=False): solve ``A X = B`` with A's packed LU
    from ``lu_factor`` (``A^H X = B``, ``X A = B``, ``X A^H = B`` per left/adjoint)."""
    return _lu_solve_np(xp, LU, pivots, B, left, adjoint)


@lu_solve_op.parser
def _(LU, pivots, B, *, left=True, adjoint=False, out=None):
    name = "linalg.lu_solve"
    _check(name, LU, what="LU")
    if B.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    n = LU.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(
            f"{name}: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})"
        )
    if pivots.ndim == 0 or pivots.shape[-1] != n:
        raise RuntimeError(f"{name}: Number of pivots per batch should be same as the dimension "
                           "of the matrix")  # fmt: skip
    if pivots.dtype.name != "int32":
        raise RuntimeError(f"{name}: pivots should be a Tensor of scalar type torch.int32")
    _same_dtype(name, LU, B, "LU", "B")
    return (LU, pivots, B), {"left": left, "adjoint": adjoint}


def _lu_solve_check(lib, A, B, **kw):
    LU, piv = lib.linalg.lu_factor(A)
    return lib.linalg.lu_solve(LU, piv, B, **kw)


lu_solve_op.check = _lu_solve_check


@lu_solve_op.vjp
def _(grad, out, LU, pivots, B, *, left=True, adjoint=False):
    gB = lu_solve_op(LU, pivots, grad, left=left, adjoint=not adjoint)
    return _lu_solve_grad_LU(grad, LU, pivots, out, left, adjoint), None, gB


def _lu_solve_grad_LU(gX, LU, pivots, X, left, adjoint):
    """torch's linalg_lu_solve_LU: the gradient of lu_solve with respect to the packed LU."""
    n = LU.shape[-1]
    L, U = _unpack(LU, n, n)
    if left != adjoint:
        gR = _tsolve(_mH(U), -((gX if left else _mH(gX)) @ (_mH(X) if left else X)), upper=False)
        gL = _tril(_tsolve(_mH(L), gR @ _mH(U), upper=True, unit=True), -1)
        return gL + _triu(gR)
    P = _perm_tensor(pivots, n, LU)
    gR = -((P.mT @ (X if left else _mH(X))) @ (_mH(gX) if left else gX)) @ P
    gR = _tsolve(_mH(L), gR, upper=True, left=False, unit=True)
    gU = _triu(_tsolve(_mH(U), _mH(L) @ gR, upper=False, left=False))
    return _tril(gR, -1) + gU


# -- householder_product, geqrf -----------------------------------------------------------------


def _hh_samples(rng):
    u = rng.uniform
    shapes = [((4, 3), (3,)), ((3, 3), (2,)), ((2, 4, 2), (2, 2))]
    return [((u(-1, 1, a), u(0.5, 1.5, t)), {}) for a, t in shapes]


@op(namespace="linalg", grad_name="LinalgHouseholderProductBackward0", samples=_hh_samples)
def householder_product(xp, A, tau):
    """householder_product(A, tau): the first n columns of ``H_1 ... H_k`` with
    ``H_i = I - tau_i v_i v_i^H`` and v_i the i-th column of A below a unit diagonal (the Q of
    ``geqrf``).

    >>> ember.linalg.householder_product(ember.zeros(2, 2), ember.zeros(1)).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    V = xp.tril(A, -1) + xp.eye(m, n, dtype=A.dtype)
    Q = xp.broadcast_to(xp.eye(m, n, dtype=A.dtype), A.shape).copy()
    for i in reversed(range(k)):
        v = V[..., :, i : i + 1]
        Q = Q - tau[..., i, None, None] * v @ (_h(xp, v) @ Q)
    return Q


@householder_product.parser
def _(A, tau, *, out=None):
    name = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")  # fmt: skip
    if A.shape[-1] < tau.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")  # fmt: skip
    if A.ndim - tau.ndim != 1:
        raise RuntimeError(
            f"{name}: Expected tau to have one dimension less than input, but got "
            f"tau.ndim equal to {tau.ndim} and input.ndim is equal to {A.ndim}"
        )
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(
            f"{name}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
            f"{list(tau.shape[:-1])}"
        )
    if A.dtype is not tau.dtype:
        raise RuntimeError(
            f"{name}: tau dtype {_tname(tau.dtype)} does not match input dtype {_tname(A.dtype)}"
        )
    _check_float(name, A, _not_implemented("orgqr_cpu"))
    return (A, tau), {}


@householder_product.vjp
def _(grad, out, A, tau):
    # Q = H_1 ... H_k E: with K_i = H_{i+1}..H_k E G^H H_1..H_{i-1},
    # grad v_i = (-tau_i v_i^H K_i)^H - tau_i K_i v_i, grad tau_i = conj(-v_i^H K_i v_i)
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    V = _tril(A, -1) + _eye(m, A, n)
    eye = _eye(m, A)
    Hs = []
    for i in range(k):
        v = V.narrow(-1, i, 1)
        Hs.append(eye - tau.narrow(-1, i, 1).unsqueeze(-1) * (v @ _mH(v)))
    right = [None] * k  # H_{i+1} ... H_k E
    acc = _eye(m, A, n)
    for i in reversed(range(k)):
        right[i] = acc
        acc = Hs[i] @ acc
    left = eye  # H_1 ... H_{i-1}
    gh = _mH(grad)
    if k == 0:
        return A * 0, tau * 0
    gv, gt = [], []
    for i in range(k):
        K = right[i] @ (gh @ left)
        v = V.narrow(-1, i, 1)
        t = tau.narrow(-1, i, 1).unsqueeze(-1)
        vhK = _mH(v) @ K
        gv.append((_mH(-t * vhK) - t * (K @ v)).squeeze(-1))
        gt.append(_conj(-(vhK @ v)).squeeze(-1).squeeze(-1))
        left = left @ Hs[i]
    gA = _tril(stack(gv, -1), -1)
    if k < n:
        gA = cat([gA, _creation.zeros(tuple(A.shape[:-1]) + (n - k,), dtype=gA.dtype)], -1)
    return gA, stack(gt, -1)


@op(multi=True, grad_name="GeqrfBackward0")
def _geqrf(xp, A):
    """geqrf(input): LAPACK's QR in Householder form: ``(a, tau)``, R above the diagonal of a,
    the reflectors below it (``householder_product(a, tau)`` is Q)."""
    h, tau = xp.linalg.qr(A, mode="raw")
    return xp.ascontiguousarray(xp.swapaxes(h, -1, -2)), tau


@_geqrf.parser
def _(input, *, out=None):
    _check("geqrf", input, square=False, low=_not_implemented("geqrf_cpu"))
    return (input,), {}


@_geqrf.vjp
def _(grad, out, A):
    raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


_geqrf.no_samples = "its backward raises (as torch's); tests/test_decomp.py checks it"


@op(grad_name="torch::autograd::CopyBackwards")
def _copy_eye(xp, A):
    """``matrix_power(A, 0)``: identity matrices shaped like A (torch's grad_fn: CopyBackwards)."""
    return xp.broadcast_to(xp.eye(A.shape[-1], dtype=A.dtype), A.shape).copy()


_copy_eye.defvjp(lambda grad, out, A: grad * 0)
_copy_eye.no_samples = "matrix_power(A, 0), in matrix_power's samples"


@op(grad_name="NanToNumBackward0")
def _nan_to_inf(xp, x):
    """cond's ``nan_to_num_(inf, inf, -inf)`` (0 * inf of a singular matrix is inf)."""
    return xp.nan_to_num(x, nan=np.inf, posinf=np.inf, neginf=-np.inf)


_nan_to_inf.defvjp(lambda grad, out, x: where(_const(np.isfinite(_host(x)), x), grad, 0.0))
_nan_to_inf.no_samples = "linalg.cond's last step, in cond's tests"


# -- torch.* front ends (the old API) and composites of the ops above ---------------------------


def _deprecated(message):
    warnings.warn(message, UserWarning, stacklevel=3)


@composite()
def det(input):
    """The determinant of each square matrix (``ember.linalg.det``)."""
    return _linalg_det(input)


@composite()
def slogdet(input):
    """``(sign, logabsdet)`` of each square matrix."""
    from ..return_types import slogdet as rt

    return rt(_linalg_slogdet(input))


@composite()
def logdet(input):
    """``log(det(A))``: nan for a negative determinant, -inf for a singular matrix."""
    sign, logabs = _linalg_slogdet(input)
    if input.is_complex():
        return _linalg_log_complex(sign) + _to_complex(logabs)
    return where(sign == -1, float("nan"), logabs)


def _linalg_log_complex(z):
    from .elementwise import log

    return log(z)


@composite()
def inverse(input, *, out=None):
    """The inverse of each square matrix (``ember.linalg.inv``)."""
    from .. import linalg

    return linalg.inv(input)


@composite()
def pinverse(input, rcond=1e-15):
    """The pseudo-inverse (``ember.linalg.pinv`` with ``rtol=rcond``)."""
    return _linalg_pinv(input, rcond)


_QR_WARNING = (
    "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
    "release.\nThe boolean parameter 'some' has been replaced with a string parameter 'mode'.\n"
    "Q, R = torch.qr(A, some)\nshould be replaced with\n"
    "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')"
)


@composite()
def qr(input, some=True, *, out=None):
    """Deprecated: ``ember.linalg.qr(input, 'reduced' if some else 'complete')``."""
    from ..return_types import qr as rt

    _deprecated(_QR_WARNING)
    return rt(_linalg_qr(input, "reduced" if some else "complete"))


@composite()
def svd(input, some=True, compute_uv=True, *, out=None):
    """``(U, S, V)`` with ``A = U diag(S) V^H`` (V, not Vh); with compute_uv=False U and V are
    zero matrices."""
    from ..return_types import svd as rt

    if not compute_uv:
        S = _linalg_svd(input, False, compute_uv=_wants_grad(input))[1]
        m, n = input.shape[-2:]
        zeros = _creation.zeros
        batch = tuple(input.shape[:-2])
        U = zeros(batch + (m, m), dtype=input.dtype, device=input.device)
        V = zeros(batch + (n, n), dtype=input.dtype, device=input.device)
        return rt((U, S, V))
    U, S, Vh = _linalg_svd(input, not some)
    return rt((U, S, _mH(Vh)))


_LU_WARNING = (
    "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and "
    "will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\n"
    "should be replaced with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
    "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\n"
    "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)"
)


@composite()
def lu(A, pivot=True, get_infos=False, out=None):
    """Deprecated: ``(LU, pivots)`` (and ``info`` with get_infos) as ``linalg.lu_factor_ex``."""
    _deprecated(_LU_WARNING)
    LU, piv, info = _linalg_lu_factor_ex(A, pivot=pivot)
    if get_infos:
        return LU, piv, info
    _raise_info("torch.linalg.lu_factor", info, _lu_zero, RuntimeError)
    return LU, piv


_LU_SOLVE_WARNING = (
    "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a "
    "future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\n"
    "X = torch.lu_solve(B, LU, pivots)\nshould be replaced with\n"
    "X = torch.linalg.lu_solve(LU, pivots, B)"
)


@composite()
def lu_solve(input, LU_data, LU_pivots, *, out=None):
    """Deprecated: ``ember.linalg.lu_solve(LU_data, LU_pivots, input)``."""
    _deprecated(_LU_SOLVE_WARNING)
    return lu_solve_op(LU_data, LU_pivots, input)


@composite(method=False)
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """``(P, L, U)`` from ``lu_factor``'s packed LU and pivots."""
    from ..return_types import lu_unpack as rt

    P, L, U = _lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)
    return rt((P.detach(), L, U))


_TRIANGULAR_WARNING = (
    "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be "
    "removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments "
    "reversed and does not return a copy of one of the inputs.\n"
    "X = torch.triangular_solve(B, A).solution\nshould be replaced with\n"
    "X = torch.linalg.solve_triangular(A, B)."
)


@composite()
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """Deprecated: ``(X, A.clone())`` with ``op(A) X = input`` for triangular A."""
    from ..return_types import triangular_solve as rt

    _deprecated(_TRIANGULAR_WARNING)
    if input.ndim < 2 or A.ndim < 2:
        raise RuntimeError(
            f"torch.triangular_solve: Expected b to have at least 2 dimensions, but it has "
            f"{input.ndim} dimensions instead" if input.ndim < 2 else
            f"torch.triangular_solve: Expected A to have at least 2 dimensions, but it has "
            f"{A.ndim} dimensions instead"
        )  # fmt: skip
    _check("triangular_solve", A)
    _same_dtype("triangular_solve", input, A, "b", "A")
    if A.shape[-2] != input.shape[-2]:
        raise RuntimeError(
            f"Incompatible matrix sizes for triangular_solve: each A matrix is {A.shape[-1]} by "
            f"{A.shape[-1]} but each b matrix is {input.shape[-2]} by {input.shape[-1]}"
        )
    out = _triangular_solve(input, A, upper=upper, transpose=transpose,
                            unitriangular=unitriangular)  # fmt: skip
    return rt(out)


@composite()
def orgqr(input, tau):
    """``ember.linalg.householder_product(input, tau)``."""
    return householder_product(input, tau)


@composite()
def geqrf(input, *, out=None):
    """``(a, tau)``: LAPACK's QR in Householder form (``householder_product(a, tau)`` is Q)."""
    from ..return_types import geqrf as rt

    return rt(_geqrf(input))


@composite()
def matrix_power(input, n):
    """``A^n`` by repeated squaring (torch's order of products, so its grad_fn names)."""
    _check_shape("linalg.matrix_power", input)
    if n == 0:
        return _copy_eye(input)
    a = inverse(input) if n < 0 else input
    n = abs(n)
    if n == 1:
        return a.clone() if a is input else a
    z = result = None
    while n > 0:
        bit, n = n % 2, n // 2
        z = a if z is None else z @ z
        if bit:
            result = z if result is None else result @ z
    return result


@composite()
def matrix_exp(input):
    """The matrix exponential (``ember.linalg.matrix_exp``)."""
    return matrix_exp_op(input)


def cond(A, p=None):
    """torch.linalg.cond (see ``ember.linalg.cond``)."""
    from .. import linalg

    if isinstance(p, str):
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    elif p is not None and abs(p) not in (1, 2, float("inf")):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    _check_shape(f"linalg.cond(ord={p})", A, square=False)
    _check_float("linalg.cond", A)
    real = A.dtype.to_real() if A.is_complex() else A.dtype
    if A.numel() == 0:
        return _creation.zeros(tuple(A.shape[:-2]), dtype=real, device=A.device)
    if p is None or p in (2, -2):
        S = linalg.svdvals(A)
        smax, smin = S.narrow(-1, 0, 1), S.narrow(-1, S.shape[-1] - 1, 1)
        return (smin / smax if p == -2 else smax / smin).squeeze(-1)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            "linalg.cond(ord={}): A must be batches of square matrices, but they are {} by {} "
            "matrices".format(p, A.shape[-2], A.shape[-1])
        )
    if p == "nuc":
        S = linalg.svdvals(A)
        return S.sum(-1) * S.reciprocal().sum(-1)
    Ainv, info = _linalg_inv_ex(A)
    bad = _const(_host(info) > 0, A).unsqueeze(-1).unsqueeze(-1)
    Ainv = where(bad, float("inf"), Ainv)
    return _nan_to_inf(linalg.matrix_norm(A, p) * linalg.matrix_norm(Ainv, p))


def vander(x, N=None):
    """torch.linalg.vander: ``[x^0, x^1, ..., x^(N-1)]`` along a new last dim."""
    if x.dtype.name == "bool":
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, "
                           "but got Bool")  # fmt: skip
    n = N if N is not None else (x.shape[-1] if x.ndim else 0)
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    ones = _creation.ones(tuple(x.shape) + (1,), dtype=x.dtype, device=x.device)
    powers = x.unsqueeze(-1).expand(tuple(x.shape) + (n - 1,)).cumprod(-1)
    return cat([ones, powers], -1)
