"""The autograd engine against torch: tutorials, graph structure, in-place rules, hooks, modes."""

import sys

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def both(fn):
    """Run ``fn(lib)`` with torch and ember; return (torch result, ember result)."""
    return fn(torch), fn(ember)


def close(t, e, rtol=1e-6, atol=1e-6):
    def arr(x):
        if hasattr(x, "detach"):
            x = x.detach()
        return np.asarray(x.numpy() if hasattr(x, "numpy") else x)

    if isinstance(t, (tuple, list)):
        assert len(t) == len(e)
        for a, b in zip(t, e):
            close(a, b, rtol, atol)
        return
    if t is None or e is None:
        assert t is None and e is None, (t, e)
        return
    a, b = arr(t), arr(e)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)


def same_error(fn):
    """Both libraries raise the same exception type; returns the two exceptions."""
    errs = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            fn(lib)
        errs.append(info.value)
    assert type(errs[1]) is type(errs[0]), (errs[0], errs[1])
    return errs


# -- the PyTorch tutorials --------------------------------------------------------------------


def test_tutorial_mean_of_squares():
    def f(lib):
        x = lib.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        names = (y.grad_fn.name(), z.grad_fn.name(), out.grad_fn.name())
        out.backward()
        return x.grad, names, repr(out), repr(y)

    (tg, tn, tr, ty), (eg, en, er, ey) = both(f)
    close(tg, eg)
    assert tn == en == ("AddBackward0", "MulBackward0", "MeanBackward0")
    assert er == tr.replace("torch.", "ember.")
    assert ey == ty


def test_tutorial_vector_jacobian_product():
    def f(lib):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = x * 2
        while y.detach().abs().sum() < 1000:
            y = y * 2
        v = lib.tensor([0.1, 1.0, 0.0001], dtype=lib.float32)
        y.backward(v)
        return x.grad, y

    (tg, ty), (eg, ey) = both(f)
    close(tg, eg)
    close(ty, ey)


def test_tutorial_dag_q():
    def f(lib):
        a = lib.tensor([2.0, 3.0], requires_grad=True)
        b = lib.tensor([6.0, 4.0], requires_grad=True)
        q = 3 * a**3 - b**2
        q.backward(gradient=lib.tensor([1.0, 1.0]))
        return (
            a.grad,
            b.grad,
            q.grad_fn.name(),
            [(n.name() if n is not None else None, i) for n, i in q.grad_fn.next_functions],
        )

    (ta, tb, tn, tnf), (ea, eb, en, enf) = both(f)
    close(ta, ea)
    close(tb, eb)
    assert tn == en == "SubBackward0"
    assert tnf == enf
    assert (ember.tensor([36.0, 81.0]) == ea).all()


def test_next_functions_structure():
    def f(lib):
        x = lib.ones(2, requires_grad=True)
        y = x + 2
        z = (y * x).sum()
        fn = z.grad_fn
        out = []
        stack = [fn]
        while stack:
            n = stack.pop()
            out.append(n.name())
            for m, i in n.next_functions:
                out.append((m.name() if m is not None else None, i))
                if m is not None:
                    stack.append(m)
        leaf = y.grad_fn.next_functions[0][0]
        return out, leaf.variable is x

    (to, tl), (eo, el) = both(f)
    assert to == eo
    assert tl and el


# -- backward and grad ------------------------------------------------------------------------


def test_second_backward_raises_unless_retained():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()

    errs = same_error(f)
    assert "second time" in str(errs[1])

    def g(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad

    close(*both(g))


def test_graph_without_saved_tensors_can_run_twice():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x + 1
        y.sum().backward()
        y.sum().backward()
        return x.grad

    close(*both(f))


def test_nonscalar_backward_needs_gradient():
    errs = same_error(lambda lib: (lib.ones(2, requires_grad=True) * 2).backward())
    assert "scalar outputs" in str(errs[1])


def test_backward_on_tensor_without_grad():
    same_error(lambda lib: lib.ones(2).sum().backward())


def test_gradient_shape_mismatch():
    same_error(lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(lib.ones(3)))


def test_accumulation_and_broadcasting():
    def f(lib):
        x = lib.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
        y = lib.tensor([[1.0, -1.0, 0.5, 2.0]], requires_grad=True)
        (x * y + x).sum().backward()
        (x - y).pow(2).mean().backward()
        return x.grad, y.grad

    close(*both(f))


def test_grad_dtype_follows_input():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        (x * y).sum().backward()
        return x.grad, y.grad, str(x.grad.dtype).split(".")[1], str(y.grad.dtype).split(".")[1]

    (tx, ty, tdx, tdy), (ex, ey, edx, edy) = both(f)
    close((tx, ty), (ex, ey))
    assert (tdx, tdy) == (edx, edy) == ("float32", "float64")


def test_autograd_grad_options():
    def f(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        unused = lib.tensor([1.0], requires_grad=True)
        y = (x * w).exp()
        h = y * 2  # a non-leaf input
        out = (h * x).sum()
        gx, gh, gu = lib.autograd.grad(out, (x, h, unused), allow_unused=True, retain_graph=True)
        (gv,) = lib.autograd.grad(y, w, grad_outputs=lib.ones(3) * 0.5)
        return gx, gh, gu, gv, x.grad

    (tx, th, tu, tv, tg), (ex, eh, eu, ev, eg) = both(f)
    close((tx, th, tv), (ex, eh, ev))
    assert tu is None and eu is None and tg is None and eg is None


def test_autograd_grad_unused_raises():
    def f(lib):
        x = lib.tensor([1.0], requires_grad=True)
        z = lib.tensor([1.0], requires_grad=True)
        lib.autograd.grad((x * 2).sum(), (x, z))

    same_error(f)


def test_autograd_grad_materialize():
    def f(lib):
        x = lib.tensor([1.0], requires_grad=True)
        z = lib.tensor([1.0, 2.0], requires_grad=True)
        return lib.autograd.grad((x * 2).sum(), (x, z), materialize_grads=True)

    close(*both(f))


def test_double_backward():
    def f(lib):
        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        y = (x.sin() * x.exp() / (1 + x * x)).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x, create_graph=True)
        (k,) = lib.autograd.grad(h.sum(), x)
        return g, h, k

    close(*both(f), rtol=1e-10, atol=1e-12)


def test_backward_inputs_only():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = x * w
        z = (y * y).sum()
        z.backward(inputs=[w, y])
        return x.grad, w.grad, y.grad

    (tx, tw, ty), (ex, ew, ey) = both(f)
    assert tx is None and ex is None
    close((tw, ty), (ew, ey))


def test_long_chain_no_recursion():
    x = ember.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    assert sys.getrecursionlimit() < 100_000
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_multi_output_partial_use():
    def f(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        a, b = x.unbind(0)
        (a * 3).sum().backward()
        return x.grad

    close(*both(f))


# -- in-place ---------------------------------------------------------------------------------


def test_inplace_on_leaf_requiring_grad_raises():
    errs = same_error(lambda lib: lib.ones(2, requires_grad=True).mul_(2))
    assert "leaf Variable" in str(errs[1])

    def f(lib):
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            x.mul_(3)
        return x

    close(*both(f))


def test_inplace_on_view_of_leaf_raises():
    same_error(lambda lib: lib.ones(2, 3, requires_grad=True).select(0, 0).mul_(2))


def test_inplace_nonleaf_gradients():
    def f(lib):
        x = lib.tensor([0.5, 1.0, -2.0], requires_grad=True)
        y = x * 1
        y.mul_(x)
        y.add_(2)
        y.exp_()
        y.sum().backward()
        return x.grad, y.grad_fn.name()

    (tg, tn), (eg, en) = both(f)
    close(tg, eg, rtol=1e-5)
    assert tn == en


def test_modified_saved_tensor_raises():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        y.add_(1)
        y.sum().backward()

    errs = same_error(f)
    assert "modified by an inplace operation" in str(errs[1])

    def g(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a = x * 2
        b = a * a
        a.add_(1)
        b.sum().backward()

    same_error(g)


def test_unsaved_input_may_change():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a = x * 2
        b = a + 1  # add saves nothing: changing a afterwards is fine
        a.mul_(3)
        (b * 1).sum().backward()
        return x.grad

    close(*both(f))


def test_inplace_on_view_copyslices():
    def f(lib):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        w = lib.tensor([2.0, -1.0], requires_grad=True)
        y = x * 1
        col = y.select(1, 0)
        col.mul_(w)
        y.narrow(1, 1, 2).mul_(0.5)
        names = (y.grad_fn.name(), col.grad_fn.name())
        (y * y).sum().backward()
        return x.grad, w.grad, y, names

    (tx, tw, ty, tn), (ex, ew, ey, en) = both(f)
    close((tx, tw, ty), (ex, ew, ey))
    assert tn == en
    assert en[0] == "torch::autograd::CopySlices"


def test_base_change_seen_by_view():
    def f(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * 1
        v = y.select(0, 1)
        y.mul_(x)
        (v * 2).sum().backward()
        return x.grad, v

    close(*both(f))


def test_view_of_leaf_without_grad_then_inplace_with_grad():
    def f(lib):
        base = lib.zeros(2, 3)
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        base.select(0, 1).add_(w)
        (base * base).sum().backward()
        return w.grad, base, base.requires_grad

    (tw, tb, tr), (ew, eb, er) = both(f)
    close((tw, tb), (ew, eb))
    assert tr and er


def test_views_share_version_counter():
    x = ember.ones(3, 4)
    v = x.transpose(0, 1)
    w = x.view(12)
    assert x._version == v._version == w._version == 0
    v.mul_(2)
    assert x._version == v._version == w._version == 1
    assert (w == 2).all()


# -- hooks ------------------------------------------------------------------------------------


def test_tensor_hooks_and_retain_grad():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        x.register_hook(lambda g: g * 10)
        y = x * x
        y.retain_grad()
        y.register_hook(lambda g: seen.append(g.clone()))
        z = y * 3
        h = z.register_hook(lambda g: g + 1)
        h.remove()
        z.sum().backward()
        with pytest.warns(UserWarning, match="not a leaf Tensor"):
            zg = z.grad
        return x.grad, y.grad, seen[0], zg

    (tx, ty, ts, tz), (ex, ey, es, ez) = both(f)
    close((tx, ty, ts), (ex, ey, es))
    assert tz is None and ez is None


def test_node_hooks():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        calls = []
        y.grad_fn.register_prehook(lambda go: (go[0] * 3,))
        y.grad_fn.register_hook(lambda gi, go: calls.append(len(gi)))
        y.sum().backward()
        return x.grad, calls

    (tx, tc), (ex, ec) = both(f)
    close(tx, ex)
    assert tc == ec


# -- modes ------------------------------------------------------------------------------------


def test_grad_modes():
    def f(lib):
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            a = x * 2
            with lib.enable_grad():
                b = x * 2
        with lib.set_grad_enabled(False):
            c = x * 2
        lib.set_grad_enabled(False)
        d = x * 2
        lib.set_grad_enabled(True)

        @lib.no_grad()
        def g():
            return x * 2

        @lib.set_grad_enabled(False)
        def h():
            return x * 2

        e = h()
        mode_after_decorating = lib.is_grad_enabled()
        return [t.requires_grad for t in (a, b, c, d, g(), e)], mode_after_decorating

    assert both(f)[0] == both(f)[1]


def test_inference_mode():
    def f(lib):
        with lib.inference_mode():
            y = lib.ones(2) * 2
        return y.requires_grad, lib.is_inference_mode_enabled()

    assert both(f)[0] == both(f)[1]

    def g(lib):
        with lib.inference_mode():
            y = lib.ones(2) * 2
        x = lib.ones(2, requires_grad=True)
        (x * y).sum().backward()

    same_error(g)
    same_error(lambda lib: lib.inference_mode()(lambda: lib.ones(2))().add_(1))


def test_detach():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        d = y.detach()
        d.mul_(10)  # shares memory with y
        return y.detach().clone(), d.requires_grad, d.is_leaf

    (ty, tr, tl), (ey, er, el) = both(f)
    close(ty, ey)
    assert (tr, tl) == (er, el)

    def g(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 2).exp()
        y.detach().zero_() if hasattr(y, "zero_") else y.detach().mul_(0)
        y.sum().backward()

    same_error(g)


def test_requires_grad_rules():
    same_error(lambda lib: lib.ones(2, dtype=lib.int64).requires_grad_())
    same_error(lambda lib: setattr(lib.ones(2, requires_grad=True) * 2, "requires_grad", False))

    def f(lib):
        x = lib.ones(2)
        x.requires_grad = True
        y = (x * x).sum()
        return y.requires_grad, y.is_leaf, x.is_leaf, (x > 0).requires_grad

    assert both(f)[0] == both(f)[1]


def test_inplace_on_multi_output_view_raises():
    for f in (lambda y: y.unbind(0)[1], lambda y: y.split(2)[0], lambda y: y.chunk(2)[1]):

        def g(lib, f=f):
            y = lib.ones(4, 2, requires_grad=True) * 1
            f(y).mul_(2)

        errs = same_error(g)
        assert str(errs[1]).split(" is a view")[0] == str(errs[0]).split(" is a view")[0]

    def h(lib):  # allowed without grad
        a = lib.ones(4).split(2)[0]
        a.mul_(2)
        return a

    close(*both(h))


def test_inplace_through_views_of_another_dtype():
    # x.real / x.imag of a complex base: CopySlices works on the bytes of the storage
    a = np.array([1 + 2j, 3 - 1j, 0.5 + 0.5j])

    def f(lib):
        x = lib.tensor(a, requires_grad=True)
        w = lib.tensor([2.0, -1.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = x * 1
        y.real.mul_(w)
        y.imag.add_(w * w)
        v = y.real
        (y.abs().sum() + (v * v).sum()).backward()
        return x.grad, w.grad, y

    close(*both(f), rtol=1e-12, atol=1e-12)


def test_base_change_seen_by_expanded_view():
    def f(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        e = y.expand(4, 3)
        y.mul_(x)
        (e * lib.arange(12.0).reshape(4, 3)).sum().backward()
        return x.grad

    close(*both(f))


def test_post_accumulate_grad_hook_matches_torch():
    import torch

    def run(lib):
        w = lib.ones(2, requires_grad=True)
        seen = []
        h = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
        w.register_hook(lambda g: g * 3)
        (w * w).sum().backward()
        (w * w).sum().backward()
        lib.autograd.grad((w * w).sum(), w)  # no accumulation: no call
        h.remove()
        (w * w).sum().backward()
        errors = []
        for t in (lib.ones(2), lib.ones(2, requires_grad=True) * 2):
            try:
                t.register_post_accumulate_grad_hook(print)
            except RuntimeError as e:
                errors.append(str(e))
        return seen, w.grad.tolist(), errors

    assert run(ember) == run(torch)


def test_expanded_view_of_a_base_changed_in_place_matches_torch():
    import torch

    def run(lib):
        b = lib.zeros(6, requires_grad=True)
        x = b * 1
        v = x[1:4].unsqueeze(0).expand(3, 3)  # repeats storage elements (zero stride)
        x.add_(1)
        (v * lib.arange(9.0).reshape(3, 3)).sum().backward()
        c = lib.zeros(2, 3, dtype=lib.complex128, requires_grad=True)
        y = c * 1
        w = lib.view_as_real(y)[:, :, 0].unsqueeze(0).expand(2, 2, 3)  # another dtype's view
        y.mul_(2)
        (w * lib.arange(12.0, dtype=lib.float64).reshape(2, 2, 3)).sum().backward()
        return b.grad.tolist(), c.grad.tolist(), v.grad_fn.name()

    assert run(ember) == run(torch)
