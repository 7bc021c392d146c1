"""ember.linalg: torch.linalg's functions (decompositions, solvers, norms, products).

>>> import ember
>>> A = ember.tensor([[2.0, 0.0], [0.0, 4.0]])
>>> ember.linalg.inv(A)
tensor([[0.5000, 0.0000],
        [0.0000, 0.2500]])

The primitives (and their gradients) are in ``ember/ops/decomp.py`` and ``ember/ops/linalg.py``;
``solve_triangular``, ``lu_solve``, ``matrix_exp``, ``householder_product``, ``vector_norm`` and
``cross`` are installed here from the op table; ``ldl_*`` are in ``ember/ops/ldl.py``. Not
provided: ``inv`` of low-precision dtypes.
"""

import numpy as _np

from . import return_types as _rt
from ._creation import _write_result
from .autograd.grad_mode import STATE as _STATE
from .ops import decomp as _d
from .ops import elementwise as _ew
from .ops import ldl as _ldl
from .ops import linalg as _p
from .ops.shape import _reshape_alias

LinAlgError = _d.LinAlgError


# torch writes these through copy_ (composites): out= keeps the graph (CopyBackwards); the
# others are out= kernels, which refuse inputs that require grad
_COPY_OUT = {"eigvals", "matrix_rank", "cond", "tensorinv", "matrix_norm", "norm", "ldl_factor",
             "ldl_factor_ex"}  # fmt: skip


def _copy_into(result, out):
    if isinstance(result, tuple):
        outs = [_copy_into(r, o) for r, o in zip(result, out)]
        return tuple(outs) if type(result) is tuple else type(result)(outs)
    if tuple(out.shape) != tuple(result.shape):
        out.resize_(result.shape)
    return out.copy_(result)


def _writes_out(fn):
    """``fn(..., out=t)`` computes as without ``out`` and hands the result over to ``t``."""
    import functools

    copies = fn.__name__ in _COPY_OUT

    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        if copies:
            return _copy_into(result, out)
        return _write_result(result, out, f"linalg_{fn.__name__}")

    return with_out


def _wants_grad(A):
    return A.requires_grad and _STATE.grad


@_writes_out
def det(A, *, out=None):
    """The determinant of each square matrix.

    >>> ember.linalg.det(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor(-2.)
    """
    return _d._linalg_det(A)


@_writes_out
def slogdet(A, *, out=None):
    """``(sign, logabsdet)`` with ``det = sign * exp(logabsdet)``, stable for tiny/huge dets."""
    return _rt.linalg_slogdet(_d._linalg_slogdet(A))


@_writes_out
def inv(A, *, out=None):
    """The inverse of each square matrix; LinAlgError where one is singular.

    >>> ember.linalg.inv(ember.tensor([[2.0]]))
    tensor([[0.5000]])
    """
    X, info = _d._linalg_inv_ex(A)
    _d._raise_info("linalg.inv", info, _d._singular)
    return X


@_writes_out
def inv_ex(A, *, check_errors=False, out=None):
    """``(inverse, info)``: info > 0 marks a singular matrix (the first zero pivot)."""
    X, info = _d._linalg_inv_ex(A)
    if check_errors:
        _d._raise_info("linalg.inv_ex", info, _d._singular)
    return _rt.linalg_inv_ex((X, info))


@_writes_out
def solve(A, B, *, left=True, out=None):
    """X with ``A X = B`` (``X A = B`` when not left); B a vector or batch of vectors when its
    shape is A's without the last dim.

    >>> ember.linalg.solve(2 * ember.eye(2), ember.ones(2))
    tensor([0.5000, 0.5000])
    """
    X, info = _d._linalg_solve_ex(A, B, left=left)
    _d._raise_info("torch.linalg.solve", info, _d._solver_singular)
    return X


@_writes_out
def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """``(result, info)`` of ``solve``; info > 0 marks a singular matrix."""
    X, info = _d._linalg_solve_ex(A, B, left=left)
    if check_errors:
        _d._raise_info("torch.linalg.solve_ex", info, _d._solver_singular)
    return _rt.linalg_solve_ex((X, info))


@_writes_out
def cholesky(A, *, upper=False, out=None):
    """The Cholesky factor L (``A = L L^H``) of each Hermitian positive-definite matrix (U with
    ``A = U^H U`` when upper); LinAlgError otherwise.

    >>> ember.linalg.cholesky(ember.tensor([[4.0, 2.0], [2.0, 2.0]]))
    tensor([[2., 0.],
            [1., 1.]])
    """
    L, info = _d._linalg_cholesky_ex(A, upper=upper)
    _d._raise_info("linalg.cholesky", info, _d._not_pd)
    return L


@_writes_out
def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """``(L, info)``: info > 0 is the order of the first leading minor that is not positive."""
    L, info = _d._linalg_cholesky_ex(A, upper=upper)
    if check_errors:
        _d._raise_info("linalg.cholesky_ex", info, _d._not_pd)
    return _rt.linalg_cholesky_ex((L, info))


@_writes_out
def qr(A, mode="reduced", *, out=None):
    """``(Q, R)`` with ``A = Q R``; mode 'reduced', 'complete' or 'r' (Q empty)."""
    return _rt.linalg_qr(_d._linalg_qr(A, mode))


@_writes_out
def svd(A, full_matrices=True, *, driver=None, out=None):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, S in descending order.

    >>> ember.linalg.svd(ember.eye(2)).S
    tensor([1., 1.])
    """
    return _rt.linalg_svd(_d._linalg_svd(A, full_matrices))


@_writes_out
def svdvals(A, *, driver=None, out=None):
    """The singular values of each matrix, in descending order."""
    return _d._linalg_svd(A, False, compute_uv=_wants_grad(A))[1]


@_writes_out
def eig(A, *, out=None):
    """``(eigenvalues, eigenvectors)`` (complex) with ``A V = V diag(L)``, unit-norm columns."""
    return _rt.linalg_eig(_d._linalg_eig(A))


@_writes_out
def eigvals(A, *, out=None):
    """The (complex) eigenvalues of each square matrix."""
    return _d._linalg_eig(A, compute_v=_wants_grad(A), name="linalg.eigvals")[0]


@_writes_out
def eigh(A, UPLO="L", *, out=None):
    """``(eigenvalues, eigenvectors)`` of Hermitian matrices (the UPLO triangle is read),
    eigenvalues ascending."""
    return _rt.linalg_eigh(_d._linalg_eigh(A, UPLO))


@_writes_out
def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues, ascending, of each Hermitian matrix."""
    return _d._linalg_eigh(A, UPLO, compute_v=_wants_grad(A))[0]


@_writes_out
def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The Moore-Penrose pseudo-inverse; singular values below ``max(atol, rtol * s_max)`` are
    treated as zero (rcond is NumPy's name for rtol)."""
    return _d._linalg_pinv(A, rcond, hermitian, atol=atol, rtol=rtol)


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of ``A X = B``: ``(solution, residuals, rank,
    singular_values)`` as torch's CPU drivers (gelsy by default) fill them."""
    X, res, rank, sv = _d._linalg_lstsq(A, B, rcond, driver=driver)
    return _rt.linalg_lstsq((X, res, rank, sv.detach()))


@_writes_out
def lu_factor(A, *, pivot=True, out=None):
    """``(LU, pivots)``: LAPACK's packed LU with partial pivoting (1-based int32 pivots)."""
    LU, piv, info = _d._linalg_lu_factor_ex(A, pivot=pivot)
    _d._raise_info("torch.linalg.lu_factor", info, _d._lu_zero, RuntimeError)
    return _rt.linalg_lu_factor((LU, piv))


@_writes_out
def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """``(LU, pivots, info)`` of ``lu_factor``; info > 0 marks the first zero pivot."""
    LU, piv, info = _d._linalg_lu_factor_ex(A, pivot=pivot)
    if check_errors:
        _d._raise_info("torch.linalg.lu_factor_ex", info, _d._lu_zero, RuntimeError)
    return _rt.linalg_lu_factor_ex((LU, piv, info))


@_writes_out
def lu(A, *, pivot=True, out=None):
    """``(P, L, U)`` with ``A = P L U``: P a permutation, L unit lower, U upper triangular."""
    P, L, U = _d._linalg_lu(A, pivot=pivot)
    return _rt.linalg_lu((P.detach(), L, U))


@_writes_out
def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The number of singular values above ``max(atol, rtol * s_max)`` (int64).

    >>> ember.linalg.matrix_rank(ember.ones(3, 3))
    tensor(1)
    """
    if tol is not None:
        atol, rtol = tol, 0.0
    _d._check_shape("torch.linalg.matrix_rank", A, square=hermitian, what="input")
    _d._check_float("torch.linalg.matrix_rank", A)
    atol, rtol = _d._tolerances(A, atol, rtol)
    A = A.detach()
    S = eigvalsh(A).abs() if hermitian else svdvals(A)
    real = S.dtype
    if S.shape[-1]:
        smax = S.amax(-1, keepdim=True)
    else:
        smax = S.new_zeros(tuple(S.shape[:-1]) + (1,))
    a = _d._const(_np.asarray(atol, dtype=real.name), S).unsqueeze(-1)
    r = _d._const(_np.asarray(rtol, dtype=real.name), S).unsqueeze(-1)
    tol = _ew.maximum(a, r * smax)
    return (S > tol).sum(-1)


@_writes_out
def matrix_power(A, n, *, out=None):
    """``A^n`` for an integer n (n < 0: powers of the inverse) by repeated squaring.

    >>> ember.linalg.matrix_power(ember.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
    tensor([[1., 3.],
            [0., 1.]])
    """
    return _d.matrix_power(A, n)


@_writes_out
def cond(A, p=None, *, out=None):
    """The condition number ``norm(A, p) * norm(A^{-1}, p)`` (for p None/2/-2 the ratio of
    extreme singular values)."""
    return _d.cond(A, p)


@_writes_out
def tensorinv(A, ind=2, *, out=None):
    """The inverse of A as a tensor: ``tensordot(tensorinv(A, ind), A, ind)`` is the identity."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    tail, head = tuple(A.shape[ind:]), tuple(A.shape[:ind])
    a, b = _prod(tail), _prod(head)
    if a != b:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {a} != {b}"
        )
    X, info = _d._linalg_inv_ex(A.reshape(a, a))
    _d._raise_info("inv", info, _d._singular)
    return _reshape_alias(X, shape=tail + head)  # torch's grad_fn: ReshapeAliasBackward0


@_writes_out
def tensorsolve(A, B, dims=None, *, out=None):
    """X with ``tensordot(A, X, X.ndim) == B``."""
    if dims is not None:
        n = A.ndim
        A = A.movedim(list(dims), list(range(n - len(dims), n)))
    shape = tuple(A.shape[B.ndim :])
    a, b = _prod(shape), _prod(B.shape)
    if a != b:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {a} != {b}"
        )
    return solve(A.reshape(a, a), B.flatten()).view(shape)


def _prod(s):
    out = 1
    for v in s:
        out *= v
    return out


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of the matrices in A (a view), as ``ember.diagonal`` with matrix defaults."""
    return A.diagonal(offset, dim1, dim2)


def vander(x, N=None):
    """The Vandermonde matrix ``[1, x, x^2, ..., x^(N-1)]`` along a new last dim.

    >>> ember.linalg.vander(ember.tensor([1.0, 2.0, 3.0]))
    tensor([[1., 1., 1.],
            [1., 2., 4.],
            [1., 3., 9.]])
    """
    return _d.vander(x, N)


@_writes_out
def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices in the cheapest order (first/last may be vectors)."""
    return _p.multi_dot(tensors)


@_writes_out
def vecdot(x, y, *, dim=-1, out=None):
    """``sum(conj(x) * y, dim)``: the dot product of vectors along dim (broadcasting)."""
    return _p.vecdot(x, y, dim=dim)


@_writes_out
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """A matrix norm over the two dims ``dim``: 'fro', 'nuc', 2, -2, 1, -1, inf, -inf."""
    return _p.matrix_norm(A, ord, dim, keepdim, dtype=dtype)


@_writes_out
def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """A vector norm (1 dim, or all when dim and ord are None) or a matrix norm (2 dims)."""
    return _p.linalg_norm(A, ord, dim, keepdim, dtype=dtype)


@_writes_out
def matmul(input, other, *, out=None):
    """``ember.matmul`` under its torch.linalg name."""
    return _p.matmul(input, other)


# torch.linalg's docstring fragments (torch keeps them public as ``torch.linalg.common_notes``)
common_notes = {
    "experimental_warning": 'This function is "experimental" and it may change in a future '
    "PyTorch release.",
    "sync_note": "When inputs are on a CUDA device, this function synchronizes that device with "
    "the CPU.",
    "sync_note_ex": r"When the inputs are on a CUDA device, this function synchronizes only when "
    r":attr:`check_errors`\ `= True`.",
    "sync_note_has_ex": (
        "When inputs are on a CUDA device, this function synchronizes that device with the CPU. "
        "For a version of this function that does not synchronize, see :func:`{}`."
    ),
}


def _ldl_info_error(name, info):
    # torch reports a singular D here through an internal assert ("Unknown error code")
    bad = _np.flatnonzero(_d._host(info).ravel())
    if bad.size:
        code = int(_d._host(info).ravel()[bad[0]])
        raise RuntimeError(f"{name}: Unknown error code: {code}.")


@_writes_out
def ldl_factor(A, *, hermitian=False, out=None):
    """``(LD, pivots)``: the Bunch-Kaufman LDL^T (LDL^H when hermitian) factorization of
    symmetric indefinite matrices in LAPACK sytrf's compact form (lower; 1-based int32 pivots,
    negative for 2x2 blocks of D).

    >>> ember.linalg.ldl_factor(ember.tensor([[4.0, 2.0], [2.0, 3.0]])).LD
    tensor([[4.0000, 0.0000],
            [0.5000, 2.0000]])
    """
    LD, piv, info = _ldl._ldl_factor_ex(A, hermitian=hermitian)
    _ldl_info_error("torch.linalg.ldl_factor", info)
    return _rt.linalg_ldl_factor((LD, piv))


@_writes_out
def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """``(LD, pivots, info)`` of ``ldl_factor``; info > 0 is the (1-based) zero diagonal
    element of D."""
    LD, piv, info = _ldl._ldl_factor_ex(A, hermitian=hermitian)
    if check_errors:
        _ldl_info_error("torch.linalg.ldl_factor_ex", info)
    return _rt.linalg_ldl_factor_ex((LD, piv, info))


@_writes_out
def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """X with ``A X = B`` from ``ldl_factor(A)``'s ``(LD, pivots)`` (LAPACK's sytrs).

    >>> LD, piv = ember.linalg.ldl_factor(ember.tensor([[4.0, 2.0], [2.0, 3.0]]))
    >>> ember.linalg.ldl_solve(LD, piv, ember.tensor([[6.0], [5.0]]))
    tensor([[1.],
            [1.]])
    """
    return _ldl._ldl_solve(LD, pivots, B, hermitian=hermitian)
