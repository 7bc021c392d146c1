"""Random sampling against torch.

ember's streams differ from torch's (NumPy's PCG64, not a Mersenne Twister), so samples are
compared as distributions: fixed seeds, sample moments against closed forms (within 6 standard
errors) and two-sample Kolmogorov-Smirnov distances to torch's own samples (at a level of 1e-6,
loose for any seed yet tight enough to catch a wrong parameter or transform). Shapes, dtypes,
grad_fn names, gradients, version counters and errors (type and message) are compared with
torch exactly. ember.random (seeding, state, fork_rng) is checked by replaying draws.
"""

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

N = 20_000


def _builtin(exc):
    return next(c for c in type(exc).__mro__ if c.__module__ == "builtins")


def _run(fn, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(lib)
        except Exception as e:  # noqa: BLE001 - compared by the caller
            return e


def _grad_fn(t):
    fn = t.grad_fn
    return None if fn is None else fn.name()


def meta(x):
    """What must agree with torch: tensors by dtype, shape, requires_grad and grad_fn name."""
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return (str(x.dtype).rsplit(".", 1)[-1], tuple(x.shape), x.requires_grad, _grad_fn(x))
    if isinstance(x, (list, tuple)):
        return [meta(v) for v in x]
    if isinstance(x, (torch.dtype, ember.dtype)):
        return str(x).rsplit(".", 1)[-1]
    return x


def same_meta(fn, message=True):
    """``fn(lib)`` agrees in torch and ember: results by ``meta``, errors by builtin type and
    (unless ``message=False``) by message."""
    t, e = _run(fn, torch), _run(fn, ember)
    if isinstance(t, Exception):
        assert isinstance(e, _builtin(t)), f"torch raised {t!r}, ember gave {e!r}"
        if message:
            assert str(e) == str(t), f"message {str(e)!r} != torch {str(t)!r}"
        return
    assert not isinstance(e, Exception), f"torch gave {meta(t)}, ember raised {e!r}"
    assert meta(e) == meta(t)


def _np(t):
    t = t.detach()
    if isinstance(t, torch.Tensor):
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy().astype(np.float64)
    a = np.asarray(t._data)
    return a.astype(np.float32).astype(np.float64) if a.dtype.name == "bfloat16" else a.astype(
        np.float64)  # fmt: skip


def gens(seed=0):
    return torch.Generator().manual_seed(seed), ember.Generator().manual_seed(seed)


def ks(a, b) -> float:
    """The two-sample Kolmogorov-Smirnov distance between samples ``a`` and ``b``."""
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    grid = np.concatenate([a, b])
    return float(np.max(np.abs(np.searchsorted(a, grid, "right") / a.size
                                - np.searchsorted(b, grid, "right") / b.size)))  # fmt: skip


def ks_bound(n, m, alpha=1e-6) -> float:
    return math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((n + m) / (n * m))


def like_torch(make, n=N, seed=0):
    """``make(lib, generator)`` sampled in torch and ember with fixed seeds: the two samples
    must look drawn from one distribution (KS), and have the same dtype and shape."""
    tg, eg = gens(seed)
    t, e = make(torch, tg), make(ember, eg)
    assert meta(e) == meta(t)
    a, b = _np(t), _np(e)
    d = ks(a, b)
    assert d < ks_bound(a.size, b.size), f"KS distance {d:.4f} to torch's samples"
    return b


def moments(x, mean, var, z=6.0):
    """Sample mean (and, for var, the variance to 5%) against closed forms."""
    x = np.ravel(x)
    se = math.sqrt(var / x.size)
    assert abs(x.mean() - mean) <= z * se, f"mean {x.mean()} vs {mean} (se {se})"
    assert abs(x.var() - var) < 0.05 * var + 1e-12, f"variance {x.var()} vs {var}"


# -- signatures, dtypes, grad_fn names and errors ----------------------------------------------

Z = lambda L, *s, **k: L.zeros(*s, **k)  # noqa: E731
NORMAL_CASES = [
    lambda L: L.normal(Z(L, 2, 3), L.ones(3)), lambda L: L.normal(Z(L, 2, dtype=L.float64), 1.0),
    lambda L: L.normal(Z(L, 2), L.ones(2, dtype=L.float64)),
    lambda L: L.normal(1.0, L.ones(2, dtype=L.float64)), lambda L: L.normal(Z(L, 2, 3), L.ones(4)),
    lambda L: L.normal(Z(L, 6), L.ones(2, 3)), lambda L: L.normal(Z(L, 2, dtype=L.long), 1.0),
    lambda L: L.normal(Z(L, 2), -1.0), lambda L: L.normal(Z(L, 2), -L.ones(2)),
    lambda L: L.normal(0.0, -L.ones(2)), lambda L: L.normal(0, 1, (2, 3)),
    lambda L: L.normal(0.0, 1.0, size=(2, 3)), lambda L: L.normal(0.0, -1.0, (2,)),
    lambda L: L.normal(0.0, 1.0, (2,), dtype=L.float64),
    lambda L: L.normal(0.0, 1.0, (2,), dtype=L.int64),
    lambda L: L.normal(0.0, 1.0, (2,), requires_grad=True),
    lambda L: L.normal(0.0, 1.0, (2,), dtype=L.complex64),
    lambda L: L.normal(Z(L, 2, dtype=L.complex64), 1.0),
    lambda L: L.normal(Z(L, 2, dtype=L.float16), 1.0),
    lambda L: L.normal(Z(L, 3, dtype=L.bfloat16), L.ones(3)),
    lambda L: L.normal(Z(L, ()), L.ones(3)), lambda L: L.normal(mean=Z(L, 2)),
    lambda L: L.normal(mean=Z(L, 2), std=L.ones(2)), lambda L: L.normal(Z(L, 0), L.ones(0)),
    lambda L: L.normal(L.tensor(0.0), L.tensor(1.0)),
    lambda L: L.normal(Z(L, 2, dtype=L.complex64), L.ones(2, dtype=L.complex64)),
    lambda L: L.normal(Z(L, 2), L.ones(2, dtype=L.complex64)),
    lambda L: L.normal(Z(L, 2), float("nan")),
    lambda L: L.normal(Z(L, 2), L.tensor([1.0, float("nan")])),
    lambda L: L.normal(1, L.ones(2, dtype=L.long)),
    lambda L: L.normal(L.ones(2), L.ones(2, dtype=L.long)),
    lambda L: L.normal(Z(L, 2, requires_grad=True), L.ones(2)),
    lambda L: L.normal(Z(L, 2, requires_grad=True), 2.0),
    lambda L: L.normal(0.5, L.ones(2, requires_grad=True)),
    lambda L: L.normal(Z(L, 2), L.ones(2), out=L.empty(5)),
    lambda L: L.normal(Z(L, 2), L.ones(2), out=L.empty(2, dtype=L.float64)),
    lambda L: L.normal(Z(L, 2), L.ones(2), out=L.empty(2, dtype=L.long)),
    lambda L: L.normal(0.0, 1.0, (2,), out=L.empty(2, dtype=L.float64)),
    lambda L: L.normal(0.0, 1.0, (2,), out=L.empty(2), dtype=L.float64),
]  # fmt: skip
LOOSE_NORMAL = [  # torch lists every overload in these TypeErrors; ember names them briefly
    lambda L: L.normal(0.0, 1.0), lambda L: L.normal(Z(L, 2), 1.0, (3,)),
    lambda L: L.normal(1j, L.ones(2)), lambda L: L.normal(Z(L, 2), 1j),
    lambda L: L.normal(Z(L, 2), 1.0, generator=5), lambda L: L.rand(2, generator=5),
    lambda L: L.normal(Z(L, 2, requires_grad=True), L.ones(2), out=L.empty(2)),
]  # fmt: skip


@pytest.mark.parametrize("i", range(len(NORMAL_CASES)))
def test_normal_signatures(i):
    same_meta(NORMAL_CASES[i])


@pytest.mark.parametrize("i", range(len(LOOSE_NORMAL)))
def test_normal_argument_errors(i):
    same_meta(LOOSE_NORMAL[i], message=False)


P = lambda L, *v, **k: L.tensor(list(v), **k)  # noqa: E731
SAMPLER_CASES = [
    lambda L: L.bernoulli(P(L, 0.0, 0.5, 1.0)), lambda L: L.bernoulli(P(L, 0.0, 0.5, 1.5)),
    lambda L: L.bernoulli(P(L, 0, 1)), lambda L: L.bernoulli(P(L, True, False)),
    lambda L: L.bernoulli(P(L, 0.0, 0.5, dtype=L.float64)),
    lambda L: L.bernoulli(P(L, 0.0, 0.5, dtype=L.complex64)),
    lambda L: L.bernoulli(P(L, 0.0, float("nan"))), lambda L: L.bernoulli(P(L, 0.1, 0.5), 0.5),
    lambda L: L.bernoulli(P(L, 0.1, 0.5), p=0.5), lambda L: L.bernoulli(P(L, 0, 1, 2), 0.5),
    lambda L: L.bernoulli(P(L, 0.1, 0.5), 1.5),
    lambda L: L.bernoulli(P(L, 0.1, 0.5, requires_grad=True)),
    lambda L: L.bernoulli(P(L, 0.1, 0.5, requires_grad=True), 0.5),
    lambda L: P(L, 0.1, 0.5).bernoulli(), lambda L: P(L, 0.1, 0.5).bernoulli(0.3),
    lambda L: P(L, 0.1, 0.5).bernoulli(p=0.3),
    lambda L: L.bernoulli(P(L, 0.1, 0.5), out=L.empty(2, dtype=L.long)),
    lambda L: L.bernoulli(P(L, 0.1, 0.5), out=L.empty(5)),
    lambda L: L.bernoulli(P(L, 0.1, 0.5, requires_grad=True), out=L.empty(2)),
    lambda L: L.poisson(P(L, 1.0, 2.0)), lambda L: L.poisson(P(L, -1.0, 2.0)),
    lambda L: L.poisson(P(L, float("nan"))), lambda L: L.poisson(P(L, 1, 2)),
    lambda L: L.poisson(P(L, 1.0, dtype=L.float64)), lambda L: L.poisson(P(L, 1.0, dtype=L.half)),
    lambda L: L.poisson(P(L, 1.0, 2.0, requires_grad=True)), lambda L: L.poisson(Z(L, 2, 0)),
    lambda L: L.binomial(P(L, 10.0, 5.0), P(L, 0.5, 0.1)),
    lambda L: L.binomial(P(L, 10.0, 5.0), P(L, 0.5)), lambda L: L.binomial(P(L, 10, 5), P(L, 0.5)),
    lambda L: L.binomial(P(L, 10.0), P(L, 0.5, dtype=L.float64)),
    lambda L: L.binomial(P(L, 10.0, requires_grad=True), P(L, 0.5)),
    lambda L: L.binomial(P(L, 10.0), 0.5),
    lambda L: L.multinomial(P(L, 0.1, 0.2, 0.7), 2),
    lambda L: L.multinomial(P(L, 0.1, 0.2, 0.7), 4),
    lambda L: L.multinomial(P(L, 0.1, 0.2, 0.7), 4, True),
    lambda L: L.multinomial(P(L, 0.1, 0.2, 0.7), num_samples=3, replacement=True),
    lambda L: L.multinomial(P(L, 0.1, 0.2), 0), lambda L: L.multinomial(P(L, 0.1, 0.2), -1),
    lambda L: L.multinomial(P(L, 0.0, 0.0), 1), lambda L: L.multinomial(P(L, -1.0, 1.0), 1),
    lambda L: L.multinomial(P(L, float("inf"), 1.0), 1),
    lambda L: L.multinomial(P(L, float("nan"), 1.0), 1),
    lambda L: L.multinomial(P(L, -1.0, 1.0), 2, True),
    lambda L: L.multinomial(P(L, float("inf"), 1.0), 2, True),
    lambda L: L.multinomial(P(L, float("nan"), 1.0), 2, True),
    lambda L: L.multinomial(P(L, 0.0, 0.0), 2, True), lambda L: L.multinomial(L.ones(2, 3, 4), 1),
    lambda L: L.multinomial(L.ones(2, 3), 2), lambda L: L.multinomial(L.ones(0, 3), 2),
    lambda L: L.multinomial(L.ones(2, 0), 2), lambda L: L.multinomial(L.ones(()), 1),
    lambda L: L.multinomial(L.ones(3, dtype=L.long), 1),
    lambda L: L.multinomial(L.ones(3, dtype=L.float64), 1),
    lambda L: L.multinomial(L.ones(3, dtype=L.half), 2),
    lambda L: L.multinomial(L.ones(3, requires_grad=True), 1), lambda L: L.ones(3).multinomial(2),
    lambda L: L.multinomial(L.ones(2**24 + 1), 1),
    lambda L: L.multinomial(L.ones(3), 2, out=L.empty(2)),
    lambda L: L.multinomial(L.ones(3), 2, out=L.empty(5, dtype=L.long)),
    lambda L: L.multinomial(L.tensor([[0.0, 0.0], [1.0, 1.0]]), 1),
]  # fmt: skip


@pytest.mark.parametrize("i", range(len(SAMPLER_CASES)))
def test_sampler_signatures_and_errors(i):
    same_meta(SAMPLER_CASES[i], message="TypeError" not in repr(_run(SAMPLER_CASES[i], torch)))


DTYPES = ["float32", "float16", "bfloat16", "float64", "int8", "uint8", "int16", "int32", "int64",
          "bool", "complex64"]  # fmt: skip
FILLS = [
    ("uniform_", ()), ("uniform_", (2, 1)), ("uniform_", (1, 1)), ("uniform_", (0, math.inf)),
    ("uniform_", (math.nan, 1)), ("uniform_", (-3e38, 3e38)), ("uniform_", (-6e4, 6e4)),
    ("uniform_", (0, 1e6)), ("normal_", ()), ("normal_", (0, -1)), ("normal_", (0, math.nan)),
    ("normal_", (1, 0)), ("exponential_", ()), ("exponential_", (0,)), ("exponential_", (-1,)),
    ("exponential_", (math.nan,)), ("exponential_", (math.inf,)), ("geometric_", (0.5,)),
    ("geometric_", (0,)), ("geometric_", (1,)), ("geometric_", (1.5,)), ("cauchy_", ()),
    ("cauchy_", (0, 0)), ("cauchy_", (0, -1)), ("log_normal_", ()), ("log_normal_", (0, 0)),
    ("log_normal_", (0, -1)), ("bernoulli_", ()), ("bernoulli_", (0.3,)), ("bernoulli_", (1.5,)),
    ("bernoulli_", (-0.1,)), ("random_", ()), ("random_", (5,)), ("random_", (0,)),
    ("random_", (-1,)), ("random_", (2, 5)), ("random_", (5, 2)), ("random_", (2, None)),
    ("random_", (-200, None)), ("random_", (200,)), ("random_", (-1, 5)), ("random_", (0, 2**30)),
    ("random_", (-(2**60), 2**60)), ("random_", (-(2**63), 2**63 - 1)),
    ("random_", (-(2**63), None)), ("random_", (2**12,)), ("random_", (0, 2**20)),
    ("random_", (1, 2)), ("random_", (2**53, None)),
]  # fmt: skip


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("method,args", FILLS, ids=[f"{m}{a}" for m, a in FILLS])
def test_fill_dtypes_and_errors(method, args, name):
    same_meta(lambda L: getattr(L.zeros(3, dtype=getattr(L, name)), method)(*args))


FILL_KW_CASES = [
    lambda L: Z(L, 3).uniform_(**{"from": 2, "to": 3}), lambda L: Z(L, 3).uniform_(to=3),
    lambda L: Z(L, 3).random_(**{"from": 1, "to": 3}), lambda L: Z(L, 3).random_(to=3),
    lambda L: Z(L, 3).random_(1.5, 3), lambda L: Z(L, 3).random_(1, 2, 3),
    lambda L: Z(L, 3).normal_(mean=1, std=2), lambda L: Z(L, 3).exponential_(lambd=2),
    lambda L: Z(L, 3).geometric_(p=0.2), lambda L: Z(L, 3).cauchy_(median=1, sigma=2),
    lambda L: Z(L, 3).log_normal_(mean=0, std=1), lambda L: Z(L, 3).bernoulli_(p=0.2),
    lambda L: Z(L, 3).bernoulli_(L.full((3,), 0.5)),
    lambda L: Z(L, 3).bernoulli_(L.full((3,), 1.5)),
    lambda L: Z(L, 3).bernoulli_(L.full((2,), 0.5)),
    lambda L: Z(L, 2, 3).bernoulli_(L.full((3,), 0.5)),
    lambda L: Z(L, 3).bernoulli_(L.full((2, 3), 0.5)),
    lambda L: Z(L, 3).bernoulli_(L.ones(3, dtype=L.long)),
    lambda L: Z(L, 3, dtype=L.long).bernoulli_(L.full((3,), 0.5)),
    lambda L: Z(L, 3, dtype=L.complex64).bernoulli_(L.full((3,), 0.5)),
    lambda L: Z(L, 0, dtype=L.long).uniform_(), lambda L: Z(L, 0).uniform_(2, 1),
    lambda L: Z(L, 0, dtype=L.long).normal_(0, -1), lambda L: Z(L, 2, 0).normal_(),
    lambda L: Z(L, 3).normal_(generator=5), lambda L: Z(L, 3).uniform_(generator=None),
]  # fmt: skip


@pytest.mark.parametrize("i", range(len(FILL_KW_CASES)))
def test_fill_keywords_and_tensor_p(i):
    fn = FILL_KW_CASES[i]
    same_meta(fn, message="TypeError" not in repr(_run(fn, torch)))


# -- autograd: samples have zero (or no) gradient; in-place fills as torch ---------------------


@pytest.mark.parametrize(
    "fill",
    [lambda y: y.uniform_(), lambda y: y.normal_(), lambda y: y.bernoulli_(),
     lambda y: y.bernoulli_(y.detach() * 0 + 0.5), lambda y: y.exponential_(),
     lambda y: y.random_(), lambda y: y.random_(3), lambda y: y.random_(1, 3),
     lambda y: y.geometric_(0.5), lambda y: y.cauchy_(), lambda y: y.log_normal_()],
)  # fmt: skip
def test_fills_record_zero_gradients(fill):
    res = []
    for L in (torch, ember):
        x = L.ones(4, requires_grad=True)
        y = x * 2
        v0 = y._version
        out = fill(y)
        assert out is y and y._version == v0 + 1
        name = _grad_fn(y)
        (y * 3).sum().backward()
        w = L.ones(4, requires_grad=True)  # on a view: the base's history is CopySlices
        z = w * 2
        fill(z[:2])
        (z * 3).sum().backward()
        res.append((name, x.grad.tolist(), _grad_fn(z), w.grad.tolist()))
    assert res[1] == res[0]


@pytest.mark.parametrize("method", ["uniform_", "normal_", "bernoulli_", "exponential_",
                                    "random_", "cauchy_", "log_normal_"])  # fmt: skip
def test_fill_on_leaf_that_requires_grad(method):
    same_meta(lambda L: getattr(L.ones(3, requires_grad=True), method)())
    same_meta(lambda L: getattr(L.ones(3, requires_grad=True)[:2], method)())

    def under_no_grad(L):
        x = L.ones(3, requires_grad=True)
        with L.no_grad():
            getattr(x, method)()
        return x, x._version

    same_meta(under_no_grad)


@pytest.mark.parametrize(
    "fn",
    [lambda L, m, s: L.normal(m, s), lambda L, m, s: L.normal(m, 2.0),
     lambda L, m, s: L.normal(1.0, s), lambda L, m, s: L.bernoulli(m.sigmoid()),
     lambda L, m, s: L.poisson(s), lambda L, m, s: L.normal(m.expand(2, 3), s * 2)],
)  # fmt: skip
def test_sample_gradients_are_zero(fn):
    res = []
    for L in (torch, ember):
        m = L.zeros(3, requires_grad=True)
        s = L.ones(3, requires_grad=True)
        out = fn(L, m, s)
        name = _grad_fn(out)
        out.sum().backward()
        res.append((name, None if m.grad is None else m.grad.tolist(),
                    None if s.grad is None else s.grad.tolist()))  # fmt: skip
    assert res[1] == res[0]


@pytest.mark.parametrize(
    "fn",
    [lambda L, x: L.bernoulli(x, 0.5), lambda L, x: L.binomial(x * 10, x.detach()),
     lambda L, x: L.binomial(x.detach() * 10, x)],
)  # fmt: skip
def test_not_implemented_derivatives(fn):
    def run(L):
        x = L.full((3,), 0.5, requires_grad=True)
        fn(L, x).sum().backward()

    same_meta(run)


# -- distributions ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16"])
def test_rand_and_randn_distributions(name):
    u = like_torch(lambda L, g: L.rand(N, generator=g, dtype=getattr(L, name)))
    assert u.min() >= 0 and u.max() < 1
    moments(u, 0.5, 1 / 12)
    z = like_torch(lambda L, g: L.randn(N, generator=g, dtype=getattr(L, name)))
    moments(z, 0.0, 1.0)


@pytest.mark.parametrize("name", ["complex64", "complex128"])
def test_complex_samples_split_the_variance(name):
    for make in (lambda L, g: L.randn(N, generator=g, dtype=getattr(L, name)),
                 lambda L, g: L.zeros(N, dtype=getattr(L, name)).normal_(1, 2, generator=g),
                 lambda L, g: L.normal(L.full((N,), 1 + 2j, dtype=getattr(L, name)), 2.0,
                                       generator=g)):  # fmt: skip
        tg, eg = gens(3)
        t, e = make(torch, tg), make(ember, eg)
        assert meta(e) == meta(t)
        for part in ("real", "imag"):
            a, b = getattr(t, part).numpy(), getattr(e._data, part)
            assert ks(a - a.mean(), b - b.mean()) < ks_bound(N, N)
            assert abs(b.mean() - a.mean()) < 6 * math.sqrt(2 * a.var() / N)
            assert abs(b.var() / a.var() - 1) < 0.06


def test_normal_overloads_distributions():
    mean, std = np.linspace(-3, 3, N), np.linspace(0.5, 2, N)
    m = lambda L: L.from_numpy(mean)  # noqa: E731
    s = lambda L: L.from_numpy(std)  # noqa: E731
    for make in (lambda L, g: (L.normal(m(L), s(L), generator=g) - m(L)) / s(L),
                 lambda L, g: (L.normal(m(L), 2.0, generator=g) - m(L)) / 2,
                 lambda L, g: (L.normal(1.5, s(L), generator=g) - 1.5) / s(L)):  # fmt: skip
        moments(like_torch(make), 0.0, 1.0)
    moments(like_torch(lambda L, g: L.normal(-1.0, 3.0, (N,), generator=g, dtype=L.float64)),
            -1.0, 9.0)  # fmt: skip


def test_fill_distributions():
    ones = lambda L, **k: L.ones(N, dtype=L.float64, **k)  # noqa: E731
    x = like_torch(lambda L, g: ones(L).uniform_(-2, 5, generator=g))
    assert x.min() >= -2 and x.max() < 5
    moments(x, 1.5, 49 / 12)
    moments(like_torch(lambda L, g: ones(L).normal_(3, 2, generator=g)), 3.0, 4.0)
    moments(like_torch(lambda L, g: ones(L).exponential_(2.5, generator=g)), 0.4, 0.16)
    c = like_torch(lambda L, g: ones(L).cauchy_(1, 2, generator=g))
    assert abs(np.median(c) - 1) < 0.1  # heavy tails: the median, not the mean
    ln = like_torch(lambda L, g: ones(L).log_normal_(0.5, 0.4, generator=g))
    moments(np.log(ln), 0.5, 0.16)
    geo = like_torch(lambda L, g: ones(L).geometric_(0.3, generator=g))
    assert geo.min() >= 1 and np.all(geo == np.round(geo))
    moments(geo, 1 / 0.3, 0.7 / 0.09)
    b = like_torch(lambda L, g: ones(L).bernoulli_(0.3, generator=g))
    assert set(np.unique(b)) == {0.0, 1.0}
    moments(b, 0.3, 0.21)
    p = np.where(np.arange(N) % 2 == 0, 0.1, 0.8)
    bt = like_torch(lambda L, g: ones(L).bernoulli_(L.from_numpy(p), generator=g))
    moments(bt[::2], 0.1, 0.09)
    moments(bt[1::2], 0.8, 0.16)
    for dt in ("float32", "float16", "bfloat16"):  # the same laws in reduced precision
        like_torch(lambda L, g: L.ones(N, dtype=getattr(L, dt)).normal_(3, 2, generator=g))  # noqa: B023
        like_torch(lambda L, g: L.ones(N, dtype=getattr(L, dt)).exponential_(2, generator=g))  # noqa: B023
        like_torch(lambda L, g: L.ones(N, dtype=getattr(L, dt)).uniform_(-1, 3, generator=g))  # noqa: B023


def test_bernoulli_poisson_binomial_distributions():
    p = np.tile([0.0, 0.2, 0.5, 0.9, 1.0], N // 5)
    b = like_torch(lambda L, g: L.bernoulli(L.from_numpy(p), generator=g))
    for k, q in enumerate([0.0, 0.2, 0.5, 0.9, 1.0]):
        moments(b[k::5], q, q * (1 - q))
    b2 = like_torch(lambda L, g: L.bernoulli(L.zeros(N, dtype=L.int64), 0.25, generator=g))
    moments(b2, 0.25, 0.25 * 0.75)
    for rate in (0.5, 3.0, 40.0, 1e4):
        x = like_torch(lambda L, g: L.poisson(L.full((N,), rate, dtype=L.float64), generator=g))  # noqa: B023
        assert np.all(x == np.round(x)) and x.min() >= 0
        moments(x, rate, rate)
    for n, q in ((10.0, 0.5), (3.0, 0.1), (50.0, 0.97)):
        x = like_torch(lambda L, g: L.binomial(L.full((N,), n), L.full((N,), q), generator=g))  # noqa: B023
        assert x.min() >= 0 and x.max() <= n
        moments(x, n * q, n * q * (1 - q))


def test_random_fill_ranges():
    cases = [("float32", (), 0, 2**24), ("float16", (), 0, 2**11), ("bfloat16", (), 0, 2**8),
             ("float64", (), 0, 2**53), ("int8", (), 0, 127), ("uint8", (), 0, 255),
             ("int16", (), 0, 2**15 - 1), ("bool", (), 0, 1), ("int64", (), 0, 2**63 - 1),
             ("float32", (7,), 0, 6), ("int8", (-5, 3), -5, 2), ("int8", (100, None), 100, 127),
             ("float32", (2**24 - 4, None), 2**24 - 4, 2**24), ("int64", (-(2**63), None),
                                                                -(2**63), 2**63 - 1)]  # fmt: skip
    g = ember.Generator().manual_seed(5)
    for name, args, lo, hi in cases:
        t = torch.zeros(N, dtype=getattr(torch, name)).random_(*args)
        e = ember.zeros(N, dtype=getattr(ember, name)).random_(*args, generator=g)
        assert meta(e) == meta(t)
        for v in (t.tolist(), e.tolist()):  # torch's range is ember's range
            assert lo <= min(v) and max(v) <= hi, (name, args)
        if hi - lo < 200:
            assert set(e.tolist()) == set(range(lo, hi + 1)), (name, args)
        else:  # spread over the range: the top and bottom tenths are both hit
            v = np.array(e.tolist(), dtype=np.float64)
            assert (v < lo + (hi - lo) / 10).any() and (v > hi - (hi - lo) / 10).any()
    like_torch(lambda L, g: L.zeros(N).random_(0, 10, generator=g))
    like_torch(lambda L, g: L.randint(-3, 20, (N,), generator=g))
    like_torch(lambda L, g: L.randint(0, 2**40, (N,), generator=g, dtype=L.float64))


def test_randperm_is_a_uniform_permutation():
    g = ember.Generator().manual_seed(0)
    first = np.zeros(5)
    for _ in range(2000):
        p = ember.randperm(5, generator=g).tolist()
        assert sorted(p) == [0, 1, 2, 3, 4]
        first[p[0]] += 1
    assert np.all(np.abs(first / 2000 - 0.2) < 6 * math.sqrt(0.16 / 2000))
    big = ember.randperm(1000, generator=g, dtype=ember.float32)
    assert sorted(big.tolist()) == list(range(1000)) and big.tolist() != list(range(1000))


def test_multinomial_with_replacement():
    probs = [[0.0, 1.0, 2.0, 7.0], [5.0, 0.0, 0.0, 5.0]]  # unnormalized; rows independent
    tg, eg = gens(1)
    t = torch.multinomial(torch.tensor(probs), N, True, generator=tg)
    e = ember.multinomial(ember.tensor(probs), N, True, generator=eg)
    assert meta(e) == meta(t)
    for row, p in enumerate(probs):
        p = np.array(p) / sum(p)
        for lib_out in (t, e):
            counts = np.bincount(np.array(lib_out[row].tolist()), minlength=4) / N
            assert np.all(np.abs(counts - p) < 6 * np.sqrt(p * (1 - p) / N) + 1e-12)
        assert ks(t[row].numpy(), np.array(e[row].tolist())) < ks_bound(N, N)


def test_multinomial_without_replacement():
    p = np.array([0.5, 0.3, 0.2, 0.0])
    tg, eg = gens(2)
    n = 4000
    t = torch.multinomial(torch.tensor(p).repeat(n, 1), 2, generator=tg).numpy()
    e = np.array(ember.multinomial(ember.tensor(p).repeat(n, 1), 2, generator=eg).tolist())
    for draws in (t, e):
        assert np.all(draws[:, 0] != draws[:, 1]) and not (draws == 3).any()
        pairs = np.zeros((4, 4))
        np.add.at(pairs, (draws[:, 0], draws[:, 1]), 1)
        for i in range(3):
            for j in range(3):
                if i != j:  # P(first i, second j) = p_i p_j / (1 - p_i)
                    q = p[i] * p[j] / (1 - p[i])
                    assert abs(pairs[i, j] / n - q) < 6 * math.sqrt(q * (1 - q) / n)
    # once the nonzero categories are used up, zero-probability ones fill the draw (as torch)
    full = ember.multinomial(ember.tensor([0.0, 1.0, 0.0]), 3, generator=eg)
    assert sorted(full.tolist()) == [0, 1, 2] and full.tolist()[0] == 1


# -- reproducibility and ember.random -----------------------------------------------------------

SAMPLERS = [
    lambda g: ember.rand(4, generator=g), lambda g: ember.randn(3, generator=g),
    lambda g: ember.randint(0, 100, (4,), generator=g), lambda g: ember.randperm(6, generator=g),
    lambda g: ember.normal(ember.zeros(4), 1.0, generator=g),
    lambda g: ember.normal(0.0, ember.ones(4), generator=g),
    lambda g: ember.normal(2.0, 3.0, (4,), generator=g),
    lambda g: ember.bernoulli(ember.full((8,), 0.5), generator=g),
    lambda g: ember.bernoulli(ember.zeros(8), 0.5, generator=g),
    lambda g: ember.poisson(ember.full((4,), 5.0), generator=g),
    lambda g: ember.binomial(ember.full((4,), 9.0), ember.full((4,), 0.5), generator=g),
    lambda g: ember.multinomial(ember.ones(6), 3, generator=g),
    lambda g: ember.multinomial(ember.ones(6), 5, True, generator=g),
    lambda g: ember.empty(4).uniform_(generator=g), lambda g: ember.empty(4).normal_(generator=g),
    lambda g: ember.empty(8).bernoulli_(generator=g),
    lambda g: ember.empty(8).bernoulli_(ember.full((8,), 0.5), generator=g),
    lambda g: ember.empty(4).exponential_(generator=g),
    lambda g: ember.empty(4).random_(generator=g), lambda g: ember.empty(4).random_(9, generator=g),
    lambda g: ember.empty(4).geometric_(0.2, generator=g),
    lambda g: ember.empty(4).cauchy_(generator=g),
    lambda g: ember.empty(4).log_normal_(generator=g),
    lambda g: ember.rand_like(ember.ones(3), generator=g),
    lambda g: ember.randn_like(ember.ones(3), generator=g),
    lambda g: ember.randint_like(ember.ones(3), 50, generator=g),
]  # fmt: skip


@pytest.mark.parametrize("i", range(len(SAMPLERS)))
def test_same_seed_same_numbers_and_generators_are_separate(i):
    make = SAMPLERS[i]
    a = make(ember.Generator().manual_seed(11)).tolist()
    assert make(ember.Generator().manual_seed(11)).tolist() == a
    assert any(make(ember.Generator().manual_seed(s)).tolist() != a for s in (12, 13, 14))
    state = ember.get_rng_state()
    make(ember.Generator().manual_seed(11))  # an explicit generator leaves the default alone
    assert ember.get_rng_state().tolist() == state.tolist()
    ember.manual_seed(11)  # and the default generator, seeded, replays too
    a = make(None).tolist()
    ember.manual_seed(11)
    assert make(None).tolist() == a


def test_random_module_is_the_top_level_api():
    for name in ("manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state"):
        assert getattr(ember.random, name) is getattr(ember, name)
    assert ember.random.default_generator is ember.default_generator
    assert ember.random.thread_safe_generator() is None  # as torch outside DataLoader threads
    assert isinstance(ember.random.manual_seed(3), ember.Generator) and ember.initial_seed() == 3
    s = ember.random.seed()
    assert ember.random.initial_seed() == s
    same_meta(lambda L: L.random.get_rng_state().dtype)
    same_meta(lambda L: L.random.get_rng_state().ndim)
    same_meta(lambda L: L.random.set_rng_state(L.zeros(3)), message=False)
    same_meta(lambda L: L.random.set_rng_state(L.zeros(3, dtype=L.uint8)), message=False)


def test_rng_state_replays_draws():
    ember.random.manual_seed(123)
    ember.rand(5)
    state = ember.random.get_rng_state()

    def draws():
        return [ember.rand(3).tolist(), ember.randn(2, dtype=ember.float64).tolist(),
                ember.empty(4).random_(10).tolist(),
                ember.multinomial(ember.ones(5), 2).tolist()]  # fmt: skip

    first = draws()
    ember.random.set_rng_state(state)
    assert draws() == first
    assert ember.random.initial_seed() == 123  # the state carries the seed, as torch's


def test_fork_rng_restores_the_state():
    for lib in (torch, ember):
        lib.manual_seed(7)
        with lib.random.fork_rng():
            inside = lib.rand(3).tolist()
        assert lib.rand(3).tolist() == inside  # the block's draws did not move the stream
        with lib.random.fork_rng(devices=[], enabled=False):
            a = lib.rand(3).tolist()
        assert lib.rand(3).tolist() != a  # disabled: the stream moved on
        state = lib.get_rng_state()
        with pytest.raises(ValueError), lib.random.fork_rng(devices=[]):
            lib.rand(3)
            raise ValueError("restored even when the block raises")
        assert lib.get_rng_state().tolist() == state.tolist()
    if not ember.cuda.is_available():
        same_meta(lambda L: L.random.fork_rng(devices=[0]).__enter__(), message=False)
