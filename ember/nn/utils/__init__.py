"""ember.nn.utils: gradient clipping, parameter vectors, functional calls, parametrizations,
fusion (as ``torch.nn.utils``)."""

from . import (  # noqa: F401
    parametrizations,
    parametrize,
    rnn,  # noqa: F401
    stateless,
)
from .clip_grad import (  # noqa: F401
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .fusion import (  # noqa: F401
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401


def skip_init(module_cls, *args, **kwargs):
    """Build ``module_cls(*args, **kwargs)`` without running its parameter initialization."""
    if "device" not in module_cls.__init__.__code__.co_varnames:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    from .. import init

    saved = {n: getattr(init, n) for n in init.__all__}
    try:
        for n in saved:
            setattr(init, n, lambda t, *a, **k: t)
        return module_cls(*args, **kwargs)
    finally:
        for n, f in saved.items():
            setattr(init, n, f)
