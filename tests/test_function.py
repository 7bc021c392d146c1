"""Custom autograd Functions against torch: the same Function classes, written once over ``lib``,
give the same outputs, gradients, double gradients, graph nodes and errors."""

import functools
import re

import numpy as np
import pytest
from helpers import check, check_gradgrad

import ember

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


@functools.cache
def fns(lib):
    """The test Functions, defined over ``lib`` (torch or ember)."""
    F = lib.autograd.Function
    once = lib.autograd.function.once_differentiable

    class Clamp(F):  # straight-through: the gradient passes as if clamp were the identity
        @staticmethod
        def forward(ctx, x, lo, hi):
            return x.clamp(lo, hi)

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    class Exp(F):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class Cube(F):  # saves its input; the backward is differentiable
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    class Scale(F):  # non-tensor arguments, kept on ctx
        @staticmethod
        def forward(ctx, x, k, mode, y):
            ctx.k, ctx.mode = k, mode
            ctx.save_for_backward(x, y)
            return x * k + y if mode == "add" else x * k * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            if ctx.mode == "add":
                return g * ctx.k, None, None, g
            return g * ctx.k * y, None, None, g * ctx.k * x

    class Mul2(F):  # the newer style: forward without ctx, setup_context
        @staticmethod
        def forward(x, y, k=2.0):
            return x * y * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, y, k = inputs
            ctx.save_for_backward(x, y)
            ctx.k = k

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y * ctx.k, g * x * ctx.k, None

    class AddOne_(F):  # in place on its input
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class Double_(F):  # in place, and the rule needs the output
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 + 0 * x

    class Sort(F):
        @staticmethod
        def forward(ctx, x):
            s, i = x.sort()
            ctx.mark_non_differentiable(i)
            ctx.save_for_backward(i)
            return s, i

        @staticmethod
        def backward(ctx, gs, gi):
            (i,) = ctx.saved_tensors
            ctx.seen = (gi.dtype, gi.shape, bool((gi == 0).all()))
            out = gs.new_zeros(gs.shape)
            out[i] = gs
            return out

    class Two(F):  # two outputs; backward sees None for an output that got no gradient
        seen = []

        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            Two.seen.append((g1 is None, g2 is None))
            res = 0
            if g1 is not None:
                res = res + g1 * 2
            if g2 is not None:
                res = res + g2 * 3
            return res

    class TwoMaterialized(F):
        seen = []

        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            TwoMaterialized.seen.append((g1 is None, g2 is None, float(g2.abs().sum())))
            return g1 * 2 + g2 * 3

    class Ident(F):  # returns its input as it is
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class WithInt(F):  # a non-tensor output among the outputs
        @staticmethod
        def forward(ctx, x):
            return x * 2, 7, x * 3

        @staticmethod
        def backward(ctx, g1, g2, g3):
            ctx.g2 = g2
            return g1 * 2 + g3 * 3

    class Once(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    def returning(*grads):
        class R(F):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return tuple(g if r == "g" else r for r in grads)

        return R

    return dict(Clamp=Clamp, Exp=Exp, Cube=Cube, Scale=Scale, Mul2=Mul2, AddOne_=AddOne_,
                Double_=Double_, Sort=Sort, Two=Two, TwoMaterialized=TwoMaterialized,
                Ident=Ident, WithInt=WithInt, Once=Once, returning=returning)  # fmt: skip


def apply(lib, name, *args):
    return fns(lib)[name].apply(*args)


X = RNG.standard_normal((3, 4))
Y = RNG.standard_normal((3, 4))


# -- gradients and double gradients -----------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_straight_through_clamp(dtype):
    check(lambda lib, x: apply(lib, "Clamp", x, -0.5, 0.5), X.astype(dtype), grad_fn=False)
    check_gradgrad(lambda lib, x: apply(lib, "Clamp", x, -0.5, 0.5) * x, X.astype(dtype))


def test_exp_saving_its_output():
    check(lambda lib, x: apply(lib, "Exp", x), X, grad_fn=False)
    check_gradgrad(lambda lib, x: apply(lib, "Exp", x), X)
    check_gradgrad(lambda lib, x: apply(lib, "Exp", x * 2).sum() * x, X)


def test_double_backward_through_saved_input():
    check(lambda lib, x: apply(lib, "Cube", x), X, grad_fn=False)
    check_gradgrad(lambda lib, x: apply(lib, "Cube", x), X)


@pytest.mark.parametrize("mode", ["add", "mul"])
def test_non_tensor_args(mode):
    check(lambda lib, x, y: apply(lib, "Scale", x, 1.5, mode, y), X, Y, grad_fn=False)
    check_gradgrad(lambda lib, x, y: apply(lib, "Scale", x, 1.5, mode, y), X, Y)


def test_setup_context_style_and_defaults():
    check(lambda lib, x, y: apply(lib, "Mul2", x, y), X, Y, grad_fn=False)
    check(lambda lib, x, y: fns(lib)["Mul2"].apply(x, y, k=-3.0), X, Y, grad_fn=False)
    check_gradgrad(lambda lib, x, y: apply(lib, "Mul2", x, y), X, Y)


def test_returning_none_grads_and_trailing_nones():
    def f(lib, x):
        return fns(lib)["returning"]("g", None, None, None).apply(x, 2.0)

    check(f, X, grad_fn=False)


# -- the node ---------------------------------------------------------------------------------


def _strip_address(s):
    return re.sub(r"0x[0-9a-f]+", "0x", s)


def test_grad_fn_name_repr_and_edges():
    res = {}
    for lib in (torch, ember):
        x = lib.ones(3, requires_grad=True)
        y = apply(lib, "Scale", x * 2, 1.5, "add", lib.ones(3))
        fn = y.grad_fn
        res[lib] = (
            fn.name(),
            type(fn).__name__,
            _strip_address(repr(fn)).replace("torch.", "ember."),
            repr(y).replace("torch.", "ember."),
            [(n.name() if n is not None else None, nr) for n, nr in fn.next_functions],
            isinstance(fn, lib.autograd.graph.Node),
            isinstance(fn, lib.autograd.function.BackwardCFunction),
            fns(lib)["Scale"]._backward_cls is type(fn),
            type(fn)._forward_cls is fns(lib)["Scale"],
        )
    assert res[ember] == res[torch]
    assert res[ember][0] == "ScaleBackward"


def test_needs_input_grad():
    def seen(lib):
        got = []

        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, k, b):
                got.append(ctx.needs_input_grad)
                return a * k + b

            @staticmethod
            def backward(ctx, g):
                got.append(ctx.needs_input_grad)
                return g, None, None

        x, c = lib.ones(2, requires_grad=True), lib.ones(2)
        F.apply(x, 2.0, c).sum().backward()
        with lib.no_grad():
            F.apply(x, 2.0, c)
        F.apply(c, 2.0, x)
        return got

    assert seen(ember) == seen(torch)


def test_outputs_that_are_inputs_become_views():
    res = {}
    for lib in (torch, ember):
        x = lib.ones(3, requires_grad=True)
        y = apply(lib, "Ident", x)
        a = x * 1
        z = apply(lib, "Ident", a)
        (y + z).sum().backward()
        with lib.no_grad():
            w = apply(lib, "Ident", x)
        res[lib] = (y is x, y._base is x, y.is_leaf, z is a, z._base is a, x.grad.tolist(),
                    w is x, w.requires_grad)  # fmt: skip
    assert res[ember] == res[torch]


def test_non_tensor_outputs():
    res = {}
    for lib in (torch, ember):
        x = lib.ones(3, requires_grad=True)
        out = apply(lib, "WithInt", x)
        (out[0].sum() + out[2].sum()).backward()
        nr = [getattr(o, "output_nr", getattr(o, "_output_nr", None)) for o in (out[0], out[2])]
        res[lib] = (out[1], nr, x.grad.tolist(), out[0].grad_fn.g2)
    assert res[ember] == res[torch]


def test_mark_non_differentiable_gets_zeros():
    res = {}
    for lib in (torch, ember):
        x = lib.tensor([3.0, 1.0, 2.0], requires_grad=True)
        s, i = apply(lib, "Sort", x)
        (s * lib.tensor([1.0, 10.0, 100.0])).sum().backward()
        dt, shape, zero = s.grad_fn.seen
        res[lib] = (i.requires_grad, i.grad_fn, s.requires_grad, str(dt).split(".")[-1],
                    tuple(shape), zero, x.grad.tolist())  # fmt: skip
    assert res[ember] == res[torch]


@pytest.mark.parametrize("name", ["Two", "TwoMaterialized"])
def test_materialize_grads(name):
    res = {}
    for lib in (torch, ember):
        cls = fns(lib)[name]
        cls.seen.clear()
        x = lib.ones(3, requires_grad=True)
        a, b = cls.apply(x)
        a.sum().backward()
        res[lib] = (list(cls.seen), x.grad.tolist())
    assert res[ember] == res[torch]


def test_mark_dirty_in_place():
    res = {}
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a = x * 1
        v0 = a._version
        y = apply(lib, "Double_", a)
        z = apply(lib, "AddOne_", y * 1)
        (y * z).sum().backward()
        res[lib] = (y is a, a._version - v0, a.grad_fn.name(), x.grad.tolist(), y.tolist())
    assert res[ember] == res[torch]
    check_gradgrad(lambda lib, x: apply(lib, "Double_", x * 1) ** 2, X)


def test_mark_dirty_on_a_view_rewrites_the_base():
    res = {}
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = x * 1
        v = b[:2]
        y = apply(lib, "AddOne_", v)
        (b * lib.tensor([1.0, 10.0, 100.0])).sum().backward()
        res[lib] = (y is v, v.grad_fn.name(), b.grad_fn.name(), x.grad.tolist(), b.tolist())
    assert res[ember] == res[torch]


def test_dirty_saved_tensor_version_error():
    msgs = []
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a = x * 1
        b = a * a  # saves a
        apply(lib, "AddOne_", a)
        with pytest.raises(RuntimeError) as e:
            b.sum().backward()
        msgs.append(str(e.value))
    assert msgs[1] == msgs[0]


# -- errors -----------------------------------------------------------------------------------


def _errors(fn):
    """fn(lib) raising in both: (type name, message) per library."""
    out = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as e:
            fn(lib)
        out.append((type(e.value).__name__, str(e.value)))
    return out


@pytest.mark.parametrize(
    "grads",
    [("g",), ("g", "g"), ("g", None, "g"), ("g", None, None, 1)],
    ids=["too-few", "grad-for-non-tensor", "too-many", "too-many-non-none"],
)
def test_wrong_gradients_raise_as_torch(grads):
    def f(lib):
        fns(lib)["returning"](*grads).apply(lib.ones(3, requires_grad=True), 2.0).sum().backward()

    t, e = _errors(f)
    assert e == t


@pytest.mark.parametrize("bad", ["expand", "float"])
def test_bad_gradient_shape_and_type(bad):
    def f(lib):
        class B(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.sum(0, keepdim=True)

            @staticmethod
            def backward(ctx, g):
                return g.expand(4) if bad == "expand" else 2.0

        B.apply(lib.ones(3, requires_grad=True)).sum().backward()

    t, e = _errors(f)
    assert e == t


def test_saved_tensor_modified_in_place():
    def f(lib):
        x = lib.ones(3, requires_grad=True)
        a = x * 1
        y = apply(lib, "Cube", a)
        a.add_(1)
        y.sum().backward()

    t, e = _errors(f)
    assert e == t
    assert "which is output 0 of Add, is at version 1; expected version 0" in e[1]


def test_saved_tensors_freed_after_backward():
    def f(lib):
        y = apply(lib, "Exp", lib.ones(3, requires_grad=True))
        y.sum().backward()
        return y.grad_fn.saved_tensors

    t, e = _errors(f)
    assert e == t


def test_save_for_backward_takes_tensors_only():
    def f(lib):
        class S(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, 3)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g

        S.apply(lib.ones(3, requires_grad=True))

    t, e = _errors(f)
    assert e == t


def test_leaf_marked_dirty_raises():
    t, e = _errors(lambda lib: apply(lib, "AddOne_", lib.ones(3, requires_grad=True)))
    assert e == t


def test_missing_methods_and_both_backward_and_vjp():
    def no_backward(lib):
        class N(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

        N.apply(lib.ones(2, requires_grad=True)).sum().backward()

    def both(lib):
        class B(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g

            @staticmethod
            def vjp(ctx, g):
                return g

        B.apply(lib.ones(2, requires_grad=True)).sum().backward()

    def no_forward(lib):
        class N(lib.autograd.Function):
            pass

        N.apply(lib.ones(2))

    for fn in (no_backward, both, no_forward):
        t, e = _errors(fn)
        assert e == t


def test_once_differentiable():
    check(lambda lib, x: apply(lib, "Once", x), X, grad_fn=False)
    res = []
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = apply(lib, "Once", x)
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        with pytest.raises(RuntimeError) as e:
            g.sum().backward()
        res.append((g.tolist(), g.grad_fn.name(), str(e.value)))
    assert res[1] == res[0]


def test_instantiating_warns():
    msgs = []
    for lib in (torch, ember):
        with pytest.warns(DeprecationWarning) as w:
            fns(lib)["Exp"]()
        msgs.append(str(w[0].message).replace("torch", "ember"))
    assert msgs[1].split(">", 1)[1] == msgs[0].split(">", 1)[1]


def test_backward_runs_when_no_gradient_arrives():
    """torch calls a custom backward even when every incoming gradient is undefined (zeros when
    materialized), so the leaf gets a zero gradient rather than none."""

    def program(lib):
        seen = []

        class Fn(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                seen.append(g.tolist())
                return g * 2

        class Undefined(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1

            @staticmethod
            def backward(ctx, g):
                return None

        x = lib.ones(3, requires_grad=True)
        Undefined.apply(Fn.apply(x)).sum().backward()
        y = x * 3
        Undefined.apply(y).sum().backward()
        return seen, x.grad.tolist()

    assert program(ember) == program(torch)
