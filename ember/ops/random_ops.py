"""Random sampling: ``normal``, ``bernoulli``, ``poisson``, ``binomial``, ``multinomial`` and
the in-place fills ``uniform_``, ``normal_``, ``bernoulli_``, ``exponential_``, ``random_``,
``geometric_``, ``cauchy_``, ``log_normal_``.

Every draw comes from an ember Generator (``generator=``, else the default one), which wraps
NumPy's PCG64: the same seed gives the same numbers in ember every time, but NOT the numbers torch
gives for that seed (torch uses a Mersenne Twister and its own transforms). Distributions, dtypes,
shapes, errors and grad_fn names are torch's; as in torch, a sample's gradient with respect to
its parameters is zero (``NormalBackward*``) or not implemented (bernoulli with a float ``p``,
binomial). The in-place fills bump the version counter and refuse a leaf that requires grad.

>>> g = ember.Generator().manual_seed(0)
>>> ember.normal(ember.zeros(2, 3), 1.0, generator=g).shape
ember.Size([2, 3])
"""

from __future__ import annotations

import math

import numpy as np

from .. import _creation as C
from .. import _dtype as D
from .. import _generator as G
from .._generator import numpy_rng
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._util import broadcast_shapes
from .registry import _tname, apply_inplace, composite, op

__all__ = ["normal", "bernoulli", "poisson", "binomial", "multinomial", "install"]

_NOT_IMPLEMENTED = "torch::autograd::NotImplemented"  # torch's node for a missing derivative
_RANDOM = "random: ember's streams differ from torch's; tests/test_random.py checks them"
_SQRT_HALF = math.sqrt(0.5)


def _not_implemented(kernel, npdt):
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{_tname(np.dtype(npdt))}'")


def _is_float(npdt) -> bool:
    return npdt.kind == "f" or npdt.kind == "V"  # bfloat16 (ml_dtypes) is kind V


def _to(xp, a):
    return a if xp is np else xp.asarray(a)


# Rules giving input 0 / input 1 a zero gradient, as torch's derivatives of samples (they read
# only shapes, so nothing is saved).
def _zero0(grad, out, x, *rest, **params):
    return grad.new_zeros(x.shape)


def _zero1(grad, out, x, y, **params):
    return grad.new_zeros(y.shape)


def _not_differentiable(name):
    def rule(grad, out, *inputs, **params):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")

    return rule


# -- normal -----------------------------------------------------------------------------------

_NORMAL_NAMES = {(True, True): "NormalBackward3", (True, False): "NormalBackward1",
                 (False, True): "NormalBackward2"}  # fmt: skip


@op(method=False, grad_name=lambda args, params: _NORMAL_NAMES[
    isinstance(args[0], Tensor), isinstance(args[1], Tensor)])  # fmt: skip
def _normal(xp, mean, std, *, generator=None):
    """normal(mean, std) where one or both are tensors (the others Python floats)."""
    npdt = (mean if hasattr(mean, "dtype") else std).dtype  # mean's dtype, else std's
    if hasattr(std, "dtype"):
        if std.dtype.kind == "c":
            raise RuntimeError("normal expects standard deviation to be non-complex")
        if not bool((std >= 0).all()):  # NaN fails too
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if not _is_float(npdt) and npdt.kind != "c":
        _not_implemented("normal_kernel_cpu", npdt)
    shape = broadcast_shapes([np.shape(mean), np.shape(std)])
    z = _to(xp, _standard(numpy_rng(generator), shape, npdt))
    return (z * std + mean).astype(npdt, copy=False)


_normal.defvjp(_zero0, _zero1)
_normal.no_samples = _RANDOM


def _standard(rng, shape, npdt, mean=0.0, std=1.0):
    """Normal samples in ``npdt``; a complex sample's parts each take variance std**2 / 2."""
    scale = std * _SQRT_HALF if npdt.kind == "c" else std
    return G.sample(G.normal, rng, shape, npdt, mean, scale)


def _with_out(result, out, fn, inputs):
    if out is None:
        return result
    if STATE.grad and any(isinstance(a, Tensor) and a.requires_grad for a in inputs):
        raise RuntimeError(C._OUT_GRAD.format(fn))
    return C._into(out, result._data)


def _bad_normal(args):
    got = ", ".join(type(a).__name__ for a in args)
    raise TypeError(
        f"normal() received an invalid combination of arguments - got ({got}), but expected one "
        "of: (Tensor mean, Tensor std), (Tensor mean, float std = 1), (float mean, Tensor std), "
        "(float mean, float std, tuple of ints size)"
    )


def _real_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


@composite(method=False)
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False) -> Tensor:  # fmt: skip
    """Normal samples: ``normal(mean_tensor, std_tensor)`` (broadcast; the dtype is mean's),
    ``normal(mean_tensor, 1.0)``, ``normal(0.0, std_tensor)``, or ``normal(0.0, 1.0, size)``.

    >>> ember.normal(2.0, 0.5, (2, 3)).shape
    ember.Size([2, 3])
    """
    tensors = isinstance(mean, Tensor) or isinstance(std, Tensor)
    for v in (mean, std):
        if not isinstance(v, Tensor) and not _real_number(v):
            _bad_normal((mean, std))
    if tensors:
        if size is not None or dtype is not None or device is not None or requires_grad:
            _bad_normal((mean, std, size) if size is not None else (mean, std))
        if out is not None and out.dtype.category < 2:
            _not_implemented("normal_kernel_cpu", out.dtype.np)
        m = mean if isinstance(mean, Tensor) else float(mean)
        s = std if isinstance(std, Tensor) else float(std)
        return _with_out(_normal(m, s, generator=generator), out, "normal", (mean, std))
    if size is None:
        _bad_normal((mean, std))
    mean, std = float(mean), float(std)
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    dt = C._dtype_arg(dtype, out) or D.get_default_dtype()
    if dt.category < 2:
        _not_implemented("normal_kernel_cpu", dt.np)
    arr = _standard(numpy_rng(generator), C._sizes((size,), "normal"), D.to_numpy_dtype(dt), mean,
                    std)  # fmt: skip
    return C._finish(arr, device, requires_grad, out, "normal")


# -- bernoulli, poisson, binomial -------------------------------------------------------------


def _bernoulli_p_check(p):
    if not _is_float(p.dtype):
        _not_implemented("bernoulli_tensor_cpu_p_", p.dtype)
    if not bool(((p >= 0) & (p <= 1)).all()):
        raise RuntimeError(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
            "message be improved?  If so, please report an enhancement request to PyTorch.)"
        )


@op(method=False, grad_name=lambda args, params: "BernoulliBackward0" if params.get("p") is None
    else _NOT_IMPLEMENTED)  # fmt: skip
def _bernoulli(xp, x, *, p=None, generator=None):
    rng = numpy_rng(generator)
    if p is None:  # x holds the probabilities
        if x.dtype.kind == "c":
            _not_implemented("bernoulli_tensor_cpu_self_", x.dtype)
        _bernoulli_p_check(x)
        return _to(xp, rng.random(x.shape) < _host(x)).astype(x.dtype)
    if x.dtype.kind == "c":
        _not_implemented("bernoulli_scalar_cpu_", x.dtype)
    return _to(xp, rng.random(x.shape) < p).astype(x.dtype)


def _bernoulli_rule(grad, out, x, *, p=None, generator=None):
    if p is not None:
        raise RuntimeError("derivative for aten::bernoulli is not implemented")
    return grad.new_zeros(x.shape)


_bernoulli.defvjp(_bernoulli_rule)
_bernoulli.no_samples = _RANDOM


def _host(a):
    return a.get() if hasattr(a, "get") else a


@composite()
def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """0/1 samples: ``bernoulli(probs)`` draws 1 with each element's probability (in its
    dtype); ``bernoulli(input, p)`` draws with probability ``p`` in ``input``'s shape and dtype.

    >>> ember.bernoulli(ember.tensor([0.0, 1.0]))
    tensor([0., 1.])
    """
    if p is not None:
        if isinstance(p, Tensor) or out is not None:
            raise TypeError(
                "bernoulli() received an invalid combination of arguments - expected one of: "
                "(Tensor input, *, Generator generator, Tensor out), (Tensor input, float p, *, "
                "Generator generator)"
            )
        _check_p01(float(p))
        return _bernoulli(input, p=float(p), generator=generator)
    return _with_out(_bernoulli(input, generator=generator), out, "bernoulli", (input,))


def _check_p01(p):
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")


@op(method=False)
def _poisson(xp, rates, *, generator=None):
    if not _is_float(rates.dtype):
        _not_implemented("poisson_cpu", rates.dtype)
    lam = _host(rates).astype(np.float64)
    if not bool((lam >= 0).all()):  # NaN fails too
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    rng = numpy_rng(generator)
    big = lam > 1e15  # past NumPy's range: a normal approximation (exact to the float's ulp)
    out = rng.poisson(np.where(big, 0.0, lam)).astype(np.float64)
    if big.any():
        with np.errstate(invalid="ignore"):
            out[big] = np.round(rng.normal(lam[big], np.sqrt(lam[big])))
    return _to(xp, out).astype(rates.dtype)


_poisson.defvjp(_zero0)
_poisson.no_samples = _RANDOM


@composite(method=False)
def poisson(input, generator=None) -> Tensor:
    """Poisson samples with the rates in ``input`` (same shape and dtype).

    >>> ember.poisson(ember.zeros(3))
    tensor([0., 0., 0.])
    """
    return _poisson(input, generator=generator)


@op(method=False, grad_name=_NOT_IMPLEMENTED)
def _binomial(xp, count, prob, *, generator=None):
    if not _is_float(count.dtype):
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{_tname(count.dtype)}")  # fmt: skip
    if prob.dtype != count.dtype:
        raise RuntimeError(f"Found dtype {_tname(prob.dtype)} but expected {_tname(count.dtype)}")
    n = np.maximum(np.floor(_host(count).astype(np.float64)), 0)
    p = np.clip(np.nan_to_num(_host(prob).astype(np.float64)), 0, 1)
    return _to(xp, numpy_rng(generator).binomial(n.astype(np.int64), p)).astype(count.dtype)


_binomial.defvjp(_not_differentiable("binomial"), _not_differentiable("binomial"))
_binomial.no_samples = _RANDOM


@composite(method=False)
def binomial(count, prob, generator=None) -> Tensor:
    """Binomial samples: successes in ``count`` trials of probability ``prob`` (broadcast; the
    dtype is count's, which must be floating point).

    >>> ember.binomial(ember.tensor([5.0]), ember.tensor([1.0]))
    tensor([5.])
    """
    if not isinstance(prob, Tensor):
        raise TypeError(f"binomial(): argument 'prob' (position 2) must be Tensor, not "
                        f"{type(prob).__name__}")  # fmt: skip
    return _binomial(count, prob, generator=generator)


# -- multinomial ------------------------------------------------------------------------------


@op(method=False, differentiable=False)
def _multinomial(xp, probs, *, num_samples, replacement, generator=None):
    p = _host(probs).astype(np.float64).reshape(-1, probs.shape[-1])
    rng = numpy_rng(generator)
    if not replacement or num_samples == 1:
        if not (np.all(p < np.inf) and np.all(p >= 0)):  # NaN fails too
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if bool((p.sum(1) == 0).any()):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        # torch's trick: the top n of p / Exp(1) are a draw without replacement
        keys = p / rng.standard_exponential(p.shape)
        idx = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    else:
        if bool((p < 0).any()) or bool(np.isnan(p).any()):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry "
                               "< 0)")  # fmt: skip
        if not bool(np.isfinite(p).all()):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry "
                               "= infinity or NaN)")  # fmt: skip
        total = p.sum(1, keepdims=True)
        if bool((total <= 0).any()):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        rows, k = p.shape
        # one searchsorted over all rows: row r's cumulative sums shifted by r
        cdf = (np.cumsum(p, 1) / total + np.arange(rows)[:, None]).ravel()
        u = rng.random((rows, num_samples)) + np.arange(rows)[:, None]
        idx = np.searchsorted(cdf, u, side="right").reshape(rows, num_samples)
        idx -= np.arange(rows)[:, None] * k
        last = k - 1 - np.argmax(p[:, ::-1] > 0, axis=1)  # rounding never picks a zero category
        idx = np.minimum(idx, last[:, None])
    return _to(xp, idx.reshape(probs.shape[:-1] + (num_samples,)).astype(np.int64))


_multinomial.no_samples = _RANDOM


@composite()
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """Category indices drawn with the (unnormalized) probabilities in each row of ``input``
    (1-d or 2-d); without ``replacement`` each row's indices are distinct.

    >>> ember.multinomial(ember.tensor([0.0, 1.0, 0.0]), 1)
    tensor([1])
    """
    if not input.is_floating_point():
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {_tname(input.dtype)}"
        )
    if out is not None and out.dtype is not D.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {_tname(out.dtype)}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    n = int(num_samples)
    k = input.shape[-1]
    if k > 2**24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and n > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")  # fmt: skip
    r = _multinomial(input, num_samples=n, replacement=bool(replacement), generator=generator)
    return r if out is None else C._into(out, r._data)


# -- in-place fills: Tensor.uniform_ and kin ---------------------------------------------------
# Each is an op over ``self`` whose forward returns the new values (apply_inplace writes them,
# bumps the version counter and records the node: a zero gradient, as torch's).


def _fill(name, grad_name):
    def wrap(fn):
        o = op(name, method=False, grad_name=grad_name)(fn)
        o.defvjp(*(_zero0, _zero1)[: o.nin])
        o.no_samples = _RANDOM
        return o

    return wrap


def _floats(x, kernel, *args, generator):
    """A sample shaped and typed like ``x`` (a real float or complex array)."""
    return G.sample(kernel, numpy_rng(generator), x.shape, x.dtype, *args)


@_fill("_fill_uniform", "UniformBackward0")
def _fill_uniform(xp, x, *, low, high, generator=None):
    npdt = x.dtype
    real = (
        np.dtype(np.float32 if npdt == np.complex64 else np.float64) if npdt.kind == "c" else npdt
    )
    if not _is_float(real):
        _not_implemented("check_uniform_bounds", npdt)
    lo, hi = C._limits(D.from_numpy_dtype(real))
    for what, v in (("from", low), ("to", high)):
        if not lo <= v <= hi:
            raise RuntimeError(f"{what} is out of bounds for {C._RANDOM_NAMES[real.name]}")
    if not low <= high:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={low:g} > to={high:g}"
        )
    if high - low > hi:
        raise RuntimeError(
            f"uniform_ expects to-from <= std::numeric_limits<{_tname(real)}>::max(), but found "
            f"to={high:g} and from={low:g} which result in to-from to exceed the limit"
        )
    return _to(xp, _floats(x, G.uniform, low, high, generator=generator))


@_fill("_fill_normal", "NormalBackward0")
def _fill_normal(xp, x, *, mean, std, generator=None):
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if not _is_float(x.dtype) and x.dtype.kind != "c":
        _not_implemented("normal_kernel_cpu", x.dtype)
    return _to(xp, _standard(numpy_rng(generator), x.shape, x.dtype, mean, std))


@_fill("_fill_bernoulli", "BernoulliBackward2")
def _fill_bernoulli(xp, x, *, p, generator=None):
    _check_p01(p)
    return _bernoulli.forward(xp, x, p=p, generator=generator)


@_fill("_fill_bernoulli_tensor", "BernoulliBackward1")
def _fill_bernoulli_tensor(xp, x, p, *, generator=None):
    if x.dtype.kind == "c":
        _not_implemented("bernoulli_tensor_cpu_self_", x.dtype)
    _bernoulli_p_check(p)
    return _to(xp, numpy_rng(generator).random(x.shape) < _host(p)).astype(x.dtype)


def _continuous(x, what):
    if not _is_float(x.dtype):
        name = _tname(x.dtype) if what == "Exponential" else C._RANDOM_NAMES[x.dtype.name]
        raise RuntimeError(f"{what} distribution is a continuous probability distribution. dtype "
                           f"must be a floating point but you specified {name}")  # fmt: skip


def _real_draw(xp, x, draw):
    """``draw(rng)`` -> float samples (float32 unless x is float64) cast to x's dtype."""
    return _to(xp, draw(np.float64 if x.dtype == np.float64 else np.float32)).astype(x.dtype)


@_fill("_fill_exponential", "ExponentialBackward0")
def _fill_exponential(xp, x, *, lambd, generator=None):
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    _continuous(x, "Exponential")
    rng = numpy_rng(generator)
    return _real_draw(xp, x, lambda w: rng.standard_exponential(x.shape, dtype=w) / w(lambd))


@_fill("_fill_cauchy", "CauchyBackward0")
def _fill_cauchy(xp, x, *, median, sigma, generator=None):
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    _continuous(x, "Cauchy")
    rng = numpy_rng(generator)
    return _real_draw(xp, x, lambda w: w(median) + w(sigma) * rng.standard_cauchy(x.shape))


@_fill("_fill_log_normal", "LogNormalBackward0")
def _fill_log_normal(xp, x, *, mean, std, generator=None):
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    if not _is_float(x.dtype):
        _not_implemented("log_normal_cpu", x.dtype)
    rng = numpy_rng(generator)
    return _real_draw(xp, x, lambda w: np.exp(G.normal(rng, x.shape, np.dtype(w), mean, std)))


@_fill("_fill_geometric", "GeometricBackward0")
def _fill_geometric(xp, x, *, p, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    if x.dtype.kind in "bc":
        _not_implemented("geometric_cpu", x.dtype)
    return _to(xp, numpy_rng(generator).geometric(p, x.shape)).astype(x.dtype)


_RANDOM_NAMES_BY_OVERLOAD = ("RandomBackward0", "RandomBackward1", "RandomBackward2")


@_fill("_fill_random", lambda args, params: _RANDOM_NAMES_BY_OVERLOAD[params["overload"]])
def _fill_random(xp, x, *, low, high, overload, generator=None):
    dt = D.from_numpy_dtype(x.dtype)
    if overload == 2:  # random_(): [0, 2**digits] for floats, [0, max] for integers
        if dt.category == 3:
            _not_implemented("random_kernel_cpu", x.dtype)
        lo, hi = C.random_range(0, None, dt)
    else:
        lo, hi = C.random_range(low, high, dt)
    return _to(xp, C.random_integers(numpy_rng(generator), x.shape, lo, hi, x.dtype))


def _number(fn, name, v, kind=float):
    if isinstance(v, Tensor):
        v = v.item()
    if kind is int and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
        raise TypeError(f"{fn}(): argument '{name}' must be int, not {type(v).__name__}")
    if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool):
        raise TypeError(f"{fn}(): argument '{name}' must be float, not {type(v).__name__}")
    return kind(v)


def _fill_call(self, o, params, generator):
    numpy_rng(generator)  # its type is checked before the leaf and the values, as torch's
    params["generator"] = generator
    return apply_inplace(o, (self,), params)


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    """Fill with samples uniform on [from, to).

    >>> ember.empty(3).uniform_(2, 3).ge(2).all()
    tensor(True)
    """
    low = _number("uniform_", "from", kw.pop("from", from_))
    high = _number("uniform_", "to", to)
    _no_kwargs("uniform_", kw)
    return _fill_call(self, _fill_uniform, {"low": low, "high": high}, generator)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with normal samples (a complex tensor: each part with variance std**2 / 2)."""
    params = {"mean": _number("normal_", "mean", mean), "std": _number("normal_", "std", std)}
    return _fill_call(self, _fill_normal, params, generator)


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 1 with probability ``p`` (a float, or a tensor broadcast to self), else 0."""
    if isinstance(p, Tensor):
        numpy_rng(generator)
        p = p.expand(self.shape)  # torch's message for shapes that do not fit
        return apply_inplace(_fill_bernoulli_tensor, (self, p), {"generator": generator})
    return _fill_call(self, _fill_bernoulli, {"p": _number("bernoulli_", "p", p)}, generator)


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with exponential samples of rate ``lambd``."""
    return _fill_call(self, _fill_exponential,
                      {"lambd": _number("exponential_", "lambd", lambd)}, generator)  # fmt: skip


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with Cauchy samples ``median + sigma * tan(pi * (u - 1/2))``."""
    params = {"median": _number("cauchy_", "median", median),
              "sigma": _number("cauchy_", "sigma", sigma)}  # fmt: skip
    return _fill_call(self, _fill_cauchy, params, generator)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with ``exp(N(mean, std**2))`` samples."""
    params = {"mean": _number("log_normal_", "mean", mean),
              "std": _number("log_normal_", "std", std)}  # fmt: skip
    return _fill_call(self, _fill_log_normal, params, generator)


def geometric_(self, p, *, generator=None):
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    return _fill_call(self, _fill_geometric, {"p": _number("geometric_", "p", p)}, generator)


def random_(self, *args, generator=None, **kw):
    """Fill with integers: ``random_()`` over the dtype's range ([0, 2**mantissa] for floats),
    ``random_(to)`` over [0, to), ``random_(from, to)`` over [from, to) (``to=None``: to the
    dtype's limit)."""
    unknown = set(kw) - {"from", "to"}
    if unknown or len(args) + len(kw) > 2:
        raise TypeError(
            "random_() received an invalid combination of arguments - expected one of: (*, "
            "Generator generator), (int from, int to, *, Generator generator), (int to, *, "
            "Generator generator)"
        )
    if "from" in kw or len(args) == 2 or (args and "to" in kw):
        vals = list(args) + [kw[k] for k in ("from", "to") if k in kw]
        if len(vals) != 2:
            raise TypeError("random_() missing required argument 'to' (pos 2)")
        low = _number("random_", "from", vals[0], int)
        high = None if vals[1] is None else _number("random_", "to", vals[1], int)
        params = {"low": low, "high": high, "overload": 0}
    elif args or "to" in kw:
        high = _number("random_", "to", args[0] if args else kw["to"], int)
        params = {"low": 0, "high": high, "overload": 1}
    else:
        params = {"low": 0, "high": None, "overload": 2}
    return _fill_call(self, _fill_random, params, generator)


def _no_kwargs(fn, kw):
    if kw:
        raise TypeError(f"{fn}() got an unexpected keyword argument '{next(iter(kw))}'")


_METHODS = (uniform_, normal_, bernoulli_, exponential_, cauchy_, log_normal_, geometric_, random_)


def install(tensor_cls) -> None:
    """Put the in-place random fills on Tensor (``x.uniform_()``, ``x.normal_()`` ...)."""
    for fn in _METHODS:
        setattr(tensor_cls, fn.__name__, fn)
