"""Matrix products against torch: values, dtypes, shapes, grad_fn names, gradients (first and
second order) and errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import check, check_error  # noqa: E402

import ember  # noqa: E402

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
