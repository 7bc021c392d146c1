"""Padding layers (as ``torch.nn.ZeroPad2d`` ...): F.pad with a fixed mode and padding.

>>> ember.nn.ZeroPad2d(1)(ember.ones(1, 2, 2)).shape
ember.Size([1, 4, 4])
"""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]  # fmt: skip


class _PadNd(Module):
    _nd = 1
    _mode = "constant"

    def __init__(self, padding, value=0.0):
        super().__init__()
        n = 2 * self._nd
        self.padding = (padding,) * n if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != n:
            raise ValueError(f"expected padding of length {n}, got {len(self.padding)}")
        self.value = value

    def forward(self, input):
        if self._mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        if type(self).__name__.startswith("ConstantPad"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class _ZeroPad(_PadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)


class _NoValue(_PadNd):
    def __init__(self, padding):
        super().__init__(padding)


class ZeroPad1d(_ZeroPad):
    """Zero padding of the last dim."""

    _nd = 1


class ZeroPad2d(_ZeroPad):
    """Zero padding of the last 2 dims."""

    _nd = 2


class ZeroPad3d(_ZeroPad):
    """Zero padding of the last 3 dims."""

    _nd = 3


class ConstantPad1d(_PadNd):
    """Constant padding of the last dim."""

    _nd = 1


class ConstantPad2d(_PadNd):
    """Constant padding of the last 2 dims."""

    _nd = 2


class ConstantPad3d(_PadNd):
    """Constant padding of the last 3 dims."""

    _nd = 3


class ReflectionPad1d(_NoValue):
    """Reflection padding of the last dim."""

    _nd, _mode = 1, "reflect"


class ReflectionPad2d(_NoValue):
    """Reflection padding of the last 2 dims."""

    _nd, _mode = 2, "reflect"


class ReflectionPad3d(_NoValue):
    """Reflection padding of the last 3 dims."""

    _nd, _mode = 3, "reflect"


class ReplicationPad1d(_NoValue):
    """Edge-replicating padding of the last dim."""

    _nd, _mode = 1, "replicate"


class ReplicationPad2d(_NoValue):
    """Edge-replicating padding of the last 2 dims."""

    _nd, _mode = 2, "replicate"


class ReplicationPad3d(_NoValue):
    """Edge-replicating padding of the last 3 dims."""

    _nd, _mode = 3, "replicate"


class CircularPad1d(_NoValue):
    """Circular (wrap-around) padding of the last dim."""

    _nd, _mode = 1, "circular"


class CircularPad2d(_NoValue):
    """Circular (wrap-around) padding of the last 2 dims."""

    _nd, _mode = 2, "circular"


class CircularPad3d(_NoValue):
    """Circular (wrap-around) padding of the last 3 dims."""

    _nd, _mode = 3, "circular"
