"""Matrix products against torch: values, dtypes, shapes, grad_fn names, gradients (first and
second order) and errors."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import (  # noqa: E402
    check,
    check_error,
    check_gradgrad,
    check_outcome,
    gradcheck,
    gradgradcheck,
)

import ember  # noqa: E402

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """torch's thread pool costs ~0.1 s per small linalg backward on 2 cores; one thread, 0.1 ms."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(autouse=True)
def _seeded():
    """The same inputs for a test however pytest-xdist distributes the tests."""
    global RNG
    RNG = np.random.default_rng(0)


def arr(*shape, dtype=np.float64):
    a = RNG.uniform(-2, 2, shape)
    return a.astype(dtype) if np.dtype(dtype).kind == "f" else (a * 3).astype(dtype)


def fortran(a):
    """The same values laid out transposed (a non-contiguous tensor for ndim >= 2)."""
    return np.ascontiguousarray(a.T).T


def same_error(fn, *args):
    """The same exception type and message in torch and ember."""
    e, t = check_error(fn, *args)
    assert type(e) is type(t) and str(e) == str(t)


def grad2(fn, *args):
    """Second-order gradients: grad of sum(grad(sum(out * r))^2) for torch and ember."""
    res = []
    for lib in (torch, ember):
        xs = [lib.from_numpy(a.copy()).requires_grad_() for a in args]
        out = fn(lib, *xs)
        r = lib.from_numpy(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        gs = lib.autograd.grad((out * r).sum(), xs, create_graph=True)
        total = sum((g * g).sum() for g in gs)
        # a product linear in every operand has no second derivative: zeros (or no graph at all)
        ggs = [None] * len(xs)
        if total.requires_grad:
            ggs = lib.autograd.grad(total, xs, allow_unused=True)
        res.append([np.zeros(a.shape) if g is None else g.detach().numpy()
                    for a, g in zip(args, ggs)])  # fmt: skip
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, rtol=1e-7, atol=1e-10)


# -- matmul and its 1-d / batch rules ---------------------------------------------------------

MATMUL = [
    ((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 2, 3), (3, 4)),
    ((5, 1, 2, 3), (4, 3, 2)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((0, 3), (3, 2)),
    ((2, 0), (0, 3)), ((2, 3), (2, 3, 4)), ((1, 2, 3), (5, 3, 4)), ((2, 1, 3), (2, 3, 1)),
    ((4,), (1, 4, 2)), ((0, 2, 3), (3, 2)),
]  # fmt: skip


@pytest.mark.parametrize("a, b", MATMUL)
def test_matmul(a, b):
    x, y = arr(*a), arr(*b)
    check(lambda L, p, q: L.matmul(p, q), x, y)
    check(lambda L, p, q: p @ q, x.astype(np.float32), y.astype(np.float32))
    if len(a) >= 2 and len(b) >= 2:
        check(lambda L, p, q: p.matmul(q), fortran(x), fortran(y))


def test_matmul_int_and_second_order():
    check(lambda L, p, q: p @ q, arr(2, 3, dtype=np.int64), arr(3, 4, dtype=np.int64))
    for a, b in [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((2, 2, 3), (3, 4))]:
        grad2(lambda L, p, q: L.matmul(p, q), arr(*a), arr(*b))


@pytest.mark.parametrize(
    "a, b",
    [((), (3,)), ((2, 3), ()), ((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (4,)), ((3,), (4, 5)),
     ((2, 2, 3), (4, 5)), ((2, 4, 3), (4,)), ((2, 2, 3), (2, 4, 5)), ((3,), (2, 4, 5)),
     ((2, 2, 3), (3, 3, 5))],
)  # fmt: skip
def test_matmul_errors(a, b):
    same_error(lambda L, p, q: L.matmul(p, q), arr(*a), arr(*b))


def test_non_tensor_arguments():
    x = arr(2, 2)
    same_error(lambda L, p: L.matmul(p, 2.0), x)
    same_error(lambda L, p: L.mm(2.0, p), x)
    same_error(lambda L, p: L.dot(p.select(0, 0), [1, 2]), x)
    same_error(lambda L, p: L.bmm(p, None), x)
    same_error(lambda L, p: L.mv(p, (1.0, 2.0)), x)


def test_matmul_dtype_errors():
    same_error(lambda L, p, q: p @ q, arr(2, 3, dtype=np.float32), arr(3, 4))
    check_error(lambda L, p, q: p @ q, arr(2, 3, dtype=np.bool_), arr(3, 4, dtype=np.bool_))


def test_mm_bmm_dot_mv():
    check(lambda L, p, q: L.mm(p, q), arr(2, 3), arr(3, 4))
    check(lambda L, p, q: p.mm(q), fortran(arr(2, 3)), arr(3, 0))
    check(lambda L, p, q: L.bmm(p, q), arr(2, 2, 3), arr(2, 3, 4))
    check(lambda L, p, q: p.bmm(q), arr(0, 2, 3), arr(0, 3, 4))
    check(lambda L, p, q: L.dot(p, q), arr(4), arr(4))
    check(lambda L, p, q: p.dot(q), arr(0), arr(0))
    check(lambda L, p, q: L.inner(p, q), arr(4), arr(4))
    check(lambda L, p, q: L.mv(p, q), arr(2, 3), arr(3))
    check(lambda L, p, q: p.mv(q), fortran(arr(2, 3)), arr(3))
    for f, a, b in [(lambda L, p, q: L.mm(p, q), (2, 3), (3, 4)),
                    (lambda L, p, q: L.bmm(p, q), (2, 2, 3), (2, 3, 4)),
                    (lambda L, p, q: L.dot(p, q), (3,), (3,)),
                    (lambda L, p, q: L.mv(p, q), (2, 3), (3,))]:  # fmt: skip
        grad2(f, arr(*a), arr(*b))


@pytest.mark.parametrize(
    "name, a, b",
    [("mm", (2, 3), (3, 4, 5)), ("mm", (3,), (3, 4)), ("mm", (2, 3), (3,)), ("mm", (2, 3), (4, 5)),
     ("bmm", (2, 3), (3, 4)), ("bmm", (2, 2, 3), (2, 4, 5)), ("bmm", (2, 2, 3), (3, 3, 5)),
     ("dot", (2, 3), (3,)), ("dot", (3,), (4,)), ("mv", (3,), (3,)), ("mv", (2, 3), (4,))],
)  # fmt: skip
def test_product_errors(name, a, b):
    same_error(lambda L, p, q: getattr(L, name)(p, q), arr(*a), arr(*b))


@pytest.mark.parametrize("name", ["mm", "bmm", "dot", "mv"])
def test_product_dtype_errors(name):
    shapes = {"mm": ((2, 3), (3, 4)), "bmm": ((2, 2, 3), (2, 3, 4)), "dot": ((3,), (3,)),
              "mv": ((2, 3), (3,))}[name]  # fmt: skip
    a, b = arr(*shapes[0], dtype=np.float32), arr(*shapes[1])
    same_error(lambda L, p, q: getattr(L, name)(p, q), a, b)


# -- outer, addmm, baddbmm --------------------------------------------------------------------


def test_outer():
    check(lambda L, p, q: L.outer(p, q), arr(3), arr(4))
    check(lambda L, p, q: p.outer(q), arr(0), arr(4))
    check(lambda L, p, q: L.ger(p, q), arr(3), arr(2))
    check(lambda L, p, q: L.outer(p, q), arr(3, dtype=np.float32), arr(2))
    check(lambda L, p, q: L.outer(p, q), arr(3, dtype=np.int64), arr(2, dtype=np.int64))
    same_error(lambda L, p, q: L.outer(p, q), arr(2, 3), arr(3))
    same_error(lambda L, p, q: L.outer(p, q), arr(3), arr())


@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, 2.0), (0, 1), (2, 0)])
def test_addmm(beta, alpha):
    for c in ((2, 4), (4,), (1, 4), (2, 1), ()):
        check(lambda L, i, p, q: L.addmm(i, p, q, beta=beta, alpha=alpha), arr(*c), arr(2, 3),
              arr(3, 4))  # fmt: skip
    check(lambda L, i, p, q: i.addmm(p, q, alpha=alpha, beta=beta), arr(2, 4), fortran(arr(2, 3)),
          fortran(arr(3, 4)))  # fmt: skip
    grad2(lambda L, i, p, q: L.addmm(i, p, q, beta=beta, alpha=alpha), arr(4), arr(2, 3),
          arr(3, 4))  # fmt: skip


def test_addmm_nan_input_with_beta_zero():
    c = np.full((2, 4), np.nan)
    check(lambda L, i, p, q: L.addmm(i, p, q, beta=0), c, arr(2, 3), arr(3, 4), grad=False)


def test_addmm_inplace():
    def f(L, i, p, q):
        i = i * 1
        return i.addmm_(p, q, beta=0.5, alpha=3)

    check(f, arr(2, 4), arr(2, 3), arr(3, 4))


def test_addmm_errors():
    same_error(lambda L, i, p, q: L.addmm(i, p, q), arr(3), arr(2, 3), arr(4, 5))
    same_error(lambda L, i, p, q: L.addmm(i, p, q), arr(4), arr(2, 3), arr(3, 5))
    same_error(lambda L, i, p, q: L.addmm(i, p, q), arr(5), arr(3), arr(3, 5))
    same_error(lambda L, i, p, q: L.addmm(i, p, q), arr(5), arr(2, 3), arr(3))
    same_error(lambda L, i, p, q: L.addmm(i, p, q), arr(5), arr(2, 3, dtype=np.float32), arr(3, 5))
    same_error(lambda L, i, p, q: L.addmm(i, p, q), arr(5), arr(2, 3), arr(3, 5, dtype=np.float32))


@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, -2.0), (0, 1)])
def test_baddbmm(beta, alpha):
    for c in ((2, 2, 4), (4,), (2, 1, 4), (1, 2, 1)):
        check(lambda L, i, p, q: L.baddbmm(i, p, q, beta=beta, alpha=alpha), arr(*c),
              arr(2, 2, 3), arr(2, 3, 4))  # fmt: skip
    grad2(lambda L, i, p, q: L.baddbmm(i, p, q, beta=beta, alpha=alpha), arr(2, 1, 4),
          arr(2, 2, 3), arr(2, 3, 4))  # fmt: skip
    same_error(lambda L, i, p, q: L.baddbmm(i, p, q), arr(3), arr(2, 2, 3), arr(2, 3, 4))
    same_error(lambda L, i, p, q: L.baddbmm(i, p, q), arr(4), arr(2, 2, 3), arr(2, 4, 4))


# -- einsum, tensordot, kron ------------------------------------------------------------------

EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ij->ji", [(2, 3)]),
    ("ij->j", [(2, 3)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ii->", [(3, 3)]),
    ("i,i->", [(4,), (4,)]), ("i,j->ij", [(3,), (4,)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("...j,j->...", [(2, 3, 4), (4,)]), ("...ij,...jk", [(2, 2, 3), (3, 4)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]), ("ij,ij->", [(2, 3), (2, 3)]),
    ("ijk,jk->i", [(2, 3, 4), (3, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("iij->ij", [(3, 3, 2)]), ("i i j -> j", [(2, 2, 3)]), ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("ij,ij->ij", [(2, 1), (1, 3)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("i->", [(0,)]), ("ij,j->i", [(0, 3), (3,)]), ("", [()]), (",->", [(), ()]),
    ("ij->", [(2, 3)]), ("ba", [(2, 3)]), ("a...->...", [(2, 3, 4)]), ("...->...", [()]),
    ("iii->i", [(2, 2, 2)]), ("ij,j->j", [(2, 3), (3,)]), ("Ab,bA->A", [(2, 3), (3, 2)]),
]  # fmt: skip


@pytest.mark.parametrize("eq, shapes", EINSUM)
def test_einsum(eq, shapes):
    xs = [arr(*s) for s in shapes]
    check(lambda L, *ts: L.einsum(eq, *ts), *xs, grad_fn=False)
    check(lambda L, *ts: L.einsum(eq, list(ts)), *xs, grad_fn=False)
    if all(len(s) >= 2 for s in shapes):
        check(lambda L, *ts: L.einsum(eq, *ts), *[fortran(x) for x in xs], grad_fn=False)
    if all(0 not in s for s in shapes):
        grad2(lambda L, *ts: L.einsum(eq, *ts), *xs)


@pytest.mark.parametrize(
    "eq, shapes",
    [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij->j", [(2, 3)]), ("ii->i", [(3, 3)]),
     ("ij->ji", [(2, 3)]), ("i,j->ij", [(3,), (4,)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
     ("ij,ij->ij", [(2, 3), (2, 3)]), ("ij,ij->", [(2, 3), (2, 3)])],
)  # fmt: skip
def test_einsum_grad_fn(eq, shapes):
    check(lambda L, *ts: L.einsum(eq, *ts), *[arr(*s) for s in shapes])


def test_einsum_sublist_and_dtypes():
    a, b = arr(2, 3), arr(3, 4)
    check(lambda L, p, q: L.einsum(p, [0, 1], q, [1, 2], [0, 2]), a, b, grad_fn=False)
    check(lambda L, p, q: L.einsum(p, [0, Ellipsis], q, [Ellipsis]), arr(3, 2), arr(2),
          grad_fn=False)  # fmt: skip
    check(lambda L, p, q: L.einsum("ij,jk", p, q), a.astype(np.float32), b.astype(np.float32))
    check(lambda L, p, q: L.einsum("ij,jk", p, q), a.astype(np.int64), b.astype(np.int64))


@pytest.mark.parametrize(
    "eq, shapes",
    [("ij,jk", [(2, 3)]), ("ij", [(2, 3, 4)]), ("ij->k", [(2, 3)]), ("ij->ii", [(2, 3)]),
     ("ij,jk->ik", [(3, 2), (4, 2)]), ("ij,jk->ik", [(2, 3), (3, 4), (4,)]), ("i->", [(2, 3)])],
)  # fmt: skip
def test_einsum_errors(eq, shapes):
    same_error(lambda L, *ts: L.einsum(eq, *ts), *[arr(*s) for s in shapes])


def test_einsum_dtype_error():
    check_error(lambda L, p, q: L.einsum("ij,jk", p, q), arr(2, 3, dtype=np.float32), arr(3, 4))


@pytest.mark.parametrize(
    "a, b, dims",
    [((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4, 5), 0), ((2, 3), (2, 3), 2),
     ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])), ((2, 3), (3, 2), ([0, 1], [1, 0])),
     ((2, 3), (3,), ([1], [0])), ((3, 4), (4, 3), ([1], (0,))), ((0, 3), (3, 2), 1),
     ((2, 1), (3, 5), 1), ((2, 3), (1, 5), ([1], [0]))],
)  # fmt: skip
def test_tensordot(a, b, dims):
    x, y = arr(*a), arr(*b)
    check(lambda L, p, q: L.tensordot(p, q, dims), x, y)
    check(lambda L, p, q: L.tensordot(p, q, dims=dims), fortran(x), y)
    if 0 not in a:
        grad2(lambda L, p, q: L.tensordot(p, q, dims), x, y)


def test_tensordot_errors():
    same_error(lambda L, p, q: L.tensordot(p, q, 1), arr(2, 3), arr(4, 5))
    same_error(lambda L, p, q: L.tensordot(p, q, -1), arr(2, 3), arr(3, 5))
    same_error(lambda L, p, q: L.tensordot(p, q, ([1, 0], [0])), arr(2, 3), arr(3, 5))
    same_error(lambda L, p, q: L.tensordot(p, q, 3), arr(2, 3), arr(3, 5))
    same_error(lambda L, p, q: L.tensordot(p, q, (1, 0)), arr(2, 3), arr(3, 5))
    same_error(lambda L, p, q: L.tensordot(p, q, 1), arr(2, 3, dtype=np.float32), arr(3, 5))


@pytest.mark.parametrize(
    "a, b", [((2, 3), (4, 5)), ((3,), (2,)), ((2, 3), (4,)), ((2,), (2, 3, 1)), ((), (3,)),
             ((0, 2), (3, 1))],
)  # fmt: skip
def test_kron(a, b):
    x, y = arr(*a), arr(*b)
    check(lambda L, p, q: L.kron(p, q), x, y)
    check(lambda L, p, q: p.kron(q), x, y)
    check(lambda L, p, q: L.kron(p, q), x.astype(np.float32), y)
    check(lambda L, p, q: L.kron(p, q), x.astype(np.int64), y.astype(np.int64))


def test_kron_noncontiguous():
    # torch 2.13 raises here (its kron views a non-contiguous input); numpy is the reference
    for x, y in [(fortran(arr(2, 3)), arr(4, 5)), (arr(2, 3), fortran(arr(4, 5)))]:
        out = ember.kron(ember.from_numpy(x), ember.from_numpy(y))
        np.testing.assert_allclose(out.numpy(), np.kron(x, y))


def test_complex_products():
    # the gradients of products conjugate the other operand, as torch's do
    c = lambda *s: arr(*s) + 1j * arr(*s)  # noqa: E731
    check(lambda L, p, q: p @ q, c(2, 3), c(3, 4))
    check(lambda L, p, q: p @ q, c(2, 2, 3), c(3))
    check(lambda L, p, q: L.dot(p, q), c(3), c(3))
    check(lambda L, p, q: L.mv(p, q), c(2, 3), c(3))
    check(lambda L, p, q: L.bmm(p, q), c(2, 2, 3), c(2, 3, 2))
    check(lambda L, i, p, q: L.addmm(i, p, q), c(2, 4), c(2, 3), c(3, 4))
    check(lambda L, p, q: L.einsum("ij,jk->ik", p, q), c(2, 3), c(3, 4), grad_fn=False)


# -- norms ------------------------------------------------------------------------------------

INF = float("inf")
ORDS = [2, 1, 3, 0.5, 1.5, INF, -INF, 0, -1, -2.5]


@pytest.mark.parametrize("ord", ORDS)
@pytest.mark.parametrize("shape, dim", [((5,), None), ((2, 3), None), ((2, 3), 1), ((2, 3), -2),
                                        ((2, 3, 4), (0, 2)), ((2, 3, 4), (-1, 0, 1)),
                                        ((), None), ((3,), []), ((2, 1), 1)])  # fmt: skip
def test_vector_norm(ord, shape, dim):
    x = arr(*shape)
    for keepdim in (False, True):
        check(lambda L, t, k=keepdim: L.linalg.vector_norm(t, ord, dim, k), x)
    check(lambda L, t: L.linalg.vector_norm(t, ord=ord, dim=dim), x.astype(np.float32))
    check(lambda L, t: L.linalg.vector_norm(t, ord, dim), np.asarray(x + 1j * arr(*shape)))
    if ord not in (0,) and shape:
        check_gradgrad(lambda L, t: L.linalg.vector_norm(t, ord, dim), x)


def test_vector_norm_zeros_and_ties():
    # the subgradient at 0 and the tie rule of inf norms (shared evenly)
    z = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
    for ord in (2, 1, 3, 0.5, INF, -INF):
        check(lambda L, t, o=ord: L.linalg.vector_norm(t, o, 1), z)
    check(lambda L, t: L.linalg.vector_norm(t, dtype=L.float64), arr(3, dtype=np.float32))
    check(lambda L, t: L.linalg.vector_norm(t, dtype=L.complex128), arr(3) + 1j * arr(3))
    check(lambda L, t: L.linalg.vector_norm(t), arr(2, 3).astype(np.float16))
    check(lambda L, t: L.linalg.vector_norm(t, 1, 0), arr(0, 3))


@pytest.mark.parametrize("call", [
    lambda L, t: L.linalg.vector_norm(t),
    lambda L, t: L.linalg.vector_norm(t, INF, 0),
    lambda L, t: L.linalg.vector_norm(t, -1),
    lambda L, t: L.linalg.vector_norm(t, dtype=L.float32),
    lambda L, t: L.linalg.vector_norm(t, dtype=L.int64),
    lambda L, t: L.linalg.vector_norm(t, dim=(0, 0)),
    lambda L, t: L.linalg.vector_norm(t, dim=3),
])  # fmt: skip
def test_vector_norm_errors(call):
    for x in (arr(0, 3), arr(2, 3, dtype=np.int64), arr(2, 3)):
        check_outcome(call, x)


MATRIX_ORDS = ["fro", "nuc", 2, -2, 1, -1, INF, -INF]


@pytest.mark.parametrize("ord", MATRIX_ORDS)
def test_matrix_norm(ord):
    x = arr(2, 3, 4)
    for keepdim in (False, True):
        for dim in ((-2, -1), (0, 2), (2, 0), (1, 0)):
            check(lambda L, t, d=dim, k=keepdim: L.linalg.matrix_norm(t, ord, d, k), x)
    check(lambda L, t: L.linalg.matrix_norm(t, ord), arr(3, 3) + 1j * arr(3, 3))
    check(lambda L, t: L.linalg.matrix_norm(t, ord, dtype=L.float64), arr(3, 2, dtype=np.float32))
    check(lambda L, t: L.linalg.norm(t, ord), arr(3, 4))
    check(lambda L, t: L.linalg.norm(t, ord, (0, 2), True), x)
    check(lambda L, t: L.norm(t, ord, (1, 2)), x) if ord in ("fro", "nuc") else None
    check_gradgrad(lambda L, t: L.linalg.matrix_norm(t, ord), arr(3, 3))
    check_outcome(lambda L, t: L.linalg.matrix_norm(t, ord), arr(0, 3))


def test_matrix_norm_errors():
    for call in (lambda L, t: L.linalg.matrix_norm(t, 3), lambda L, t: L.linalg.matrix_norm(t, "x"),
                 lambda L, t: L.linalg.matrix_norm(t, dim=(0, 0)),
                 lambda L, t: L.linalg.matrix_norm(t, dim=(0,))):  # fmt: skip
        same_error(call, arr(2, 3))
    same_error(lambda L, t: L.linalg.matrix_norm(t), arr(3))
    same_error(lambda L, t: L.linalg.matrix_norm(t, "nuc"), arr(2, 3).astype(np.float16))


@pytest.mark.parametrize("call", [
    lambda L, t: L.linalg.norm(t), lambda L, t: L.linalg.norm(t, 3),
    lambda L, t: L.linalg.norm(t, dim=1),
    lambda L, t: L.linalg.norm(t, 1, (0, 1)), lambda L, t: L.linalg.norm(t, "fro", keepdim=True),
    lambda L, t: L.linalg.norm(t, INF, dim=-1, keepdim=True),
    lambda L, t: L.norm(t), lambda L, t: t.norm(), lambda L, t: t.norm(3),
    lambda L, t: L.norm(t, dim=1),
    lambda L, t: L.norm(t, "fro", dim=(0, 1)), lambda L, t: t.norm(p=1, dim=0, keepdim=True),
    lambda L, t: L.norm(t, INF), lambda L, t: L.norm(t, None, 0),
    lambda L, t: t.norm(2, dtype=L.float64),
    lambda L, t: L.norm(t, "nuc"),
])  # fmt: skip
def test_norms(call):
    for x in (arr(3, 4), arr(4), arr(2, 3, 4)):
        check_outcome(call, x)


def test_dist_renorm():
    check(lambda L, a, b: L.dist(a, b), arr(2, 3), arr(3))
    for p in (1, 3, INF, -INF, 0.5):
        check(lambda L, a, b, p=p: L.dist(a, b, p), arr(2, 3), arr(2, 1))
        check_gradgrad(lambda L, a, b, p=p: L.dist(a, b, p), arr(2, 3), arr(3))
    check(lambda L, a, b: a.dist(b, 0), arr(3), arr(3), grad=False)  # torch's backward fails here
    check(lambda L, a, b: L.dist(a, b), arr(3, dtype=np.int64), arr(3))
    same_error(lambda L, a, b: L.dist(a, b), arr(3, dtype=np.int64), arr(3, dtype=np.int64))
    same_error(lambda L, a, b: L.dist(a, b), arr(3), arr(4))
    for args in ((2, 0, 1.0), (1, 1, 0.5), (INF, -1, 1.0), (3, 2, 100.0)):
        check(lambda L, a, args=args: L.renorm(a, *args), arr(2, 3, 4))
        check_gradgrad(lambda L, a, args=args: a.renorm(*args), arr(2, 3, 4))
    check(lambda L, a: (a * 1).renorm_(2, 0, 1.0), arr(3, 4))
    for args in ((2, 0, -1), (0, 0, 1), (2, 3, 1)):
        same_error(lambda L, a, args=args: L.renorm(a, *args), arr(2, 3, 4))
    same_error(lambda L, a: L.renorm(a, 2, 0, 1), arr(3))


# -- cross, trace, vdot, vecdot, multi_dot, chain_matmul ------------------------------------------


@pytest.mark.parametrize("a, b, dim", [((3,), (3,), -1), ((2, 3), (1, 3), -1), ((3, 2), (3, 2), 0),
                                       ((2, 3, 3), (1, 3, 3), 1)])  # fmt: skip
def test_cross(a, b, dim):
    if len(a) == len(b):
        check(lambda L, x, y: L.linalg.cross(x, y, dim=dim), arr(*a), arr(*b))
        check_gradgrad(lambda L, x, y: L.linalg.cross(x, y, dim=dim), arr(*a), arr(*b))
        check(lambda L, x, y: L.linalg.cross(x, y, dim=dim), arr(*a, dtype=np.int64),
              arr(*b, dtype=np.int64))  # fmt: skip
    check(lambda L, x, y: L.cross(x, y, dim), arr(*a), arr(*b))
    check(lambda L, x, y: x.cross(y, dim=dim), arr(*a) + 1j * arr(*a), arr(*b) + 1j * arr(*b))


def test_cross_default_dim_and_errors():
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg"):
        check(lambda L, x, y: L.cross(x, y), arr(4, 3, 3), arr(4, 3, 3))
    same_error(lambda L, x, y: L.cross(x, y), arr(2, 4), arr(2, 4))
    same_error(lambda L, x, y: L.linalg.cross(x, y), arr(2, 3), arr(3))
    same_error(lambda L, x, y: L.linalg.cross(x, y), arr(2, 4), arr(2, 4))
    same_error(lambda L, x, y: L.cross(x, y, 0), arr(3, 2), arr(1, 2))


def test_trace_vdot_vecdot():
    for shape in ((3, 3), (2, 4), (4, 2), (0, 3)):
        check(lambda L, x: L.trace(x), arr(*shape))
        check(lambda L, x: x.trace(), arr(*shape, dtype=np.int32))
    check(lambda L, x: L.trace(x), arr(3, 3, dtype=np.uint8))
    check_gradgrad(lambda L, x: L.trace(x * x), arr(3, 3))
    same_error(lambda L, x: L.trace(x), arr(3))
    check_error(lambda L, x: L.trace(x), arr(2, 2, dtype=np.bool_))
    c = arr(4) + 1j * arr(4)
    check(lambda L, x, y: L.vdot(x, y), arr(4), arr(4))
    check(lambda L, x, y: x.vdot(y), c, c[::-1].copy())
    check(lambda L, x, y: L.vdot(x, y), arr(4, dtype=np.int64), arr(4, dtype=np.int64))
    for a, b in (((2, 3), (3,)), ((3,), (4,))):
        same_error(lambda L, x, y: L.vdot(x, y), arr(*a), arr(*b))
    same_error(lambda L, x, y: L.vdot(x, y), arr(3), arr(3, dtype=np.float32))
    for a, b, dim in (((3,), (3,), -1), ((2, 3), (3,), -1), ((2, 3), (2, 1), 0), ((4,), (4,), 0)):
        f = lambda L, x, y, d=dim: L.linalg.vecdot(x, y, dim=d)  # noqa: E731
        check(f, arr(*a), arr(*b))
        check(f, arr(*a) + 1j * arr(*a), arr(*b) + 0j)
    same_error(
        lambda L, x, y: L.linalg.vecdot(x, y), arr(3, dtype=np.int64), arr(3, dtype=np.int64)
    )
    same_error(lambda L, x, y: L.linalg.vecdot(x, y), arr(3), arr(3, dtype=np.float32))


@pytest.mark.parametrize("shapes", [[(3,), (3, 4)], [(2, 3), (3,)], [(3,), (3,)], [(2, 3), (3, 4)],
                                    [(4, 2), (2, 5), (5, 3)], [(3,), (3, 5), (5, 2), (2,)],
                                    [(10, 2), (2, 8), (8, 1), (1, 6), (6, 3)]])  # fmt: skip
def test_multi_dot(shapes):
    xs = [arr(*s) for s in shapes]
    check(lambda L, *ts: L.linalg.multi_dot(ts), *xs)
    check(lambda L, *ts: L.linalg.multi_dot(list(ts)), *[x.astype(np.int64) for x in xs])
    check_gradgrad(lambda L, *ts: L.linalg.multi_dot(ts), *xs)
    if all(len(s) == 2 for s in shapes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check(lambda L, *ts: L.chain_matmul(*ts), *xs)


def test_multi_dot_errors():
    for shapes in ([(3, 3)], [(2, 3, 3), (3,)], [(3,), (2, 3, 3), (3,)], [(3,), (3, 2), (2, 3, 3)],
                   [(3,), (4, 2)]):  # fmt: skip
        same_error(lambda L, *ts: L.linalg.multi_dot(ts), *[arr(*s) for s in shapes])
    same_error(lambda L, a, b: L.linalg.multi_dot([a, b]), arr(3), arr(3, 2, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda L: L.chain_matmul())
        same_error(lambda L, a, b: L.chain_matmul(a, b), arr(3, 3), arr(3))
        check(lambda L, a: L.chain_matmul(a), arr(3, 3))
    with pytest.warns(UserWarning, match="torch.chain_matmul is deprecated"):
        ember.chain_matmul(ember.ones(2, 2), ember.ones(2, 2))


# -- addbmm, addmv, addr ------------------------------------------------------------------------


@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, 2.0), (0, 1)])
def test_addbmm_addmv_addr(beta, alpha):
    kw = {"beta": beta, "alpha": alpha}
    for c in ((2, 4), (4,), (1, 1)):
        check(lambda L, i, p, q: L.addbmm(i, p, q, **kw), arr(*c), arr(3, 2, 3), arr(3, 3, 4))
    for c in ((2,), (), (1,)):
        check(lambda L, i, p, q: L.addmv(i, p, q, **kw), arr(*c), arr(2, 3), arr(3))
    for c in ((2, 3), (3,), (2, 1)):
        check(lambda L, i, p, q: L.addr(i, p, q, **kw), arr(*c), arr(2), arr(3))
    check_gradgrad(
        lambda L, i, p, q: L.addbmm(i, p, q, **kw), arr(2, 4), arr(3, 2, 3), arr(3, 3, 4)
    )
    check_gradgrad(lambda L, i, p, q: L.addmv(i, p, q, **kw), arr(2), arr(2, 3), arr(3))
    check_gradgrad(lambda L, i, p, q: L.addr(i, p, q, **kw), arr(2, 3), arr(2), arr(3))
    check(lambda L, i, p, q: (i * 1).addbmm_(p, q, **kw), arr(2, 4), arr(3, 2, 3), arr(3, 3, 4))
    check(lambda L, i, p, q: (i * 1).addmv_(p, q, **kw), arr(2), arr(2, 3), arr(3))
    check(lambda L, i, p, q: (i * 1).addr_(p, q, **kw), arr(2, 3), arr(2), arr(3))
    c = lambda *s: arr(*s) + 1j * arr(*s)  # noqa: E731
    check(lambda L, i, p, q: L.addmv(i, p, q), c(2), c(2, 3), c(3))
    check(lambda L, i, p, q: L.addr(i, p, q), c(2, 3), c(2), c(3))


def test_addmv_addr_int_bool_nan_and_errors():
    ints = lambda *s: arr(*s, dtype=np.int64)  # noqa: E731
    check(lambda L, i, p, q: L.addmv(i, p, q, beta=2, alpha=3), ints(2), ints(2, 3), ints(3))
    check(lambda L, i, p, q: L.addr(i, p, q, beta=2, alpha=3), ints(2, 3), ints(2), ints(3))
    check(lambda L, i, p, q: L.addbmm(i, p, q, beta=2), ints(2, 4), ints(3, 2, 3), ints(3, 3, 4))
    b = lambda *s: arr(*s) > 0  # noqa: E731
    for beta, alpha in ((True, True), (False, True), (True, False)):
        kw = {"beta": beta, "alpha": alpha}
        check(lambda L, i, p, q, kw=kw: L.addr(i, p, q, **kw), b(2, 3), b(2), b(3))
    nan = np.full((2,), np.nan)
    check(lambda L, i, p, q: L.addmv(i, p, q, beta=0), nan, arr(2, 3), arr(3), grad=False)
    same_error(lambda L, i, p, q: L.addmv(i, p, q), arr(2), arr(2, 3), arr(4))
    same_error(lambda L, i, p, q: L.addmv(i, p, q), arr(3), arr(2, 3), arr(3))
    same_error(lambda L, i, p, q: L.addmv(i, p, q), arr(2), arr(2, 3), arr(3, dtype=np.float32))
    same_error(lambda L, i, p, q: L.addr(i, p, q), arr(2, 3), arr(2), arr(4))
    same_error(lambda L, i, p, q: L.addr(i, p, q), arr(2, 3), arr(2, 1), arr(3))
    same_error(lambda L, i, p, q: L.addr(i, p, q, alpha=0.5), ints(2, 3), ints(2), ints(3))
    same_error(lambda L, i, p, q: L.addbmm(i, p, q), arr(2, 4), arr(2, 3), arr(3, 3, 4))
    same_error(lambda L, i, p, q: L.addbmm(i, p, q), arr(2, 4), arr(3, 2, 3), arr(2, 3, 4))
    same_error(lambda L, i, p, q: L.addbmm(i, p, q), arr(3, 4), arr(3, 2, 3), arr(3, 3, 4))


# -- cdist ------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 3.0, INF, 0.0])
@pytest.mark.parametrize("a, b", [((3, 2), (4, 2)), ((2, 3, 2), (1, 4, 2)), ((1, 3), (2, 3)),
                                  ((0, 2), (3, 2)), ((2, 5, 3), (2, 5, 3))])  # fmt: skip
def test_cdist(p, a, b):
    x, y = arr(*a), arr(*b)
    check(lambda L, u, v: L.cdist(u, v, p), x, y)
    check(lambda L, u, v: L.cdist(u, v, p=p), x.astype(np.float32), y.astype(np.float32))
    y = y + 3 if p < 1 else y  # |x - y|^(p-1) is steep near 0: keep finite differences away
    gradcheck(lambda u, v: ember.cdist(u, v, p), [x, y])
    gradgradcheck(lambda u, v: ember.cdist(u, v, p), [x, y])


def test_cdist_equal_points_and_errors():
    x = np.array([[0.0, 1.0], [2.0, 2.0]])
    for p in (2.0, 1.0, 0.5, 3.0, INF):
        check(lambda L, u, v, p=p: L.cdist(u, v, p), x, x.copy())  # zero distance: 0 subgradient
    same_error(lambda L, u, v: L.cdist(u, v), arr(2, 3, dtype=np.int64), arr(2, 3))
    same_error(lambda L, u, v: L.cdist(u, v), arr(3), arr(2, 3))
    same_error(lambda L, u, v: L.cdist(u, v), arr(2, 3), arr(2, 4))
    same_error(lambda L, u, v: L.cdist(u, v, -1), arr(2, 3), arr(2, 3))
    same_error(lambda L, u, v: L.cdist(u, v), arr(2, 2, 3), arr(3, 2, 3))
    same_error(lambda L, u, v: L.cdist(u, v), arr(2, 3), arr(2, 3, dtype=np.float32))


@pytest.mark.parametrize(
    "name,args",
    [("inv", ((3, 3),)), ("det", ((3, 3),)), ("slogdet", ((3, 3),)), ("qr", ((4, 3),)),
     ("solve", ((3, 3), (3, 2))), ("matrix_norm", ((3, 3),)), ("eigvalsh", ((3, 3),)),
     ("cond", ((3, 3),)), ("matrix_rank", ((3, 3),))],
)  # fmt: skip
def test_out_receives_the_result_like_torch(name, args):
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=s) for s in args]
    arrays = [a + a.T if name == "eigvalsh" else a for a in arrays]
    results = []
    for lib in (torch, ember):
        ref = getattr(lib.linalg, name)(*[lib.tensor(a) for a in arrays])
        n = len(ref) if isinstance(ref, tuple) else 1
        outs = tuple(lib.empty(0, dtype=r.dtype) for r in (ref if n > 1 else (ref,)))
        got = getattr(lib.linalg, name)(*[lib.tensor(a) for a in arrays],
                                        out=outs if n > 1 else outs[0])  # fmt: skip
        same = [g is o for g, o in zip(got if n > 1 else (got,), outs)]
        results.append((same, [o.tolist() for o in outs]))
        try:
            getattr(lib.linalg, name)(*[lib.tensor(a, requires_grad=True) for a in arrays],
                                      out=outs if n > 1 else outs[0])  # fmt: skip
            results[-1] += ("no error",)
        except RuntimeError as e:
            results[-1] += ("don't support automatic differentiation" in str(e),)
    assert results[0][0] == results[1][0] == [True] * len(results[0][0])
    for want, got in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert results[0][2] == results[1][2]
