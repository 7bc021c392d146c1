"""nn.init against torch: exact values where deterministic, distributions statistically."""

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import check_error  # noqa: E402

import ember  # noqa: E402


@pytest.mark.parametrize(
    "args",
    [
        ("linear",),
        ("conv2d",),
        ("sigmoid",),
        ("tanh",),
        ("relu",),
        ("leaky_relu",),
        ("leaky_relu", 0.2),
        ("leaky_relu", 3),
        ("selu",),
    ],  # fmt: skip
)
def test_calculate_gain(args):
    assert ember.nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


@pytest.mark.parametrize("args", [("foo",), ("leaky_relu", True), ("leaky_relu", "x")])
def test_calculate_gain_errors(args):
    check_error(lambda lib: lib.nn.init.calculate_gain(*args))


@pytest.mark.parametrize("shape", [(3, 4), (4, 3, 5), (2, 3, 2, 2)])
def test_fans(shape):
    t = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert ember.nn.init._calculate_fan_in_and_fan_out(ember.empty(shape)) == t


def test_fan_errors():
    check_error(lambda lib: lib.nn.init.xavier_uniform_(lib.empty(3)))
    check_error(lambda lib: lib.nn.init.kaiming_uniform_(lib.empty(3, 3), mode="fan_x"))
    check_error(lambda lib: lib.nn.init.eye_(lib.empty(3, 3, 3)))
    check_error(lambda lib: lib.nn.init.dirac_(lib.empty(3, 3)))
    check_error(lambda lib: lib.nn.init.dirac_(lib.empty(3, 3, 3), groups=2))
    check_error(lambda lib: lib.nn.init.orthogonal_(lib.empty(3)))
    check_error(lambda lib: lib.nn.init.sparse_(lib.empty(3, 3, 3), 0.5))


def test_deterministic_fills():
    for name, shape, kw in [
        ("constant_", (2, 3), {"val": 0.25}), ("ones_", (3,), {}), ("zeros_", (2, 2), {}),
        ("eye_", (3, 5), {}), ("eye_", (4, 2), {}), ("dirac_", (4, 3, 3), {}),
        ("dirac_", (4, 2, 3, 3), {"groups": 2}), ("dirac_", (2, 3, 3, 3, 3), {}),
    ]:  # fmt: skip
        t = getattr(torch.nn.init, name)(torch.full(shape, 7.0), **kw)
        e = getattr(ember.nn.init, name)(ember.full(shape, 7.0), **kw)
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_in_place_no_grad_and_returns_input():
    w = ember.nn.Parameter(ember.empty(5, 4))
    for fn in (ember.nn.init.xavier_normal_, ember.nn.init.kaiming_uniform_,
               ember.nn.init.orthogonal_, ember.nn.init.zeros_):  # fmt: skip
        assert fn(w) is w
        assert w.grad_fn is None and w.requires_grad


def _stats(fn, shape, **kw):
    ember.manual_seed(0)
    return fn(ember.empty(shape), **kw).numpy().astype(np.float64)


N = (300, 400)


def test_uniform_normal():
    a = _stats(ember.nn.init.uniform_, N, a=-2.0, b=3.0)
    assert a.min() >= -2 and a.max() <= 3 and abs(a.mean() - 0.5) < 0.05
    a = _stats(ember.nn.init.normal_, N, mean=1.0, std=2.0)
    assert abs(a.mean() - 1) < 0.03 and abs(a.std() - 2) < 0.03


def test_trunc_normal():
    a = _stats(ember.nn.init.trunc_normal_, N, mean=0.5, std=1.0, a=-1.0, b=1.5)
    assert a.min() >= -1 and a.max() <= 1.5
    # moments of the truncated normal, computed from torch's own sampler as the reference
    torch.manual_seed(0)
    t = torch.nn.init.trunc_normal_(torch.empty(N), mean=0.5, std=1.0, a=-1.0, b=1.5).double()
    assert abs(a.mean() - t.mean().item()) < 0.01 and abs(a.std() - t.std().item()) < 0.01
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        ember.nn.init.trunc_normal_(ember.empty(3), mean=10.0)


@pytest.mark.parametrize("shape", [(300, 200), (64, 32, 3, 3)])
@pytest.mark.parametrize(
    "name,kw",
    [
        ("xavier_uniform_", {"gain": 2.0}),
        ("xavier_normal_", {}),
        ("kaiming_uniform_", {}),
        ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
        ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ],  # fmt: skip
)
def test_scaled_inits_match_torch_moments(shape, name, kw):
    torch.manual_seed(0)
    t = getattr(torch.nn.init, name)(torch.empty(shape), **kw).double().numpy()
    e = _stats(getattr(ember.nn.init, name), shape, **kw)
    assert abs(e.std() - t.std()) < 0.03 * t.std()
    assert abs(e.mean()) < 0.05 * t.std()
    if "uniform" in name:
        assert np.abs(e).max() <= np.abs(t).max() * 1.01 + 1e-6
        assert np.abs(e).max() > 0.98 * np.abs(t).max()


def test_kaiming_zero_element_warns():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            lib.nn.init.kaiming_uniform_(lib.empty(0, 3))


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 2, 3)])
def test_orthogonal(shape):
    w = ember.nn.init.orthogonal_(ember.empty(shape), gain=2.0).numpy().reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, 4 * np.eye(min(rows, cols)), atol=1e-4)


def test_sparse():
    import torch

    w = ember.nn.init.sparse_(ember.empty(100, 60), sparsity=0.3, std=0.5).numpy()
    t = torch.nn.init.sparse_(torch.empty(100, 60), sparsity=0.3, std=0.5).numpy()
    # torch zeroes exactly ceil(sparsity * rows) entries per column, the rest N(0, std)
    assert ((w == 0).sum(0) == (t == 0).sum(0)).all() and ((t == 0).sum(0) == 30).all()
    assert w[w != 0].std() == pytest.approx(t[t != 0].std(), rel=0.1)
    assert abs(w[w != 0].mean()) < 0.05


def test_generator_reproducible():
    for name in ("uniform_", "normal_", "xavier_uniform_", "kaiming_normal_", "orthogonal_"):
        fn = getattr(ember.nn.init, name)
        a = fn(ember.empty(4, 5), generator=ember.Generator().manual_seed(3))
        b = fn(ember.empty(4, 5), generator=ember.Generator().manual_seed(3))
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_deprecated_aliases():
    for name in ("uniform", "normal", "xavier_uniform", "kaiming_normal", "orthogonal"):
        msgs = {}
        for lib in (torch, ember):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                getattr(lib.nn.init, name)(lib.empty(3, 3))
            msgs[lib] = [(x.category, str(x.message)) for x in w]
        assert msgs[torch] == msgs[ember]
    with pytest.warns(FutureWarning):
        ember.nn.init.constant(ember.empty(2), 1.0)
