"""gradcheck / gradgradcheck against torch's: the same functions (ops and custom Functions, right
and deliberately wrong) pass or fail alike, with the same error types and messages."""

import warnings

import numpy as np
import pytest

import ember
from ember.autograd.gradcheck import GradcheckError

torch = pytest.importorskip("torch")
from torch.autograd.gradcheck import GradcheckError as TorchGradcheckError  # noqa: E402

RNG = np.random.default_rng(1)
A = RNG.standard_normal((2, 3))
B = RNG.standard_normal(3)
Z = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)


def inputs(lib, *arrays, requires_grad=True):
    return tuple(lib.tensor(a, requires_grad=requires_grad) for a in arrays)


def functions(lib):
    F = lib.autograd.Function

    class Cube(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    class WrongCube(Cube):  # off by a factor on the gradient
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x * x

    class DetachedCube(Cube):  # right first derivative, wrong second (x is cut from the graph)
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x.detach() ** 2

    class IgnoresGrad(F):  # right Jacobian rows, but a zero grad_output gives ones
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2 if bool((g != 0).any()) else lib.ones_like(g)

    class Noisy(F):  # the backward is not deterministic
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * (2 + lib.rand(g.shape, dtype=g.dtype) * 1e-3)

    class NeedsOne(F):  # two outputs; the backward fails when neither has a gradient
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            if g1 is None and g2 is None:
                raise RuntimeError("no gradient at all")
            return (0 if g1 is None else g1 * 2) + (0 if g2 is None else g2 * 3)

    return dict(
        ops=lambda x, y: (x * y).sin() + x.exp() * y.sum(),
        two_outputs=lambda x, y: (x.tanh(), (x @ y).cos()),
        cube=Cube.apply,
        wrong_cube=WrongCube.apply,
        detached_cube=DetachedCube.apply,
        ignores_grad=IgnoresGrad.apply,
        noisy=Noisy.apply,
        needs_one=NeedsOne.apply,
    )


def outcome(lib, check, name, arrays, **kw):
    """(returned value, or the error's kind, first line of its message) of one check."""
    fn = functions(lib)[name]
    ins = inputs(lib, *arrays)
    err_type = TorchGradcheckError if lib is torch else GradcheckError
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return getattr(lib.autograd, check)(fn, ins, **kw)
        except err_type as e:
            return ("GradcheckError", str(e).split("\n")[0])


def same(check, name, arrays, **kw):
    t = outcome(torch, check, name, arrays, **kw)
    e = outcome(ember, check, name, arrays, **kw)
    assert e == t
    return e


@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize(
    "name, arrays",
    [("ops", (A, B)), ("two_outputs", (A, B)), ("cube", (A,))],
)
def test_passes_on_correct_functions(name, arrays, fast_mode):
    assert same("gradcheck", name, arrays, fast_mode=fast_mode) is True
    assert same("gradgradcheck", name, arrays, fast_mode=fast_mode) is True


@pytest.mark.parametrize("fast_mode", [False, True])
def test_fails_on_a_wrong_backward(fast_mode):
    got = same("gradcheck", "wrong_cube", (A,), fast_mode=fast_mode)
    assert got == ("GradcheckError", "Jacobian mismatch for output 0 with respect to input 0,")
    kw = dict(fast_mode=fast_mode, raise_exception=False)
    assert same("gradcheck", "wrong_cube", (A,), **kw) is False


def test_gradgradcheck_fails_on_a_wrong_double_backward():
    assert same("gradcheck", "detached_cube", (A,)) is True
    got = same("gradgradcheck", "detached_cube", (A,))
    assert got == ("GradcheckError", "Jacobian mismatch for output 0 with respect to input 0,")


def test_message_holds_both_jacobians():
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(RuntimeError) as e:
            lib.autograd.gradcheck(functions(lib)["wrong_cube"], inputs(lib, B))
        msgs.append(str(e.value))
    assert isinstance(e.value, GradcheckError)
    # the printed numbers agree; only the library's name in the dtype differs
    assert msgs[1] == msgs[0].replace("torch.", "ember.")


def test_backward_not_multiplied_by_grad_output():
    got = same("gradcheck", "ignores_grad", (B,))
    assert got == ("GradcheckError", "backward not multiplied by grad_output")


def test_nondeterministic_backward():
    got = same("gradcheck", "noisy", (B,))
    assert got[0] == "GradcheckError" and got[1].startswith("Backward is not reentrant")
    assert same("gradcheck", "noisy", (B,), nondet_tol=1e-2, atol=1e-2) is True


def test_undefined_output_gradients():
    got = same("gradcheck", "needs_one", (B,))
    assert got[0] == "GradcheckError"
    assert got[1].startswith("Expected backward function to handle undefined output grads")
    assert same("gradcheck", "needs_one", (B,), check_undefined_grad=False) is True


def test_batched_and_forward_ad_checks():
    assert same("gradcheck", "ops", (A, B), check_batched_grad=True) is True
    assert same("gradcheck", "ops", (A, B), check_forward_ad=True) is True


@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize(
    "fn",
    [lambda z: (z * z).abs(), lambda z: z * z, lambda z: z.exp()],
    ids=["C->R", "C->C", "exp"],
)
def test_complex(fn, fast_mode):
    res = []
    for lib in (torch, ember):
        res.append(lib.autograd.gradcheck(fn, inputs(lib, Z), fast_mode=fast_mode))
    assert res == [True, True]


def test_complex_wrong_backward():
    msgs = []
    for lib in (torch, ember):

        class WrongConj(lib.autograd.Function):  # returns the gradient without the conjugate
            @staticmethod
            def forward(ctx, z):
                ctx.save_for_backward(z)
                return z * z

            @staticmethod
            def backward(ctx, g):
                (z,) = ctx.saved_tensors
                return g * 2 * z

        with pytest.raises(RuntimeError) as e:
            lib.autograd.gradcheck(WrongConj.apply, inputs(lib, Z))
        msgs.append(str(e.value).split("\n")[0])
    assert msgs[1] == msgs[0]
    assert msgs[0].startswith("While considering the imaginary part of complex outputs only")


def test_input_checks():
    for lib in (torch, ember):
        x32 = lib.tensor(B.astype(np.float32), requires_grad=True)
        with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double"):
            lib.autograd.gradcheck(lambda x: x * 2, (x32,), atol=1e-2, rtol=1e-2)
        with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
            lib.autograd.gradcheck(lambda x: x * 2, inputs(lib, B, requires_grad=False))
        expanded = lib.tensor(B[:1], requires_grad=True).expand(3)
        with pytest.raises(RuntimeError, match="The 0th input has a dimension with stride 0"):
            lib.autograd.gradcheck(lambda x: x * 2, (expanded,))


def test_no_differentiable_outputs():
    for lib in (torch, ember):
        (x,) = inputs(lib, B)
        assert lib.autograd.gradcheck(lambda x: (x > 0).to(x.dtype).detach(), (x,))
        with pytest.raises(RuntimeError, match="Numerical gradient for function expected to be"):
            lib.autograd.gradcheck(lambda x: (x * 2).detach(), (x,))


def test_gradgradcheck_with_given_grad_outputs():
    for lib in (torch, ember):
        ins = inputs(lib, A, B)
        go = lib.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
        assert lib.autograd.gradgradcheck(functions(lib)["ops"], ins, (go,))
        assert lib.autograd.gradgradcheck(functions(lib)["ops"], ins,
                                          gen_non_contig_grad_outputs=True)  # fmt: skip
