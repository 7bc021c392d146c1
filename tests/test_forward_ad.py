"""Forward-mode AD (ember.autograd.forward_ad) against torch's forward AD on the same programs,
against ember's double-backward jvp (autograd.functional.jvp) over every op's samples, and the
semantics of dual tensors: views, in-place ops, levels, errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.autograd.forward_ad as tfw  # noqa: E402
from helpers import make_inputs  # noqa: E402

import ember  # noqa: E402
import ember.autograd.forward_ad as efw  # noqa: E402
import ember.autograd.functional as F  # noqa: E402
from ember.ops.registry import HOOKS, OPS  # noqa: E402

FW = {torch: tfw, ember: efw}


def _np(t):
    return None if t is None else np.array(t.detach().numpy() if isinstance(t, torch.Tensor)
                                           else t.detach()._data)  # fmt: skip


def _flat(o):
    if isinstance(o, (list, tuple)):
        return [y for x in o for y in _flat(x)]
    return [o]


def _run(lib, fn, xs, ts):
    """fn(lib, *duals) inside a dual level: per output (primal, tangent) as arrays."""
    fw = FW[lib]
    with fw.dual_level():
        duals = [fw.make_dual(lib.from_numpy(x.copy()), lib.from_numpy(t.copy()))
                 for x, t in zip(xs, ts)]  # fmt: skip
        res = []
        for o in _flat(fn(lib, *duals)):
            p, t = fw.unpack_dual(o)
            res.append((_np(p), _np(t)))
    return res


def _compare(e, t, what):
    assert len(e) == len(t), f"{what}: {len(e)} outputs, torch {len(t)}"
    for i, ((ep, et), (tp, tt)) in enumerate(zip(e, t)):
        np.testing.assert_allclose(ep, tp, rtol=1e-7, atol=1e-10, err_msg=f"{what}: primal {i}")
        assert (et is None) == (tt is None), f"{what}: tangent {i} is {et} in ember, {tt} in torch"
        if tt is not None:
            assert et.dtype == tt.dtype and et.shape == tt.shape, f"{what}: tangent {i} dtype/shape"
            np.testing.assert_allclose(et, tt, rtol=1e-7, atol=1e-10,
                                       err_msg=f"{what}: tangent {i}")  # fmt: skip


PROGRAMS = {
    "elementwise": (
        lambda lib, x, y: (
            (x * y).sin()
            + x.exp() / (y * y + 1)
            - x.sigmoid() * y.tanh()
            + (x.abs() + 1).log().sqrt() * x.cos()
        ),
        [(3, 4), (3, 4)],
    ),
    "broadcast": (
        lambda lib, x, y: x * y + x.pow(2) / 3 - y.relu() + lib.maximum(x, y),
        [(3, 4), (4,)],
    ),
    "scalars": (
        lambda lib, x: 2 * x + 3 - x / 4 + x**3 + 1 / (x * x + 1) - (1 - x).reciprocal(),
        [(5,)],
    ),
    "reduction": (
        lambda lib, x: (
            x.sum(1) * x.mean(0).sum()
            + x.var(1)
            + x.std(0).sum()
            + x.amax(1)
            + x.logsumexp(1)
            + x.prod(1)
            + x.cumsum(1)[:, -1]
            + x.sum()
        ),
        [(3, 4)],
    ),
    "matmul": (
        lambda lib, a, b, c: (
            ((a @ b).tanh() @ b.t() + lib.mm(a, c)).sum(0)
            + lib.mv(c, a[0]) @ c
            + lib.dot(a[1], c[2])
        ),
        [(3, 4), (4, 5), (4, 4)],
    ),
    "bmm-einsum": (
        lambda lib, a, b: (
            lib.bmm(a, b).sin() + lib.einsum("bij,bjk->bik", a, b) + lib.matmul(a, b) * 2
        ),
        [(2, 3, 4), (2, 4, 3)],
    ),
    "shape": (
        lambda lib, x: (
            x.view(2, 6).t()[1:3].reshape(-1).unsqueeze(0).expand(3, 4)
            * x.permute(1, 0).flip(0).transpose(0, 1)[:, 1:].sum()
            + x.squeeze().diagonal().sum()
        ),
        [(3, 4)],
    ),
    "cat-stack-split": (
        lambda lib, x, y: (
            lib.cat([x, y.sigmoid()], 0).split(2, dim=0)[1] * lib.stack([x[0], y[0]]).sum(0)
        ),
        [(3, 4), (2, 4)],
    ),
    "index": (
        lambda lib, x: (
            x[[0, 2]] * 2
            + x[:, 1:3].sum()
            + x.index_select(0, lib.tensor([2, 0])).sum(1, keepdim=True)
            + x.gather(1, lib.tensor([[0, 1], [1, 1]])).sum()
        ),
        [(3, 4)],
    ),
    "where-clamp": (
        lambda lib, x, y: (
            lib.where(x > 0, x * y, y.exp())
            + x.clamp(-0.5, 0.5)
            + lib.minimum(x, y) * x.masked_fill(y > 0, 2.0)
        ),
        [(3, 4), (3, 4)],
    ),
    "multi-output": (
        lambda lib, x: (*lib.var_mean(x, 1), x.max(1), x.unbind(0), x.split(1, 1)),
        [(3, 2)],
    ),
    "integer-outputs": (lambda lib, x: (x.argmax(1), x > 0, (x * 2).sum(1)), [(3, 4)]),
}


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal(s) for s in shapes]
    ts = [rng.standard_normal(s) for s in shapes]
    return xs, ts


@pytest.mark.parametrize("shortcuts", [True, False], ids=["shortcuts", "generic"])
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_vs_torch(name, shortcuts, monkeypatch):
    """Tangents (and primals) of each output equal torch's forward AD; with the shortcuts off,
    every op's JVP comes from its VJP rules alone."""
    monkeypatch.setattr(efw, "_SHORTCUTS", shortcuts)
    fn, shapes = PROGRAMS[name]
    xs, ts = _inputs(shapes)
    _compare(_run(ember, fn, xs, ts), _run(torch, fn, xs, ts), name)


@pytest.mark.parametrize("name", [n for n in PROGRAMS if n != "integer-outputs"])
def test_program_vs_double_backward(name):
    """ember's forward AD equals ember's functional.jvp (the double-backward trick)."""
    fn, shapes = PROGRAMS[name]
    xs, ts = _inputs(shapes, seed=1)

    def floats(*a):
        return tuple(o for o in _flat(fn(ember, *a)) if o.is_floating_point())

    _, jv = F.jvp(floats, tuple(ember.from_numpy(x) for x in xs),
                  tuple(ember.from_numpy(t) for t in ts))  # fmt: skip
    fwd = [t for (p, t) in _run(ember, fn, xs, ts) if p.dtype.kind == "f"]
    assert len(fwd) == len(jv)
    for i, (a, b) in enumerate(zip(fwd, jv)):
        np.testing.assert_allclose(a, _np(b), rtol=1e-7, atol=1e-10, err_msg=f"output {i}")


# -- every op's samples: forward AD vs the double-backward jvp of the same call ---------------


def _has_shortcut(op):
    return (op.view or op.name in efw._LINEAR or op.name in efw._MULTILINEAR
            or efw._is_elementwise(op))  # fmt: skip


def _op_cases():
    """Per op with samples (and per JVP path for ops that have a shortcut): its samples with
    float inputs, none of them empty (a function of no variables: mean of none is nan)."""
    cases = []
    for key in sorted(OPS):
        op = OPS[key]
        if op.samples is None or not op.differentiable:
            continue
        try:
            samples = op.samples(np.random.default_rng(0))
        except Exception:
            continue  # the op sweep reports broken samples
        keep = []
        for i, (args, kw) in enumerate(samples):
            floats = [a for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
            if floats and all(a.size for a in floats):
                keep.append((i, args, kw))
        if keep:
            for mode in ("shortcuts", "generic") if _has_shortcut(op) else ("shortcuts",):
                cases.append(pytest.param(op, keep, mode == "shortcuts", id=f"{key}-{mode}"))
    return cases


def _call(op, args, kw):
    if getattr(op, "check", None) is not None:
        return op.check(ember, *args, **kw)
    ns = ember if op.namespace is None else getattr(ember, op.namespace)
    fn = getattr(ns, op.name, None)
    if fn is None:
        return getattr(args[0], op.name)(*args[1:], **kw)
    return fn(*args, **kw)


@pytest.mark.parametrize("op,samples,shortcuts", _op_cases())
def test_op_samples_vs_double_backward(op, samples, shortcuts, monkeypatch):
    """Per op sample: the tangents forward AD propagates equal the double-backward jvp of the
    same call (both the shortcut and, for ops that have one, the generic JVP from the rules)."""
    monkeypatch.setattr(efw, "_SHORTCUTS", shortcuts)
    for i, args, kw in samples:
        try:
            _check_sample(op, args, kw)
        except AssertionError as e:
            e.add_note(f"sample {i} of {op.name}")
            raise


def _check_sample(op, args, kw):
    args = tuple(a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                 else a for a in args)  # fmt: skip
    where = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    eargs, _ = make_inputs(ember, args)
    try:
        plain = _flat(_call(op, eargs, kw))
    except Exception:
        return  # the op itself fails here; its own tests report it
    float_out = [i for i, o in enumerate(plain) if o.is_floating_point()]
    if not float_out:
        return
    rng = np.random.default_rng(1)
    tangents = [rng.standard_normal(args[i].shape) for i in where]

    def with_floats(*floats):
        a = list(eargs)
        for i, f in zip(where, floats):
            a[i] = f
        outs = _flat(_call(op, a, kw))
        return tuple(outs[i] for i in float_out)

    primals = tuple(eargs[i] for i in where)
    try:
        _, expected = F.jvp(with_floats, primals, tuple(ember.from_numpy(t) for t in tangents))
    except NotImplementedError:  # a rule that refuses (geqrf): forward AD must refuse too
        with efw.dual_level(), pytest.raises(NotImplementedError):
            with_floats(*[efw.make_dual(p, ember.from_numpy(t)) for p, t in zip(primals, tangents)])
        return
    except Exception:
        return  # the double-backward reference fails: the op's own tests report it
    with efw.dual_level():
        duals = [efw.make_dual(p, ember.from_numpy(t)) for p, t in zip(primals, tangents)]
        got = [efw.unpack_dual(o).tangent for o in with_floats(*duals)]
    for k, (g, x) in enumerate(zip(got, expected)):
        g = np.zeros(tuple(x.shape)) if g is None else _np(g)  # no tangent: a zero derivative
        np.testing.assert_allclose(g, _np(x), rtol=1e-6, atol=1e-9, equal_nan=True,
                                   err_msg=f"float output {k}")  # fmt: skip


# -- dual tensors: views, in-place ops --------------------------------------------------------


def _view_scenarios(lib):
    """Facts about views and in-place ops on duals, computed the same way in both libraries."""
    fw = FW[lib]
    r = {}
    x = lib.from_numpy(np.arange(12.0).reshape(3, 4) / 10)
    tx = lib.from_numpy(np.linspace(-1, 1, 12).reshape(3, 4))
    with fw.dual_level():
        d = fw.make_dual(x, tx)
        r["make_dual is a view"] = d._base is x
        r["tangent kept as is"] = fw.unpack_dual(d).tangent is tx
        r["primal is a view"] = fw.unpack_dual(d).primal._base is x
        v = d[1]
        tv = fw.unpack_dual(v).tangent
        r["view tangent is a view of the tangent"] = tv._base is tx
        r["view tangent"] = _np(tv)
        d.mul_(2)
        r["in-place keeps the tangent object"] = fw.unpack_dual(d).tangent is tx
        r["in-place scales the tangent"] = _np(fw.unpack_dual(d).tangent)
        r["the view's tangent follows"] = _np(fw.unpack_dual(v).tangent)
        e = d.exp()
        e.exp_()  # the rule reads the output only
        r["exp_ tangent"] = _np(fw.unpack_dual(e).tangent)
        v.add_(fw.make_dual(lib.ones(4, dtype=lib.float64), lib.full((4,), 3.0, dtype=lib.float64)))
        r["add_ into a view updates the base's tangent"] = _np(fw.unpack_dual(d).tangent)

        base = lib.zeros(4, dtype=lib.float64)
        part = base[:2]
        part.copy_(
            fw.make_dual(lib.ones(2, dtype=lib.float64), lib.full((2,), 5.0, dtype=lib.float64))
        )
        r["copy_ into a view: base tangent"] = _np(fw.unpack_dual(base).tangent)
        r["copy_ into a view: view tangent"] = _np(fw.unpack_dual(part).tangent)

        base2 = lib.zeros(4, dtype=lib.float64)
        early = base2[1:3]
        base2.copy_(
            fw.make_dual(lib.ones(4, dtype=lib.float64), lib.arange(4.0, dtype=lib.float64))
        )
        r["earlier view gets the base's tangent"] = _np(fw.unpack_dual(early).tangent)

        buf = lib.zeros(2, 3, dtype=lib.float64)
        buf[0] = fw.make_dual(
            lib.ones(3, dtype=lib.float64), lib.full((3,), 7.0, dtype=lib.float64)
        )
        buf[:, 2] = 1.5
        r["setitem tangent"] = _np(fw.unpack_dual(buf).tangent)

        a = lib.ones(3, dtype=lib.float64)
        a.mul_(3.0)
        r["plain in-place stays plain"] = fw.unpack_dual(a).tangent is None
        a.add_(fw.make_dual(lib.ones(3, dtype=lib.float64), lib.full((3,), 2.0, dtype=lib.float64)))
        r["add_ of a dual gives a tangent"] = _np(fw.unpack_dual(a).tangent)
        c = fw.make_dual(lib.ones(3, dtype=lib.float64), lib.full((3,), 2.0, dtype=lib.float64))
        c.gt_(0)
        r["in-place comparison zeroes the tangent"] = _np(fw.unpack_dual(c).tangent)

        r["detach drops the tangent"] = fw.unpack_dual(d.detach()).tangent is None
        with lib.no_grad():
            r["no_grad keeps forward AD"] = _np(fw.unpack_dual(d.sin()).tangent)
        r["integer result has no tangent"] = fw.unpack_dual(d.argmax()).tangent is None
        r["bool result has no tangent"] = fw.unpack_dual(d > 0).tangent is None
        r["factory has no tangent"] = fw.unpack_dual(lib.zeros_like(d)).tangent is None
        nc = lib.from_numpy(np.arange(12.0).reshape(4, 3)).t()
        d2 = fw.make_dual(x, nc)
        r["tangent copied into the primal's layout"] = (
            fw.unpack_dual(d2).tangent is nc,
            fw.unpack_dual(d2).tangent.stride(),
        )
        r["level"] = 0
    r["after exit: no tangent"] = fw.unpack_dual(d).tangent is None
    r["outside a level: the tensor itself"] = fw.unpack_dual(x).primal is x
    return r


def test_views_and_inplace_vs_torch():
    t, e = _view_scenarios(torch), _view_scenarios(ember)
    assert list(e) == list(t)
    for k in t:
        if isinstance(t[k], np.ndarray):
            np.testing.assert_allclose(e[k], t[k], err_msg=k)
        else:
            assert e[k] == t[k], f"{k}: ember {e[k]}, torch {t[k]}"


@pytest.mark.parametrize("name,fn", [
    ("sin_ of a dual", lambda lib, d, p: d.sin_()),
    ("mul_ by a dual", lambda lib, d, p: p.mul_(d)),
])  # fmt: skip
def test_inplace_that_needs_the_old_value(name, fn):
    """torch keeps the value before the write; ember's hook does not see it (the registry does
    not hand it over yet): it must raise rather than give a wrong tangent."""
    out = {}
    for lib in (torch, ember):
        fw = FW[lib]
        with fw.dual_level():
            d = fw.make_dual(lib.from_numpy(np.array([0.5, 1.0])), lib.from_numpy(np.ones(2)))
            p = lib.from_numpy(np.array([2.0, 3.0]))
            try:
                r = fn(lib, d, p)
            except RuntimeError as err:
                assert lib is ember and "before the write" in str(err), str(err)
                return
            out[lib] = _np(fw.unpack_dual(r).tangent)
    np.testing.assert_allclose(out[ember], out[torch])


def test_tangent_that_requires_grad():
    """The tangent's computation is recorded: backward through it reaches the input tangent."""
    grads = []
    for lib in (torch, ember):
        fw = FW[lib]
        v = lib.from_numpy(np.array([0.3, -1.2, 2.0])).requires_grad_()
        with fw.dual_level():
            d = fw.make_dual(lib.from_numpy(np.array([1.0, 2.0, 3.0])), v)
            t = fw.unpack_dual((d.sin() * d).sum() * d).tangent
            (t * lib.from_numpy(np.array([1.0, 2.0, 3.0]))).sum().backward()
        grads.append(v.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0])


def test_primal_that_requires_grad():
    """make_dual is a view of the primal (ViewBackward0): gradients flow to it."""
    res = []
    for lib in (torch, ember):
        fw = FW[lib]
        x = lib.from_numpy(np.array([1.0, 2.0])).requires_grad_()
        with fw.dual_level():
            d = fw.make_dual(x, lib.ones(2, dtype=lib.float64))
            name = d.grad_fn.name()
            (d * d).sum().backward()
        res.append((name, x.grad.numpy().tolist(), d.requires_grad))
    assert res[1] == res[0]


# -- levels and errors ------------------------------------------------------------------------


def _error(lib, call):
    fw = FW[lib]
    try:
        call(lib, fw)
    except Exception as e:
        return type(e), str(e).replace("ember", "torch")
    finally:
        while fw._current_level >= 0:
            fw.exit_dual_level()
    return None


def _in_level(body):
    def call(lib, fw):
        with fw.dual_level():
            body(lib, fw)

    return call


ERRORS = {
    "make_dual without a level": lambda lib, fw: fw.make_dual(lib.ones(2), lib.ones(2)),
    "integer primal": _in_level(lambda lib, fw: fw.make_dual(lib.ones(2).long(), lib.ones(2))),
    "integer tangent": _in_level(lambda lib, fw: fw.make_dual(lib.ones(2), lib.ones(2).long())),
    "shape mismatch": _in_level(lambda lib, fw: fw.make_dual(lib.ones(2, 3), lib.ones(3))),
    "already dual": _in_level(
        lambda lib, fw: fw.make_dual(fw.make_dual(lib.ones(2), lib.ones(2)), lib.ones(2))),
    "nested levels": _in_level(lambda lib, fw: fw.enter_dual_level()),
    "exit another level": _in_level(lambda lib, fw: fw.exit_dual_level(level=3)),
    "exit without a level": lambda lib, fw: fw.exit_dual_level(),
    "make_dual at a wrong level": _in_level(
        lambda lib, fw: fw.make_dual(lib.ones(2), lib.ones(2), level=1)),
    "unpack at a wrong level": _in_level(
        lambda lib, fw: fw.unpack_dual(fw.make_dual(lib.ones(2), lib.ones(2)), level=1)),
    "make_dual at a level that is gone": lambda lib, fw: fw.make_dual(
        lib.ones(2), lib.ones(2), level=0),
}  # fmt: skip


@pytest.mark.parametrize("call", list(ERRORS.values()), ids=list(ERRORS))
def test_errors(call):
    t, e = _error(torch, call), _error(ember, call)
    assert t is not None, "torch did not raise"
    assert e == t


def test_levels_and_hook():
    """The observer is set only inside a level (no cost outside), and an observer that was
    installed before (the JIT tracer) keeps seeing every op and is restored after."""
    assert HOOKS.after_op is None
    seen = []
    HOOKS.after_op = lambda op, args, params, outs, inplace=False: seen.append(op.name)
    try:
        with efw.dual_level() as level:
            assert level == 0 == efw.enter_dual_level.__globals__["_current_level"]
            d = efw.make_dual(ember.ones(2), ember.ones(2))
            (d * 2).exp()
        assert seen[-2:] == ["mul", "exp"]
        assert HOOKS.after_op is not None and HOOKS.after_op.__name__ == "<lambda>"
    finally:
        HOOKS.after_op = None
    assert efw.enter_dual_level() == 0
    efw.exit_dual_level()
    assert HOOKS.after_op is None


def test_dual_level_as_decorator():
    res = []
    for lib in (torch, ember):
        fw = FW[lib]

        @fw.dual_level()
        def f(fw=fw, lib=lib):
            d = fw.make_dual(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 1.0]))
            return fw.unpack_dual(d * d).tangent.tolist()

        res.append(f())
        assert fw.unpack_dual(lib.ones(1)).tangent is None
    assert res[0] == res[1]


def test_unpacked_dual_tensor():
    with efw.dual_level():
        u = efw.unpack_dual(efw.make_dual(ember.ones(2), ember.zeros(2)))
    assert isinstance(u, tuple) and u._fields == tfw.UnpackedDualTensor._fields
    assert u.tangent is u[1]
