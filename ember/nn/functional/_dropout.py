"""ember.nn.functional dropout family (as torch.nn.functional).

Masks come from ember's generator (``bernoulli_``); kept values are scaled by ``1 / (1 - p)``
so the expectation is unchanged, and the gradient is ``mask / (1 - p)``.
"""

from __future__ import annotations

import warnings

import ember

from ._activation import _SELU_ALPHA, _SELU_SCALE

__all__ = [
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
]  # fmt: skip


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _mask(input, p, feature):
    """Keep-mask (1 with probability ``1 - p``), one value per channel when ``feature``."""
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else input.shape
    return ember.empty(shape, dtype=input.dtype).bernoulli_(1 - p)


def _dropout(input, p, training, inplace, feature):
    _check_p(p)
    if not training or p == 0:
        return input
    if p == 1:
        out = input * ember.zeros((), dtype=input.dtype)
    else:
        out = input * (_mask(input, p, feature) / (1 - p))
    return input.copy_(out) if inplace else out


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    >>> F.dropout(ember.ones(3), p=0.0)
    tensor([1., 1., 1.])
    """
    return _dropout(input, p, training, inplace, False)


def _feature(input, p, training, inplace, batched):
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    x = input if batched else input.unsqueeze(0)
    out = _dropout(x, p, training, False, True)
    out = out if batched else out.squeeze(0)
    return input.copy_(out) if inplace and out is not input else out


def _dims_warning(name, ndim, spatial):
    warnings.warn(
        f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in an "
        "error in a future release. To retain the behavior and silence this warning, please use "
        f"dropout instead. Note that {name} exists to provide channel-wise dropout on inputs with "
        f"{spatial} spatial dimensions, a channel dimension, and an optional batch dimension "
        f"(i.e. {spatial + 1}D or {spatial + 2}D inputs).",
        stacklevel=3,
    )


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (dim 1 of (N, C, L); dim 0 of (C, L))."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
            "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
        )
    return _feature(input, p, training, inplace, input.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) inputs."""
    _check_p(p)
    if input.ndim not in (3, 4):
        _dims_warning("dropout2d", input.ndim, 2)
    elif input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature(input, p, training, inplace, True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) inputs ((C, D, H, W) unbatched)."""
    _check_p(p)
    if input.ndim not in (4, 5):
        _dims_warning("dropout3d", input.ndim, 3)
    return _feature(input, p, training, inplace, input.ndim != 4)


def _alpha(input, p, training, inplace, feature):
    _check_p(p)
    if not training or p == 0:
        return input
    alpha = -_SELU_ALPHA * _SELU_SCALE
    if p == 1:
        return input * 0
    keep = _mask(input, p, feature)
    a = 1.0 / ((alpha * alpha * p + 1) * (1 - p)) ** 0.5
    b = -a * alpha * p
    out = (input * keep + alpha * (1 - keep)) * a + b
    return input.copy_(out) if inplace else out


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's self-normalizing mean and variance."""
    return _alpha(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels."""
    return _alpha(input, p, training, inplace, True)
