"""Small torch names: fork/wait/Future, hash_tensor, bilinear, autograd.Variable,
set_multithreading_enabled, the deprecated nn.init aliases."""

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def test_fork_wait_future():
    for lib in (torch, ember):
        fut = lib.jit.fork(lambda x: x * 2, lib.ones(2)) if lib is torch else lib.fork(
            lambda x: x * 2, lib.ones(2))  # fmt: skip
        assert fut.done()
        assert lib.wait(fut).tolist() == [2.0, 2.0]
        chained = fut.then(lambda f: f.wait().sum())
        assert float(chained.wait()) == 4.0


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "uint8", "bool"])
def test_hash_tensor_matches_torch(dtype):
    a = (np.random.default_rng(1).normal(size=(3, 5)) * 10).astype(dtype)
    for dim, keepdim in ((None, False), (1, False), (0, True), ((0, 1), False)):
        t = torch.hash_tensor(torch.tensor(a), dim, keepdim=keepdim) if dim is not None else \
            torch.hash_tensor(torch.tensor(a))  # fmt: skip
        e = ember.hash_tensor(ember.tensor(a), dim, keepdim=keepdim) if dim is not None else \
            ember.hash_tensor(ember.tensor(a))  # fmt: skip
        assert str(e.dtype) == "ember.uint64" and t.dtype == torch.uint64
        assert e.tolist() == t.tolist()


def test_bilinear_top_level():
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    w, b = rng.normal(size=(5, 3, 2)), rng.normal(size=5)
    outs = [
        lib.bilinear(*(lib.tensor(v) for v in (x1, x2, w, b))).numpy() for lib in (torch, ember)
    ]
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-12)


def test_variable_and_multithreading_switch():
    for lib in (torch, ember):
        v = lib.autograd.Variable(lib.ones(2), requires_grad=True)
        assert isinstance(v, lib.Tensor) and v.requires_grad
        assert isinstance(lib.ones(1), lib.autograd.Variable)
        with lib.autograd.set_multithreading_enabled(False):
            (v * 2).sum().backward()
        assert v.grad.tolist() == [2.0, 2.0]


def test_deprecated_init_aliases_warn():
    for name in ("eye", "dirac"):
        for lib in (torch, ember):
            t = lib.empty(3, 3) if name == "eye" else lib.empty(2, 2, 3)
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                getattr(lib.nn.init, name)(t)
            assert any(issubclass(x.category, FutureWarning) for x in w)
        a, b = torch.empty(3, 3), ember.empty(3, 3)
        torch.nn.init.eye_(a), ember.nn.init.eye_(b)
        assert a.tolist() == b.tolist()


def test_classproperty():
    for lib in (torch, ember):

        class C:
            base = 3

            @lib.classproperty
            def doubled(cls):
                return cls.base * 2

        class D(C):
            base = 5

        assert (C.doubled, D.doubled, D().doubled) == (6, 10, 10)
