"""The op sweep: every registered op with samples, through torch and ember.

For each op in ``ember.ops.registry.OPS`` and each of its samples (ids ``opname-i``):
forward vs torch in float32 and float64; gradients of a random projection vs torch (float64);
ember's gradients vs finite differences; second order vs torch; a non-contiguous variant.
An op joins by being defined with ``samples=``; an op without samples states why in
``op.no_samples`` beside its definition.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers import check, check_error, check_gradgrad, gradcheck, gradgradcheck, make_inputs  # noqa: E402

import ember  # noqa: E402
from ember.ops.registry import OPS  # noqa: E402

# Ops that may have no samples, and why. Keep it short: a public op belongs in the sweep.


def _float_arrays(args):
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from _float_arrays(a)
        elif isinstance(a, np.ndarray) and a.dtype.kind == "f":
            yield a


def _map_floats(args, f):
    out = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.append(type(a)(_map_floats(a, f)))
        elif isinstance(a, np.ndarray) and a.dtype.kind == "f":
            out.append(f(a))
        else:
            out.append(a)
    return tuple(out)


def _cases():
    """(all samples, differentiable ones with a float input, ones with a >= 2-d float input)."""
    cases, diff, noncontig = [], [], []
    for name in sorted(OPS):
        op = OPS[name]
        if op.samples is None:
            continue
        try:
            samples = op.samples(np.random.default_rng(0))
        except Exception as e:  # reported by the tests, not as a collection error
            samples = [e]
        for i, s in enumerate(samples):
            p = pytest.param(op, s, id=f"{name}-{i}" if not isinstance(s, Exception) else name)
            floats = [] if isinstance(s, Exception) else list(_float_arrays(s[0]))
            cases.append(p)
            if isinstance(s, Exception) or (op.differentiable and floats):
                diff.append(p)
            if isinstance(s, Exception) or any(a.ndim >= 2 for a in floats):
                noncontig.append(p)
    return cases, diff, noncontig


CASES, DIFF_CASES, NONCONTIG = _cases()


def _call(lib, op, args, kw):
    if getattr(op, "check", None) is not None:
        return op.check(lib, *args, **kw)
    ns = lib if op.namespace is None else getattr(lib, op.namespace)
    fn = getattr(ns, op.name if lib is ember else op.torch_name, None)
    if fn is None:  # method-only ops (Tensor.view)
        return getattr(args[0], op.name if lib is ember else op.torch_name)(*args[1:], **kw)
    return fn(*args, **kw)


def _sample(op, sample, dtype):
    if isinstance(sample, Exception):
        raise sample
    args, kw = sample
    return _map_floats(args, lambda a: a.astype(dtype)), dict(kw)


def _fn(op, kw):
    return lambda lib, *a: _call(lib, op, a, kw)


def _needs_float64_outputs(op, args, kw):
    eargs, _ = make_inputs(ember, args)
    with ember.no_grad():
        out = _call(ember, op, eargs, kw)
    outs = out if isinstance(out, (list, tuple)) else [out]
    if any(o.is_floating_point() and o.dtype is not ember.float64 for o in outs):
        pytest.skip("finite differences need float64 outputs")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("op,sample", CASES)
def test_forward(op, sample, dtype):
    args, kw = _sample(op, sample, dtype)
    check(_fn(op, kw), *args, grad=False)


@pytest.mark.parametrize("op,sample", DIFF_CASES)
def test_grad(op, sample):
    args, kw = _sample(op, sample, np.float64)
    check(_fn(op, kw), *args)


@pytest.mark.parametrize("op,sample", DIFF_CASES)
def test_gradcheck(op, sample):
    args, kw = _sample(op, sample, np.float64)
    _needs_float64_outputs(op, args, kw)
    gradcheck(lambda *a: _call(ember, op, a, kw), args)


@pytest.mark.parametrize("op,sample", DIFF_CASES)
def test_gradgrad(op, sample):
    args, kw = _sample(op, sample, np.float64)
    check_gradgrad(_fn(op, kw), *args)
    _needs_float64_outputs(op, args, kw)
    gradgradcheck(lambda *a: _call(ember, op, a, kw), args)


@pytest.mark.parametrize("op,sample", NONCONTIG)
def test_noncontiguous(op, sample):
    args, kw = _sample(op, sample, np.float64)
    args = _map_floats(args, lambda a: np.ascontiguousarray(a.T).T if a.ndim >= 2 else a)
    targs, _ = make_inputs(torch, args)
    try:
        _call(torch, op, targs, kw)
    except Exception:  # e.g. view of a non-contiguous tensor: ember must raise alike
        check_error(_fn(op, kw), *args)
        return
    check(_fn(op, kw), *args, grad=op.differentiable)


def test_every_op_has_samples():
    # an op without samples names the reason beside its definition (op.no_samples)
    missing = sorted(n for n, o in OPS.items() if o.samples is None and not o.no_samples)
    assert not missing, f"ops without samples (add samples= or set op.no_samples): {missing}"
    stale = sorted(n for n, o in OPS.items() if o.samples is not None and o.no_samples)
    assert not stale, f"ops with samples that still carry no_samples: {stale}"


def test_reshape_copy():
    # reshape of a non-contiguous tensor goes through _unsafe_view (UnsafeViewBackward0)
    a = np.ascontiguousarray(np.arange(12.0).reshape(3, 4).T).T
    check(lambda lib, x: x.reshape(12), a)
    check(lambda lib, x: x.t().reshape(2, 6) * 2, np.arange(12.0).reshape(3, 4))
