"""ember.special: torch.special.

The functions defined in ``ember/ops/special_ops.py`` with ``namespace="special"`` (erfcx, i0e,
the Bessel functions, the polynomials ...) are installed here by the op registry. The names torch
also has at top level (erf, lgamma, digamma, xlogy, igamma ...) are those same functions, looked
up on ``ember`` when first used; softmax, log_softmax and ndtr are written from other ops.

>>> import ember
>>> ember.special.gammaln is ember.lgamma
True
"""

from __future__ import annotations

import math

__all__ = ["softmax", "log_softmax", "ndtr"]

# torch.special name -> the ember function it is
_ALIASES = {
    "erf": "erf", "erfc": "erfc", "erfinv": "erfinv", "gammaln": "lgamma", "digamma": "digamma",
    "psi": "digamma", "polygamma": "polygamma", "multigammaln": "mvlgamma", "i0": "i0",
    "sinc": "sinc", "xlogy": "xlogy", "gammainc": "igamma", "gammaincc": "igammac",
    "expit": "sigmoid", "logit": "logit", "exp2": "exp2", "expm1": "expm1", "log1p": "log1p",
    "round": "round", "logsumexp": "logsumexp",
}  # fmt: skip


def __getattr__(name):
    target = _ALIASES.get(name)
    if target is not None:
        import ember

        fn = getattr(ember, target, None)
        if fn is not None:
            return fn
    raise AttributeError(f"module 'ember.special' has no attribute '{name}'")


def __dir__():
    import ember

    return sorted(set(globals()) | {n for n, t in _ALIASES.items() if hasattr(ember, t)})


def _floating(x, dtype, kernel):
    if dtype is not None:
        return x.to(dtype)
    if not x.dtype.is_floating_point:
        from .ops.registry import _tname

        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_tname(x.dtype)}'")
    return x


def _kernel(name, input, dim):
    """torch's kernel name in its dtype error: the last dim has its own."""
    from .ops._util import wrap_dim

    last = input.ndim == 0 or wrap_dim(dim, input.ndim) == input.ndim - 1
    return f"{name}_lastdim_kernel_impl" if last else f"{name}_kernel_impl"


def softmax(input, dim, *, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim`` (after casting to ``dtype`` when given).

    >>> ember.special.softmax(ember.tensor([0.0, 0.0]), 0)
    tensor([0.5000, 0.5000])
    """
    from .ops.nn_ops import softmax as _softmax

    return _softmax(_floating(input, dtype, _kernel("softmax", input, dim)), dim)


def log_softmax(input, dim, *, dtype=None):
    """``x - logsumexp(x)`` along ``dim`` (after casting to ``dtype`` when given).

    >>> ember.special.log_softmax(ember.tensor([0.0, 0.0]), 0)
    tensor([-0.6931, -0.6931])
    """
    from .ops.nn_ops import log_softmax as _log_softmax

    return _log_softmax(_floating(input, dtype, _kernel("log_softmax", input, dim)), dim)


def ndtr(input):
    """The standard normal CDF, ``(1 + erf(x / sqrt(2))) / 2`` (as torch computes it).

    >>> ember.special.ndtr(ember.tensor([0.0]))
    tensor([0.5000])
    """
    from .ops.special_ops import erf

    return (1 + erf(input * math.sqrt(0.5))) * 0.5
