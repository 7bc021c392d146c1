"""nn.AdaptiveLogSoftmaxWithLoss against torch with shared weights: forward (output, loss),
gradients of input and every parameter, log_prob, predict, unbatched input, errors."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _pair(*args, dtype="float64", **kw):
    tm = torch.nn.AdaptiveLogSoftmaxWithLoss(*args, **kw).to(getattr(torch, dtype))
    em = ember.nn.AdaptiveLogSoftmaxWithLoss(*args, **kw).to(getattr(ember, dtype))
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def _close(e, t, tol):
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


CONFIGS = [
    dict(in_features=8, n_classes=20, cutoffs=[4, 10, 15], div_value=2.0, head_bias=True),
    dict(in_features=16, n_classes=12, cutoffs=[3], div_value=4.0, head_bias=False),
    dict(in_features=6, n_classes=9, cutoffs=(2, 5), div_value=1.5),
]
TARGETS = [
    np.array([0, 3, 5, 19, 12, 9, 16, 4]),  # every cluster
    np.array([11, 3, 4, 10]),  # tail only
    np.array([1, 0, 1]),  # shortlist only: tail projections get no gradient
    np.array([7]),  # a batch of one
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", range(4))
def test_forward_backward(case, dtype):
    cfg = CONFIGS[case % 3]
    target = TARGETS[case] % cfg["n_classes"]
    tol = 1e-10 if dtype == "float64" else 2e-5
    tm, em = _pair(**cfg, dtype=dtype)
    rng = np.random.default_rng(case)
    x = rng.standard_normal((len(target), cfg["in_features"])).astype(dtype)
    xt = torch.from_numpy(x).requires_grad_()
    xe = ember.from_numpy(x).requires_grad_()
    ot, oe = tm(xt, torch.from_numpy(target)), em(xe, ember.from_numpy(target))
    assert type(oe).__name__ == "_ASMoutput" and oe._fields == ("output", "loss")
    _close(oe.output, ot.output, tol)
    _close(oe.loss, ot.loss, tol)
    w = rng.standard_normal(len(target)).astype(dtype)
    (ot.loss + (ot.output * torch.from_numpy(w)).sum()).backward()
    (oe.loss + (oe.output * ember.from_numpy(w)).sum()).backward()
    _close(xe.grad, xt.grad, tol)
    for (name, pt), (_, pe) in zip(tm.named_parameters(), em.named_parameters()):
        assert (pe.grad is None) == (pt.grad is None), name
        if pt.grad is not None:
            _close(pe.grad, pt.grad, tol)
    # the full distribution and the argmax
    lt, le = tm.log_prob(xt), em.log_prob(xe)
    _close(le, lt, tol)
    np.testing.assert_allclose(np.exp(le.detach().numpy()).sum(1), 1, rtol=1e-5)
    assert em.predict(xe).tolist() == tm.predict(xt).tolist()
    g = rng.standard_normal(tuple(lt.shape)).astype(dtype)
    xt.grad, xe.grad = None, None
    (lt * torch.from_numpy(g)).sum().backward()
    (le * ember.from_numpy(g)).sum().backward()
    _close(xe.grad, xt.grad, tol)


def test_unbatched():
    tm, em = _pair(5, 10, [2, 6])
    x = np.random.default_rng(3).standard_normal(5)
    for target in (1, 4, 8):
        xt = torch.from_numpy(x).requires_grad_()
        xe = ember.from_numpy(x).requires_grad_()
        ot, oe = tm(xt, torch.tensor(target)), em(xe, ember.tensor(target))
        _close(oe.output, ot.output, 1e-10)
        _close(oe.loss, ot.loss, 1e-10)
        ot.loss.backward()
        oe.loss.backward()
        _close(xe.grad, xt.grad, 1e-10)


@pytest.mark.parametrize("slot", ["shortlist", "tail", "mixed"])
def test_predict_paths(slot):
    """predict's three branches: every head argmax in the shortlist, every one a cluster,
    and a mix (only those rows go through the tail)."""
    tm, em = _pair(6, 12, [3, 7], head_bias=True)
    x = np.random.default_rng(4).standard_normal((6, 6))
    bias, weight = np.zeros(5), tm.head.weight.detach().numpy().copy()
    if slot == "shortlist":
        bias[1] = 50.0
    elif slot == "tail":
        bias[3:] = 50.0
    else:  # the sign of x[:, 0] picks shortlist class 0 or the second cluster
        weight[0, 0], weight[4, 0] = -50.0, 50.0
    for lib, m in ((torch, tm), (ember, em)):
        with lib.no_grad():
            m.head.bias.copy_(lib.from_numpy(bias))
            m.head.weight.copy_(lib.from_numpy(weight))
    pt, pe = tm.predict(torch.from_numpy(x)), em.predict(ember.from_numpy(x))
    assert pe.dtype is ember.int64 and pe.tolist() == pt.tolist()
    assert pt.tolist() == tm.log_prob(torch.from_numpy(x)).argmax(1).tolist()
    if slot == "mixed":
        assert 0 < (pt >= 3).sum() < 6


def _errors(fn):
    out = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            fn(lib)
        out.append(info)
    assert out[0].type is out[1].type, (out[0].value, out[1].value)
    return [str(i.value).replace("torch.", "").replace("ember.", "") for i in out]


@pytest.mark.parametrize("cutoffs", [[], [5, 3], [0, 4], [4, 10], [3, 3], [2.5]])
def test_bad_cutoffs(cutoffs):
    t, e = _errors(lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(4, 10, cutoffs))
    assert t == e


@pytest.mark.parametrize("x_shape, target", [
    ((3, 4), [0, 1]),  # batch sizes differ
    ((3, 2, 4), [0, 1, 2]),  # 1-D target needs 2-D input
    ((2, 4), 1),  # 0-D target needs 1-D input
    ((2, 4), [[0, 1]]),  # multi-target
    ((3, 4), [0, 10, 2]),  # out of range
    ((3, 4), [0, -1, 2]),
])  # fmt: skip
def test_forward_errors(x_shape, target):
    def fn(lib):
        lib.manual_seed(0)
        m = lib.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [2, 6])
        return m(lib.zeros(x_shape), lib.tensor(target))

    t, e = _errors(fn)
    assert t == e
