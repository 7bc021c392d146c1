"""nn.utils against torch: clipping, parameter vectors, functional_call, parametrizations,
weight/spectral norm, fusion."""

import copy
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402


def to_ember_sd(tm):
    return {k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}


def close(e, t, atol=1e-5):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=atol)


def net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))


def with_grads(lib, seed=0):
    """A net with weights and gradients from fixed numpy values."""
    m = net(lib)
    rng = np.random.default_rng(seed)
    sd = {k: lib.tensor(rng.standard_normal(tuple(v.shape)).astype(np.float32))
          for k, v in m.state_dict().items()}  # fmt: skip
    m.load_state_dict(sd)
    for p in m.parameters():
        p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 3)
    return m


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm(norm_type, max_norm):
    t, e = with_grads(torch), with_grads(ember)
    nt = float(norm_type) if norm_type == "inf" else norm_type
    tn = torch.nn.utils.clip_grad_norm_(t.parameters(), max_norm, nt)
    en = ember.nn.utils.clip_grad_norm_(e.parameters(), max_norm, nt)
    close(en, tn, atol=1e-4)
    assert en.dtype is ember.float32 and en.ndim == 0
    for a, b in zip(e.parameters(), t.parameters()):
        close(a.grad, b.grad, atol=1e-5)


def test_clip_grad_norm_single_tensor_and_nonfinite():
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(3))
        p.grad = lib.tensor([3.0, 4.0, 0.0])
        n = lib.nn.utils.clip_grad_norm_(p, 1.0)
        assert abs(n.item() - 5.0) < 1e-6
        np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)
        p.grad = lib.tensor([float("nan"), 1.0, 0.0])
        with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
            lib.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
        assert lib.nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
        with pytest.warns(UserWarning, match="empty generator"):
            lib.nn.utils.clip_grad_norm_((x for x in []), 1.0)
        with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
            lib.nn.utils.clip_grad_norm([p], 1.0)


def test_get_total_norm_and_clip_with_norm():
    t, e = with_grads(torch), with_grads(ember)
    tn = torch.nn.utils.get_total_norm([p.grad for p in t.parameters()], 3.0)
    en = ember.nn.utils.get_total_norm([p.grad for p in e.parameters()], 3.0)
    close(en, tn)
    torch.nn.utils.clip_grads_with_norm_(t.parameters(), 1.0, tn)
    ember.nn.utils.clip_grads_with_norm_(e.parameters(), 1.0, en)
    for a, b in zip(e.parameters(), t.parameters()):
        close(a.grad, b.grad)


def test_clip_grad_value():
    t, e = with_grads(torch), with_grads(ember)
    torch.nn.utils.clip_grad_value_(t.parameters(), 1.5)
    ember.nn.utils.clip_grad_value_(e.parameters(), 1.5)
    for a, b in zip(e.parameters(), t.parameters()):
        close(a.grad, b.grad)


def test_parameters_vector_roundtrip():
    t, e = with_grads(torch), with_grads(ember)
    tv = torch.nn.utils.parameters_to_vector(t.parameters())
    ev = ember.nn.utils.parameters_to_vector(e.parameters())
    close(ev, tv)
    assert ev.requires_grad
    ember.nn.utils.vector_to_parameters(ev.detach() * 2, e.parameters())
    torch.nn.utils.vector_to_parameters(tv.detach() * 2, t.parameters())
    for a, b in zip(e.parameters(), t.parameters()):
        close(a, b)
        assert type(a) is ember.nn.Parameter
    for lib in (torch, ember):
        with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
            lib.nn.utils.vector_to_parameters([1.0], [])


def test_functional_call():
    t, e = with_grads(torch), with_grads(ember)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    tw = torch.tensor(w, requires_grad=True)
    ew = ember.tensor(w, requires_grad=True)
    to = torch.func.functional_call(t, {"0.weight": tw}, (torch.tensor(x),))
    eo = ember.nn.utils.stateless.functional_call(e, {"0.weight": ew}, ember.tensor(x))
    close(eo, to)
    to.sum().backward()
    eo.sum().backward()
    close(ew.grad, tw.grad)
    assert e[0].weight is not ew and type(e[0].weight) is ember.nn.Parameter  # restored
    close(e(ember.tensor(x)), t(torch.tensor(x)))
    for lib in (torch, ember):
        m = net(lib)
        fc = (
            torch.func.functional_call if lib is torch else ember.nn.utils.stateless.functional_call
        )
        with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
            fc(m, ({"0.bias": lib.ones(4)}, {"0.bias": lib.ones(4)}),
                                     (lib.ones(1, 3),))  # fmt: skip
        with pytest.raises(RuntimeError, match="Missing key"):
            fc(m, {"0.bias": lib.ones(4)}, (lib.ones(1, 3),), strict=True)


def test_functional_call_tied_weights():
    def build(lib):
        a = lib.nn.Linear(2, 2)
        return lib.nn.Sequential(a, a)

    out = {}
    for lib in (torch, ember):
        m = build(lib)
        w = lib.eye(2)
        b = lib.zeros(2)
        f = torch.func.functional_call if lib is torch else ember.nn.utils.stateless.functional_call
        out[lib] = f(m, {"0.weight": w, "0.bias": b}, (lib.ones(1, 2),)).numpy()
    np.testing.assert_allclose(out[ember], out[torch])


class _Sym:
    """A symmetric-matrix parametrization with a right inverse (for both libraries)."""

    @staticmethod
    def make(lib):
        class Sym(lib.nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).transpose(-1, -2)

            def right_inverse(self, A):
                return A.triu()

        return Sym()


def test_register_parametrization():
    res = {}
    for lib in (torch, ember):
        P = lib.nn.utils.parametrize
        m = lib.nn.Linear(3, 3)
        m.load_state_dict({"weight": lib.tensor(np.arange(9.0, dtype=np.float32).reshape(3, 3)),
                           "bias": lib.zeros(3)})  # fmt: skip
        P.register_parametrization(m, "weight", _Sym.make(lib))
        assert P.is_parametrized(m) and P.is_parametrized(m, "weight")
        assert not P.is_parametrized(m, "bias")
        x = lib.ones(2, 3, requires_grad=True)
        m(x).sum().backward()
        res[lib] = dict(
            name=type(m).__name__, keys=list(m.state_dict()), repr=repr(m),
            weight=m.weight.detach().numpy().copy(),
            orig_grad=m.parametrizations.weight.original.grad.numpy().copy(),
            params=[n for n, _ in m.named_parameters()],
        )  # fmt: skip
        m.weight = lib.tensor(np.ones((3, 3), dtype=np.float32) * 2)  # through right_inverse
        res[lib]["after_set"] = m.parametrizations.weight.original.detach().numpy().copy()
        with P.cached():
            assert m.weight is m.weight
        P.remove_parametrizations(m, "weight")
        res[lib]["removed"] = (type(m).__name__, list(m.state_dict()), m.weight.detach().numpy())
        with pytest.raises(ValueError, match="does not have a parametrization on weight"):
            P.remove_parametrizations(m, "weight")
    e, t = res[ember], res[torch]
    for k in ("name", "keys", "repr", "params"):
        assert e[k] == t[k]
    for k in ("weight", "orig_grad", "after_set"):
        np.testing.assert_allclose(e[k], t[k])
    assert e["removed"][:2] == t["removed"][:2]
    np.testing.assert_allclose(e["removed"][2], t["removed"][2])


def test_parametrization_errors():
    for lib in (torch, ember):
        P = lib.nn.utils.parametrize

        class Bad(lib.nn.Module):
            def forward(self, X):
                return X[0]

        with pytest.raises(ValueError, match="may not change the shape"):
            P.register_parametrization(lib.nn.Linear(2, 2), "weight", Bad())
        with pytest.raises(ValueError):
            P.register_parametrization(lib.nn.Linear(2, 2), "nope", Bad())


def test_weight_norm_parametrization():
    tm = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 4), dim=0)
    em = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(3, 4), dim=0)
    assert list(tm.state_dict()) == list(em.state_dict())
    em.load_state_dict(to_ember_sd(tm))
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    to, eo = tm(torch.tensor(x)), em(ember.tensor(x))
    close(eo, to)
    to.sum().backward()
    eo.sum().backward()
    for a, b in zip(em.parameters(), tm.parameters()):
        close(a.grad, b.grad)


def test_spectral_norm_parametrization():
    tm = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(5, 4))
    em = ember.nn.utils.parametrizations.spectral_norm(ember.nn.Linear(5, 4))
    assert list(tm.state_dict()) == list(em.state_dict())
    em.load_state_dict(to_ember_sd(tm))
    x = np.random.default_rng(0).standard_normal((2, 5)).astype(np.float32)
    to, eo = tm(torch.tensor(x)), em(ember.tensor(x))
    close(eo, to, atol=1e-4)
    to.sum().backward()
    eo.sum().backward()
    for a, b in zip(em.parameters(), tm.parameters()):
        close(a.grad, b.grad, atol=1e-4)
    close(em.parametrizations.weight[0]._u, tm.parametrizations.weight[0]._u, atol=1e-4)
    em.eval()
    tm.eval()
    close(em(ember.tensor(x)), tm(torch.tensor(x)), atol=1e-4)


def test_old_weight_norm():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.utils.weight_norm(torch.nn.Linear(3, 4), dim=1)
    em = ember.nn.utils.weight_norm(ember.nn.Linear(3, 4), dim=1)
    assert list(tm.state_dict()) == list(em.state_dict())
    em.load_state_dict(to_ember_sd(tm))
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    close(em(ember.tensor(x)), tm(torch.tensor(x)))
    torch.nn.utils.remove_weight_norm(tm)
    ember.nn.utils.remove_weight_norm(em)
    assert list(tm.state_dict()) == list(em.state_dict())
    close(em.weight, tm.weight)


def test_old_spectral_norm():
    tm = torch.nn.utils.spectral_norm(torch.nn.Linear(5, 4))
    em = ember.nn.utils.spectral_norm(ember.nn.Linear(5, 4))
    ts, es = tm.state_dict(), em.state_dict()
    assert list(ts) == list(es)
    assert dict(ts._metadata) == dict(es._metadata)
    em.load_state_dict(to_ember_sd(tm))
    x = np.random.default_rng(0).standard_normal((2, 5)).astype(np.float32)
    for train in (True, False):
        tm.train(train)
        em.train(train)
        to, eo = tm(torch.tensor(x)), em(ember.tensor(x))
        close(eo, to, atol=1e-4)
    to.sum().backward()
    eo.sum().backward()
    close(em.weight_orig.grad, tm.weight_orig.grad, atol=1e-4)
    close(em.weight_u, tm.weight_u, atol=1e-4)
    torch.nn.utils.remove_spectral_norm(tm)
    ember.nn.utils.remove_spectral_norm(em)
    assert list(tm.state_dict()) == list(em.state_dict())
    close(em.weight, tm.weight, atol=1e-4)


def test_fuse_linear_bn():
    def build(lib):
        lin, bn = lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4)
        return lin, bn

    tl, tb = build(torch)
    el, eb = build(ember)
    rng = np.random.default_rng(0)
    sd = {k: rng.standard_normal(tuple(v.shape)).astype(np.float32)
          for k, v in tb.state_dict().items() if v.is_floating_point()}  # fmt: skip
    sd["running_var"] = np.abs(sd["running_var"]) + 0.5
    tb.load_state_dict({k: torch.tensor(v) for k, v in sd.items()}, strict=False)
    eb.load_state_dict({k: ember.tensor(v) for k, v in sd.items()}, strict=False)
    el.load_state_dict(to_ember_sd(tl))
    tl.eval(), tb.eval(), el.eval(), eb.eval()
    tf = torch.nn.utils.fuse_linear_bn_eval(tl, tb)
    ef = ember.nn.utils.fuse_linear_bn_eval(el, eb)
    close(ef.weight, tf.weight)
    close(ef.bias, tf.bias)
    assert type(ef.weight) is ember.nn.Parameter
    x = rng.standard_normal((2, 3)).astype(np.float32)
    close(ef(ember.tensor(x)), tf(torch.tensor(x)))
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        ember.nn.utils.fuse_linear_bn_eval(el.train(), eb)


def test_fuse_conv_bn_weights():
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((4, 3, 2, 2)), rng.standard_normal(4)
    rm, rv = rng.standard_normal(4), rng.random(4) + 0.5
    bw, bb = rng.standard_normal(4), rng.standard_normal(4)
    for transpose in (False, True):
        ww = w if not transpose else w.transpose(1, 0, 2, 3).copy()
        out = {}
        for lib in (torch, ember):
            t = [lib.tensor(a.astype(np.float32)) for a in (ww, b, rm, rv)]
            bn = [lib.tensor(a.astype(np.float32)) for a in (bw, bb)]
            out[lib] = lib.nn.utils.fuse_conv_bn_weights(*t, 1e-5, *bn, transpose)
        close(out[ember][0], out[torch][0])
        close(out[ember][1], out[torch][1])


def test_skip_init(monkeypatch):
    import torch

    real = ember.nn.init.kaiming_uniform_
    calls = []
    monkeypatch.setattr(ember.nn.init, "kaiming_uniform_", lambda t, *a, **k: calls.append(t) or t)
    spy = ember.nn.init.kaiming_uniform_
    m = ember.nn.utils.skip_init(ember.nn.Linear, 3, 2)
    assert tuple(m.weight.shape) == (2, 3) and calls == []  # no init ran inside
    assert ember.nn.init.kaiming_uniform_ is spy  # and the functions are put back
    monkeypatch.setattr(ember.nn.init, "kaiming_uniform_", real)
    errors = []
    for lib in (torch, ember):
        with pytest.raises(RuntimeError) as info:
            lib.nn.utils.skip_init(lib.nn.ReLU)  # a module without a device argument
        errors.append(str(info.value))
    assert errors[0] == errors[1]
    n = copy.deepcopy(m)
    assert type(n.weight) is ember.nn.Parameter
