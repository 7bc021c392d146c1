"""torch.nn.functional's helpers and re-exports, the __torch_function__ protocol helpers and
grouped_mm, each against torch 2.13."""

import typing
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from ember import overrides


def test_typing_reexports_are_torchs_objects():
    assert F.Optional is TF.Optional is typing.Optional
    assert F.Callable is TF.Callable
    assert F.DType is TF.DType is int
    assert F.TYPE_CHECKING is TF.TYPE_CHECKING is False
    assert F.Tensor is ember.Tensor and TF.Tensor is torch.Tensor
    for n in ("BroadcastingList1", "BroadcastingList2", "BroadcastingList3"):
        assert getattr(F, n)[int] is getattr(TF, n)[int] is None


@pytest.mark.parametrize("name", ["reproducibility_notes", "sparse_support_notes", "tf32_notes"])
def test_doc_note_tables_equal_torch(name):
    assert getattr(F, name) == getattr(TF, name)


@pytest.mark.parametrize("arg", [3, (1, 2), [4, 5], (1, 2, 3), [1]])
def test_assert_int_or_pair(arg):
    outcomes = []
    for mod in (F, TF):
        try:
            mod.assert_int_or_pair(arg, "kernel_size", "{} must be int or pair")
            outcomes.append(None)
        except AssertionError as e:
            outcomes.append(str(e))
    assert outcomes[0] == outcomes[1]


def _pair():
    def if_true(x, flag=False):
        """Doc of the pair."""
        return ("true", x)

    def if_false(x, flag=False):
        return ("false", x)

    return if_true, if_false


def test_boolean_dispatch_matches_torch():
    ours = F.boolean_dispatch("flag", 1, False, *_pair(), "mymod", "pick")
    theirs = TF.boolean_dispatch("flag", 1, False, *_pair(), "mymod", "pick")
    for args, kwargs in [((1,), {}), ((1, True), {}), ((1,), {"flag": True}), ((1, 0), {})]:
        assert ours(*args, **kwargs) == theirs(*args, **kwargs)
    assert (ours.__name__, ours.__module__, ours.__doc__) == (
        theirs.__name__,
        theirs.__module__,
        theirs.__doc__,
    )

    def documented(x, flag=False):
        """Second doc."""

    for mod in (F, TF):
        with pytest.raises(RuntimeError, match="only one function can have a docstring"):
            mod.boolean_dispatch("flag", 1, False, _pair()[0], documented, None, None)


class Duck:
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return ("Duck", func.__name__, [t.__name__ for t in types], len(args))


class Goose(Duck):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return ("Goose", func.__name__, [t.__name__ for t in types], len(args))


class Refuses:
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return NotImplemented


class Plain:
    def __torch_function__(self, func, types, args=(), kwargs=None):
        return "plain"


@pytest.mark.parametrize(
    "args",
    [(1, 2.0), (Duck(),), (1, Duck()), (Duck(), Goose()), (Goose(), Duck(), Goose()), ("a",)],
)
def test_has_torch_function_family(args):
    targs = tuple(torch.ones(1) if a == "t" else a for a in args)
    assert overrides.has_torch_function(args) == TF.has_torch_function(targs)
    assert overrides.has_torch_function_variadic(*args) == TF.has_torch_function_variadic(*targs)
    assert overrides.has_torch_function_unary(args[0]) == TF.has_torch_function_unary(targs[0])
    assert F.has_torch_function((ember.ones(1),)) is False
    assert TF.has_torch_function((torch.ones(1),)) is False


@pytest.mark.parametrize(
    "args", [(Duck(),), (Duck(), Goose()), (Goose(), Duck()), (Refuses(), Duck()), (1, Duck())]
)
def test_handle_torch_function_order_and_types(args):
    def api(*a):
        return None

    assert F.handle_torch_function(api, args, *args) == TF.handle_torch_function(api, args, *args)


def test_handle_torch_function_errors_and_warnings():
    def api(*a):
        return None

    for mod in (F, TF):
        with pytest.raises(TypeError, match="no implementation found for"):
            mod.handle_torch_function(api, (Refuses(),), Refuses())
    for mod in (F, TF):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            assert mod.handle_torch_function(api, (Plain(),), Plain()) == "plain"
        assert any(issubclass(x.category, DeprecationWarning) for x in w)


def _offs(*ends):
    return ember.tensor(ends, dtype=ember.int32), torch.tensor(ends, dtype=torch.int32)


@pytest.mark.parametrize(
    "shape_a,shape_b,ends",
    [
        ((8, 16), (2, 16, 8), (3, 8)),  # rows of a by group
        ((8, 16), (3, 16, 8), (0, 5, 8)),  # an empty group
        ((2, 4, 16), (16, 8), (3, 8)),  # columns of b by group
        ((4, 16), (16, 8), (8, 16)),  # contraction by group
        ((2, 4, 16), (2, 16, 8), None),  # batched
    ],
)
def test_grouped_mm_values_and_grads(shape_a, shape_b, ends):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32)
    eo, to = _offs(*ends) if ends else (None, None)
    ea = ember.tensor(a, requires_grad=True)
    eb = ember.tensor(b, requires_grad=True)
    out = F.grouped_mm(ea, eb, offs=eo)
    ref = TF.grouped_mm(torch.tensor(a), torch.tensor(b), offs=to)
    assert out.shape == tuple(ref.shape) and out.dtype == ember.float32
    np.testing.assert_allclose(out.detach().numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)
    # gradients against the per-group products written out in torch (torch's own grouped_mm
    # backward is not implemented for every layout on the CPU)
    ta = torch.tensor(a, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    ends_l = list(ends) if ends else None
    starts = [0] + ends_l[:-1] if ends else None
    if ends is None:
        tref = torch.bmm(ta, tb)
    elif ta.ndim == 2 and tb.ndim == 3:
        tref = torch.cat([ta[s:e] @ tb[g] for g, (s, e) in enumerate(zip(starts, ends_l))])
    elif ta.ndim == 3:
        tref = torch.cat([ta[g] @ tb[:, s:e] for g, (s, e) in enumerate(zip(starts, ends_l))], 1)
    else:
        tref = torch.stack([ta[:, s:e] @ tb[s:e] for s, e in zip(starts, ends_l)])
    g = rng.standard_normal(tref.shape).astype(np.float32)
    out.backward(ember.tensor(g))
    tref.backward(torch.tensor(g))
    np.testing.assert_allclose(ea.grad.numpy(), ta.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(eb.grad.numpy(), tb.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_grouped_mm_low_precision():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((8, 16)).astype(np.float32)
    b = rng.standard_normal((2, 16, 8)).astype(np.float32)
    eo, to = _offs(3, 8)
    out = F.grouped_mm(ember.tensor(a).half(), ember.tensor(b).half(), offs=eo)
    ref = TF.grouped_mm(torch.tensor(a).half(), torch.tensor(b).half(), offs=to)
    assert out.dtype == ember.float16
    np.testing.assert_allclose(out.float().numpy(), ref.float().numpy(), rtol=1e-2, atol=5e-2)


GROUPED_MM_ERRORS = {
    "no offs with a 2d matrix": lambda m, o: m.grouped_mm(m.randn(8, 16), m.randn(2, 16, 8)),
    "offs with 3d x 3d": lambda m, o: m.grouped_mm(m.randn(2, 8, 16), m.randn(2, 16, 8), offs=o),
    "int64 offs": lambda m, o: m.grouped_mm(m.randn(8, 16), m.randn(2, 16, 8), offs=o.long()),
    "contraction mismatch": lambda m, o: m.grouped_mm(m.randn(8, 16), m.randn(2, 12, 8), offs=o),
    "1-d input": lambda m, o: m.grouped_mm(m.randn(16), m.randn(2, 16, 8), offs=o),
    "float64": lambda m, o: m.grouped_mm(m.randn(8, 16), m.randn(2, 16, 8).double(), offs=o),
    "batch mismatch": lambda m, o: m.grouped_mm(m.randn(2, 8, 16), m.randn(3, 16, 8)),
    "groups mismatch": lambda m, o: m.grouped_mm(m.randn(8, 16), m.randn(3, 16, 8), offs=o),
    "bias": lambda m, o: m.grouped_mm(m.randn(8, 16), m.randn(2, 16, 8), offs=o, bias=m.ones(2, 8)),
}


class _Mod:
    def __init__(self, lib, fmod):
        self.lib, self.fmod = lib, fmod

    def __getattr__(self, name):
        return getattr(self.fmod, name, None) or getattr(self.lib, name)


@pytest.mark.parametrize("case", sorted(GROUPED_MM_ERRORS))
def test_grouped_mm_errors_match_torch(case):
    messages = []
    for lib, fmod, offs in ((ember, F, _offs(3, 8)[0]), (torch, TF, _offs(3, 8)[1])):
        with pytest.raises(RuntimeError) as info:
            GROUPED_MM_ERRORS[case](_Mod(lib, fmod), offs)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
