"""Reductions and scans: sum, mean, prod, max/min (full, along a dim, against another tensor),
amax/amin, aminmax, argmax/argmin, all/any, std/var (and their _mean forms), logsumexp, nansum,
nanmean, count_nonzero, median/nanmedian, mode, kthvalue, quantile/nanquantile, cumsum, cumprod,
cummax/cummin, logcumsumexp.

Forwards take dims already normalized by the parsers (a sorted tuple of non-negative dims, or
None for all); a 0-d tensor reduces over its one implicit dim. The VJP rules are written in
ember ops, so second-order gradients work.
"""

from __future__ import annotations

import builtins
import operator
import warnings

import numpy as np

from .. import _dtype as D
from .. import return_types
from .._creation import arange, ones
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._util import dims_arg, wrap_dim
from .elementwise import maximum, minimum, where
from .index import _index, _index_backward
from .registry import _tname, composite, op
from .shape import cat, flip, narrow
from .sorting import kth_smallest, not_implemented, select_backward, stable_argsort, take_along

# -- helpers ----------------------------------------------------------------------------------


def _axis(x, dim):
    """numpy's axis for a normalized dim: a 0-d array reduces over everything."""
    return None if dim is None or x.ndim == 0 else dim


def _count(shape, dim) -> int:
    """How many elements each output element reduces over."""
    if dim is None or not shape:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[d] for d in dim], dtype=np.int64))


def _acc_dtype(x, dtype):
    """The accumulation dtype of sum/prod/cumsum: ``dtype=`` or int64 for integers and bool."""
    if dtype is not None:
        return D.to_numpy_dtype(dtype)
    return np.int64 if x.dtype.kind in "biu" else None


def _check_nonempty(name, x, dim, index_error=False):
    """torch refuses max/min/argmax-like reductions over an empty dim (there is no identity)."""
    if dim is None or x.ndim == 0:
        if x.size == 0:
            msg = f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            if index_error:
                raise IndexError(msg)
            raise RuntimeError(msg + " Specify the reduction dim with the 'dim' argument.")
        return
    for d in dim:
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _int_dim(name, dim, ndim):
    if isinstance(dim, (tuple, list)) or dim is None:
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return wrap_dim(dim, ndim)


def unreduce(grad, shape, dim, keepdim):
    """Broadcast a reduced gradient back to the input's shape."""
    if dim is not None and not keepdim and len(shape):
        for d in dim:
            grad = grad.unsqueeze(d)
    return grad.expand(shape)


def _dims_given(dim, ndim):
    """As dims_arg, but an explicit empty ``dim`` stays a tuple (of all dims): torch then takes
    the dim overload, and its grad_fn name."""
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return tuple(range(ndim))
    return dims_arg(dim, ndim)


def _all_dims(x, dim):
    return tuple(range(x.ndim)) if dim is None else dim


def _reduce_samples(rng):
    out = []
    for shape in [(), (5,), (2, 3), (2, 3, 4), (0, 3)]:
        x = rng.uniform(-2, 2, shape)
        out.append(((x,), {}))
        if len(shape) >= 2:
            out += [((x,), {"dim": 1}), ((x,), {"dim": -1, "keepdim": True}),
                    ((x,), {"dim": (0, 1)})]  # fmt: skip
    out.append(((rng.uniform(-2, 2, ()),), {"dim": 0, "keepdim": True}))
    return out


# -- sum, mean, prod --------------------------------------------------------------------------


@op(onnx="ReduceSum", samples=_reduce_samples,
    grad_name=lambda a, p: "SumBackward0" if p["dim"] is None else "SumBackward1")  # fmt: skip
def sum(xp, x, *, dim=None, keepdim=False, dtype=None):
    """Sum over ``dim`` (all dims by default); integers and bool sum to int64.

    >>> ember.tensor([[1, 2], [3, 4]]).sum(0)
    tensor([4, 6])
    """
    return x.sum(axis=_axis(x, dim), keepdims=keepdim, dtype=_acc_dtype(x, dtype))


@sum.parser
def _(input, dim=None, keepdim=False, *, dtype=None):
    return (input,), {"dim": _dims_given(dim, input.ndim), "keepdim": keepdim, "dtype": dtype}


sum.defvjp(lambda grad, out, x, dim, keepdim, dtype=None: unreduce(grad, x.shape, dim, keepdim))


@op(onnx="ReduceMean", samples=_reduce_samples,
    grad_name=lambda a, p: "MeanBackward0" if p["dim"] is None else "MeanBackward1")  # fmt: skip
def mean(xp, x, *, dim=None, keepdim=False, dtype=None):
    """Mean over ``dim`` (all dims by default); needs a floating or complex input or ``dtype``.

    >>> ember.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(1)
    tensor([1.5000, 3.5000])
    """
    if dtype is not None:
        x = x.astype(D.to_numpy_dtype(dtype))
    elif x.dtype.kind not in "fcV":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {D.from_numpy_dtype(x.dtype)._tensor_type[:-6]}"
        )
    axis = _axis(x, dim)
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty mean is nan, as torch's
        s = x.sum(axis=axis, keepdims=keepdim)
        return (s / _count(x.shape, dim)).astype(x.dtype, copy=False)


@mean.parser
def _(input, dim=None, keepdim=False, *, dtype=None):
    return (input,), {"dim": _dims_given(dim, input.ndim), "keepdim": keepdim, "dtype": dtype}


def _mean_grad(grad, out, x, dim, keepdim, dtype=None):
    return unreduce(grad, x.shape, dim, keepdim) / _count(x.shape, dim)


mean.defvjp(_mean_grad)


def _prod_samples(rng):
    out = []
    for shape in [(), (5,), (2, 3), (2, 3, 4), (0, 3)]:
        x = np.asarray(rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape))
        out.append(((x,), {}))
        if len(shape) >= 2:
            out += [((x, 1), {}), ((x, -1, True), {})]
    z = rng.uniform(0.5, 1.5, (3, 4))
    z[0, 1] = z[1, 0] = z[1, 2] = 0.0  # one zero in a row, two zeros in another
    out += [((z, 1), {}), ((z, 0, True), {}), ((z[0],), {}), ((z[1],), {})]
    return out


@op(onnx="ReduceProd", samples=_prod_samples,
    grad_name=lambda a, p: "ProdBackward0" if p["dim"] is None else "ProdBackward1")  # fmt: skip
def prod(xp, x, *, dim=None, keepdim=False, dtype=None):
    """Product over one ``dim`` (all elements by default); integers and bool give int64.

    >>> ember.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1)
    tensor([ 2., 12.])
    """
    return xp.prod(x, axis=_axis(x, dim), keepdims=keepdim, dtype=_acc_dtype(x, dtype))


@prod.parser
def _(input, dim=None, keepdim=False, *, dtype=None):
    if dim is not None:
        dim = (_int_dim("prod", dim, input.ndim),)
    elif keepdim:
        raise TypeError("prod(): keepdim needs dim")
    return (input,), {"dim": dim, "keepdim": keepdim, "dtype": dtype}


def _prod_others(x, dim):
    """Along ``dim``, each element's product of all the others, without dividing (zeros are fine):
    the exclusive cumulative product from the left times the one from the right."""
    n = x.shape[dim]
    one = ones(*x.shape[:dim], 1, *x.shape[dim + 1 :], dtype=x.dtype, device=x.device)
    left = cat([one, narrow(x, dim, 0, n - 1)], dim).cumprod(dim)
    right = cat([one, flip(narrow(x, dim, 1, n - 1), (dim,))], dim).cumprod(dim)
    return left * flip(right, (dim,))


def _prod_grad(grad, out, x, dim, keepdim, dtype=None):
    if x.ndim == 0:
        return grad
    if dim is None:
        g = _prod_grad(grad.reshape(1), out.reshape(1), x.reshape(-1), (0,), True)
        return g.reshape(x.shape)
    if not keepdim:
        grad, out = grad.unsqueeze(dim[0]), out.unsqueeze(dim[0])
    if not bool((x == 0).any()):
        return grad * (out / x)
    return grad * _prod_others(x, dim[0])


prod.defvjp(_prod_grad)


# -- max / min --------------------------------------------------------------------------------


def _max_samples(rng):
    out = [
        ((rng.permutation(n).reshape(s) / 7.0 - 1.5,), {})
        for n, s in [(20, (5, 4)), (24, (2, 3, 4))]
    ]
    return out + [((rng.uniform(-2, 2, ()),), {}), ((rng.permutation(5) / 3.0,), {})]


def _max_dim_samples(rng):
    x = rng.permutation(24).reshape(2, 3, 4) / 7.0 - 1.5
    return [
        ((x, 1), {}),
        ((x, -1, True), {}),
        ((x[0], 0), {}),
        ((x[0, 0], 0), {"keepdim": True}),
        ((rng.uniform(-2, 2, ()), 0), {}),
        ((rng.uniform(-2, 2, (0, 3)), 1), {}),
    ]


def _evenly(grad, out, x):
    # the full reduction has no index: ties share the gradient, and nan wins over numbers
    mask = (x == out) | ((x != x) & (out != out))
    return where(mask, grad / mask.sum(), 0.0)


def _to_index(grad, out, x, dim, keepdim):
    # max(dim)/min(dim): the gradient goes to the index chosen
    g, idx = grad[0], out[1]
    if x.ndim == 0:
        return g
    if not keepdim:
        g, idx = g.unsqueeze(dim), idx.unsqueeze(dim)
    shape = [1] * x.ndim
    shape[dim] = x.shape[dim]
    pos = arange(x.shape[dim], device=x.device).reshape(shape)
    return where(pos == idx, g, 0.0)


def _full(name, fn):
    def forward(xp, x):
        _check_nonempty(name, x, None)
        return getattr(xp, fn)(x)

    forward.__name__ = "_" + name
    o = op("_" + name, method=False, grad_name=name.capitalize() + "Backward1",
           onnx="Reduce" + name.capitalize(), samples=_max_samples)(forward)  # fmt: skip
    o.defvjp(_evenly)
    o.check = lambda lib, x: getattr(lib, name)(x)
    return o


def _along(name, arg):
    def forward(xp, x, *, dim, keepdim=False):
        if x.ndim == 0:
            return x.copy(), xp.zeros((), dtype=np.int64)
        _check_nonempty(name, x, (dim,), True)
        idx = getattr(xp, arg)(x, axis=dim, keepdims=True)
        vals = xp.take_along_axis(x, idx, axis=dim)
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx.astype(np.int64, copy=False)

    forward.__name__ = f"_{name}_dim"
    o = op(f"_{name}_dim", method=False, multi=True, grad_name=name.capitalize() + "Backward0",
           samples=_max_dim_samples)(forward)  # fmt: skip
    o.defvjp(_to_index)
    o.check = lambda lib, x, dim, keepdim=False: getattr(lib, name)(x, dim, keepdim)
    return o


_max, _min = _full("max", "max"), _full("min", "min")
_max_dim, _min_dim = _along("max", "argmax"), _along("min", "argmin")


_NO = object()  # "not given", where torch tells ``dim=None`` from no dim


def _overloads(name, full, along, binary):
    nt = getattr(return_types, name)

    def fn(input, dim=_NO, keepdim=_NO, *, other=None, out=None):
        if isinstance(dim, Tensor) and other is None and keepdim is _NO:
            return binary(input, dim)
        if other is not None and dim is _NO and keepdim is _NO:
            return binary(input, other)
        if dim is _NO and keepdim is _NO and other is None:
            return full(input)
        if other is not None or isinstance(dim, Tensor) or not hasattr(dim, "__index__"):
            got = ", ".join(type(a).__name__ for a in (input, dim, keepdim) if a is not _NO)
            raise TypeError(
                f"{name}() received an invalid combination of arguments - got ({got}), but "
                "expected one of: (Tensor input), (Tensor input, Tensor other), "
                "(Tensor input, int dim, bool keepdim = False)"
            )
        return nt(
            along(
                input, dim=wrap_dim(dim, input.ndim), keepdim=keepdim is not _NO and bool(keepdim)
            )
        )

    fn.__name__ = fn.__qualname__ = name
    return composite(name)(fn)


max = _overloads("max", _max, _max_dim, maximum)
max.__doc__ = """The largest element; or ``(values, indices)`` along ``dim``; or ``maximum``.

    >>> x = ember.tensor([[1.0, 5.0], [4.0, 2.0]])
    >>> x.max(), x.max(1).indices
    (tensor(5.), tensor([1, 0]))
    """
min = _overloads("min", _min, _min_dim, minimum)
min.__doc__ = """The smallest element; or ``(values, indices)`` along ``dim``; or ``minimum``.

    >>> ember.tensor([[1.0, 5.0], [4.0, 2.0]]).min(0).values
    tensor([1., 2.])
    """


def _amax_samples(rng):
    x = rng.permutation(24).reshape(2, 3, 4) / 7.0 - 1.5
    return [((x,), {}), ((x, 1), {}), ((x, (0, 2)), {}), ((x, -1, True), {}),
            ((rng.uniform(-2, 2, ()), 0), {}), ((rng.uniform(-2, 2, (0, 3)), 1), {})]  # fmt: skip


def _amax_grad(grad, out, x, dim, keepdim):
    # ties share the gradient evenly (torch's scale_grad_by_count)
    g = unreduce(grad, x.shape, dim, keepdim)
    mask = unreduce(out, x.shape, dim, keepdim) == x
    return g / mask.sum(dim=_all_dims(x, dim), keepdim=True) * mask


def _amax_like(name, fn):
    def forward(xp, x, *, dim=None, keepdim=False):
        _check_nonempty(name, x, dim)
        return getattr(xp, fn)(x, axis=_axis(x, dim), keepdims=keepdim)

    forward.__name__ = name
    forward.__doc__ = f"""The {fn}imum over ``dim`` (a dim or a tuple; all by default), no indices.

    >>> ember.tensor([[1.0, 5.0], [4.0, 2.0]]).{name}(1)
    tensor([{"5., 4." if fn == "max" else "1., 2."}])
    """
    o = op(name, onnx="Reduce" + fn.capitalize(), samples=_amax_samples)(forward)
    o.defvjp(_amax_grad)
    o.parser(lambda input, dim=(), keepdim=False: (
        (input,), {"dim": dims_arg(dim, input.ndim), "keepdim": keepdim}))  # fmt: skip
    return o


amax = _amax_like("amax", "max")
amin = _amax_like("amin", "min")


def _arg_samples(rng):
    x = rng.permutation(24).reshape(2, 3, 4) / 7.0
    ints = rng.integers(-3, 3, (3, 4))
    return [((x,), {}), ((x, 1), {}), ((x, -1, True), {}), ((x,), {"keepdim": True}),
            ((ints, 0), {}), ((rng.uniform(size=()),), {}), ((rng.uniform(size=()), 0), {}),
            ((rng.uniform(size=(0, 3)), 1), {})]  # fmt: skip


def _arg_like(name, fn):
    def forward(xp, x, *, dim=None, keepdim=False):
        if x.dtype == np.bool_:
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            _check_nonempty(name, x, None, True)
            r = getattr(xp, fn)(x.reshape(-1))
            return xp.asarray(r, dtype=np.int64).reshape((1,) * x.ndim if keepdim else ())
        if x.ndim == 0:
            return xp.zeros((), dtype=np.int64)
        _check_nonempty(name, x, (dim,), True)
        return getattr(xp, fn)(x, axis=dim, keepdims=keepdim).astype(np.int64, copy=False)

    forward.__name__ = name
    forward.__doc__ = f"""The index of the {fn[3:]}imum, in the flattened tensor or along ``dim``.

    >>> ember.tensor([[1.0, 5.0], [4.0, 2.0]]).{name}()
    tensor({1 if fn == "argmax" else 0})
    """
    o = op(name, differentiable=False, onnx="Arg" + fn[3:].capitalize(),
           samples=_arg_samples)(forward)  # fmt: skip
    o.parser(lambda input, dim=None, keepdim=False: (
        (input,), {"dim": None if dim is None else _int_dim(name, dim, input.ndim),
                   "keepdim": keepdim}))  # fmt: skip
    return o


argmax = _arg_like("argmax", "argmax")
argmin = _arg_like("argmin", "argmin")


# -- all / any --------------------------------------------------------------------------------


def _logic_samples(rng):
    b = rng.uniform(size=(3, 4)) > 0.3
    f = rng.integers(0, 3, (2, 3)).astype(np.float64)
    return [((b,), {}), ((b, 1), {}), ((b, (0, 1), True), {}), ((f,), {}), ((f, 0), {}),
            ((rng.integers(0, 2, (3,)).astype(np.uint8), 0), {}), ((b, ()), {}),
            ((np.zeros((0, 3), bool),), {}), ((np.zeros((0, 3), bool), 0), {})]  # fmt: skip


def _logic(name, fn):
    def forward(xp, x, *, dim=None, keepdim=False):
        r = getattr(xp, fn)(x, axis=_axis(x, dim), keepdims=keepdim)
        return r.astype(np.uint8) if x.dtype == np.uint8 else xp.asarray(r)

    forward.__name__ = name
    forward.__doc__ = f"""Whether {"all" if fn == "all" else "any"} elements are true, over
    ``dim`` (a dim or a tuple; all by default); bool, or uint8 for a uint8 input.

    >>> ember.tensor([[True, False], [True, True]]).{name}(1)
    tensor([{"False,  True" if fn == "all" else "True, True"}])
    """
    o = op(name, differentiable=False, samples=_logic_samples)(forward)

    @o.parser
    def _(input, dim=None, keepdim=False):
        if isinstance(dim, (tuple, list)) and len(dim) == 0:
            dims = ()  # torch reduces over no dims here: an elementwise test
        else:
            dims = dims_arg(dim, input.ndim)
        return (input,), {"dim": dims, "keepdim": keepdim}

    return o


all = _logic("all", "all")
any = _logic("any", "any")


# -- std / var --------------------------------------------------------------------------------


def _var_samples(rng):
    x = rng.uniform(-2, 2, (3, 4, 2))
    return [((x,), {}), ((x, 1), {}), ((x, (0, 2), True), {}), ((x, 1, False), {}),
            ((x, False), {}), ((x,), {"dim": -1, "correction": 0}), ((x[0],), {"correction": 2}),
            ((rng.uniform(-2, 2, (5,)), 0, True, True), {}),
            ((rng.uniform(-2, 2, ()),), {"correction": 0}),
            ((x, 1), {"unbiased": False, "keepdim": True})]  # fmt: skip


def _var_forward(xp, x, dim, correction, keepdim, name):
    """(var, mean) with ``correction`` as torch: divide by max(0, n - correction)."""
    if x.dtype.kind not in "fcV":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    axis = _axis(x, dim)
    n = _count(x.shape, dim)
    dof = builtins.max(0, n - correction)
    if dof <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=4,
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        m = xp.sum(x, axis=axis, keepdims=True) / n
        d = x - m
        sq = (d * d.conj()).real if x.dtype.kind == "c" else d * d
        v = xp.sum(sq, axis=axis, keepdims=keepdim) / dof
    if not keepdim:
        m = m.reshape(v.shape)
    return v.astype(sq.dtype, copy=False), m.astype(x.dtype, copy=False)


def _var_backward(grad, x, dim, correction, keepdim):
    if x.ndim == 0 or dim is None:
        dof = x.numel() - correction
        if dof <= 0:  # 2 / 0: inf where x differs from the mean, nan where it equals it
            return grad * where(x == x.mean(), float("nan"), float("inf"))
        return (2.0 / dof) * grad * (x - x.mean())
    grad = unreduce(grad, x.shape, dim, keepdim)
    dof = _count(x.shape, dim) - correction
    scale = 2.0 / dof if dof else float("inf")  # torch's float math: 2 / 0 is inf, not an error
    return scale * grad * (x - x.mean(dim, keepdim=True))


def _std_backward(grad, out, x, dim, correction, keepdim):
    # a constant input has std 0: torch gives it a zero gradient rather than nan
    return _var_backward(where(out == 0, 0.0, grad / (2 * out)), x, dim, correction, keepdim)


def _var_parser(name):
    def parse(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
        if isinstance(dim, bool):  # std(x, False): the second positional is `unbiased`
            if unbiased is not None:
                raise TypeError(f"{name}(): argument 'unbiased' given twice")
            dim, unbiased = None, dim
        if unbiased is not None and correction is not None:
            raise TypeError(
                f"{name}() received an invalid combination of arguments - got both 'unbiased' "
                "and 'correction'"
            )
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = dims_arg(dim, input.ndim)
        return (input,), {"dim": dims, "correction": correction, "keepdim": keepdim}

    return parse


@op(samples=_var_samples)
def var(xp, x, *, dim=None, correction=1, keepdim=False):
    """Variance over ``dim`` with ``correction`` (Bessel's by default; ``unbiased=False`` is 0).

    >>> ember.tensor([1.0, 2.0, 4.0]).var()
    tensor(2.3333)
    """
    return _var_forward(xp, x, dim, correction, keepdim, "var")[0]


@op(samples=_var_samples)
def std(xp, x, *, dim=None, correction=1, keepdim=False):
    """Standard deviation over ``dim`` with ``correction`` (Bessel's by default).

    >>> ember.tensor([1.0, 2.0, 4.0]).std(correction=0)
    tensor(1.2472)
    """
    return xp.sqrt(_var_forward(xp, x, dim, correction, keepdim, "std")[0])


@op(multi=True, method=False, samples=_var_samples)
def var_mean(xp, x, *, dim=None, correction=1, keepdim=False):
    """``(var, mean)`` over ``dim``, one pass for both.

    >>> ember.var_mean(ember.tensor([1.0, 2.0, 4.0]))
    (tensor(2.3333), tensor(2.3333))
    """
    return _var_forward(xp, x, dim, correction, keepdim, "var_mean")


@op(multi=True, method=False, samples=_var_samples)
def std_mean(xp, x, *, dim=None, correction=1, keepdim=False):
    """``(std, mean)`` over ``dim``.

    >>> ember.std_mean(ember.tensor([1.0, 3.0]))
    (tensor(1.4142), tensor(2.))
    """
    v, m = _var_forward(xp, x, dim, correction, keepdim, "std_mean")
    return xp.sqrt(v), m


for _o in (var, std, var_mean, std_mean):
    _o.parser(_var_parser(_o.name))

var.defvjp(lambda grad, out, x, dim, correction, keepdim: _var_backward(
    grad, x, dim, correction, keepdim))  # fmt: skip
std.defvjp(_std_backward)


@var_mean.vjp
def _(grad, out, x, dim, correction, keepdim):
    gm = unreduce(grad[1], x.shape, dim, keepdim) / _count(x.shape, dim)
    return (_var_backward(grad[0], x, dim, correction, keepdim) + gm,)


@std_mean.vjp
def _(grad, out, x, dim, correction, keepdim):
    gm = unreduce(grad[1], x.shape, dim, keepdim) / _count(x.shape, dim)
    return (_std_backward(grad[0], out[0], x, dim, correction, keepdim) + gm,)


# -- logsumexp --------------------------------------------------------------------------------


def _lse_samples(rng):
    x = rng.uniform(-3, 3, (2, 3, 4))
    return [((x, 1), {}), ((x, (0, 2)), {}), ((x, -1, True), {}), ((x[0], [0, 1]), {}),
            ((rng.uniform(-2, 2, ()), 0), {}), ((rng.uniform(size=(0, 3)), 0), {})]  # fmt: skip


@op(promote="float", onnx="ReduceLogSumExp", samples=_lse_samples)
def logsumexp(xp, x, *, dim, keepdim=False):
    """``log(sum(exp(x)))`` over ``dim``, computed without overflow.

    >>> ember.logsumexp(ember.tensor([[0.0, 1000.0]]), 1)
    tensor([1000.])
    """
    axis = _axis(x, dim)
    with np.errstate(divide="ignore", invalid="ignore"):
        if x.size == 0:
            return xp.log(xp.sum(xp.exp(x), axis=axis, keepdims=keepdim))
        m = xp.amax(x, axis=axis, keepdims=True)
        m = xp.where(xp.isinf(m), 0, m)  # inf - inf would be nan; exp does the right thing
        s = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdim:
        s = s.reshape(()) if axis is None else s.squeeze(axis)
    return s.astype(x.dtype, copy=False)


@logsumexp.parser
def _(input, dim, keepdim=False):
    return (input,), {"dim": dims_arg(dim, input.ndim), "keepdim": keepdim}


logsumexp.defvjp(lambda grad, out, x, dim, keepdim: unreduce(grad, x.shape, dim, keepdim) * (
    x - unreduce(out, x.shape, dim, keepdim)).exp())  # fmt: skip


# -- scans ------------------------------------------------------------------------------------


def _rcumsum(x, dim):
    """Sums from each position to the end along ``dim``."""
    return flip(flip(x, (dim,)).cumsum(dim), (dim,))


def _scan_samples(rng):
    x = rng.uniform(0.5, 1.5, (2, 3, 4)) * rng.choice([-1, 1], (2, 3, 4))
    z = rng.uniform(0.5, 1.5, (3, 5))
    z[0, 1] = z[1, 0] = z[1, 3] = z[2, 4] = 0.0
    return [((x, 0), {}), ((x, 1), {}), ((x, -1), {}), ((rng.uniform(-2, 2, ()), 0), {}),
            ((rng.uniform(size=(0, 3)), 1), {}), ((z, 1), {}), ((z, 0), {})]  # fmt: skip


def _scan_parser(input, dim, *, dtype=None, out=None):
    return (input,), {"dim": wrap_dim(dim, input.ndim), "dtype": dtype}


@op(inplace=True, samples=_scan_samples)
def cumsum(xp, x, *, dim, dtype=None):
    """Running sums along ``dim``; integers and bool give int64.

    >>> ember.tensor([1, 2, 3]).cumsum(0)
    tensor([1, 3, 6])
    """
    return xp.cumsum(x.reshape(1) if x.ndim == 0 else x, axis=dim,
                     dtype=_acc_dtype(x, dtype)).reshape(x.shape)  # fmt: skip


@op(inplace=True, samples=_scan_samples)
def cumprod(xp, x, *, dim, dtype=None):
    """Running products along ``dim``; integers and bool give int64.

    >>> ember.tensor([1.0, 2.0, 3.0]).cumprod(0)
    tensor([1., 2., 6.])
    """
    return xp.cumprod(x.reshape(1) if x.ndim == 0 else x, axis=dim,
                      dtype=_acc_dtype(x, dtype)).reshape(x.shape)  # fmt: skip


cumsum.parser(_scan_parser)
cumprod.parser(_scan_parser)
cumsum.defvjp(lambda grad, out, x, dim, dtype=None: grad if x.ndim == 0 else _rcumsum(grad, dim))


def _cumprod_grad(grad, out, x, dim, dtype=None):
    if x.ndim == 0 or x.shape[dim] <= 1:
        return grad
    zero = x == 0
    if not bool(zero.any()):
        return _rcumsum(grad * out, dim) / x
    if STATE.grad:  # create_graph: the slower form whose own derivative is right
        return _cumprod_grad_quadratic(grad, x, dim)
    # d out_i / d x_k = prod_{j <= i, j != k} x_j vanishes for k past the first zero; before it,
    # it is out_i / x_k; at the first zero it is the running product with that zero taken as 1
    seen = zero.cumsum(dim)
    before, first = seen == 0, zero & (seen == 1)
    g_before = _rcumsum(grad * out, dim) / where(before, x, 1.0)
    g_first = _rcumsum(grad * where(first, 1.0, x).cumprod(dim), dim)
    return where(before, g_before, where(first, g_first, 0.0))


def _cumprod_grad_quadratic(grad, x, dim):
    n = x.shape[dim]
    one = ones(*x.shape[:dim], 1, *x.shape[dim + 1 :], dtype=x.dtype, device=x.device)
    parts = []
    for k in range(n):
        # products of x[..j] without x[k], for j >= k
        rest = narrow(x, dim, k + 1, n - k - 1).cumprod(dim)
        if k == 0:
            omitted = cat([one, rest], dim)
        else:
            head = narrow(x, dim, 0, k).prod(dim, keepdim=True)
            omitted = head if k == n - 1 else cat([head, head * rest], dim)
        parts.append((narrow(grad, dim, k, n - k) * omitted).sum(dim, keepdim=True))
    return cat(parts, dim)


cumprod.defvjp(_cumprod_grad)


# -- NaN-ignoring sums, counts ----------------------------------------------------------------


def _nan_samples(rng):
    x = rng.uniform(-2, 2, (2, 3, 4))
    x[0, 1, 2] = x[1, 0, 0] = x[1, 0, 3] = np.nan
    return [((x,), {}), ((x, 1), {}), ((x, (0, 2), True), {}), ((x[0, 1],), {}),
            ((rng.uniform(-2, 2, ()),), {}), ((rng.uniform(size=(0, 3)), 1), {}),
            ((x,), {"dim": -1, "dtype": "float64"})]  # fmt: skip


@op(grad_name="NansumBackward0", samples=_nan_samples)
def nansum(xp, x, *, dim=None, keepdim=False, dtype=None):
    """``sum`` with NaN counted as zero.

    >>> ember.tensor([1.0, float("nan"), 2.0]).nansum()
    tensor(3.)
    """
    if x.dtype.kind == "c":
        raise RuntimeError("nansum does not support complex inputs")
    acc = _acc_dtype(x, dtype)
    if x.dtype.kind in "fV":  # (xp.nansum costs several times more on small inputs)
        x = xp.where(xp.isnan(x), 0, x)
    return x.sum(axis=_axis(x, dim), keepdims=keepdim, dtype=acc)


@nansum.parser
def _(input, dim=None, keepdim=False, *, dtype=None):
    if isinstance(dtype, str):  # the sweep names dtypes
        dtype = getattr(D, dtype)
    return (input,), {"dim": _dims_given(dim, input.ndim), "keepdim": keepdim, "dtype": dtype}


# torch multiplies by the mask: an infinite gradient (nanmean of all NaN) gives NaN there
nansum.defvjp(lambda grad, out, x, dim, keepdim, dtype=None: unreduce(
    grad, x.shape, dim, keepdim) * (x == x))  # fmt: skip
nansum.check = lambda lib, x, *a, dtype=None, **kw: lib.nansum(
    x, *a, dtype=None if dtype is None else getattr(lib, dtype), **kw)  # fmt: skip


@composite()
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """``mean`` of the elements that are not NaN.

    >>> ember.tensor([1.0, float("nan"), 2.0]).nanmean()
    tensor(1.5000)
    """
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but "
                           f"got {_tname(input.dtype)}")  # fmt: skip
    return nansum(input, dim, keepdim, dtype=dtype) / (input == input).sum(dim, keepdim)


def _count_samples(rng):
    x = rng.integers(-1, 2, (2, 3, 4)).astype(np.float64)
    return [((x,), {}), ((x, 1), {}), ((x, (0, 2)), {}), ((x > 0, -1), {}), ((x, ()), {}),
            ((rng.integers(0, 2, ()),), {}), ((np.zeros((0, 3)), 0), {})]  # fmt: skip


@op(differentiable=False, samples=_count_samples)
def count_nonzero(xp, x, *, dim=None):
    """How many elements are not zero, over ``dim`` (a dim or a tuple; all by default).

    >>> ember.tensor([[0, 1], [2, 3]]).count_nonzero(0)
    tensor([1, 2])
    """
    return xp.asarray(xp.count_nonzero(x, axis=_axis(x, dim)), dtype=np.int64)


count_nonzero.parser(lambda input, dim=None: ((input,), {"dim": dims_arg(dim, input.ndim)}))


# -- median, nanmedian, mode, kthvalue --------------------------------------------------------


def _lower_median(xp, x, axis, ignore_nan):
    """(values, indices) of the lower median along ``axis`` (kept as size 1). A NaN makes the
    median NaN (the first NaN, as torch); ``ignore_nan`` takes the median of the others."""
    n = x.shape[axis]
    nan = xp.isnan(x) if x.dtype.kind in "fV" else None
    if nan is None or not nan.any():
        pos = kth_smallest(xp, x, (n - 1) // 2, axis)
        return take_along(xp, x, pos, axis), pos
    # a rank per row: through the stable sort, where the NaNs come last in their input order
    nans = nan.sum(axis=axis, keepdims=True)
    if ignore_nan:  # all NaN: the first of them
        k = xp.maximum((n - nans - 1) // 2, 0)
    else:  # the first NaN
        k = xp.where(nans > 0, n - nans, (n - 1) // 2)
    pos = take_along(xp, stable_argsort(xp, x, axis), k, axis)
    return take_along(xp, x, pos, axis), pos


def _no_bool_complex(x, kernel):
    if x.dtype.kind in "bc":
        not_implemented(kernel, x.dtype)


def _median_full(name):
    def forward(xp, x):
        if x.size == 0:  # torch's NaN, cast to the dtype (True for bool)
            with np.errstate(invalid="ignore"):
                return xp.asarray(np.nan).astype(x.dtype)
        _no_bool_complex(x, "median_cpu")
        flat = x.reshape(-1)
        if x.dtype.kind in "fV":
            nan = xp.isnan(flat)
            if name == "median" and nan.any():
                return xp.asarray(np.nan, dtype=x.dtype)
            flat = flat[~nan]
            if flat.size == 0:
                return xp.asarray(np.nan, dtype=x.dtype)
        k = (flat.size - 1) // 2
        return xp.partition(flat, k)[k]

    forward.__name__ = "_" + name
    o = op("_" + name, method=False, grad_name=_camel_name(name) + "Backward0",
           samples=_median_samples(name == "nanmedian"))(forward)  # fmt: skip
    o.defvjp(_evenly)  # ties share the gradient, as for max()
    o.check = lambda lib, x: getattr(lib, name)(x)
    return o


def _median_along(name):
    def forward(xp, x, *, dim, keepdim=False):
        if x.ndim:
            _check_nonempty("median", x, (dim,), True)
        _no_bool_complex(x, "median_out")
        if x.ndim == 0:
            return x.copy(), xp.zeros((), dtype=np.int64)
        vals, idx = _lower_median(xp, x, dim, name == "nanmedian")
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx

    forward.__name__ = f"_{name}_dim"
    o = op(f"_{name}_dim", multi=True, method=False, grad_name=_camel_name(name) + "Backward1",
           samples=_median_dim_samples(name == "nanmedian"))(forward)  # fmt: skip
    o.defvjp(_to_index)
    o.parser(lambda input, dim, keepdim=False: (
        (input,), {"dim": _int_dim(name, dim, input.ndim), "keepdim": bool(keepdim)}))  # fmt: skip
    o.check = lambda lib, *a, **kw: getattr(lib, name)(*a, **kw)
    return o


def _camel_name(name):
    return name[0].upper() + name[1:]


# NaN results defeat the sweep's finite differences: NaN samples only where NaNs are skipped
# (tests/test_reduce.py compares NaN cases with torch)


def _median_samples(nan_ok):
    def make(rng):
        x = rng.permutation(24).reshape(2, 3, 4) / 7.0 - 1.5
        out = [((x,), {}), ((x[0, 0],), {}), ((x[0, :, :3],), {}), ((rng.uniform(size=()),), {}),
               ((np.zeros(0),), {}), ((rng.permutation(12).reshape(3, 4) - 5,), {})]  # fmt: skip
        if nan_ok:
            x[0, 1, 1] = x[1, 2, 0] = np.nan
            out.append(((x,), {}))
        return out

    return make


def _median_dim_samples(nan_ok):
    def make(rng):
        x = rng.permutation(24).reshape(2, 3, 4) / 7.0 - 1.5
        out = [((x, 1), {}), ((x, -1, True), {}), ((x, 0), {}), ((x[0, 0], 0), {}),
               ((rng.uniform(size=()), 0), {}), ((rng.uniform(size=(0, 3)), 1), {}),
               ((rng.permutation(15).reshape(3, 5) - 7, 1), {})]  # fmt: skip
        if nan_ok:
            nan = x[0].copy()
            nan[0, 1] = nan[2, 0] = nan[2, 3] = np.nan
            out += [((nan, 1), {}), ((nan, 0, True), {})]
        return out

    return make


_median, _nanmedian = _median_full("median"), _median_full("nanmedian")
_median_dim, _nanmedian_dim = _median_along("median"), _median_along("nanmedian")


def _median_like(name, full, along):
    nt = getattr(return_types, name)

    def fn(input, dim=_NO, keepdim=False):
        if dim is _NO:
            return full(input)
        return nt(along(input, dim, keepdim))

    fn.__name__ = fn.__qualname__ = name
    return composite(name)(fn)


median = _median_like("median", _median, _median_dim)
median.__doc__ = """The lower median of all elements; or ``(values, indices)`` along ``dim``.
    NaN propagates: a slice with a NaN has a NaN median.

    >>> ember.tensor([[3.0, 1.0, 2.0, 4.0]]).median(1)
    ember.return_types.median(
    values=tensor([2.]),
    indices=tensor([2]))
    """
nanmedian = _median_like("nanmedian", _nanmedian, _nanmedian_dim)
nanmedian.__doc__ = """``median`` of the elements that are not NaN (NaN when all are).

    >>> ember.tensor([1.0, float("nan"), 3.0, 2.0]).nanmedian()
    tensor(2.)
    """


def _mode_samples(rng):
    ints = rng.integers(0, 3, (3, 5))  # ties have no gradient: integers
    x = rng.permutation(12).reshape(3, 4) / 5.0
    return [((ints, 1), {}), ((ints, 0, True), {}), ((x,), {}), ((x[0],), {"keepdim": True}),
            ((rng.integers(0, 2, (4, 3)) > 0, 0), {}), ((rng.uniform(size=()),), {}),
            ((rng.uniform(size=(0, 3)), 1), {})]  # fmt: skip


@op(multi=True, method=False, grad_name="ModeBackward0", samples=_mode_samples)
def _mode(xp, x, *, dim, keepdim=False):
    if x.ndim == 0:
        return x.copy(), xp.zeros((), dtype=np.int64)
    if x.dtype.kind == "c":
        not_implemented("mode_cpu", x.dtype)
    _check_nonempty("mode", x, (dim,), True)
    m = xp.moveaxis(x, dim, -1)
    idx = stable_argsort(xp, m, -1)
    s = take_along(xp, m, idx, -1)
    # runs of equal values in sorted order (NaN equals nothing); the first longest run is the
    # smallest most frequent value, and torch reports the index of the last element of the run
    ends = xp.ones(s.shape, dtype=bool)
    ends[..., :-1] = s[..., 1:] != s[..., :-1]
    starts = xp.ones(s.shape, dtype=bool)
    starts[..., 1:] = ends[..., :-1]
    pos = xp.arange(s.shape[-1])
    first = xp.maximum.accumulate(xp.where(starts, pos, 0), axis=-1)
    j = xp.argmax(xp.where(ends, pos - first + 1, 0), axis=-1)[..., None]
    vals = xp.moveaxis(take_along(xp, s, j, -1), -1, dim)
    ind = xp.moveaxis(take_along(xp, idx, j, -1), -1, dim)
    return (vals, ind) if keepdim else (vals.squeeze(dim), ind.squeeze(dim))


_mode.parser(lambda input, dim=-1, keepdim=False: (
    (input,), {"dim": _int_dim("mode", dim, input.ndim), "keepdim": bool(keepdim)}))  # fmt: skip
_mode.defvjp(_to_index)
_mode.check = lambda lib, *a, **kw: lib.mode(*a, **kw)


@composite()
def mode(input, dim=-1, keepdim=False):
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest of equally
    frequent ones) and the index of its last occurrence.

    >>> ember.tensor([2, 1, 2, 1, 3]).mode()
    ember.return_types.mode(
    values=tensor(1),
    indices=tensor(3))
    """
    return return_types.mode(_mode(input, dim, keepdim))


def _kth_samples(rng):
    x = rng.permutation(24).reshape(2, 3, 4) / 7.0 - 1.5
    nan = x[0].copy()
    nan[0, 1] = nan[2, 3] = np.nan
    return [((x, 2), {}), ((x, 1, 0), {}), ((x, 3, 1, True), {}), ((x, 4), {"dim": -1}),
            ((nan, 2, 1), {}), ((rng.uniform(size=()), 1), {}), ((rng.uniform(size=(0, 3)), 2), {}),
            ((rng.permutation(15).reshape(3, 5), 3), {})]  # fmt: skip


@op(multi=True, method=False, grad_name="KthvalueBackward0", samples=_kth_samples)
def _kthvalue(xp, x, *, k, dim, keepdim=False):
    if x.ndim:
        _check_nonempty("kthvalue", x, (dim,), True)
    if not 1 <= k <= (x.shape[dim] if x.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    if x.ndim == 0:
        return x.copy(), xp.zeros((), dtype=np.int64)
    _no_bool_complex(x, "kthvalue_cpu")
    idx = kth_smallest(xp, x, k - 1, dim)
    vals = take_along(xp, x, idx, dim)
    return (vals, idx) if keepdim else (vals.squeeze(dim), idx.squeeze(dim))


_kthvalue.parser(lambda input, k, dim=-1, keepdim=False: (
    (input,), {"k": operator.index(k), "dim": _int_dim("kthvalue", dim, input.ndim),
               "keepdim": bool(keepdim)}))  # fmt: skip
_kthvalue.defvjp(lambda grad, out, x, k, dim, keepdim=False: _to_index(grad, out, x, dim, keepdim))
_kthvalue.check = lambda lib, *a, **kw: lib.kthvalue(*a, **kw)


@composite()
def kthvalue(input, k, dim=-1, keepdim=False):
    """``(values, indices)`` of the ``k``-th smallest element (from 1) along ``dim``.

    >>> ember.tensor([3.0, 1.0, 2.0]).kthvalue(2)
    ember.return_types.kthvalue(
    values=tensor(2.),
    indices=tensor(2))
    """
    return return_types.kthvalue(_kthvalue(input, k, dim, keepdim))


# -- quantile, nanquantile --------------------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_layout(xp, x, dim):
    """``x`` with the reduced dim last (flattened for ``dim=None``); the shape kept by keepdim."""
    if dim is None or x.ndim == 0:
        return x.reshape(-1), (1,) * x.ndim
    return xp.moveaxis(x, dim, -1), x.shape[:dim] + (1,) + x.shape[dim + 1 :]


def _quantile_ranks(xp, s, q, interpolation, ignore_nan):
    """For rows ``s`` sorted along the last dim: the ranks below and above each quantile
    (..., K), the interpolation weight, ``n_valid - 1`` and where the rank came from ``q``."""
    dt = s.dtype
    q1 = xp.asarray(q, dtype=dt).reshape(-1)
    nan = xp.isnan(s)
    if ignore_nan:  # ranks among the values that are not NaN; all NaN: rank 0 (a NaN)
        last = (s.shape[-1] - nan.sum(-1, keepdims=True) - 1).astype(dt)
        ranks = q1 * last
        valid = ~(ranks < 0)
    else:  # a NaN in the row: the last rank, which holds a NaN
        last = dt.type(s.shape[-1] - 1)
        valid = xp.broadcast_to(~nan.any(-1, keepdims=True), s.shape[:-1] + q1.shape)
        ranks = q1 * last
    ranks = xp.where(valid, ranks, 0 if ignore_nan else last)
    if interpolation in ("lower", "higher", "nearest"):
        ranks = {"lower": xp.floor, "higher": xp.ceil, "nearest": xp.round}[interpolation](ranks)
        valid = xp.zeros_like(valid)  # rounded ranks do not move with q
    below = ranks.astype(np.int64)
    above = xp.ceil(ranks).astype(np.int64)
    w = xp.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below.astype(dt)
    return below, above, w, last, valid


def _lerp(xp, a, b, w):
    # torch's lerp: exact at both ends
    return xp.where(xp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def _quantile_forward(xp, x, q, dim, keepdim, interpolation, ignore_nan):
    rows, keep = _quantile_layout(xp, x, dim)
    s = xp.sort(rows, axis=-1)
    below, above, w, _, _ = _quantile_ranks(xp, s, q, interpolation, ignore_nan)
    out = take_along(xp, s, below, -1)
    if interpolation in ("linear", "midpoint"):
        out = _lerp(xp, out, take_along(xp, s, above, -1), w)
    out = xp.moveaxis(out, -1, 0)  # the quantiles first
    if keepdim:
        out = out.reshape(out.shape[:1] + keep)
    return out[0] if xp.ndim(q) == 0 else out


def _quantile_keys(xp, x, dim, pos):
    """Indices into ``x`` of the positions ``pos`` (..., K) along the last dim of the layout."""
    if dim is None or x.ndim == 0:
        return xp.unravel_index(pos, x.shape) if x.ndim else ()
    key = []
    for i, n in enumerate(x.shape):
        if i == dim:
            key.append(pos)
        else:  # dim i sits at i (or i - 1, after the reduced dim) among x.ndim layout dims
            shape = [1] * x.ndim
            shape[i if i < dim else i - 1] = n
            key.append(xp.arange(n).reshape(shape))
    return tuple(key)


def _quantile_parts(x, q, dim, interpolation, ignore_nan):
    """What the rules need: keys into ``x`` of the elements below and above each quantile,
    the gradient's layout, and the interpolation weight as a function of ``q``."""
    from .._device import xp_of

    xp = xp_of(x._data)
    rows, _ = _quantile_layout(xp, x._data, dim)
    perm = stable_argsort(xp, rows, -1)
    s = take_along(xp, rows, perm, -1)
    qa = q._data if isinstance(q, Tensor) else q
    below, above, w, last, valid = _quantile_ranks(xp, s, qa, interpolation, ignore_nan)
    kb = _quantile_keys(xp, x._data, dim, take_along(xp, perm, below, -1))
    ka = _quantile_keys(xp, x._data, dim, take_along(xp, perm, above, -1))
    wt = Tensor._wrap(w)
    last, valid = Tensor._wrap(xp.asarray(last)), Tensor._wrap(valid)
    if interpolation == "linear" and isinstance(q, Tensor):  # w = q * last - below
        wt = where(valid, q.reshape(-1) * last - Tensor._wrap(below.astype(w.dtype)), wt)
    return kb, ka, wt, last, valid


def _quantile_grad_rows(grad, q, x, dim):
    """The output's gradient in the (..., K) layout of the ranks."""
    lead = [] if dim is None else [n for i, n in enumerate(x.shape) if i != dim]
    if not isinstance(q, Tensor) or q.ndim == 0:
        return grad.reshape(*lead, 1)
    return grad.reshape(q.shape[0], *lead).movedim(0, -1)


def _quantile_grad_x(grad, out, x, q, dim, keepdim, interpolation, ignore_nan):
    g = _quantile_grad_rows(grad, q, x, dim)
    if x.ndim == 0:  # the one element is below and above every quantile
        return g.sum()
    kb, ka, w, _, _ = _quantile_parts(x, q, dim, interpolation, ignore_nan)
    shape = tuple(x.shape)
    if interpolation not in ("linear", "midpoint"):
        return _index_backward(g, indices=kb, shape=shape)
    return (_index_backward(g * (1 - w), indices=kb, shape=shape)
            + _index_backward(g * w, indices=ka, shape=shape))  # fmt: skip


def _quantile_grad_q(grad, out, x, q, dim, keepdim, interpolation, ignore_nan):
    if interpolation != "linear":  # the rounded ranks and the midpoint do not depend on q
        return None
    g = _quantile_grad_rows(grad, q, x, dim)
    kb, ka, _, last, valid = _quantile_parts(x, q, dim, interpolation, ignore_nan)
    shape = tuple(x.shape)
    slope = (_index(x, indices=ka, shape=shape) - _index(x, indices=kb, shape=shape)) * last
    dq = g * where(valid, slope, 0.0)
    return dq.reshape(-1, dq.shape[-1]).sum(0).reshape(q.shape)


def _quantile_samples(nan_ok):
    def make(rng):
        x = rng.permutation(24).reshape(2, 3, 4) / 7.0 - 1.5
        q = np.array([0.1, 0.45, 0.8])
        out = [((x, 0.3), {}), ((x, 0.3, 1), {}), ((x, q, -1, True), {}), ((x, q, 0), {}),
               ((x, np.array(0.65)), {"dim": 2}), ((x, q, None, True), {}),
               ((x[0], 0.4, 1), {"interpolation": "lower"}),
               ((x[0], q, 0), {"interpolation": "higher"}),
               ((x[0], q, 1), {"interpolation": "midpoint"}),
               ((x[0], 0.5, 1), {"interpolation": "nearest"}), ((x[0], 1.0, 1), {}),
               ((rng.uniform(size=()), q), {}),
               ((rng.uniform(size=()), 0.3, 0, True), {})]  # fmt: skip
        if nan_ok:
            nan = x[0].copy()
            nan[0, 1] = nan[2, 0] = nan[2, 3] = np.nan
            out += [((nan, q, 1), {}), ((nan, 0.3, 0, True), {})]
        return out

    return make


def _quantile_like(name, ignore_nan):
    def forward(xp, x, q, *, dim=None, keepdim=False, interpolation="linear"):
        return _quantile_forward(xp, x, q, dim, keepdim, interpolation, ignore_nan)

    forward.__name__ = name
    forward.__doc__ = f"""The ``q``-th quantiles (a number, or a 1-d tensor of them, in
    [0, 1]) of ``input`` along ``dim`` (of all elements by default), interpolating between
    the two nearest elements as ``interpolation`` says.{
        " NaNs are ignored." if ignore_nan else " A NaN makes the result NaN."
    }

    >>> ember.{name}(ember.tensor([1.0, 2.0, 4.0, 8.0]), 0.5)
    tensor(3.)
    """
    o = op(name, grad_name="SqueezeBackward4", samples=_quantile_samples(ignore_nan))(forward)
    o.defvjp(
        lambda grad, out, x, q, dim, keepdim, interpolation: _quantile_grad_x(
            grad, out, x, q, dim, keepdim, interpolation, ignore_nan),
        lambda grad, out, x, q, dim, keepdim, interpolation: _quantile_grad_q(
            grad, out, x, q, dim, keepdim, interpolation, ignore_nan),
    )  # fmt: skip

    @o.parser
    def _(input, q, dim=None, keepdim=False, *, interpolation="linear"):
        if interpolation not in _INTERPOLATIONS:
            raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                               f"midpoint or nearest, but got {interpolation}")  # fmt: skip
        if input.numel() == 0:
            raise RuntimeError("quantile() input tensor must be non-empty")
        if isinstance(q, Tensor):
            if q.ndim > 1:
                raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        elif not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
        if input.dtype not in (D.float32, D.float64):
            raise RuntimeError("quantile() input tensor must be either float or double dtype")
        if isinstance(q, Tensor):
            if q.dtype is not input.dtype:
                raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
            if not bool(((q >= 0) & (q <= 1)).all()):
                raise RuntimeError("quantile() q values must be in the range [0, 1]")
        else:
            q = float(q)
        dim = None if dim is None else _int_dim(name, dim, input.ndim)
        return (input, q), {"dim": dim, "keepdim": bool(keepdim), "interpolation": interpolation}

    return o


quantile = _quantile_like("quantile", False)
nanquantile = _quantile_like("nanquantile", True)


# -- aminmax ----------------------------------------------------------------------------------


def _aminmax_samples(rng):
    x = rng.permutation(24).reshape(2, 3, 4) / 7.0 - 1.5
    return [((x,), {}), ((x,), {"dim": 1}), ((x,), {"dim": -1, "keepdim": True}),
            ((x,), {"keepdim": True}), ((rng.uniform(size=()),), {"dim": 0}),
            ((rng.uniform(size=(0, 3)),), {"dim": 1}),
            ((rng.integers(-3, 3, (3, 4)),), {"dim": 0})]  # fmt: skip


@op(multi=True, method=False, grad_name="AminmaxBackward0", samples=_aminmax_samples)
def _aminmax(xp, x, *, dim=None, keepdim=False):
    if dim is None:
        if x.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")  # fmt: skip
    elif x.ndim and x.shape[dim] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {dim} to have non-zero size.")
    axis = None if dim is None or x.ndim == 0 else dim
    return xp.min(x, axis=axis, keepdims=keepdim), xp.max(x, axis=axis, keepdims=keepdim)


@_aminmax.parser
def _(input, *, dim=None, keepdim=False):
    dim = None if dim is None else _int_dim("aminmax", dim, input.ndim)
    return (input,), {"dim": dim, "keepdim": bool(keepdim)}


@_aminmax.vjp
def _(grad, out, x, dim, keepdim):
    dims = None if dim is None else (dim,)  # each shares its gradient among ties, as amax
    return (_amax_grad(grad[0], out[0], x, dims, keepdim)
            + _amax_grad(grad[1], out[1], x, dims, keepdim),)  # fmt: skip


_aminmax.check = lambda lib, *a, **kw: lib.aminmax(*a, **kw)


@composite()
def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` over ``dim`` (all elements by default) in one pass.

    >>> ember.tensor([[1.0, 5.0], [4.0, 2.0]]).aminmax(dim=1)
    ember.return_types.aminmax(
    min=tensor([1., 2.]),
    max=tensor([5., 4.]))
    """
    return return_types.aminmax(_aminmax(input, dim=dim, keepdim=keepdim))


# -- cummax, cummin, logcumsumexp -------------------------------------------------------------


def _cum_samples(rng):
    x = rng.permutation(24).reshape(2, 3, 4) / 7.0 - 1.5
    return [((x, 0), {}), ((x, 1), {}), ((x, -1), {}),
            ((rng.uniform(size=()), 0), {}), ((rng.uniform(size=(0, 3)), 1), {}),
            ((rng.integers(-2, 3, (3, 5)), 1), {}),
            ((rng.integers(0, 2, (6,)) > 0, 0), {})]  # fmt: skip


def _cum_extreme(name, ufunc):
    def forward(xp, x, *, dim):
        if x.ndim == 0:
            return x.copy(), xp.zeros((), dtype=np.int64)
        if x.dtype.kind == "c":
            not_implemented(f"{name}_cpu", x.dtype)
        vals = getattr(xp, ufunc).accumulate(x, axis=dim)  # NaN propagates
        # the index moves to every element that reaches the running extreme (ties: the last)
        # and to every NaN, as torch's `x >= running || isnan(x)`
        mark = x == vals
        if x.dtype.kind in "fV":
            mark |= xp.isnan(x)
        pos = xp.arange(x.shape[dim]).reshape((-1,) + (1,) * (x.ndim - 1 - dim))
        return vals, xp.maximum.accumulate(xp.where(mark, pos, 0), axis=dim)

    forward.__name__ = "_" + name
    o = op("_" + name, multi=True, method=False, grad_name=_camel_name(name) + "Backward0",
           samples=_cum_samples)(forward)  # fmt: skip
    o.parser(lambda input, dim: ((input,), {"dim": wrap_dim(dim, input.ndim)}))
    o.defvjp(lambda grad, out, x, dim: grad[0] if x.ndim == 0 or x.numel() == 0
             else select_backward(grad[0], out[1], dim, x.shape))  # fmt: skip
    o.check = lambda lib, *a, **kw: getattr(lib, name)(*a, **kw)
    nt = getattr(return_types, name)

    def public(input, dim):
        return nt(o(input, dim))

    public.__name__ = public.__qualname__ = name
    return o, composite(name)(public)


_cummax, cummax = _cum_extreme("cummax", "maximum")
cummax.__doc__ = """``(values, indices)``: the running maximum along ``dim`` and where it was
    last reached (NaN propagates).

    >>> ember.cummax(ember.tensor([1, 3, 2, 3]), 0).indices
    tensor([0, 1, 1, 3])
    """
_cummin, cummin = _cum_extreme("cummin", "minimum")
cummin.__doc__ = """``(values, indices)``: the running minimum along ``dim`` and where it was
    last reached (NaN propagates).

    >>> ember.cummin(ember.tensor([3, 1, 2, 1]), 0).values
    tensor([3, 1, 1, 1])
    """


def _lcse_samples(rng):
    x = rng.uniform(-3, 3, (2, 3, 4))
    big = np.array([[1000.0, 999.0, -1000.0], [-np.inf, 0.0, np.inf]])
    return [((x, 0), {}), ((x, 1), {}), ((x, -1), {}), ((rng.uniform(-2, 2, ()), 0), {}),
            ((rng.uniform(size=(0, 3)), 1), {}), ((big[:1], 1), {})]  # fmt: skip


@op(samples=_lcse_samples)
def logcumsumexp(xp, x, *, dim):
    """``log(cumsum(exp(input)))`` along ``dim``, without overflow.

    >>> ember.logcumsumexp(ember.tensor([0.0, 1000.0]), 0)
    tensor([   0., 1000.])
    """
    if x.dtype.kind not in "fV":
        not_implemented("logcumsumexp_out_cpu", x.dtype)
    if x.ndim == 0:
        return x.copy()
    a = x if x.dtype.itemsize >= 4 else x.astype(np.float32)  # half types: in float32
    with np.errstate(invalid="ignore", over="ignore"):
        return xp.logaddexp.accumulate(a, axis=dim).astype(x.dtype, copy=False)


logcumsumexp.parser(lambda input, dim: ((input,), {"dim": wrap_dim(dim, input.ndim)}))


def _lcse_grad(grad, out, x, dim):
    if x.ndim == 0:
        return grad
    # torch's form: sums of grad * exp(x - out) split by the sign of grad, each in log space
    low = D.finfo(x.dtype).min
    mag = grad.abs().log()
    pos, neg = where(grad > 0, mag, low), where(grad < 0, mag, low)

    def reverse_lcse(t):
        return flip(logcumsumexp(flip(t, (dim,)), dim), (dim,))

    return (reverse_lcse(pos - out) + x).exp() - (reverse_lcse(neg - out) + x).exp()


logcumsumexp.defvjp(_lcse_grad)
