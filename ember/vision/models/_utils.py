"""Shared pieces of the model zoo: channel rounding, conv-norm-activation blocks, weights."""

from __future__ import annotations

from ... import nn


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of ``divisor``, never below 90% of ``v`` (the
    rule of the MobileNet papers)."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class Conv2dNormActivation(nn.Sequential):
    """Conv2d -> norm -> activation, padded to keep the size at stride 1 ("same" padding for
    odd kernels); the conv has a bias only when there is no norm layer."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size=3,
        stride=1,
        padding=None,
        groups=1,
        norm_layer=nn.BatchNorm2d,
        activation_layer=nn.ReLU,
        dilation=1,
        inplace=True,
        bias=None,
    ):
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers = [
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride,
                padding,
                dilation=dilation,
                groups=groups,
                bias=bias,
            )
        ]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(inplace=inplace))
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcitation(nn.Module):
    """Channel attention: global average -> 1x1 conv down -> act -> 1x1 conv up -> gate."""

    def __init__(
        self, input_channels, squeeze_channels, activation=nn.ReLU, scale_activation=nn.Sigmoid
    ):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def forward(self, x):
        scale = self.fc2(self.activation(self.fc1(self.avgpool(x))))
        return self.scale_activation(scale) * x


def init_conv_bn_linear(model: nn.Module, linear_std: float | None = 0.01) -> None:
    """torchvision's initialisation: convs kaiming-normal (fan_out, relu) with zero bias,
    norms one/zero, linears normal(0, ``linear_std``) with zero bias."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and linear_std is not None:
            nn.init.normal_(m.weight, 0, linear_std)
            nn.init.zeros_(m.bias)


def load_weights(model: nn.Module, weights, progress: bool = True) -> nn.Module:
    """Load ``weights`` into ``model``: a state_dict, a file path, or an http(s) URL (fetched
    into the hub cache). A torchvision ``.pth`` loads as is: the module names are the same."""
    if weights is None:
        return model
    if isinstance(weights, dict):
        state = weights
    else:
        import os

        from ... import hub, load

        src = os.fspath(weights)
        if src.startswith(("http://", "https://")):
            state = hub.load_state_dict_from_url(src, progress=progress, map_location="cpu")
        else:
            state = load(src, map_location="cpu")
    model.load_state_dict(state)
    return model
