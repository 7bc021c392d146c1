"""ember.autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp) and ember.func against
torch: values, the nesting of tuples and tensors, requires_grad of results, differentiability
under create_graph, and the errors of strict mode and bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.autograd.functional as TF  # noqa: E402
from helpers import require_torch  # noqa: E402
from torch import func as tfunc  # noqa: E402

import ember  # noqa: E402
import ember.autograd.functional as F  # noqa: E402
import ember.func  # noqa: E402

require_torch()


def _lib_tensors(lib, a, requires_grad=False):
    if isinstance(a, tuple):
        return tuple(_lib_tensors(lib, x, requires_grad) for x in a)
    t = lib.from_numpy(np.array(a))
    return t.requires_grad_() if requires_grad else t


def assert_same(e, t, path="result"):
    """Same nesting (tuple/list/dict), and per tensor: shape, dtype, values, requires_grad."""
    if isinstance(t, (tuple, list)):
        assert type(e) is type(t), (
            f"{path}: ember gives {type(e).__name__}, torch {type(t).__name__}"
        )
        assert len(e) == len(t), f"{path}: {len(e)} items, torch {len(t)}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_same(a, b, f"{path}[{i}]")
        return
    if isinstance(t, dict):
        assert isinstance(e, dict) and list(e) == list(t), f"{path}: keys {e} vs {list(t)}"
        for k in t:
            assert_same(e[k], t[k], f"{path}[{k!r}]")
        return
    assert isinstance(e, ember.Tensor), f"{path}: ember gives {type(e).__name__}"
    assert tuple(e.shape) == tuple(t.shape), f"{path}: shape {e.shape} vs torch {t.shape}"
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"{path}: dtype"
    np.testing.assert_allclose(np.asarray(e.detach()._data), t.detach().numpy(), rtol=1e-7,
                               atol=1e-9, err_msg=path)  # fmt: skip
    assert e.requires_grad == t.requires_grad, (
        f"{path}: requires_grad {e.requires_grad} vs torch {t.requires_grad}"
    )


rng = np.random.default_rng(0)


def _r(*shape):
    return rng.standard_normal(shape)


# (name, function of lib, inputs); every function is written once and run in both libraries
FUNCS = [
    ("tensor->tensor", lambda lib: lambda x: x.exp().sum(1), _r(3, 3)),
    ("tuple->tensor", lambda lib: lambda x, y: 2 * x + 3 * y * x, (_r(2), _r(2))),
    ("tuple->tuple", lambda lib: lambda x, y: (x * y, x.sin()), (_r(2, 3), _r(2, 3))),
    ("tensor->tuple", lambda lib: lambda x: (x @ x.t(), x.sum(), x[0].tanh()), _r(2, 3)),
    ("1-tuple->1-tuple", lambda lib: lambda x: (x.sigmoid() * 3,), (_r(4),)),
    ("scalar->tensor", lambda lib: lambda x: lib.stack([x, x * x, x.exp()]), np.array(0.7)),
    ("unused input", lambda lib: lambda x, y: x.cos() * 2, (_r(3), _r(2))),
    ("constant output", lambda lib: lambda x: (x * 2, lib.ones(2, dtype=lib.float64)), _r(2)),
]
FIDS = [f[0] for f in FUNCS]

SCALAR_FUNCS = [
    ("tensor", lambda lib: lambda x: (x**3).sum() * x.sin().sum(), _r(3)),
    ("tuple", lambda lib: lambda x, y: (x * y).sum() + (x**2 * y.exp()).sum(), (_r(2), _r(2))),
    ("matrix", lambda lib: lambda x: (x @ x.t()).tanh().sum(), _r(2, 3)),
    ("1-tuple", lambda lib: lambda x: (x.exp() * x).sum(), (_r(3),)),
    ("linear in y", lambda lib: lambda x, y: (x.sin() * 2).sum() + y.sum(), (_r(2), _r(3))),
]
SIDS = [f[0] for f in SCALAR_FUNCS]


def _outputs_like(lib, fn, inputs):
    out = fn(lib)(*(inputs if isinstance(inputs, tuple) else (inputs,)))
    return out


def _v_for_outputs(fn, inputs):
    out = _outputs_like(torch, fn, _lib_tensors(torch, inputs))
    if isinstance(out, tuple):
        return tuple(rng.standard_normal(tuple(o.shape)) for o in out)
    return rng.standard_normal(tuple(out.shape))


def _like_inputs(inputs):
    if isinstance(inputs, tuple):
        return tuple(rng.standard_normal(np.shape(a)) for a in inputs)
    return rng.standard_normal(np.shape(inputs))


def _both(name, fn, inputs, *extra, requires_grad=False, **kw):
    """``F.name(fn(lib), inputs, *extra, **kw)`` in torch and in ember."""
    res = []
    for lib, mod in ((torch, TF), (ember, F)):
        args = [_lib_tensors(lib, inputs, requires_grad)] + [_lib_tensors(lib, a) for a in extra]
        res.append(getattr(mod, name)(fn(lib), *args, **kw))
    return res


# -- vjp / jvp --------------------------------------------------------------------------------


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", FUNCS, ids=FIDS)
def test_vjp(case, create_graph):
    _, fn, inputs = case
    v = _v_for_outputs(fn, inputs)
    t, e = _both("vjp", fn, inputs, v, create_graph=create_graph)
    assert_same(e, t)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", FUNCS, ids=FIDS)
def test_jvp(case, create_graph):
    _, fn, inputs = case
    t, e = _both("jvp", fn, inputs, _like_inputs(inputs), create_graph=create_graph)
    assert_same(e, t)


def test_vjp_jvp_default_v():
    fn = lambda lib: lambda x: (x * x).sum()  # noqa: E731
    t, e = _both("vjp", fn, _r(3))
    assert_same(e, t)
    fn = lambda lib: lambda x: x * lib.arange(3.0, dtype=lib.float64)  # noqa: E731
    t, e = _both("jvp", fn, np.array([1.5]))
    assert_same(e, t)


# -- jacobian ---------------------------------------------------------------------------------


JAC_MODES = [{}, {"vectorize": True}, {"create_graph": True},
             {"vectorize": True, "strategy": "forward-mode"}]  # fmt: skip


@pytest.mark.parametrize("kw", JAC_MODES, ids=["plain", "vectorize", "create_graph", "forward"])
@pytest.mark.parametrize("case", FUNCS, ids=FIDS)
def test_jacobian(case, kw):
    _, fn, inputs = case
    t, e = _both("jacobian", fn, inputs, **kw)
    assert_same(e, t)


@pytest.mark.parametrize("case", FUNCS[:4], ids=FIDS[:4])
def test_jacobian_of_inputs_that_require_grad(case):
    """Inputs that require grad: with create_graph the Jacobian is differentiable w.r.t. them
    (torch keeps the link through a view of each input); without, it is detached."""
    _, fn, inputs = case
    for create_graph in (False, True):
        t, e = _both("jacobian", fn, inputs, requires_grad=True, create_graph=create_graph)
        assert_same(e, t)


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [y for z in x for y in _flat(z)]
    return [x]


def _grad_of_projection(lib, res, leaves, seed):
    """d sum(res_k * w_k) / d leaves, with the same random w_k in both libraries."""
    r = np.random.default_rng(seed)
    flat = [x for x in _flat(res) if x.requires_grad]
    s = sum((x * lib.from_numpy(r.standard_normal(tuple(x.shape)))).sum() for x in flat)
    return lib.autograd.grad(s, leaves, allow_unused=True)


@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp", "vhp", "hvp"])
def test_create_graph_results_are_differentiable(name):
    """Results built with create_graph=True are differentiated once more: same gradients."""
    scalar = name in ("hessian", "vhp", "hvp")
    _, fn, inputs = (SCALAR_FUNCS if scalar else FUNCS)[1]
    extra = () if name in ("jacobian", "hessian") else (
        _like_inputs(inputs) if name != "vjp" else _v_for_outputs(fn, inputs),
    )  # fmt: skip
    grads = []
    for lib, mod in ((torch, TF), (ember, F)):
        x = _lib_tensors(lib, inputs, requires_grad=True)
        res = getattr(mod, name)(fn(lib), x, *[_lib_tensors(lib, a) for a in extra],
                                 create_graph=True)  # fmt: skip
        grads.append(_grad_of_projection(lib, res, list(x), seed=1))
    for i, (t, e) in enumerate(zip(*grads)):
        if t is None:
            assert e is None or not np.any(np.asarray(e._data)), f"input {i}"
        else:
            assert_same(e, t, f"second-order grad of input {i}")


# -- hessian, vhp, hvp ------------------------------------------------------------------------


HESS_MODES = [{}, {"vectorize": True}, {"create_graph": True},
              {"vectorize": True, "outer_jacobian_strategy": "forward-mode"}]  # fmt: skip


@pytest.mark.parametrize(
    "kw", HESS_MODES, ids=["plain", "vectorize", "create_graph", "fwd-over-rev"]
)
@pytest.mark.parametrize("case", SCALAR_FUNCS, ids=SIDS)
def test_hessian(case, kw):
    _, fn, inputs = case
    t, e = _both("hessian", fn, inputs, **kw)
    assert_same(e, t)


@pytest.mark.parametrize("name", ["vhp", "hvp"])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", SCALAR_FUNCS, ids=SIDS)
def test_vhp_hvp(case, name, create_graph):
    _, fn, inputs = case
    t, e = _both(name, fn, inputs, _like_inputs(inputs), create_graph=create_graph)
    assert_same(e, t)


def test_hessian_against_finite_differences():
    """An independent reference: central differences of ember's own gradient."""
    x0 = _r(4)

    def f(x):
        return (x.sin() * x.exp()).sum() * (x * x).sum()

    h = F.hessian(f, ember.from_numpy(x0.copy()))
    eps, num = 1e-6, np.zeros((4, 4))
    for j in range(4):
        cols = []
        for s in (1, -1):
            x = x0.copy()
            x[j] += s * eps
            xt = ember.from_numpy(x).requires_grad_()
            cols.append(np.asarray(ember.autograd.grad(f(xt), xt)[0]._data))
        num[:, j] = (cols[0] - cols[1]) / (2 * eps)
    np.testing.assert_allclose(np.asarray(h._data), num, rtol=1e-5, atol=1e-6)


# -- errors -----------------------------------------------------------------------------------


def _same_error(call):
    """call(lib, mod) raises the same exception type and message in torch and ember."""
    errs = []
    for lib, mod in ((torch, TF), (ember, F)):
        with pytest.raises(Exception) as info:
            call(lib, mod)
        errs.append(info.value)
    t, e = errs
    assert type(e) is type(t), (
        f"torch raised {type(t).__name__}({t}), ember {type(e).__name__}({e})"
    )
    assert str(e).replace("ember", "torch") == str(t), f"ember: {e}\ntorch: {t}"


def _x(lib, *shape):
    return lib.from_numpy(np.ones(shape))


ERRORS = {
    "jacobian strict, unused input": lambda lib, F: F.jacobian(
        lambda x, y: x * 2, (_x(lib, 2), _x(lib, 2)), strict=True),
    "jacobian strict, output independent": lambda lib, F: F.jacobian(
        lambda x: lib.ones(2), _x(lib, 2), strict=True),
    "jacobian strict+create_graph, linear": lambda lib, F: F.jacobian(
        lambda x: x * 2, _x(lib, 2), strict=True, create_graph=True),
    "jacobian strict+vectorize": lambda lib, F: F.jacobian(
        lambda x: x * x, _x(lib, 2), strict=True, vectorize=True),
    "jacobian bad strategy": lambda lib, F: F.jacobian(lambda x: x, _x(lib, 2), strategy="x"),
    "jacobian forward+create_graph": lambda lib, F: F.jacobian(
        lambda x: x, _x(lib, 2), strategy="forward-mode", create_graph=True, vectorize=True),
    "jacobian forward, not vectorized": lambda lib, F: F.jacobian(
        lambda x: x, _x(lib, 2), strategy="forward-mode"),
    "jacobian forward strict": lambda lib, F: F.jacobian(
        lambda x: x, _x(lib, 2), strategy="forward-mode", strict=True, vectorize=True),
    "jacobian inputs not tensors": lambda lib, F: F.jacobian(lambda x: x, [1.0, 2.0]),
    "jacobian tuple with a number": lambda lib, F: F.jacobian(lambda x, y: x, (_x(lib, 2), 3)),
    "jacobian output not a tensor": lambda lib, F: F.jacobian(lambda x: 3.0, _x(lib, 2)),
    "vjp v missing": lambda lib, F: F.vjp(lambda x: x * 2, _x(lib, 2)),
    "vjp v wrong size": lambda lib, F: F.vjp(lambda x: x * 2, _x(lib, 2), _x(lib, 3)),
    "vjp v tuple length": lambda lib, F: F.vjp(
        lambda x: (x, x * 2), _x(lib, 2), (_x(lib, 2),)),
    "vjp v entry size": lambda lib, F: F.vjp(
        lambda x: (x, x * 2), _x(lib, 2), (_x(lib, 2), _x(lib, 3))),
    "vjp v tuple for tensor": lambda lib, F: F.vjp(
        lambda x: x * 2, _x(lib, 2), (_x(lib, 2), _x(lib, 2))),
    "vjp strict, constant output": lambda lib, F: F.vjp(
        lambda x: lib.ones(2), _x(lib, 2), _x(lib, 2), strict=True),
    "vjp strict, unused input": lambda lib, F: F.vjp(
        lambda x, y: x * 2, (_x(lib, 2), _x(lib, 2)), _x(lib, 2), strict=True),
    "vjp strict+create_graph, linear": lambda lib, F: F.vjp(
        lambda x: x * 2, _x(lib, 2), _x(lib, 2), strict=True, create_graph=True),
    "jvp v missing": lambda lib, F: F.jvp(lambda x: x * 2, _x(lib, 2)),
    "jvp strict, unused input": lambda lib, F: F.jvp(
        lambda x, y: x * 2, (_x(lib, 2), _x(lib, 2)), (_x(lib, 2), _x(lib, 2)), strict=True),
    "jvp strict, unused output": lambda lib, F: F.jvp(
        lambda x, y: (x * y, lib.ones(2)), (_x(lib, 2), _x(lib, 2)),
        (_x(lib, 2), _x(lib, 2)), strict=True),
    "hessian non-scalar": lambda lib, F: F.hessian(lambda x: x * x, _x(lib, 2)),
    "hessian tuple output": lambda lib, F: F.hessian(lambda x: (x.sum(),), _x(lib, 2)),
    "hessian strict, linear": lambda lib, F: F.hessian(lambda x: x.sum(), _x(lib, 2), strict=True),
    "hessian strict, quadratic+create_graph": lambda lib, F: F.hessian(
        lambda x: (x * x).sum(), _x(lib, 2), strict=True, create_graph=True),
    "hessian bad strategy": lambda lib, F: F.hessian(
        lambda x: x.sum(), _x(lib, 2), outer_jacobian_strategy="x"),
    "hessian forward, not vectorized": lambda lib, F: F.hessian(
        lambda x: (x * x).sum(), _x(lib, 2), outer_jacobian_strategy="forward-mode"),
    "vhp non-scalar": lambda lib, F: F.vhp(lambda x: x * x, _x(lib, 2), _x(lib, 2)),
    "vhp strict, linear": lambda lib, F: F.vhp(
        lambda x: x.sum(), _x(lib, 2), _x(lib, 2), strict=True),
    "vhp strict, quadratic+create_graph": lambda lib, F: F.vhp(
        lambda x: (x * x).sum(), _x(lib, 2), _x(lib, 2), strict=True, create_graph=True),
    "hvp v missing": lambda lib, F: F.hvp(lambda x: (x * x).sum(), _x(lib, 2)),
    "hvp tuple output": lambda lib, F: F.hvp(lambda x: (x.sum(),), _x(lib, 2), _x(lib, 2)),
    "hvp strict, linear": lambda lib, F: F.hvp(
        lambda x: x.sum(), _x(lib, 2), _x(lib, 2), strict=True),
    "hvp strict, unused in hessian": lambda lib, F: F.hvp(
        lambda x, y: (x * x).sum() + y.sum(), (_x(lib, 2), _x(lib, 2)),
        (_x(lib, 2), _x(lib, 2)), strict=True),
}  # fmt: skip


@pytest.mark.parametrize("call", list(ERRORS.values()), ids=list(ERRORS))
def test_errors(call):
    _same_error(call)


def test_non_strict_gives_zeros_for_unused_inputs():
    t, e = _both("vjp", lambda lib: lambda x, y: (x * 2, lib.ones(2)), (_r(2), _r(2)),
                 (_r(2), _r(2)))  # fmt: skip
    assert_same(e, t)


# -- ember.func -------------------------------------------------------------------------------


_fx, _fy = _r(3), _r(2, 3)


def _fs(lib):
    return lambda x, y: (x * y).sin().sum() + (x**3).sum()


def _fv(lib):
    return lambda x, y: (x * y, (y @ x).tanh())


FUNC_CASES = {
    "grad": lambda M, lib: M.grad(_fs(lib))(*_xy(lib)),
    "grad argnums tuple": lambda M, lib: M.grad(_fs(lib), argnums=(0, 1))(*_xy(lib)),
    "grad argnums -1": lambda M, lib: M.grad(_fs(lib), argnums=-1)(*_xy(lib)),
    "grad has_aux": lambda M, lib: M.grad(lambda x, y: (_fs(lib)(x, y), {"x2": x * 2}),
                                          has_aux=True)(*_xy(lib)),
    "grad_and_value": lambda M, lib: M.grad_and_value(_fs(lib), argnums=1)(*_xy(lib)),
    "vjp": lambda M, lib: _vjp_call(M, lib),
    "jvp": lambda M, lib: M.jvp(_fv(lib), _xy(lib), _xy(lib, 1)),
    "jacrev": lambda M, lib: M.jacrev(_fv(lib))(*_xy(lib)),
    "jacrev argnums": lambda M, lib: M.jacrev(_fv(lib), argnums=(0, 1))(*_xy(lib)),
    "jacfwd": lambda M, lib: M.jacfwd(_fv(lib))(*_xy(lib)),
    "jacfwd argnums": lambda M, lib: M.jacfwd(_fv(lib), argnums=(1, 0))(*_xy(lib)),
    "jacrev dict": lambda M, lib: M.jacrev(lambda d: {"a": d["u"] * 2, "b": d["u"].sum()})(
        {"u": _xy(lib)[0]}),
    "hessian": lambda M, lib: M.hessian(_fs(lib))(*_xy(lib)),
    "hessian argnums": lambda M, lib: M.hessian(_fs(lib), argnums=(0, 1))(*_xy(lib)),
    "jacrev(jacrev)": lambda M, lib: M.jacrev(M.jacrev(_fs(lib)))(*_xy(lib)),
    "jacrev(grad)": lambda M, lib: M.jacrev(M.grad(_fs(lib), argnums=1), argnums=1)(*_xy(lib)),
    "jacfwd(grad)": lambda M, lib: M.jacfwd(M.grad(_fs(lib)))(*_xy(lib)),
}  # fmt: skip


def _xy(lib, k=0):
    a, b = (_fx, _fy) if k == 0 else (_fx * 0.5 + 1, _fy - 1)
    return _lib_tensors(lib, a), _lib_tensors(lib, b)


def _vjp_call(M, lib):
    out, fn = M.vjp(_fv(lib), *_xy(lib))
    return out, fn((_lib_tensors(lib, _fy * 2), _lib_tensors(lib, _fy[:, 0])))


@pytest.mark.parametrize("call", list(FUNC_CASES.values()), ids=list(FUNC_CASES))
def test_func_transforms(call):
    assert_same(call(ember.func, ember), call(tfunc, torch))


def test_func_grad_is_differentiable_outside():
    """An input that requires grad: the transform's result stays connected to it."""
    grads = []
    for lib, M in ((torch, tfunc), (ember, ember.func)):
        x = _lib_tensors(lib, _fx, requires_grad=True)
        g = M.grad(lambda x: (x.sin() * x).sum())(x)
        grads.append(lib.autograd.grad((g * g).sum(), x)[0])
    assert_same(grads[1], grads[0])


@pytest.mark.parametrize("call,match", [
    (lambda M, lib: M.grad(lambda x: x * 2)(_xy(lib)[0]), "scalar Tensor"),
    (lambda M, lib: M.grad(lambda x: 2.0)(_xy(lib)[0]), "to return a Tensor"),
    (lambda M, lib: M.grad(lambda x: x.sum(), has_aux=True)(_xy(lib)[0]), "(output, aux)"),
    (lambda M, lib: M.grad(lambda x: x.sum(), argnums=3)(_xy(lib)[0]), "argnum=3"),
    (lambda M, lib: M.grad(lambda x: x.sum(), argnums=())(_xy(lib)[0]), "non-empty"),
    (lambda M, lib: M.grad(lambda x: x.sum(), argnums=(0, 0))(_xy(lib)[0]), "unique"),
    (lambda M, lib: M.grad(lambda x: x.sum(), argnums=[0])(_xy(lib)[0]), "Tuple[int, ...]"),
    (lambda M, lib: M.jvp(lambda x: x, _xy(lib)[0], _xy(lib)[0]), "Expected primals to be a"),
    (lambda M, lib: M.vjp(lambda x: (x > 0), _xy(lib)[0]), "floating-point or complex"),
])  # fmt: skip
def test_func_errors(call, match):
    errs = []
    for lib, M in ((torch, tfunc), (ember, ember.func)):
        with pytest.raises(Exception) as info:
            call(M, lib)
        errs.append(info.value)
    t, e = errs
    assert type(e) is type(t), f"torch {type(t).__name__}({t}); ember {type(e).__name__}({e})"
    assert match in str(t) and match in str(e), f"ember: {e}\ntorch: {t}"
