"""ember.nn.functional conv family: conv1d/2d/3d and conv_transpose1d/2d/3d.

>>> import ember.nn.functional as F
>>> F.conv2d(ember.ones(1, 1, 4, 4), ember.ones(2, 1, 3, 3)).shape
ember.Size([1, 2, 2, 2])
"""

from __future__ import annotations

from ...ops.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,  # fmt: skip
)

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]  # fmt: skip
