"""Pooling layers (as ``torch.nn.MaxPool2d`` ...): thin holders of F.*_pool* arguments.

>>> ember.nn.MaxPool2d(2)(ember.ones(1, 1, 4, 4)).shape
ember.Size([1, 1, 2, 2])
"""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "LPPool1d", "LPPool2d", "LPPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
           "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
           "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]  # fmt: skip


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):  # fmt: skip
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self):
        return ("kernel_size={kernel_size}, stride={stride}, padding={padding}, "
                "dilation={dilation}, ceil_mode={ceil_mode}").format(**self.__dict__)  # fmt: skip

    def forward(self, input):
        f = getattr(F, f"max_pool{self._nd}d")
        return f(input, self.kernel_size, self.stride, self.padding, self.dilation,
                 ceil_mode=self.ceil_mode, return_indices=self.return_indices)  # fmt: skip


class _AvgPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):  # fmt: skip
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input):
        f = getattr(F, f"avg_pool{self._nd}d")
        args = (input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                self.count_include_pad)  # fmt: skip
        return f(*args) if self._nd == 1 else f(*args, self.divisor_override)


class _LPPoolNd(Module):
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride = norm_type, kernel_size, stride
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return ("norm_type={norm_type}, kernel_size={kernel_size}, stride={stride}, "
                "ceil_mode={ceil_mode}").format(**self.__dict__)  # fmt: skip

    def forward(self, input):
        f = getattr(F, f"lp_pool{self._nd}d")
        return f(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class _AdaptiveAvgPoolNd(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"

    def forward(self, input):
        return getattr(F, f"adaptive_avg_pool{self._nd}d")(input, self.output_size)


class _AdaptiveMaxPoolNd(Module):
    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"

    def forward(self, input):
        f = getattr(F, f"adaptive_max_pool{self._nd}d")
        return f(input, self.output_size, self.return_indices)


class _MaxUnpoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        from ...ops.conv import _tuple

        super().__init__()
        self.kernel_size = _tuple(kernel_size, self._nd)
        self.stride = _tuple(stride if stride is not None else kernel_size, self._nd)
        self.padding = _tuple(padding, self._nd)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input, indices, output_size=None):
        f = getattr(F, f"max_unpool{self._nd}d")
        return f(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxPool1d(_MaxPoolNd):
    """1-d max pooling."""

    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """2-d max pooling."""

    _nd = 2


class MaxPool3d(_MaxPoolNd):
    """3-d max pooling."""

    _nd = 3


class AvgPool1d(_AvgPoolNd):
    """1-d average pooling."""

    _nd = 1


class AvgPool2d(_AvgPoolNd):
    """2-d average pooling."""

    _nd = 2


class AvgPool3d(_AvgPoolNd):
    """3-d average pooling."""

    _nd = 3


class LPPool1d(_LPPoolNd):
    """1-d power-average pooling."""

    _nd = 1


class LPPool2d(_LPPoolNd):
    """2-d power-average pooling."""

    _nd = 2


class LPPool3d(_LPPoolNd):
    """3-d power-average pooling."""

    _nd = 3


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """1-d adaptive average pooling."""

    _nd = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """2-d adaptive average pooling."""

    _nd = 2


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """3-d adaptive average pooling."""

    _nd = 3


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """1-d adaptive max pooling."""

    _nd = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """2-d adaptive max pooling."""

    _nd = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """3-d adaptive max pooling."""

    _nd = 3


class MaxUnpool1d(_MaxUnpoolNd):
    """1-d max unpooling (inverse of max pooling)."""

    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """2-d max unpooling (inverse of max pooling)."""

    _nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """3-d max unpooling (inverse of max pooling)."""

    _nd = 3
