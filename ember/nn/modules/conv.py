"""Convolution layers (as ``torch.nn.Conv2d`` ...): weight ``(out, in/groups, *k)``, bias.

>>> m = ember.nn.Conv2d(1, 2, 3)
>>> m(ember.ones(1, 1, 5, 5)).shape
ember.Size([1, 2, 3, 3])
"""

from __future__ import annotations

import math

from ... import _creation as C
from ...ops.conv import _tuple, convolution
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]  # fmt: skip

_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    _nd = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None,
                 output_padding=0):  # fmt: skip
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of ['valid', 'same']"
                )
            if padding == "same" and any(s != 1 for s in _tuple(stride, nd)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _MODES:
            raise ValueError(
                f"padding_mode must be one of {list(_MODES)}, but got padding_mode='{padding_mode}'"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _tuple(kernel_size, nd)
        self.stride = _tuple(stride, nd)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, nd)
        self.dilation = _tuple(dilation, nd)
        self.output_padding = _tuple(output_padding, nd)
        self.groups = groups
        self.padding_mode = padding_mode
        if isinstance(self.padding, str):
            rp = []
            for d, k in zip(reversed(self.dilation), reversed(self.kernel_size)):
                tot = d * (k - 1) if self.padding == "same" else 0
                rp += [tot // 2, tot - tot // 2]
            self._reversed_padding_repeated_twice = rp
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(self.padding)
                                                     for _ in range(2)]  # fmt: skip
        kw = {"device": device, "dtype": dtype}
        if self.transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(C.empty(shape, **kw))
        if bias:
            self.bias = Parameter(C.empty(out_channels, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def _conv_forward(self, input, weight, bias):
        nd = self._nd
        f = getattr(F, f"conv{nd}d")
        if self.padding_mode != "zeros":
            mode = self.padding_mode
            x = F.pad(input, self._reversed_padding_repeated_twice, mode=mode)
            return f(x, weight, bias, self.stride, 0, self.dilation, self.groups)
        return f(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_ConvNd):
    """1-d convolution over ``(N, C, L)``."""

    _nd = 1


class Conv2d(_ConvNd):
    """2-d convolution over ``(N, C, H, W)``."""

    _nd = 2


class Conv3d(_ConvNd):
    """3-d convolution over ``(N, C, D, H, W)``."""

    _nd = 3


class _ConvTransposeNd(_ConvNd):
    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):  # fmt: skip
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {self.__class__.__name__}'
            )
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding)  # fmt: skip

    def _output_padding(self, input, output_size):
        nd = self._nd
        if output_size is None:
            return self.output_padding
        size = list(output_size)[-nd:]
        res = []
        for i in range(nd):
            lo = ((input.shape[-nd + i] - 1) * self.stride[i] - 2 * self.padding[i]
                  + self.dilation[i] * (self.kernel_size[i] - 1) + 1)  # fmt: skip
            if not lo <= size[i] < lo + self.stride[i]:
                raise ValueError(
                    f"requested an output size of {size}, but valid sizes range from {lo} to "
                    f"{lo + self.stride[i] - 1} (for an input of {list(input.shape[2:])})"
                )
            res.append(size[i] - lo)
        return tuple(res)

    def forward(self, input, output_size=None):
        nd = self._nd
        op_ = self._output_padding(input, output_size)
        f = getattr(F, f"conv_transpose{nd}d")
        return f(input, self.weight, self.bias, self.stride, self.padding, op_, self.groups,
                 self.dilation)  # fmt: skip


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution."""

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution."""

    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution."""

    _nd = 3


del convolution
