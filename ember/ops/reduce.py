"""Reductions: sum, mean (the rest of the family joins here)."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from ._util import dims_arg
from .registry import op


def _reduce_samples(rng):
    out = []
    for shape in [(), (5,), (2, 3), (2, 3, 4), (0, 3)]:
        x = rng.uniform(-2, 2, shape)
        out.append(((x,), {}))
        if len(shape) >= 2:
            out += [((x,), {"dim": 1}), ((x,), {"dim": -1, "keepdim": True}),
                    ((x,), {"dim": (0, 1)})]  # fmt: skip
    return out


def unreduce(grad, shape, dim, keepdim):
    """Broadcast a reduced gradient back to the input's shape."""
    if dim is not None and not keepdim:
        for d in dim:
            grad = grad.unsqueeze(d)
    return grad.expand(shape)


def _sum_dtype(x, dtype):
    if dtype is not None:
        return D.to_numpy_dtype(dtype)
    if x.dtype.kind in "biu":
        return np.int64
    return None


@op(onnx="ReduceSum", samples=_reduce_samples,
    grad_name=lambda a, p: "SumBackward0" if p["dim"] is None else "SumBackward1")  # fmt: skip
def sum(xp, x, *, dim=None, keepdim=False, dtype=None):
    return xp.sum(x, axis=dim, keepdims=keepdim, dtype=_sum_dtype(x, dtype))


@sum.parser
def _(input, dim=None, keepdim=False, *, dtype=None):
    return (input,), {"dim": dims_arg(dim, input.ndim), "keepdim": keepdim, "dtype": dtype}


sum.defvjp(lambda grad, out, x, dim, keepdim, dtype=None: unreduce(grad, x.shape, dim, keepdim))


@op(onnx="ReduceMean", samples=_reduce_samples,
    grad_name=lambda a, p: "MeanBackward0" if p["dim"] is None else "MeanBackward1")  # fmt: skip
def mean(xp, x, *, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = x.astype(D.to_numpy_dtype(dtype))
    elif x.dtype.kind not in "fcV":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {D.from_numpy_dtype(x.dtype)._tensor_type[:-6]}"
        )
    if x.size == 0 and dim is None:
        return xp.asarray(np.nan, dtype=x.dtype)
    return xp.mean(x, axis=dim, keepdims=keepdim).astype(x.dtype, copy=False)


@mean.parser
def _(input, dim=None, keepdim=False, *, dtype=None):
    return (input,), {"dim": dims_arg(dim, input.ndim), "keepdim": keepdim, "dtype": dtype}


def _mean_grad(grad, out, x, dim, keepdim, dtype=None):
    n = x.numel() if dim is None else int(np.prod([x.shape[d] for d in dim]))
    return unreduce(grad, x.shape, dim, keepdim) / n


mean.defvjp(_mean_grad)
