"""ember: PyTorch re-made in Python on NumPy. ``import ember as torch``.

>>> import ember as torch
>>> x = torch.ones(2, 2, requires_grad=True)
>>> (x + 2).mul(3).mean().backward(); x.grad
tensor([[0.7500, 0.7500],
        [0.7500, 0.7500]])
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import _dtype
from ._dtype import (
    bfloat16,
    can_cast,
    complex64,
    complex128,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
    uint16,
    uint32,
    uint64,
)

bool = _dtype.bool_  # noqa: A001 - torch.bool
half = float16
float = float32  # noqa: A001
double = float64
cfloat = complex64
cdouble = complex128
short = int16
int = int32  # noqa: A001
long = int64
from . import autograd, fft, linalg, random, special
from . import ops as _ops
from ._creation import *
from ._device import device
from ._generator import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from ._storage import TypedStorage, UntypedStorage
from ._tensor import Size, Tensor
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled

_ops.install(globals())

from . import cuda, func, hub, nn, optim, serialization, utils
from ._config import *  # noqa: F403
from ._futures import Future, classproperty, fork, wait
from ._layout import (
    channels_last,
    channels_last_3d,
    contiguous_format,
    layout,
    memory_format,
    preserve_format,
    sparse_coo,
    sparse_csr,
    strided,
)
from ._printing import get_printoptions, set_printoptions
from .autograd.anomaly_mode import (
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
)
from .nn.functional import bilinear
from .nn.functional._aten_rnn import embedding_bag, gru, lstm, rnn_relu, rnn_tanh
from .nn.functional._grid import (
    affine_grid_generator,
    conv_tbc,
    grid_sampler,
    grid_sampler_2d,
    grid_sampler_3d,
)
from .ops.misc import GradScaler, hash_tensor
from .ops.registry import OPS as _OPS
from .random import thread_safe_generator
from .serialization import load, save


def is_tensor(obj) -> bool:
    """Whether ``obj`` is an ember Tensor."""
    return isinstance(obj, Tensor)


def numel(input) -> int:
    return input.numel()


def is_floating_point(input) -> bool:
    return input.is_floating_point()


def is_complex(input) -> bool:
    return input.is_complex()


def get_default_device():
    return device("cpu")
