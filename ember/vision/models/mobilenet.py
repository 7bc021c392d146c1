"""MobileNet V2 and V3 with torchvision's module names. Sandler et al., "MobileNetV2", 2018;
Howard et al., "Searching for MobileNetV3", 2019.

>>> m = ember.vision.models.mobilenet_v2(num_classes=10)
>>> m(ember.randn(1, 3, 32, 32)).shape
ember.Size([1, 10])
"""

from __future__ import annotations

from functools import partial

from ... import nn
from ._utils import Conv2dNormActivation, SqueezeExcitation, load_weights, make_divisible

__all__ = ["MobileNetV2", "MobileNetV3", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"]


def _init(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expand (ReLU6), 3x3 depthwise (ReLU6), 1x1 linear project;
    a shortcut when the shape is kept."""

    def __init__(self, inp, oup, stride, expand_ratio, norm_layer=None):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        norm_layer = norm_layer or nn.BatchNorm2d
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        act = partial(Conv2dNormActivation, norm_layer=norm_layer, activation_layer=nn.ReLU6)
        layers = [act(inp, hidden, kernel_size=1)] if expand_ratio != 1 else []
        layers += [
            act(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


# expansion t, output channels c, repeats n, first stride s
V2_SETTING = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
]


class MobileNetV2(nn.Module):
    def __init__(
        self,
        num_classes=1000,
        width_mult=1.0,
        inverted_residual_setting=None,
        round_nearest=8,
        block=None,
        norm_layer=None,
        dropout=0.2,
    ):
        super().__init__()
        block = block or InvertedResidual
        norm_layer = norm_layer or nn.BatchNorm2d
        setting = inverted_residual_setting or V2_SETTING
        if len(setting) == 0 or len(setting[0]) != 4:
            raise ValueError(
                f"inverted_residual_setting should be non-empty or a 4-element list, got {setting}"
            )
        cin = make_divisible(32 * width_mult, round_nearest)
        self.last_channel = make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features = [
            Conv2dNormActivation(3, cin, stride=2, norm_layer=norm_layer, activation_layer=nn.ReLU6)
        ]
        for t, c, n, s in setting:
            cout = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(cin, cout, s if i == 0 else 1, t, norm_layer=norm_layer))
                cin = cout
        features.append(
            Conv2dNormActivation(
                cin,
                self.last_channel,
                kernel_size=1,
                norm_layer=norm_layer,
                activation_layer=nn.ReLU6,
            )
        )
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes)
        )
        _init(self)

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(x.flatten(1))


class InvertedResidualConfig:
    """One MobileNetV3 block: the rows of tables 1 and 2 of the paper."""

    def __init__(
        self,
        input_channels,
        kernel,
        expanded_channels,
        out_channels,
        use_se,
        activation,
        stride,
        dilation,
        width_mult,
    ):
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se, self.use_hs = use_se, activation == "HS"
        self.stride, self.dilation = stride, dilation

    @staticmethod
    def adjust_channels(channels, width_mult):
        return make_divisible(channels * width_mult, 8)


class InvertedResidualV3(nn.Module):
    """MobileNetV3's block: expand, depthwise, optional squeeze-excitation, project."""

    def __init__(
        self, cnf, norm_layer, se_layer=partial(SqueezeExcitation, scale_activation=nn.Hardsigmoid)
    ):
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        act = nn.Hardswish if cnf.use_hs else nn.ReLU
        cna = partial(Conv2dNormActivation, norm_layer=norm_layer)
        exp = cnf.expanded_channels
        layers = []
        if exp != cnf.input_channels:
            layers.append(cna(cnf.input_channels, exp, kernel_size=1, activation_layer=act))
        stride = 1 if cnf.dilation > 1 else cnf.stride
        layers.append(
            cna(
                exp,
                exp,
                kernel_size=cnf.kernel,
                stride=stride,
                dilation=cnf.dilation,
                groups=exp,
                activation_layer=act,
            )
        )
        if cnf.use_se:
            layers.append(se_layer(exp, make_divisible(exp // 4, 8)))
        layers.append(cna(exp, cnf.out_channels, kernel_size=1, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, x):
        return x + self.block(x) if self.use_res_connect else self.block(x)


class MobileNetV3(nn.Module):
    def __init__(
        self,
        inverted_residual_setting,
        last_channel,
        num_classes=1000,
        block=None,
        norm_layer=None,
        dropout=0.2,
    ):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        block = block or InvertedResidualV3
        norm_layer = norm_layer or partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        first = inverted_residual_setting[0].input_channels
        layers = [
            Conv2dNormActivation(
                3,
                first,
                kernel_size=3,
                stride=2,
                norm_layer=norm_layer,
                activation_layer=nn.Hardswish,
            )
        ]
        layers += [block(cnf, norm_layer) for cnf in inverted_residual_setting]
        last_in = inverted_residual_setting[-1].out_channels
        layers.append(
            Conv2dNormActivation(
                last_in,
                6 * last_in,
                kernel_size=1,
                norm_layer=norm_layer,
                activation_layer=nn.Hardswish,
            )
        )
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(6 * last_in, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )
        _init(self)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


_V3_LARGE = [
    (16, 3, 16, 16, False, "RE", 1),
    (16, 3, 64, 24, False, "RE", 2),
    (24, 3, 72, 24, False, "RE", 1),
    (24, 5, 72, 40, True, "RE", 2),
    (40, 5, 120, 40, True, "RE", 1),
    (40, 5, 120, 40, True, "RE", 1),
    (40, 3, 240, 80, False, "HS", 2),
    (80, 3, 200, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 480, 112, True, "HS", 1),
    (112, 3, 672, 112, True, "HS", 1),
]
_V3_SMALL = [
    (16, 3, 16, 16, True, "RE", 2),
    (16, 3, 72, 24, False, "RE", 2),
    (24, 3, 88, 24, False, "RE", 1),
    (24, 5, 96, 40, True, "HS", 2),
    (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 120, 48, True, "HS", 1),
    (48, 5, 144, 48, True, "HS", 1),
]


def _v3_conf(arch, width_mult=1.0, reduced_tail=False, dilated=False):
    """The block settings and last channel count; ``reduced_tail`` halves the last stage,
    ``dilated`` trades its stride for dilation (segmentation backbones)."""
    r, d = (2 if reduced_tail else 1), (2 if dilated else 1)
    conf = partial(InvertedResidualConfig, width_mult=width_mult)
    if arch == "large":
        head, tail_in, (c, e), last = _V3_LARGE, 112, (160 // r, 960 // r), 1280 // r
        tail = [
            (tail_in, 5, 672, c, True, "HS", 2, d),
            (c, 5, e, c, True, "HS", 1, d),
            (c, 5, e, c, True, "HS", 1, d),
        ]
    else:
        head, tail_in, (c, e), last = _V3_SMALL, 48, (96 // r, 576 // r), 1024 // r
        tail = [
            (tail_in, 5, 288, c, True, "HS", 2, d),
            (c, 5, e, c, True, "HS", 1, d),
            (c, 5, e, c, True, "HS", 1, d),
        ]
    setting = [conf(*row, 1) for row in head] + [conf(*row) for row in tail]
    return setting, InvertedResidualConfig.adjust_channels(last, width_mult)


def mobilenet_v2(*, weights=None, progress=True, **kwargs) -> MobileNetV2:
    """MobileNetV2; ``weights`` a state_dict, a path or a URL of torchvision's weights."""
    return load_weights(MobileNetV2(**kwargs), weights, progress)


def _v3(arch, weights, progress, kwargs):
    conf = {k: kwargs.pop(k) for k in ("width_mult", "reduced_tail", "dilated") if k in kwargs}
    setting, last = _v3_conf(arch, **conf)
    return load_weights(MobileNetV3(setting, last, **kwargs), weights, progress)


def mobilenet_v3_large(*, weights=None, progress=True, **kwargs) -> MobileNetV3:
    """MobileNetV3-Large."""
    return _v3("large", weights, progress, kwargs)


def mobilenet_v3_small(*, weights=None, progress=True, **kwargs) -> MobileNetV3:
    """MobileNetV3-Small."""
    return _v3("small", weights, progress, kwargs)
