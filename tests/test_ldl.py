"""linalg.ldl_factor / ldl_factor_ex / ldl_solve (Bunch-Kaufman, LAPACK's compact form) and
linalg.common_notes against torch."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

TOL = {np.float64: 1e-10, np.float32: 2e-4, np.complex128: 1e-10, np.complex64: 2e-4}


def _sym(rng, shape, dtype, herm, diag=1.0):
    """Random symmetric (Hermitian when herm) indefinite matrices; a small ``diag`` forces
    2x2 pivots."""
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    a = a + (np.conj(np.swapaxes(a, -1, -2)) if herm else np.swapaxes(a, -1, -2))
    n = shape[-1]
    a[..., np.arange(n), np.arange(n)] *= diag
    return a.astype(dtype)


def _factor_both(a, herm):
    e = ember.linalg.ldl_factor_ex(ember.from_numpy(a.copy()), hermitian=herm)
    t = torch.linalg.ldl_factor_ex(torch.from_numpy(a.copy()), hermitian=herm)
    return e, t


def _compare(a, herm):
    e, t = _factor_both(a, herm)
    assert type(e).__name__ == type(t).__name__ == "linalg_ldl_factor_ex"
    assert e.pivots.dtype == ember.int32 and e.info.dtype == ember.int32
    np.testing.assert_array_equal(e.pivots.numpy(), t.pivots.numpy())
    np.testing.assert_array_equal(e.info.numpy(), t.info.numpy())
    assert e.LD.dtype.name == str(t.LD.dtype).split(".")[1]
    tol = TOL[a.dtype.type]
    np.testing.assert_allclose(e.LD.numpy(), t.LD.numpy(), rtol=tol, atol=tol * 10)
    return e, t


@pytest.mark.parametrize("diag", [1.0, 0.05, 0.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ldl_factor_real(dtype, diag):
    rng = np.random.default_rng(0)
    twos = 0
    for n in range(1, 17):
        e, _ = _compare(_sym(rng, (n, n), dtype, False, diag), False)
        twos += int((e.pivots.numpy() < 0).sum())
    if diag < 1:
        assert twos > 0  # the 2x2 pivots are exercised


@pytest.mark.parametrize("herm", [False, True])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_ldl_factor_complex(dtype, herm):
    rng = np.random.default_rng(1)
    for n in (1, 2, 3, 5, 8, 12):
        for diag in (1.0, 0.05):
            _compare(_sym(rng, (n, n), dtype, herm, diag), herm)


def test_ldl_factor_batched_and_lower_triangle_only():
    rng = np.random.default_rng(2)
    _compare(_sym(rng, (2, 3, 6, 6), np.float64, False, 0.1), False)
    _compare(_sym(rng, (4, 5, 5), np.complex128, True, 0.1), True)
    # only the lower triangle is read; a Hermitian diagonal's imaginary part is ignored
    _compare(rng.standard_normal((5, 5)), False)
    c = rng.standard_normal((5, 5)) + 1j * rng.standard_normal((5, 5))
    _compare(c, True)
    _compare(c, False)
    _compare(np.zeros((2, 0, 0)), False)


def test_ldl_factor_plain_and_singular():
    rng = np.random.default_rng(3)
    a = _sym(rng, (4, 4), np.float64, False, 0.0)
    e = ember.linalg.ldl_factor(ember.from_numpy(a), hermitian=False)
    t = torch.linalg.ldl_factor(torch.from_numpy(a))
    assert type(e).__name__ == type(t).__name__ == "linalg_ldl_factor"
    np.testing.assert_allclose(e.LD.numpy(), t.LD.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(e.pivots.numpy(), t.pivots.numpy())
    # singular D: info is the first zero diagonal (a zero column at step k)
    z = np.zeros((3, 3))
    s = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    b = np.stack([z, s, np.eye(3)])
    _compare(b, False)
    _compare(s.astype(np.complex128), True)
    nan = np.eye(3)
    nan[1, 1] = np.nan
    e, t = _factor_both(nan, False)
    np.testing.assert_array_equal(e.info.numpy(), t.info.numpy())
    for fn in (
        lambda L, x: L.linalg.ldl_factor(x),
        lambda L, x: L.linalg.ldl_factor_ex(x, check_errors=True),
    ):
        for lib, wrap in ((ember, ember.from_numpy), (torch, torch.from_numpy)):
            with pytest.raises(RuntimeError, match="Unknown error code: 1"):
                fn(lib, wrap(b.copy()))
    # check_errors=False returns info without raising
    assert ember.linalg.ldl_factor_ex(ember.from_numpy(z)).info.item() == 1


def _same_error(fn, *arrays):
    with pytest.raises(Exception) as te:
        fn(torch, *[torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in arrays])
    with pytest.raises(type(te.value)) as ee:
        fn(ember, *[ember.from_numpy(a) if isinstance(a, np.ndarray) else a for a in arrays])
    assert str(ee.value) == str(te.value), (str(ee.value), str(te.value))


def test_ldl_factor_errors():
    f = lambda L, x: L.linalg.ldl_factor_ex(x)  # noqa: E731
    _same_error(f, np.ones((3, 4)))
    _same_error(f, np.ones(3))
    _same_error(f, np.ones((3, 3), np.int64))
    _same_error(f, np.ones((3, 3), np.float16))
    g = lambda L, x: L.linalg.ldl_factor(x)  # noqa: E731
    _same_error(g, np.ones((2, 3)))


def test_ldl_no_derivative():
    rng = np.random.default_rng(4)
    a = _sym(rng, (3, 3), np.float64, False)
    b = rng.standard_normal((3, 2))
    for lib, wrap in ((ember, ember.from_numpy), (torch, torch.from_numpy)):
        A = wrap(a.copy()).requires_grad_()
        LD, piv = lib.linalg.ldl_factor(A)
        assert LD.requires_grad and not piv.requires_grad
        assert LD.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_factor_ex is not"):
            LD.sum().backward()
        B = wrap(b.copy()).requires_grad_()
        X = lib.linalg.ldl_solve(LD.detach(), piv, B)
        assert X.requires_grad and X.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_solve is not"):
            X.sum().backward()


def _solve_both(a, b, herm, piv_dtype=None):
    out = []
    for lib, wrap in ((ember, ember.from_numpy), (torch, torch.from_numpy)):
        LD, piv = lib.linalg.ldl_factor(wrap(a.copy()), hermitian=herm)
        if piv_dtype is not None:
            piv = piv.long()
        out.append(lib.linalg.ldl_solve(LD, piv, wrap(b.copy()), hermitian=herm).numpy())
    return out


@pytest.mark.parametrize(
    "dtype,herm",
    [(np.float64, False), (np.float32, False), (np.complex128, False), (np.complex128, True),
     (np.complex64, True)],
)  # fmt: skip
def test_ldl_solve(dtype, herm):
    rng = np.random.default_rng(5)
    tol = TOL[dtype]
    for n, diag in ((1, 1.0), (4, 1.0), (7, 0.05), (10, 0.0)):
        a = _sym(rng, (n, n), dtype, herm, diag)
        b = rng.standard_normal((n, 3)) + (1j * rng.standard_normal((n, 3)) if herm else 0)
        b = b.astype(dtype)
        e, t = _solve_both(a, b, herm)
        assert e.dtype == t.dtype
        np.testing.assert_allclose(e, t, rtol=tol * 100, atol=tol * 100)
        if dtype in (np.float64, np.complex128):  # and it solves the system
            full = np.tril(a) + (np.conj(np.tril(a, -1)).T if herm else np.tril(a, -1).T)
            if herm:
                full[np.arange(n), np.arange(n)] = full[np.arange(n), np.arange(n)].real
            np.testing.assert_allclose(full @ e, b, atol=1e-8)


def test_ldl_solve_batched_broadcast():
    rng = np.random.default_rng(6)
    a = _sym(rng, (2, 5, 5), np.float64, False, 0.05)
    # (torch 2.13 crashes when LD's batch dims must be expanded, e.g. LD (1, 5, 5), B (3, 5, 4))
    for aa, b in ((a[0], rng.standard_normal((3, 2, 5, 4))), (a, rng.standard_normal((5, 4))),
                  (a, rng.standard_normal((1, 5, 4)))):  # fmt: skip
        e, t = _solve_both(aa, b, False)
        assert e.shape == t.shape
        np.testing.assert_allclose(e, t, rtol=1e-9, atol=1e-10)
    e, t = _solve_both(a[0], b[0], False, piv_dtype=np.int64)  # int64 pivots are accepted
    np.testing.assert_allclose(e, t, rtol=1e-9, atol=1e-10)


def test_ldl_solve_errors():
    rng = np.random.default_rng(7)
    a = _sym(rng, (4, 4), np.float64, False)
    LDe, pe = ember.linalg.ldl_factor(ember.from_numpy(a))
    LDt, pt = torch.linalg.ldl_factor(torch.from_numpy(a))
    pair = {ember: (LDe, pe), torch: (LDt, pt)}

    def solve(LD=None, piv=None):
        def fn(L, b):
            ld, p = pair[L]
            return L.linalg.ldl_solve(ld if LD is None else LD(ld), p if piv is None else piv(p), b)

        return fn

    _same_error(solve(), rng.standard_normal(4))  # b is a vector
    _same_error(solve(), rng.standard_normal((3, 2)))  # wrong row count
    _same_error(solve(), rng.standard_normal((4, 2)).astype(np.float32))  # dtype mismatch
    _same_error(solve(piv=lambda p: p[:3]), rng.standard_normal((4, 2)))
    _same_error(solve(piv=lambda p: p.float()), rng.standard_normal((4, 2)))
    _same_error(solve(LD=lambda x: x[:3]), rng.standard_normal((4, 2)))  # not square
    _same_error(solve(LD=lambda x: x.int(), piv=None), rng.standard_normal((4, 2)).astype(np.int32))


def test_common_notes():
    assert ember.linalg.common_notes == torch.linalg.common_notes
