"""Backbones of the MOS family, written to torchvision's state_dict key layout.

torchvision cannot be installed beside our CPU torch, so both networks are
re-implemented here. Parameter names equal torchvision's (``conv1``,
``stage2.0.branch1.0`` ...; ``features.N...``) so ImageNet weights in
torchvision's layout load directly (``--backbone-weights``). Only the layers
up to stride 32 exist: ShuffleNetV2's ``conv5``/``fc`` and MobileNetV2's
``features.18``/``classifier`` are never used by a detector.

Each backbone's ``forward(x)`` returns three maps at strides 8, 16, 32;
``out_channels`` lists their channel counts.
"""

from __future__ import annotations

import torch
from torch import nn

SHUFFLENET_WIDTHS: dict[float, tuple[int, int, int, int]] = {
    # width multiplier -> (conv1, stage2, stage3, stage4) channels (torchvision)
    0.5: (24, 48, 96, 192),
    1.0: (24, 116, 232, 464),
}


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Shuffle channels with 4-D tensors only.

    torchvision views (B, g, C/g, H, W): a 5-D tensor that ncnn cannot hold,
    so the spatial dims are flattened first.
    """
    b, c, h, w = x.shape
    x = x.reshape(b, groups, c // groups, h * w).transpose(1, 2)
    return x.reshape(b, c, h, w)


class ChannelShuffle(nn.Module):
    """``channel_shuffle`` as a module, so a converter can swap it for a form its tool fuses.

    mosface.convert replaces it by ``torch.nn.ChannelShuffle`` (TorchScript
    route) or the 5-D view pattern (ONNX route): pnnx turns both into one
    ncnn ``ShuffleChannel`` layer, where the reshape/transpose form here
    becomes several layers, some of them slow in dynamic-size graphs.
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channel_shuffle(x, self.groups)


class ShuffleUnit(nn.Module):
    """ShuffleNetV2 unit (torchvision ``InvertedResidual``)."""

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        half = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, half, 1, bias=False),
                nn.BatchNorm2d(half),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else half, half, 1, bias=False),
            nn.BatchNorm2d(half),
            nn.ReLU(inplace=True),
            nn.Conv2d(half, half, 3, stride, 1, groups=half, bias=False),
            nn.BatchNorm2d(half),
            nn.Conv2d(half, half, 1, bias=False),
            nn.BatchNorm2d(half),
            nn.ReLU(inplace=True),
        )
        self.shuffle = ChannelShuffle(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return self.shuffle(out)


class ShuffleNetV2(nn.Module):
    """ShuffleNetV2 up to ``stage4``; outputs after stage2/3/4."""

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        if width not in SHUFFLENET_WIDTHS:
            raise ValueError(
                f"ShuffleNetV2 width must be one of {sorted(SHUFFLENET_WIDTHS)}, got {width}"
            )
        stem, *stage_channels = SHUFFLENET_WIDTHS[width]
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, stem, 3, 2, 1, bias=False), nn.BatchNorm2d(stem), nn.ReLU(inplace=True)
        )
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        inp = stem
        stages = []
        for repeats, oup in zip((4, 8, 4), stage_channels):
            units = [ShuffleUnit(inp, oup, 2)] + [
                ShuffleUnit(oup, oup, 1) for _ in range(repeats - 1)
            ]
            stages.append(nn.Sequential(*units))
            inp = oup
        self.stage2, self.stage3, self.stage4 = stages
        self.out_channels = tuple(stage_channels)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        c2 = self.stage2(self.maxpool(self.conv1(x)))
        c3 = self.stage3(c2)
        return c2, c3, self.stage4(c3)


class ConvBNReLU6(nn.Sequential):
    """torchvision ``Conv2dNormActivation`` as MobileNetV2 uses it."""

    def __init__(
        self, inp: int, oup: int, kernel: int = 3, stride: int = 1, groups: int = 1
    ) -> None:
        super().__init__(
            nn.Conv2d(inp, oup, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(oup),
            nn.ReLU6(inplace=True),
        )


class MobileInvertedResidual(nn.Module):
    """MobileNetV2 inverted residual (torchvision key layout ``conv.N``)."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = inp * expand_ratio
        self.use_residual = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNReLU6(inp, hidden, kernel=1))
        layers += [
            ConvBNReLU6(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, oup, 1, bias=False),
            nn.BatchNorm2d(oup),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


# (expand ratio t, channels c, repeats n, first stride s): torchvision's table.
MOBILENETV2_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
# Indices into ``features`` whose outputs are the stride 8/16/32 maps.
MOBILENETV2_TAPS = (6, 13, 17)


class MobileNetV2(nn.Module):
    """MobileNetV2 x1.0 ``features[0:18]``; outputs after features 6, 13, 17."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvBNReLU6(3, 32, stride=2)]
        inp = 32
        for t, c, n, s in MOBILENETV2_SETTINGS:
            for i in range(n):
                layers.append(MobileInvertedResidual(inp, c, s if i == 0 else 1, t))
                inp = c
        self.features = nn.Sequential(*layers)
        self.out_channels = tuple(layers[i].conv[-1].num_features for i in MOBILENETV2_TAPS)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        outs = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in MOBILENETV2_TAPS:
                outs.append(x)
        return outs[0], outs[1], outs[2]


def build_backbone(name: str, width: float = 1.0) -> nn.Module:
    """``"shufflenetv2"`` (width 0.5 or 1.0) or ``"mobilenetv2"``."""
    if name == "shufflenetv2":
        return ShuffleNetV2(width)
    if name == "mobilenetv2":
        return MobileNetV2()
    raise ValueError(f"unknown backbone {name!r}; expected 'shufflenetv2' or 'mobilenetv2'")
