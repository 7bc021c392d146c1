"""nn.Module, Parameter, containers, Linear/Bilinear/Flatten against torch."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import check, check_error  # noqa: E402

import ember  # noqa: E402


def to_ember_sd(tm):
    return {k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}


def pair(build):
    """The same module built in torch and ember, with torch's weights copied into ember."""
    tm = build(torch)
    em = build(ember)
    em.load_state_dict(to_ember_sd(tm))
    return tm, em


def assert_close(e, t, atol=1e-5):
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=atol)


def run_both(tm, em, *arrays):
    """Forward + backward of sum(out * r) in both; outputs, parameter and input grads equal."""
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    ex = [ember.tensor(a, requires_grad=True) for a in arrays]
    tout, eout = tm(*tx), em(*ex)
    assert_close(eout, tout)
    r = np.random.default_rng(1).standard_normal(tuple(tout.shape)).astype(np.float32)
    (tout * torch.tensor(r)).sum().backward()
    (eout * ember.tensor(r)).sum().backward()
    for (tn, tp), (en, ep) in zip(tm.named_parameters(), em.named_parameters()):
        assert tn == en
        assert_close(ep.grad, tp.grad)
    for a, b in zip(ex, tx):
        assert_close(a.grad, b.grad)
    return tout, eout


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(4, 8), nn.Flatten(0, -1), nn.Unflatten(0, (3, 8)), nn.Linear(8, 2, bias=False)
    )


# -- Parameter --------------------------------------------------------------------------------


def test_parameter_basics():
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(2))
        assert isinstance(p, lib.Tensor) and p.requires_grad and p.is_leaf
        assert type(p * 2) is lib.Tensor
        q = copy.deepcopy(p)
        assert type(q) is lib.nn.Parameter and q.requires_grad and q is not p
        assert type(lib.nn.Parameter(lib.ones(1), requires_grad=False)).__name__ == "Parameter"
    for req in (True, False):
        t = repr(torch.nn.Parameter(torch.tensor([1.0, 2.5]), requires_grad=req))
        assert repr(ember.nn.Parameter(ember.tensor([1.0, 2.5]), requires_grad=req)) == t
    p = ember.nn.Parameter(ember.ones(3))
    p2 = pickle.loads(pickle.dumps(p))
    assert type(p2) is ember.nn.Parameter and p2.requires_grad
    assert repr(ember.nn.Parameter()) == repr(torch.nn.Parameter())


@pytest.mark.parametrize("lib", [torch, ember], ids=["torch", "ember"])
def test_uninitialized_parameter(lib):
    p = lib.nn.UninitializedParameter()
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        _ = p.shape
    p.materialize((2, 3))
    assert type(p) is lib.nn.Parameter and tuple(p.shape) == (2, 3) and p.requires_grad


# -- registration -----------------------------------------------------------------------------


def custom(lib, with_buffers=True):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(3, 4)
            self.scale = lib.nn.Parameter(lib.ones(4))
            if with_buffers:
                self.register_buffer("running", lib.zeros(4))
                self.register_buffer("tmp", lib.ones(1), persistent=False)
            self.seq = lib.nn.Sequential(lib.nn.Linear(4, 4), lib.nn.Identity())
            self.register_parameter("none", None)

        def forward(self, x):
            return self.seq(self.fc1(x) * self.scale)

    return Net()


def test_registration_and_traversal():
    t, e = custom(torch), custom(ember)
    assert [n for n, _ in t.named_parameters()] == [n for n, _ in e.named_parameters()]
    assert [n for n, _ in t.named_buffers()] == [n for n, _ in e.named_buffers()]
    assert [n for n, _ in t.named_modules()] == [n for n, _ in e.named_modules()]
    assert [n for n, _ in t.named_children()] == [n for n, _ in e.named_children()]
    assert [n for n, _ in t.named_parameters(prefix="p", recurse=False)] == [
        n for n, _ in e.named_parameters(prefix="p", recurse=False)
    ]
    assert [n for n, _ in t.named_modules(prefix="m")] == [
        n for n, _ in e.named_modules(prefix="m")
    ]
    assert list(t._parameters) == list(e._parameters)
    assert list(t._buffers) == list(e._buffers)
    assert list(t._modules) == list(e._modules)
    for x in ("fc1", "scale", "running", "seq"):
        assert x in dir(e)
    assert e.get_submodule("seq.0") is e.seq[0]
    assert e.get_parameter("seq.0.bias") is e.seq[0].bias
    assert e.get_buffer("running") is e.running
    for m in (t, e):
        with pytest.raises(AttributeError, match="has no attribute `nope`"):
            m.get_submodule("seq.nope")
        with pytest.raises(AttributeError, match="is not an nn.Parameter"):
            m.get_parameter("running")
    # deleting and reassigning keep the stores consistent
    for m, lib in ((t, torch), (e, ember)):
        del m.scale
        m.scale = lib.nn.Linear(1, 1)
        m.running = None
    assert list(t._parameters) == list(e._parameters)
    assert list(t._modules) == list(e._modules)
    assert list(t.state_dict()) == list(e.state_dict())


def test_shared_parameters_and_remove_duplicate():
    def build(lib):
        a = lib.nn.Linear(2, 2)
        return lib.nn.Sequential(a, a, lib.nn.Linear(2, 2))

    t, e = build(torch), build(ember)
    for kw in ({}, {"remove_duplicate": False}):
        assert [n for n, _ in t.named_parameters(**kw)] == [n for n, _ in e.named_parameters(**kw)]
        assert [n for n, _ in t.named_modules(**kw)] == [n for n, _ in e.named_modules(**kw)]
    assert list(t.state_dict()) == list(e.state_dict())


def test_setattr_errors():
    t, e = custom(torch), custom(ember)
    for m, lib in ((t, torch), (e, ember)):
        with pytest.raises(TypeError, match="cannot assign 'int' as parameter 'scale'"):
            m.scale = 3
        with pytest.raises(TypeError, match="cannot assign 'int' as child module 'fc1'"):
            m.fc1 = 3
        with pytest.raises(KeyError):
            m.register_buffer("a.b", lib.ones(1))
        with pytest.raises(KeyError):
            m.register_parameter("fc1", lib.nn.Parameter(lib.ones(1)))
        with pytest.raises(
            TypeError, match="cannot assign 'torch.FloatTensor' object to parameter 'q'"
        ):
            m.register_parameter("q", lib.ones(1))
        with pytest.raises(TypeError):
            m.add_module("q", 3)
        with pytest.raises(AttributeError, match="object has no attribute 'nothing'"):
            _ = m.nothing

    class Early(ember.nn.Module):
        def __init__(self):
            self.w = ember.nn.Parameter(ember.ones(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        Early()


def test_buffer_marker():
    res = {}
    for lib in (torch, ember):
        m = lib.nn.Module()
        b = lib.nn.Buffer(lib.ones(2), persistent=False)
        assert isinstance(b, lib.nn.Buffer)
        m.x = b
        m.y = lib.nn.Buffer(lib.ones(1))
        m.z = lib.ones(3)  # a plain tensor stays a plain attribute
        other = lib.nn.Module()
        other.y = m.y
        res[lib] = (list(m.state_dict()), [n for n, _ in m.named_buffers()], list(other._buffers))
        assert type(m.y) is lib.Tensor
    assert res[torch] == res[ember]


def test_deepcopy_and_pickle():
    e = mlp(ember)
    e.register_buffer("run", ember.ones(2))
    for c in (copy.deepcopy(e), pickle.loads(pickle.dumps(e))):
        assert list(c.state_dict()) == list(e.state_dict())
        assert type(c[0].weight) is ember.nn.Parameter and c[0].weight is not e[0].weight
        assert (c[0].weight == e[0].weight).all() and c[0].weight.requires_grad
        assert repr(c) == repr(e)


def test_forward_missing():
    for lib in (torch, ember):
        with pytest.raises(
            NotImplementedError,
            match=r'Module \[Module\] is missing the required "forward" function',
        ):
            lib.nn.Module()(1)


# -- state dict -------------------------------------------------------------------------------


def test_state_dict_keys_order_metadata():
    t, e = custom(torch), custom(ember)
    ts, es = t.state_dict(), e.state_dict()
    assert list(ts) == list(es)
    assert type(es) is OrderedDict
    assert dict(ts._metadata) == dict(es._metadata)
    assert list(ts._metadata) == list(es._metadata)
    assert all(not v.requires_grad and type(v) is ember.Tensor for v in es.values())
    kv = e.state_dict(keep_vars=True)
    assert kv["scale"] is e.scale
    assert list(e.state_dict(prefix="x.")) == list(t.state_dict(prefix="x."))


def test_load_state_dict_copies_in_place_and_reports():
    t, e = custom(torch), custom(ember)
    w = e.fc1.weight
    res = e.load_state_dict(to_ember_sd(t))
    assert w is e.fc1.weight
    assert_close(e.fc1.weight, t.fc1.weight)
    assert repr(res) == repr(t.load_state_dict(t.state_dict()))
    sd_t, sd_e = t.state_dict(), to_ember_sd(t)
    for sd in (sd_t, sd_e):
        del sd["scale"]
        sd["extra"] = sd["running"]
    rt, re_ = t.load_state_dict(sd_t, strict=False), e.load_state_dict(sd_e, strict=False)
    assert rt.missing_keys == re_.missing_keys and rt.unexpected_keys == re_.unexpected_keys
    assert type(re_).__name__ == "_IncompatibleKeys"
    with pytest.raises(RuntimeError) as ti:
        t.load_state_dict(sd_t)
    with pytest.raises(RuntimeError) as ei:
        e.load_state_dict(sd_e)
    assert str(ti.value) == str(ei.value)
    sd_t, sd_e = t.state_dict(), to_ember_sd(t)
    sd_t["fc1.weight"] = torch.ones(2, 2)
    sd_e["fc1.weight"] = ember.ones(2, 2)
    with pytest.raises(RuntimeError) as ti:
        t.load_state_dict(sd_t)
    with pytest.raises(RuntimeError) as ei:
        e.load_state_dict(sd_e)
    assert str(ti.value) == str(ei.value).replace("ember.", "torch.")


def test_load_state_dict_assign_and_roundtrip():
    e = custom(ember)
    sd = {k: v.clone() for k, v in custom(ember).state_dict().items()}
    e.load_state_dict(sd, assign=True)
    assert e.running is sd["running"]
    assert type(e.scale) is ember.nn.Parameter and e.scale.requires_grad
    e2 = custom(ember)
    e2.load_state_dict(e.state_dict())
    for a, b in zip(e.parameters(), e2.parameters()):
        assert (a == b).all()


def test_load_state_dict_hooks_and_version():
    def run(lib):
        log = []

        class V(lib.nn.Module):
            _version = 3

            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(2, 2)

            def _load_from_state_dict(self, sd, prefix, meta, *args):
                log.append(("load", prefix, meta.get("version")))
                super()._load_from_state_dict(sd, prefix, meta, *args)

        m = V()
        m.register_load_state_dict_post_hook(
            lambda mod, keys: log.append(("post", list(keys.missing_keys)))
        )
        m.register_state_dict_pre_hook(lambda mod, prefix, keep: log.append(("pre", prefix, keep)))
        m.lin.register_state_dict_post_hook(
            lambda mod, sd, prefix, meta: log.append(("sdpost", prefix, sorted(sd)))
        )
        sd = m.state_dict()
        log.append(("meta", sorted(sd._metadata.items())))
        m.load_state_dict(sd)
        return log

    assert run(torch) == run(ember)


# -- modes, moves, grads ----------------------------------------------------------------------


def test_train_eval_requires_grad_zero_grad():
    t, e = custom(torch), custom(ember)
    for m in (t, e):
        m.eval()
        assert not any(x.training for x in m.modules())
        m.train()
        assert all(x.training for x in m.modules())
        m.requires_grad_(False)
        assert not any(p.requires_grad for p in m.parameters())
        m.requires_grad_()
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        e.train("yes")
    x = ember.ones(2, 3)
    e(x).sum().backward()
    e.zero_grad(set_to_none=False)
    assert all((p.grad == 0).all() for p in e.parameters())
    e.zero_grad()
    assert all(p.grad is None for p in e.parameters())


def test_to_and_casts():
    e = custom(ember)
    e.register_buffer("count", ember.tensor(3))
    w = e.fc1.weight
    assert e.double() is e
    assert e.fc1.weight is w and w.dtype is ember.float64 and type(w) is ember.nn.Parameter
    assert e.count.dtype is ember.int64 and e.running.dtype is ember.float64
    e.to(ember.float32)
    assert w.dtype is ember.float32
    e.half()
    assert w.dtype is ember.float16
    e.to(ember.zeros(1, dtype=ember.float64))
    assert w.dtype is ember.float64
    e.float().cpu()
    assert w.dtype is ember.float32 and w.requires_grad
    for lib in (torch, ember):
        with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
            lib.nn.Linear(1, 1).to(lib.int32)


def test_apply_order():
    def run(lib):
        names = []
        custom(lib).apply(lambda m: names.append(type(m).__name__))
        return names

    assert run(torch) == run(ember)


# -- forward and gradients against torch -----------------------------------------------------


def test_custom_net_forward_backward():
    tm, em = pair(custom)
    run_both(tm, em, np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))


def test_sequential_mlp():
    tm, em = pair(mlp)
    run_both(tm, em, np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32))


@pytest.mark.parametrize("shape", [(4,), (2, 4), (3, 2, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(shape, bias):
    w = np.random.default_rng(0).standard_normal((3, 4))
    b = np.random.default_rng(1).standard_normal(3)
    x = np.random.default_rng(2).standard_normal(shape)
    if bias:
        check(lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), x, w, b)
    else:
        check(lambda lib, x, w: lib.nn.functional.linear(x, w), x, w)


def test_linear_errors():
    check_error(lambda lib, x, w: lib.nn.functional.linear(x, w), np.ones((2, 5)), np.ones((3, 4)))


def test_bilinear():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    w, bias = rng.standard_normal((2, 3, 4)), rng.standard_normal(2)
    check(lambda lib, a, b, w, c: lib.nn.functional.bilinear(a, b, w, c), a, b, w, bias,
          grad_fn=False)  # fmt: skip
    tm, em = pair(lambda lib: lib.nn.Bilinear(3, 4, 2))
    run_both(tm, em, a.astype(np.float32), b.astype(np.float32))
    check_error(lambda lib, a, b, w: lib.nn.functional.bilinear(a, b, w), a, b[:4], w)


def test_linear_default_init_distribution():
    ember.manual_seed(0)
    m = ember.nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives the same bound as the bias
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound
    assert np.abs(b).max() <= bound
    assert m.weight.dtype is ember.float32
    assert ember.nn.Linear(2, 3, dtype=ember.float64).weight.dtype is ember.float64


def test_lazy_linear():
    t, e = torch.nn.LazyLinear(3), ember.nn.LazyLinear(3)
    assert repr(t) == repr(e)
    assert list(t.state_dict()) == list(e.state_dict())
    e(ember.ones(2, 5))
    t(torch.ones(2, 5))
    assert type(e) is ember.nn.Linear and repr(e) == repr(t)
    assert tuple(e.weight.shape) == (3, 5) and tuple(e.bias.shape) == (3,)
    lz = ember.nn.LazyLinear(3)
    lz.load_state_dict(to_ember_sd(t))
    assert_close(lz.weight, t.weight)


def test_identity_flatten_unflatten():
    for lib in (torch, ember):
        assert lib.nn.Identity(1, a=2)(5) == 5
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    check(lambda lib, x: lib.nn.Flatten()(x), x)
    check(lambda lib, x: lib.nn.Flatten(0, 2)(x), x)
    check(lambda lib, x: lib.nn.Unflatten(1, (3, 1))(x), x)
    for args in ((1, (2, 3)), (1, [2, 3])):
        assert repr(torch.nn.Unflatten(*args)) == repr(ember.nn.Unflatten(*args))
    for bad in ((1, 3), (1, (2, "a"))):
        check_error(lambda lib, bad=bad: lib.nn.Unflatten(*bad))


# -- containers -------------------------------------------------------------------------------


def test_sequential_ops():
    for lib in (torch, ember):
        nn = lib.nn
        s = nn.Sequential(nn.Linear(1, 1), nn.ReLU() if hasattr(nn, "ReLU") else nn.Identity(),
                          nn.Identity())  # fmt: skip
        assert len(s) == 3 and type(s[1:]) is nn.Sequential and len(s[1:]) == 2
        assert s[-1] is s[2]
        s.append(nn.Linear(1, 2))
        s.insert(1, nn.Flatten())
        s.extend([nn.Identity()])
        popped = s.pop(0)
        assert type(popped) is nn.Linear
        del s[0]
        assert list(s._modules) == [str(i) for i in range(len(s))]
        s2 = s + nn.Sequential(nn.Identity())
        assert len(s2) == len(s) + 1
        with pytest.raises(IndexError, match="index 10 is out of range"):
            s[10]
        od = nn.Sequential(OrderedDict([("a", nn.Identity()), ("b", nn.Flatten())]))
        assert list(od._modules) == ["a", "b"] and type(od[-1]) is nn.Flatten
    ts = torch.nn.Sequential(
        OrderedDict([("a", torch.nn.Linear(2, 3)), ("b", torch.nn.Identity())])
    )
    es = ember.nn.Sequential(
        OrderedDict([("a", ember.nn.Linear(2, 3)), ("b", ember.nn.Identity())])
    )
    assert repr(ts) == repr(es)


def test_module_list_dict():
    for lib in (torch, ember):
        nn = lib.nn
        ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        ml.append(nn.Identity())
        ml.insert(0, nn.Flatten())
        ml.extend([nn.Identity()])
        ml += [nn.Identity()]
        assert len(ml) == 7 and type(ml[0]) is nn.Flatten
        del ml[1]
        assert list(ml._modules) == [str(i) for i in range(6)]
        assert type(ml[1:3]) is nn.ModuleList
        ml.pop(0)
        with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
            ml.extend(3)
        md = nn.ModuleDict({"b": nn.Identity(), "a": nn.Linear(1, 1)})
        assert list(md.keys()) == ["b", "a"] and "a" in md and len(md) == 2
        md["c"] = nn.Flatten()
        assert type(md.pop("b")) is nn.Identity
        md.update([("d", nn.Identity())])
        assert list(md) == ["a", "c", "d"]
        with pytest.raises(ValueError, match="has length 1; 2 is required"):
            md.update([("x",)])

    def build(lib):
        nn = lib.nn
        layers = [nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 3), nn.Identity()]
        return nn.ModuleDict({"l": nn.ModuleList(layers), "e": nn.ModuleList()})

    assert repr(build(torch)) == repr(build(ember))


def test_parameter_list_dict():
    def build(lib):
        nn = lib.nn
        pl = nn.ParameterList([lib.ones(2, 3), nn.Parameter(lib.zeros(1)), "str"])
        pd = nn.ParameterDict({"b": lib.ones(2), "a": nn.Parameter(lib.zeros(3))})
        m = nn.Module()
        m.pl, m.pd = pl, pd
        return m

    t, e = build(torch), build(ember)
    assert repr(t).replace("torch.", "ember.") == repr(e).replace("torch.", "ember.")
    assert [n for n, _ in t.named_parameters()] == [n for n, _ in e.named_parameters()]
    assert list(t.pd.keys()) == list(e.pd.keys())
    assert type(e.pl[0]) is ember.nn.Parameter and len(e.pl) == 3
    assert type(e.pl[0:2]) is ember.nn.ParameterList
    e.pd["c"] = ember.ones(1)
    assert "c" in e.pd and type(e.pd.pop("c")) is ember.nn.Parameter
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        e.pl(1)
    with pytest.raises(TypeError):
        e.pd[3]


# -- printing ---------------------------------------------------------------------------------


def test_repr_tree():
    class Inner(torch.nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    class EInner(ember.nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    EInner.__name__ = "Inner"

    def build(lib, inner):
        nn = lib.nn
        s = custom(lib)
        s.inner = inner()
        s.empty = nn.Sequential()
        s.nested = nn.Sequential(nn.Sequential(nn.Linear(1, 2)), nn.Flatten())
        return s

    t, e = build(torch, Inner), build(ember, EInner)
    assert repr(t) == repr(e)


# -- hooks ------------------------------------------------------------------------------------


def hooked_run(lib):
    log = []
    m = custom(lib)
    rng = np.random.default_rng(0)
    for name, mod in m.named_modules():
        mod.register_forward_pre_hook(
            lambda mod, args, name=name: log.append(("pre", name, len(args)))
        )
        mod.register_forward_hook(
            lambda mod, args, out, name=name: log.append(("fwd", name, tuple(out.shape)))
        )
        mod.register_full_backward_pre_hook(
            lambda mod, go, name=name: log.append(("bpre", name, [g is None for g in go]))
        )
        mod.register_full_backward_hook(
            lambda mod, gi, go, name=name: log.append(
                (
                    "bwd",
                    name,
                    [None if g is None else np.round(g.numpy(), 4).tolist() for g in gi],
                    [np.round(g.numpy(), 4).tolist() for g in go],
                )  # fmt: skip
            )
        )
    x = lib.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    sd = m.state_dict()
    for k, v in sd.items():
        sd[k] = lib.tensor(np.linspace(-1, 1, v.numel(), dtype=np.float32).reshape(tuple(v.shape)))
    m.load_state_dict(sd)
    out = m(x)
    out.sum().backward()
    return log, x.grad.numpy()


def test_hooks_order_and_arguments():
    tl, tg = hooked_run(torch)
    el, eg = hooked_run(ember)
    assert [r[:2] for r in tl] == [r[:2] for r in el]
    for a, b in zip(tl, el):
        assert a[0] == b[0]
        if a[0] == "bwd":
            np.testing.assert_allclose(np.array(b[3]), np.array(a[3]), atol=1e-3)
            for x, y in zip(a[2], b[2]):
                assert (x is None) == (y is None)
                if x is not None:
                    np.testing.assert_allclose(np.array(y), np.array(x), atol=1e-3)
        else:
            assert a == b
    np.testing.assert_allclose(eg, tg, rtol=1e-5)


@pytest.mark.parametrize("lib", [torch, ember], ids=["torch", "ember"])
def test_hook_modifies_and_removes(lib):
    m = lib.nn.Linear(2, 2)
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: out + 1)
    assert (m(lib.ones(1, 2)) == 1 + m.bias).all()
    h1.remove()
    h2.remove()
    assert (m(lib.zeros(1, 2)) == m.bias).all()
    order = []
    m.register_forward_hook(lambda *a: order.append(1))
    m.register_forward_hook(lambda *a: order.append(0), prepend=True)
    m.register_forward_pre_hook(lambda mod, a, k: order.append(("kw", sorted(k))), with_kwargs=True)
    m(lib.ones(1, 2))
    assert order == [("kw", []), 0, 1]
    seen = []
    m2 = lib.nn.Linear(2, 2)
    m2.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(RuntimeError):
        m2(lib.ones(1, 3))
    assert seen == [None]


def test_backward_hook_replaces_grad_input():
    res = {}
    for lib in (torch, ember):
        m = lib.nn.Linear(2, 2)
        m.load_state_dict({"weight": lib.tensor([[1.0, 2.0], [3.0, 4.0]]), "bias": lib.zeros(2)})
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10,))
        m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
        x = lib.ones(1, 2, requires_grad=True)
        m(x).sum().backward()
        res[lib] = (x.grad.numpy().copy(), m.weight.grad.numpy().copy())
    np.testing.assert_allclose(res[ember][0], res[torch][0])
    np.testing.assert_allclose(res[ember][1], res[torch][1])


def test_backward_hook_input_without_grad():
    def run(lib):
        m = lib.nn.Linear(2, 2)
        log = []
        m.register_full_backward_hook(
            lambda mod, gi, go: log.append((len(gi), gi[0] is None, len(go)))
        )
        m(lib.ones(1, 2)).sum().backward()
        return log

    assert run(torch) == run(ember)


@pytest.mark.parametrize("lib", [torch, ember], ids=["torch", "ember"])
def test_global_forward_hook(lib):
    seen = []
    h = lib.nn.modules.module.register_module_forward_hook(
        lambda m, a, o: seen.append(type(m).__name__)
    )
    try:
        lib.nn.Sequential(lib.nn.Identity())(lib.ones(1))
    finally:
        h.remove()
    lib.nn.Identity()(lib.ones(1))
    assert seen == ["Identity", "Sequential"]


@pytest.mark.parametrize("positional", [False, True])
def test_backward_hook_multiple_inputs_outputs(positional):
    def run(lib):
        class M(lib.nn.Module):
            def forward(self, a, b, scale=1.0):
                return a * 2 * scale, (a * b).sum(1)

        m = M()
        log = []

        def as_list(gs):
            return [None if g is None else g.tolist() for g in gs]

        m.register_full_backward_hook(lambda mod, gi, go: log.append((as_list(gi), as_list(go))))
        a = lib.ones(2, 2, requires_grad=True)
        b = lib.full((2, 2), 3.0)
        _, o2 = m(a, b, 2.0) if positional else m(a, b, scale=2.0)
        o2.sum().backward()
        return log, a.grad.tolist()

    assert run(torch) == run(ember)
