"""Reductions and scans: sum, mean, prod, max/min (full, along a dim, against another tensor),
amax/amin, argmax/argmin, all/any, std/var (and their _mean forms), logsumexp, cumsum, cumprod.

Forwards take dims already normalized by the parsers (a sorted tuple of non-negative dims, or
None for all); a 0-d tensor reduces over its one implicit dim. The VJP rules are written in
ember ops, so second-order gradients work.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from .. import _dtype as D
from .. import return_types
from .._creation import arange, ones
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._util import dims_arg, wrap_dim
from .elementwise import maximum, minimum, where
from .registry import composite, op
from .shape import cat, flip, narrow

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
