"""Lazy modules against torch: the first forward materializes the parameters from the input's
shape and turns the module into its concrete class; state dicts load both ways; errors match.

Parameter values come from different generators, so each test copies torch's materialized
weights into ember (``load_state_dict``) and then compares outputs and gradients."""

import copy
import pickle

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

# name, constructor args, input shape of the first (and compared) forward
CASES = [
    ("LazyLinear", (3,), (4, 5)),
    ("LazyConv1d", (4, 3), (2, 3, 8)),
    ("LazyConv2d", (6, 3), (2, 3, 6, 5)),
    ("LazyConv3d", (2, 2), (2, 3, 4, 3, 4)),
    ("LazyConvTranspose1d", (4, 3), (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), (3, 4, 5)),  # unbatched: in_channels from dim 0
    ("LazyConvTranspose3d", (2, 2), (2, 3, 3, 2, 3)),
    ("LazyBatchNorm1d", (), (6, 3)),
    ("LazyBatchNorm2d", (), (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), (2, 3, 2, 3, 2)),
    ("LazyInstanceNorm1d", (), (2, 3, 7)),
    ("LazyInstanceNorm2d", (), (2, 3, 4, 5)),
    ("LazyInstanceNorm3d", (), (2, 3, 3, 2, 3)),
]
KW = {"LazyConv2d": {"stride": 2, "padding": 1, "groups": 3, "padding_mode": "reflect"},
      "LazyConvTranspose1d": {"stride": 2, "output_padding": 1, "bias": False},
      "LazyBatchNorm1d": {"momentum": None}}  # fmt: skip


def _sd_to_ember(sd):
    return {k: ember.tensor(v.detach().numpy()) for k, v in sd.items()}


def _close(e, t, tol=1e-10):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def _pair(name, args):
    kw = KW.get(name, {})
    return getattr(torch.nn, name)(*args, **kw), getattr(ember.nn, name)(*args, **kw)


@pytest.mark.parametrize("name, args, shape", CASES, ids=[c[0] for c in CASES])
def test_first_forward_materializes(name, args, shape):
    tm, em = _pair(name, args)
    assert isinstance(em, ember.nn.modules.lazy.LazyModuleMixin)
    assert repr(em) == repr(tm)
    assert em.has_uninitialized_params() and tm.has_uninitialized_params()
    assert {k: repr(v) for k, v in em.state_dict().items()} == \
        {k: repr(v) for k, v in tm.state_dict().items()}  # fmt: skip
    tm, em = tm.double(), em.double()  # a cast before the dry run sets the dtype
    x = np.random.default_rng(0).standard_normal(shape)
    yt, ye = tm(torch.from_numpy(x)), em(ember.from_numpy(x))
    assert type(em) is getattr(ember.nn, type(tm).__name__)
    assert type(em).__name__ == type(tm).__name__ and repr(em) == repr(tm)
    assert not any(ember.nn.parameter.is_lazy(t) for t in em.state_dict(keep_vars=True).values())
    assert not hasattr(em, "_initialize_hook") and not hasattr(em, "_load_hook")
    st, se = tm.state_dict(), em.state_dict()
    assert list(se) == list(st)
    for k in st:
        assert tuple(se[k].shape) == tuple(st[k].shape), k
        assert str(se[k].dtype).split(".")[1] == str(st[k].dtype).split(".")[1], k
        assert type(em.get_parameter(k) if k in dict(em.named_parameters()) else se[k]) in (
            ember.nn.Parameter,
            ember.Tensor,
        )
    assert tuple(ye.shape) == tuple(yt.shape)
    # initialization as the concrete class's reset_parameters: conv/linear weights within the
    # kaiming bound 1/sqrt(fan_in), norms at ones/zeros
    w = em.weight.detach().numpy() if getattr(em, "weight", None) is not None else None
    if "Norm" in name:
        assert (w == 1).all() and (em.bias.detach().numpy() == 0).all()
    else:
        fan_in = np.prod(w.shape[1:])
        assert 0 < np.abs(w).max() <= 1 / np.sqrt(fan_in)


@pytest.mark.parametrize("name, args, shape", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("order", ["forward_then_load", "load_then_forward"])
def test_torch_weights_match(name, args, shape, dtype, order):
    """torch materializes on a first batch; its weights load into ember, either after ember's
    own first forward or into the still-lazy module (which takes the loaded shapes); then one
    more training forward/backward through both agrees, running statistics included."""
    tm, em = _pair(name, args)
    tm, em = tm.to(getattr(torch, dtype)), em.to(getattr(ember, dtype))
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal(shape).astype(dtype)
    if order == "forward_then_load":
        em(ember.from_numpy(x0))
    tm(torch.from_numpy(x0))
    keys = em.load_state_dict(_sd_to_ember(tm.state_dict()))
    assert not keys.missing_keys and not keys.unexpected_keys
    if order == "load_then_forward":
        assert not em.has_uninitialized_params() and type(em).__name__ == name  # until forward
        if "InstanceNorm" in name:  # num_features stays 0 after a load: torch refuses too
            tl = _pair(name, args)[0].to(getattr(torch, dtype))
            tl.load_state_dict(tm.state_dict())
            t, e = _errors(
                lambda lib: (tl, em)[lib is ember](lib.ones(*shape, dtype=getattr(lib, dtype)))
            )
            assert t == e
            return
    x = rng.standard_normal(shape).astype(dtype)
    xt = torch.from_numpy(x).requires_grad_()
    xe = ember.from_numpy(x).requires_grad_()
    yt, ye = tm(xt), em(xe)
    g = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    assert type(em).__name__ == type(tm).__name__
    tol = 1e-10 if dtype == "float64" else 2e-5
    _close(ye, yt, tol)
    (yt * torch.from_numpy(g)).sum().backward()
    (ye * ember.from_numpy(g)).sum().backward()
    _close(xe.grad, xt.grad, tol)
    pt, pe = dict(tm.named_parameters()), dict(em.named_parameters())
    assert list(pe) == list(pt)
    for k in pt:
        _close(pe[k].grad, pt[k].grad, tol)
    for (_, bt), (_, be) in zip(tm.named_buffers(), em.named_buffers()):
        _close(be, bt, tol)  # running statistics after two training batches


def test_load_state_dict_cases():
    # lazy into lazy: stays lazy (torch copies the empty tensors)
    for lib in (torch, ember):
        m = lib.nn.LazyBatchNorm2d()
        keys = m.load_state_dict(lib.nn.LazyBatchNorm2d().state_dict())
        assert repr(keys) == "<All keys matched successfully>"
        assert m.has_uninitialized_params() and type(m).__name__ == "LazyBatchNorm2d"
    # lazy into an initialized module: torch's shape error
    errs = []
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized") \
                as info:  # fmt: skip
            lib.nn.Linear(3, 2).load_state_dict(lib.nn.LazyLinear(2).state_dict())
        errs.append(str(info.value))
    assert errs[0] == errs[1]
    # a loaded LazyLinear takes in_features from the first input (torch's special case)
    t = torch.nn.Linear(3, 2)
    reprs = []
    for lib, sd in ((torch, t.state_dict()), (ember, _sd_to_ember(t.state_dict()))):
        m = lib.nn.LazyLinear(2)
        m.load_state_dict(sd)
        assert type(m.weight).__name__ == "Parameter"
        m(lib.ones(1, 3))
        reprs.append(repr(m))
    assert reprs[0] == reprs[1] == "Linear(in_features=3, out_features=2, bias=True)"
    for lib, sd in ((torch, t.state_dict()), (ember, _sd_to_ember(t.state_dict()))):
        m = lib.nn.LazyLinear(2)
        m.load_state_dict(sd)
        with pytest.raises(AssertionError, match="in_features inferred from input: 4"):
            m(lib.ones(1, 4))


def test_uninitialized_tensors():
    for lib in (torch, ember):
        p = lib.nn.UninitializedParameter(dtype=lib.float64)
        assert p.requires_grad and isinstance(p, lib.nn.Parameter) and lib.nn.parameter.is_lazy(p)
        assert repr(p) == "<UninitializedParameter>" and p.dtype == lib.float64
        assert tuple(p.size()) == (0,)  # size() is allowed, shape is not
        b = lib.nn.UninitializedBuffer()
        assert not b.requires_grad and isinstance(b, lib.nn.Buffer)
        assert repr(b) == "<UninitializedBuffer>"
        assert p.double().__class__ is lib.nn.UninitializedParameter
        assert b.to(lib.float64).dtype == lib.float64 and lib.nn.parameter.is_lazy(b.double())
        p.materialize((2, 3))
        assert type(p) is lib.nn.Parameter and tuple(p.shape) == (2, 3)
        assert p.dtype == lib.float64 and p.requires_grad
        b.materialize(4, dtype=lib.float64)
        assert type(b) is lib.Tensor and tuple(b.shape) == (4,) and b.dtype == lib.float64
        q = pickle.loads(pickle.dumps(lib.nn.UninitializedParameter(requires_grad=False)))
        assert type(q) is lib.nn.UninitializedParameter and not q.requires_grad
        c = copy.deepcopy(lib.nn.UninitializedParameter(dtype=lib.float64))
        assert type(c) is lib.nn.UninitializedParameter and c.dtype == lib.float64


def _errors(fn):
    out = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            fn(lib)
        out.append(info)
    assert out[0].type is out[1].type, (out[0].value, out[1].value)
    return [str(i.value) for i in out]


def test_errors():
    use = "Attempted to use an uninitialized parameter in"
    for fn in (
        lambda lib: lib.nn.LazyLinear(3).weight + 1,
        lambda lib: lib.nn.LazyLinear(3).weight.t(),
        lambda lib: lib.nn.LazyLinear(3).weight.sum(),
        lambda lib: lib.nn.LazyLinear(3).requires_grad_(False),
        lambda lib: lib.nn.functional.linear(lib.ones(2, 2), lib.nn.LazyLinear(3).weight),
    ):
        assert all(m.startswith(use) for m in _errors(fn))
    t, e = _errors(lambda lib: lib.nn.LazyLinear(3).weight.shape)
    assert t == e
    t, e = _errors(lambda lib: lib.nn.LazyConv2d(4, 3, groups=2)(lib.ones(1, 3, 5, 5)))
    assert t == e == "in_channels must be divisible by groups"
    t, e = _errors(lambda lib: lib.nn.LazyConv3d(4, 3)(lib.ones(3, 5)))
    assert t.replace("torch", "") == e.replace("ember", "")
    assert _errors(lambda lib: lib.nn.LazyBatchNorm2d()(lib.ones(3, 5)))[1] == \
        "expected 4D input (got 2D input)"  # fmt: skip
    t, e = _errors(lambda lib: lib.nn.LazyConvTranspose2d(4, 3, padding_mode="reflect"))
    assert t == e
    t, e = _errors(lambda lib: lib.nn.LazyLinear(3)._replicate_for_data_parallel())
    assert t == e
    t, e = _errors(lambda lib: lib.nn.UninitializedBuffer().share_memory_())
    assert t == e


def test_custom_lazy_module():
    def make(lib, init):
        class Scale(lib.nn.modules.lazy.LazyModuleMixin, lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = lib.nn.UninitializedParameter()

            def forward(self, x, k=1):
                return x * self.w * k

        if init is not None:
            Scale.initialize_parameters = init
        return Scale()

    t, e = _errors(lambda lib: make(lib, None)(lib.ones(2)))
    assert t == e == "initialize_parameters is not implemented for Scale"
    t, e = _errors(lambda lib: make(lib, lambda self, x, k=1: None)(lib.ones(2)))
    assert t == e == "module Scale has not been fully initialized"
    outs = []
    for lib in (torch, ember):

        def init(self, x, k=1, lib=lib):  # keyword arguments of the call reach the hook too
            self.w.materialize(x.shape[-1:])
            with lib.no_grad():
                self.w.fill_(k)

        m = make(lib, init)
        outs.append(m(lib.ones(3), k=2).tolist())
        assert type(m).__name__ == "Scale" and not m.has_uninitialized_params()
        outs.append(m(lib.ones(3), k=2).tolist())  # the hook ran once: w stays 2
    assert outs[0] == outs[1] == outs[2] == outs[3] == [4.0, 4.0, 4.0]


def _noop_hook(module, args):
    return None


def test_copies_and_hooks():
    for lib in (torch, ember):
        m = lib.nn.LazyConv1d(2, 3)
        m.register_forward_pre_hook(_noop_hook)  # a second pre-hook
        for c in (copy.deepcopy(m), pickle.loads(pickle.dumps(m)), m):
            assert repr(c.weight) == "<UninitializedParameter>"
            c(lib.ones(1, 4, 5))
            assert repr(c) == "Conv1d(4, 2, kernel_size=(3,), stride=(1,))"
            assert type(c.weight) is lib.nn.Parameter
        assert m.weight is not c.bias
    # parameters() lists the lazy ones; an optimizer built before the dry run holds the same
    # Parameter objects, so it steps the materialized weights (torch's optim import is slow:
    # the step is checked against its formula, bias -= lr * grad)
    for lib in (torch, ember):
        m = lib.nn.LazyLinear(3)
        assert [type(p).__name__ for p in m.parameters()] == ["UninitializedParameter"] * 2
    m = ember.nn.LazyLinear(3)
    opt = ember.optim.SGD(m.parameters(), lr=0.5)
    m(ember.ones(2, 2)).sum().backward()
    before = m.bias.detach().clone()
    opt.step()
    np.testing.assert_allclose((before - m.bias.detach()).numpy(), 0.5 * 2)
