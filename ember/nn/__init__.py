"""ember.nn: modules, functional, init, utils (as torch.nn)."""

from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F403
from .parameter import *  # noqa: F403


def factory_kwargs(kwargs):
    """The ``device``/``dtype``/``memory_format`` entries of ``kwargs``, checked, for factory
    calls; a ``factory_kwargs`` entry supplies them where the names are taken (as torch).

    >>> ember.nn.factory_kwargs({"dtype": ember.float64, "factory_kwargs": {"device": "cpu"}})
    {'device': 'cpu', 'dtype': ember.float64}
    """
    if kwargs is None:
        return {}
    simple = ("device", "dtype", "memory_format")  # a tuple: a set's order varies by run
    expected = {*simple, "factory_kwargs"}
    if not kwargs.keys() <= expected:
        raise TypeError(f"unexpected kwargs {kwargs.keys() - expected}")
    out = dict(kwargs.get("factory_kwargs", {}))
    for k in simple:
        if k in kwargs:
            if k in out:
                raise TypeError(f"{k} specified twice, in **kwargs and in factory_kwargs")
            out[k] = kwargs[k]
    return out
