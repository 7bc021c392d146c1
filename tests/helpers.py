"""The torch-differential check: the same code through torch and ember, compared.

    from helpers import check, check_error, require_torch

    check(lambda lib, x, y: lib.add(x, y, alpha=2), np.ones((2, 3)), np.ones(3))
    check_error(lambda lib, x: x.view(5), np.ones((2, 3)))

Inputs are NumPy arrays and plain values: float arrays become leaf tensors (requiring grad when
``grad=True``), integer and bool arrays tensors that do not, lists/tuples are converted element by
element, anything else is passed as it is. Each library gets its own copy, with the array's
strides kept (a transposed view stays a transposed view).

``gradcheck``/``gradgradcheck`` test ember alone against central finite differences in float64.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pytest

import ember

ORACLE_ENV = "EMBER_REQUIRE_ORACLE"

# rtol, atol per dtype name: torch.testing.assert_close's defaults
TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}


def oracle_required() -> bool:
    return os.environ.get(ORACLE_ENV) == "1"


def require_torch():
    """The torch module; a skip when it is missing, a failure under EMBER_REQUIRE_ORACLE=1."""
    try:
        import torch
    except ImportError as e:
        if oracle_required():
            pytest.fail(f"{ORACLE_ENV}=1 but torch cannot be imported: {e}", pytrace=False)
        pytest.skip(f"torch (the oracle) is not installed: {e}")
    return torch


# -- building inputs --------------------------------------------------------------------------


def _is_float(a) -> bool:
    return isinstance(a, np.ndarray) and (a.dtype.kind in "fc" or a.dtype.name == "bfloat16")


def _copy(a: np.ndarray) -> np.ndarray:
    """A fresh copy with the same memory layout (order='K' keeps transposed strides)."""
    b = np.empty_like(a, order="K")
    b[...] = a
    return b


def _to_lib(lib, a, requires_grad, leaves):
    if isinstance(a, (list, tuple)):
        return type(a)(_to_lib(lib, x, requires_grad, leaves) for x in a)
    if not isinstance(a, np.ndarray):
        return a
    if lib is ember:
        t = ember.from_numpy(_copy(a))
    elif a.dtype.name == "bfloat16":  # torch.from_numpy takes no ml_dtypes arrays
        t = lib.from_numpy(_copy(a.astype(np.float32))).to(lib.bfloat16)
    else:
        t = lib.from_numpy(_copy(a))
    if requires_grad and _is_float(a):
        t.requires_grad_(True)
        leaves.append(t)
    return t


def make_inputs(lib, args, requires_grad=False):
    """``(converted args, leaves requiring grad)`` for ``lib`` (torch or ember)."""
    leaves: list = []
    return _to_lib(lib, args, requires_grad, leaves), leaves


# -- comparing --------------------------------------------------------------------------------


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [y for x in out for y in _flat(x)]
    return [out]


def _dtype_name(dt) -> str:
    return str(dt).rsplit(".", 1)[-1]


def _as_torch(torch, e):
    """ember tensor -> torch tensor with the same values and dtype (for assert_close)."""
    a = np.asarray(e.detach()._data)
    if a.dtype.name == "bfloat16":
        return torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(np.array(a))


def assert_same(torch, e, t, what="output", atol=None, rtol=None):
    """One ember value equals one torch value: type, dtype (by name), shape, values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{what}: ember gave {type(e).__name__}, not a Tensor"
        assert _dtype_name(e.dtype) == _dtype_name(t.dtype), (
            f"{what}: dtype {e.dtype} != torch {t.dtype}"
        )
        assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {e.shape} != torch {t.shape}"
        if atol is None and rtol is None:
            rtol, atol = TOLERANCES.get(_dtype_name(t.dtype), (0, 0))
        torch.testing.assert_close(
            _as_torch(torch, e), t.detach(), atol=atol, rtol=rtol, equal_nan=True,
            msg=lambda m: f"{what}: {m}",
        )  # fmt: skip
    elif isinstance(t, float) and isinstance(e, float):
        np.testing.assert_allclose(e, t, rtol=rtol or 1e-7, atol=atol or 0, err_msg=what)
    else:
        assert type(e) is type(t) and e == t, f"{what}: {e!r} != torch {t!r}"


def _grad_fn_name(fn):
    if fn is None:
        return None
    return fn.name() if callable(getattr(fn, "name", None)) else type(fn).__name__


def _compare_outputs(torch, eout, tout, atol, rtol, grad_fn):
    if isinstance(tout, (list, tuple)):
        assert isinstance(eout, (list, tuple)), f"ember gave {type(eout).__name__}, torch a tuple"
    eflat, tflat = _flat(eout), _flat(tout)
    assert len(eflat) == len(tflat), f"{len(eflat)} outputs, torch gives {len(tflat)}"
    for i, (e, t) in enumerate(zip(eflat, tflat)):
        assert_same(torch, e, t, f"output {i}", atol, rtol)
        if grad_fn and isinstance(t, torch.Tensor):
            en, tn = _grad_fn_name(e.grad_fn), _grad_fn_name(t.grad_fn)
            assert en == tn, f"output {i}: grad_fn {en} != torch {tn}"
    return eflat, tflat


def _projections(tflat, rng):
    """A random cotangent for each torch output that requires grad (None elsewhere)."""
    rs = []
    for t in tflat:
        if hasattr(t, "requires_grad") and t.requires_grad:
            rs.append(rng.standard_normal(tuple(t.shape)))
        else:
            rs.append(None)
    return rs


def _grads(lib, outs, leaves, rs, create_graph=False):
    pairs = [(o, r) for o, r in zip(outs, rs) if r is not None]
    cot = [_to_lib(lib, r.astype(np.float32) if o.dtype == lib.bfloat16 else r, False, [])
           .to(o.dtype) for o, r in pairs]  # fmt: skip
    return lib.autograd.grad([o for o, _ in pairs], leaves, grad_outputs=cot, allow_unused=True,
                             create_graph=create_graph)  # fmt: skip


def _describe(args):
    def one(a):
        if isinstance(a, np.ndarray):
            return f"array({a.dtype}, shape={a.shape})"
        if isinstance(a, (list, tuple)):
            return "[" + ", ".join(one(x) for x in a) + "]"
        return repr(a)

    return "inputs: " + ", ".join(one(a) for a in args)


def _noting_inputs(check_fn):
    """On failure, say which inputs failed (the checks run in loops over dtypes)."""

    @functools.wraps(check_fn)
    def run(fn, *args, **kw):
        try:
            return check_fn(fn, *args, **kw)
        except AssertionError as e:
            e.add_note(_describe(args))
            raise

    return run


@_noting_inputs
def check(fn, *args, atol=None, rtol=None, grad=True, ember_fn=None, grad_fn=True, grad_atol=None,
          grad_rtol=None, seed=0, **kw):  # fmt: skip
    """``fn(lib, *args, **kw)`` through torch and ember: outputs (values, dtypes, shapes,
    grad_fn names) and, when ``grad``, the gradients of a random projection of the float outputs
    with respect to every float input. ``ember_fn`` replaces ``fn`` on the ember side.

    >>> check(lambda lib, x: lib.exp(x) * 2, np.random.rand(2, 3))
    """
    torch = require_torch()
    targs, tleaves = make_inputs(torch, args, grad)
    eargs, eleaves = make_inputs(ember, args, grad)
    tout = fn(torch, *targs, **kw)
    eout = (ember_fn or fn)(ember, *eargs, **kw)
    eflat, tflat = _compare_outputs(torch, eout, tout, atol, rtol, grad and grad_fn)
    if not grad:
        return eout, tout
    for i, (e, t) in enumerate(zip(eflat, tflat)):
        if isinstance(t, torch.Tensor):
            assert e.requires_grad == t.requires_grad, (
                f"output {i}: requires_grad {e.requires_grad} != torch {t.requires_grad}"
            )
    rs = _projections(tflat, np.random.default_rng(seed))
    if not tleaves or all(r is None for r in rs):
        return eout, tout
    tg = _grads(torch, tflat, tleaves, rs)
    eg = _grads(ember, eflat, eleaves, rs)
    for i, (e, t) in enumerate(zip(eg, tg)):
        if t is None:
            assert e is None or not np.any(np.asarray(e.detach()._data)), (
                f"grad of input {i}: ember gives {e}, torch None"
            )
        elif e is None:
            assert not t.any(), f"grad of input {i}: ember gives None, torch {t}"
        else:
            assert_same(torch, e, t, f"grad of input {i}", grad_atol or atol, grad_rtol or rtol)
    return eout, tout


@_noting_inputs
def check_error(fn, *args, match=None, **kw):
    """``fn(lib, *args, **kw)`` raises in torch and ember, the same builtin exception type;
    ``match`` must be a substring of both messages.

    >>> check_error(lambda lib, x: x.view(5), np.ones((2, 3)))
    """
    torch = require_torch()
    targs, _ = make_inputs(torch, args)
    eargs, _ = make_inputs(ember, args)
    terr = _raised(fn, torch, targs, kw)
    assert terr is not None, "torch did not raise"
    eerr = _raised(fn, ember, eargs, kw)
    # torch raises subclasses (torch.OutOfMemoryError, _LinAlgError): compare the builtin base
    want = next(c for c in type(terr).__mro__ if c.__module__ == "builtins")
    assert isinstance(eerr, want), f"torch raised {type(terr).__name__}({terr}), ember " + (
        "did not raise" if eerr is None else f"raised {type(eerr).__name__}({eerr})"
    )
    if match is not None:
        assert match in str(terr), f"torch's message {str(terr)!r} lacks {match!r}"
        assert match in str(eerr), f"ember's message {str(eerr)!r} lacks {match!r}"
    return eerr, terr


def _raised(fn, lib, args, kw):
    try:
        fn(lib, *args, **kw)
    except Exception as e:
        return e
    return None


# -- finite differences -----------------------------------------------------------------------


def _forward(fn, args):
    """Float outputs of ``fn(*tensors)`` as flat float64 arrays, without recording a graph."""
    with ember.no_grad():
        eargs, _ = make_inputs(ember, args)
        out = _flat(fn(*eargs))
    out = [o for o in out if o.is_floating_point()]
    if any(o.dtype is not ember.float64 for o in out):
        raise ValueError(f"finite differences need float64 outputs, got {[o.dtype for o in out]}")
    return [np.asarray(o._data).ravel() for o in out]


def _numeric_jacobian(f, args, eps):
    """Per float input: d(concatenated outputs of f)/d(input), shape (n_out, n_in)."""
    jac = []
    args = [np.array(a) if _is_float(a) else a for a in args]
    base = np.concatenate(f(args) or [np.zeros(0)])
    for a in args:
        if not _is_float(a):
            continue
        cols = np.zeros((base.size, a.size))
        # index in place (a reshape of a non-contiguous input would perturb a copy)
        for j, idx in enumerate(np.ndindex(a.shape)):
            v = a[idx]
            a[idx] = v + eps
            hi = np.concatenate(f(args) or [np.zeros(0)])
            a[idx] = v - eps
            lo = np.concatenate(f(args) or [np.zeros(0)])
            a[idx] = v
            cols[:, j] = (hi - lo) / (2 * eps)
        jac.append(cols)
    return jac


def _float_outs(out):
    return [o for o in _flat(out) if isinstance(o, ember.Tensor) and o.is_floating_point()]


def _as_np(g, like):
    return np.zeros(like.size) if g is None else np.asarray(g.detach()._data, np.float64).ravel()


def _vjp(fn, args, vs, create_graph=False):
    """ember's vjp: (leaves, float outputs, grads of sum(out * v) w.r.t. the float inputs)."""
    eargs, leaves = make_inputs(ember, args, requires_grad=True)
    outs = _float_outs(fn(*eargs))
    pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    if not pairs:
        return leaves, outs, [None] * len(leaves)
    cot = [ember.from_numpy(v.reshape(o.shape).astype(o._data.dtype)) for o, v in pairs]
    gs = ember.autograd.grad([o for o, _ in pairs], leaves, grad_outputs=cot,
                             allow_unused=True, create_graph=create_graph)  # fmt: skip
    return leaves, outs, list(gs)


def _random_like_outputs(fn, args, rng):
    return [rng.standard_normal(o.size) for o in _forward(fn, args)]


def _assert_close(analytic, numeric, atol, rtol, what):
    msg = f"{what}: analytic (ember) vs finite differences"
    np.testing.assert_allclose(analytic, numeric, atol=atol, rtol=rtol, err_msg=msg)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, n_vectors=2):
    """ember's gradients of ``fn(*tensors)`` against central finite differences (float64).

    Compares ``v @ J`` (ember's backward with a random cotangent ``v``) with ``v @ J_numeric``
    for ``n_vectors`` random ``v``: a wrong Jacobian entry fails for almost every ``v``.

    >>> gradcheck(lambda x: x.exp(), [np.random.rand(3)])
    """
    args = list(inputs)
    rng = np.random.default_rng(seed)
    jac = _numeric_jacobian(lambda a: _forward(fn, a), args, eps)
    for _ in range(n_vectors):
        vs = _random_like_outputs(fn, args, rng)
        _, _, gs = _vjp(fn, args, vs)
        v = np.concatenate(vs or [np.zeros(0)])
        floats = [a for a in args if _is_float(a)]
        for k, (g, a, j) in enumerate(zip(gs, floats, jac)):
            _assert_close(_as_np(g, a), v @ j, atol, rtol, f"gradient of float input {k}")


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Second order: the gradient of ``grad(out . v) . w`` (built with create_graph=True) against
    finite differences of ember's first-order ``grad(out . v) . w``.

    >>> gradgradcheck(lambda x: x.sin(), [np.random.rand(3)])
    """
    args = list(inputs)
    rng = np.random.default_rng(seed)
    vs = _random_like_outputs(fn, args, rng)
    floats = [a for a in args if _is_float(a)]
    ws = [rng.standard_normal(a.shape) for a in floats]

    def first(a):
        _, _, gs = _vjp(fn, a, vs)
        return [np.array([sum(float(np.dot(_as_np(g, w), w.ravel())) for g, w in zip(gs, ws))])]

    numeric = _numeric_jacobian(first, args, eps)
    leaves, _, gs = _vjp(fn, args, vs, create_graph=True)
    pairs = [(g, w) for g, w in zip(gs, ws) if g is not None and g.requires_grad]
    if pairs:
        s = sum((g * ember.from_numpy(w.astype(g._data.dtype))).sum() for g, w in pairs)
        ggs = ember.autograd.grad(s, leaves, allow_unused=True)
    else:  # the first-order gradient does not depend on the inputs: second order is zero
        ggs = [None] * len(leaves)
    for k, (gg, a, j) in enumerate(zip(ggs, floats, numeric)):
        _assert_close(_as_np(gg, a), j[0], atol, rtol, f"second-order gradient of input {k}")


def check_gradgrad(fn, *args, atol=None, rtol=None, seed=0, **kw):
    """Second order vs torch: with ``g = grad(out . v, inputs, create_graph=True)``, compare
    ``grad(sum(g . w), inputs)``. Skips where torch has no double backward for the op.

    >>> check_gradgrad(lambda lib, x: x.sin() * x, np.random.rand(3))
    """
    torch = require_torch()
    rng = np.random.default_rng(seed)
    results = []
    for lib in (torch, ember):
        targs, leaves = make_inputs(lib, args, requires_grad=True)
        outs = _flat(fn(lib, *targs, **kw))
        if lib is torch:
            vs = _projections(outs, rng)
            ws = [rng.standard_normal(tuple(t.shape)) for t in leaves]
        if all(v is None for v in vs):
            return
        try:
            gs = _grads(lib, outs, leaves, vs, create_graph=True)
            pairs = [(g, w) for g, w in zip(gs, ws) if g is not None and g.requires_grad]
            if pairs:
                s = sum((g * lib.from_numpy(w).to(g.dtype)).sum() for g, w in pairs)
                ggs = lib.autograd.grad(s, leaves, allow_unused=True)
            else:
                ggs = [None] * len(leaves)
        except RuntimeError as e:
            if lib is torch and "not implemented" in str(e):
                pytest.skip(f"torch has no double backward here: {e}")
            raise
        results.append([lib.zeros_like(t) if g is None else g for g, t in zip(ggs, leaves)])
    for i, (t, e) in enumerate(zip(*results)):
        assert_same(torch, e, t, f"second-order grad of input {i}", atol, rtol)


def check_outcome(fn, *args, **kw):
    """As torch does: where torch raises, ember raises alike (check_error), else ``check``.

    >>> check_outcome(lambda lib, x: x // 0, np.arange(3))  # RuntimeError in both
    """
    torch = require_torch()
    targs, _ = make_inputs(torch, args)
    try:
        fn(torch, *targs)
    except Exception:
        return check_error(fn, *args)
    return check(fn, *args, **kw)


def require_torchvision():
    """torchvision (the oracle of ember.vision), a skip or (under the oracle env) a failure.

    PyPI's torchvision 0.28 beside the CPU-only torch 2.13 wheel cannot load its C++ ops
    (nms, roi_align ...), and its import registers fake kernels for them, which fails. The
    models and transforms ember is compared with are pure Python, so the import runs with
    fake-kernel registration made a no-op.
    """
    torch = require_torch()
    try:
        import torchvision
    except ImportError as e:
        if oracle_required():
            pytest.fail(f"{ORACLE_ENV}=1 but torchvision cannot be imported: {e}", pytrace=False)
        pytest.skip(f"torchvision is not installed: {e}")
    except RuntimeError:
        import sys

        for name in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[name]
        register_fake = torch.library.register_fake
        torch.library.register_fake = lambda *a, **k: lambda fn: fn
        try:
            import torchvision
        finally:
            torch.library.register_fake = register_fake
    return torchvision
