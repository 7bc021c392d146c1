"""``LinearCrossEntropyLoss`` and ``LinearCrossEntropyOptions`` (as torch 2.13's
``torch.nn.modules.loss`` / ``linear_cross_entropy_options``): a Linear head and cross entropy
in one module, with an opt-in chunked path that never holds the full logits.

>>> loss = ember.nn.LinearCrossEntropyLoss(5, 10)
>>> loss(ember.randn(3, 5), ember.tensor([1, 0, 9])).shape
ember.Size([])
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal, NamedTuple

from ... import _dtype as D
from .. import functional as F
from .linear import Linear
from .loss import _WeightedLoss

__all__ = ["LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]


class _AutoDefault(NamedTuple):
    acc_policy: str
    chunking_method: str


# what "auto" resolves to per (device type, input dtype), as torch's table; CPU low precision
# picks "accurate" (its weight-gradient matmul runs in float32)
_AUTO_DEFAULTS = {
    ("cuda", D.bfloat16): _AutoDefault("compact", "aspect_ratio:2"),
    ("cuda", D.float16): _AutoDefault("compact", "aspect_ratio:2"),
    ("cpu", D.bfloat16): _AutoDefault("accurate", "aspect_ratio"),
    ("cpu", D.float16): _AutoDefault("accurate", "aspect_ratio"),
}
_AUTO_FALLBACK = _AutoDefault("compact", "aspect_ratio:2")
_ACC_DTYPES = (D.float16, D.bfloat16, D.float32, D.float64)


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """Settings of the chunked ``linear_cross_entropy``; passing one opts in to chunking.

    - ``batch_chunk_size``: rows per chunk (None: one chunk, or what ``chunking_method`` says);
    - ``chunking_method``: ``"auto"``, ``"aspect_ratio"`` or ``"aspect_ratio:N"`` (chunks whose
      ``(rows, C)`` logits are about the size of the ``(N, in_features)`` input, N times
      smaller), or None to use ``batch_chunk_size``;
    - ``acc_policy``: ``"auto"``/``"accurate"``/``"balanced"``/``"compact"`` (which buffers
      accumulate in ``acc_dtype``; ember accumulates every chunk in ``acc_dtype``);
    - ``acc_dtype``: accumulation dtype (None: float32 for half inputs under "auto", else the
      input's dtype);
    - ``allow_retain_graph``: keep the precomputed gradients so backward may run twice.

    >>> ember.nn.LinearCrossEntropyOptions(batch_chunk_size=4).batch_chunk_size
    4
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: Literal["accurate", "balanced", "compact", "auto"] = "auto"
    acc_dtype: D.dtype | None = None

    def __post_init__(self):
        if self.acc_policy not in {"auto", "accurate", "balanced", "compact"}:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            factor = factor if sep else "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        size = self.batch_chunk_size
        if not (size is None or (isinstance(size, int) and size > 0)):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {size!r}")
        if self.acc_dtype is not None and self.acc_dtype not in _ACC_DTYPES:
            raise ValueError(
                "acc_dtype must be one of {None, torch.float16, torch.bfloat16, torch.float32, "
                f"torch.float64}}, got {self.acc_dtype!r}. Pass acc_dtype=None to let the op "
                "pick automatically."
            )

    @staticmethod
    def _ceil_div(a: int, b: int) -> int:
        return -(-a // b)

    @staticmethod
    def _resolve_auto_acc_dtype(dtype, device):
        """float32 for half-precision inputs on a device with a mixed-precision matmul."""
        if device is None or dtype not in (D.float16, D.bfloat16):
            return None
        return D.float32 if device.type in ("cpu", "cuda") else None

    def _compute_batch_chunk_size(self, num_batches, in_features, num_classes, method=None):
        """Rows per chunk for ``aspect_ratio[:N]``: the next power of two of
        ``ceil(N / ceil(C / in_features))``, divided by the factor, at most ``num_batches``."""
        method = str(method if method is not None else self.chunking_method)
        if not method.startswith("aspect_ratio"):
            raise AssertionError(f"unhandled chunking_method: {method!r}")
        factor = int(method.split(":", 1)[1]) if ":" in method else 1
        target = self._ceil_div(num_batches, self._ceil_div(num_classes, in_features))
        chunk = 1 << (target - 1).bit_length()
        return min(chunk // factor, num_batches)

    def _adjust(self, num_batches, in_features, num_classes, dtype, device=None):
        """These options with every "auto"/None resolved for one call."""
        policy, method = self.acc_policy, self.chunking_method
        if method == "auto" and self.batch_chunk_size is not None:
            method = None  # an explicit size wins over the automatic one
        if policy == "auto" or method == "auto":
            key = (device.type, dtype) if device is not None else None
            auto = _AUTO_DEFAULTS.get(key, _AUTO_FALLBACK)
            policy = auto.acc_policy if policy == "auto" else policy
            method = auto.chunking_method if method == "auto" else method
        size = num_batches if self.batch_chunk_size is None else \
            min(self.batch_chunk_size, num_batches)  # fmt: skip
        if method is not None:
            size = self._compute_batch_chunk_size(num_batches, in_features, num_classes, method)
            if self.batch_chunk_size is not None and self.batch_chunk_size != size:
                raise ValueError(
                    f"batch_chunk_size (={self.batch_chunk_size}) and chunking_method "
                    f"('{method}') give different chunk sizes ({self.batch_chunk_size} vs "
                    f"{size}); pass only one."
                )
        acc = self.acc_dtype
        if acc is None:
            auto_acc = self._resolve_auto_acc_dtype(dtype, device) \
                if self.acc_policy == "auto" else None  # fmt: skip
            acc = auto_acc if auto_acc is not None else dtype
        return dataclasses.replace(self, acc_policy=policy, chunking_method=method,
                                   batch_chunk_size=max(1, size), acc_dtype=acc)  # fmt: skip


class LinearCrossEntropyLoss(_WeightedLoss):
    """Cross entropy of ``self.linear(input)`` against ``target``; ``num_classes`` logits per
    row (times ``prod(out_features)`` for a K-dimensional loss, stored flat in one Linear).

    ``options`` (a ``LinearCrossEntropyOptions``) selects the chunked path.
    """

    def __init__(self, in_features: int, num_classes: int, *, out_features=(), bias=False,
                 device=None, dtype=None, reduction="mean", weight=None, ignore_index=None,
                 label_smoothing=0.0, options=None) -> None:  # fmt: skip
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise RuntimeError(
                f"expected weight shape to be {(num_classes,)}, got {tuple(weight.shape)}"
            )
        if label_smoothing < 0 or label_smoothing > 1.0:
            raise RuntimeError(
                f"expected label_smoothing to be in range [0, 1], got {label_smoothing}"
            )
        super().__init__(weight=weight, size_average=None, reduce=None, reduction=reduction)
        self.num_classes = num_classes
        self.out_features = out_features
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.linear = Linear(in_features, math.prod(out_features, start=num_classes),
                             bias=bias, device=device, dtype=dtype)  # fmt: skip
        self.options = options

    def forward(self, input, target):
        shape = (self.num_classes, *self.out_features)
        linear_weight = self.linear.weight.reshape(*shape, self.linear.in_features)
        bias = self.linear.bias.reshape(shape) if self.linear.bias is not None else None
        return F.linear_cross_entropy(
            input, linear_weight, target, linear_bias=bias, weight=self.weight,
            reduction=self.reduction, ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing, options=self.options,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
            f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
            f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
            f"label_smoothing={self.label_smoothing}, options={self.options}"
        )
