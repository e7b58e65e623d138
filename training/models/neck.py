"""FPN and SSH context modules of MOS.

Two flavours of 3x3 conv, picked by ``dcn``:
- plain (RetinaFace design): bias-free conv + BN + LeakyReLU(0.1);
- DCN (the authors' release): DCNv2 with bias + BN + ReLU.
Laterals are always 1x1 conv + BN + LeakyReLU(0.1).

Module names: ``fpn.laterals[0..2]`` (P3, P4, P5), ``fpn.merges[0]`` (P3) and
``fpn.merges[1]`` (P4); ``SSH.branch_a``, ``branch_b1``, ``branch_b2``,
``branch_c1``, ``branch_c2``; each a ``ConvBNAct`` with ``conv`` and ``bn``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .dcn import ModulatedDeformConv2d

LEAKY_SLOPE = 0.1  # RetinaFace uses 0.1 when width <= 64


class ConvBNAct(nn.Module):
    """conv -> BN -> optional activation; ``conv`` is a Conv2d or a DCNv2."""

    def __init__(self, conv: nn.Module, channels: int, act: nn.Module | None) -> None:
        super().__init__()
        self.conv = conv
        self.bn = nn.BatchNorm2d(channels)
        self.act = act if act is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


def conv3x3_bn(inp: int, oup: int, *, dcn: bool, act: bool) -> ConvBNAct:
    """3x3 conv block of FPN-merge / SSH in the plain or DCN flavour."""
    if dcn:
        return ConvBNAct(
            ModulatedDeformConv2d(inp, oup), oup, nn.ReLU(inplace=True) if act else None
        )
    conv = nn.Conv2d(inp, oup, 3, 1, 1, bias=False)
    return ConvBNAct(conv, oup, nn.LeakyReLU(LEAKY_SLOPE, inplace=True) if act else None)


class FPN(nn.Module):
    """(C3, C4, C5) -> (P3, P4, P5), all ``channels`` wide.

    P4 = merge(lat4 + up(lat5)); P3 = merge(lat3 + up(P4)) with the merged P4;
    P5 is not merged. Upsampling is nearest to the finer map's exact size
    (odd sizes happen with ceil(size / stride)).
    """

    def __init__(self, in_channels: tuple[int, int, int], channels: int, *, dcn: bool) -> None:
        super().__init__()
        self.laterals = nn.ModuleList(
            ConvBNAct(
                nn.Conv2d(c, channels, 1, bias=False),
                channels,
                nn.LeakyReLU(LEAKY_SLOPE, inplace=True),
            )
            for c in in_channels
        )
        self.merges = nn.ModuleList(
            conv3x3_bn(channels, channels, dcn=dcn, act=True) for _ in range(2)
        )

    def forward(
        self, feats: tuple[torch.Tensor, ...]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        p3, p4, p5 = (lat(f) for lat, f in zip(self.laterals, feats))
        p4 = self.merges[1](p4 + F.interpolate(p5, size=p4.shape[-2:], mode="nearest"))
        p3 = self.merges[0](p3 + F.interpolate(p4, size=p3.shape[-2:], mode="nearest"))
        return p3, p4, p5


class SSH(nn.Module):
    """SSH context module: concat of 3x3, "5x5" and "7x7" paths, then ReLU."""

    def __init__(self, channels: int, *, dcn: bool) -> None:
        super().__init__()
        if channels % 4:
            raise ValueError(f"SSH width must be a multiple of 4, got {channels}")
        half, quarter = channels // 2, channels // 4
        self.branch_a = conv3x3_bn(channels, half, dcn=dcn, act=False)
        self.branch_b1 = conv3x3_bn(channels, quarter, dcn=dcn, act=True)
        self.branch_b2 = conv3x3_bn(quarter, quarter, dcn=dcn, act=False)
        self.branch_c1 = conv3x3_bn(quarter, quarter, dcn=dcn, act=True)
        self.branch_c2 = conv3x3_bn(quarter, quarter, dcn=dcn, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch_b1(x)
        c1 = self.branch_c1(b1)
        return F.relu(torch.cat((self.branch_a(x), self.branch_b2(b1), self.branch_c2(c1)), dim=1))
