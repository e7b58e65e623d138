"""Modulated deformable convolution v2 (DCNv2) in plain torch.

Only the 3x3, stride 1, padding 1 case that MOS uses. Parameters follow the
authors' release: ``weight`` (out, in, 3, 3), ``bias`` (out) and
``conv_offset_mask``, a zero-initialised plain 3x3 conv with 27 outputs.
Those 27 channels split into o1, o2, m (9 each); ``cat(o1, o2)`` holds 9
(dy, dx) pairs, one per kernel tap in row-major order, and ``sigmoid(m)`` the
tap masks: the DCNv2 / ``torchvision.ops.deform_conv2d`` layout that ncnn's
``DeformableConv2D`` also reads.

Sampling uses ``grid_sample`` (bilinear, zeros outside the map, which equals
DCNv2's "zero outside" bilinear rule); every tensor stays 4-D so the graph
exports to ONNX (GridSample, opset >= 16).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

TAPS = 9  # 3x3 kernel


class ModulatedDeformConv2d(nn.Module):
    """DCNv2 3x3 conv: (B, in, H, W) -> (B, out, H, W)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, 3, 3))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        nn.init.kaiming_uniform_(self.weight, a=1)
        self.conv_offset_mask = nn.Conv2d(in_channels, 3 * TAPS, 3, 1, 1, bias=True)
        # Zero offsets and mask logits make the layer start as a plain conv
        # scaled by sigmoid(0) = 0.5, as in the reference DCNv2 code.
        nn.init.zeros_(self.conv_offset_mask.weight)
        nn.init.zeros_(self.conv_offset_mask.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        offset, mask = split_offset_mask(self.conv_offset_mask(x))
        return deform_conv2d(x, self.weight, offset, mask, self.bias)


def split_offset_mask(om: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The 27 channels of ``conv_offset_mask`` -> offsets (B, 18, H, W) and masks (B, 9, H, W)."""
    offset = torch.cat((om[:, :TAPS], om[:, TAPS : 2 * TAPS]), dim=1)
    return offset, torch.sigmoid(om[:, 2 * TAPS :])


def deform_conv2d(
    x: torch.Tensor, weight: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """DCNv2 3x3, stride 1, pad 1: bilinear samples of the 9 taps (zeros outside), masked, convolved.

    ``offset`` holds 9 (dy, dx) pairs in pixels, tap-major (torchvision's layout).
    """
    _, _, h, w = x.shape
    ys = torch.arange(h, dtype=x.dtype, device=x.device).view(1, h, 1)
    xs = torch.arange(w, dtype=x.dtype, device=x.device).view(1, 1, w)
    samples = []
    for k in range(TAPS):
        dy, dx = k // 3 - 1, k % 3 - 1
        py = ys + dy + offset[:, 2 * k]  # (B, H, W) sampling rows in pixels
        px = xs + dx + offset[:, 2 * k + 1]
        # align_corners=False: pixel p sits at normalised (2p + 1) / size - 1.
        grid = torch.stack(((2 * px + 1) / w - 1, (2 * py + 1) / h - 1), dim=-1)  # (B, H, W, 2)
        sampled = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        samples.append(sampled * mask[:, k : k + 1])
    # One 1x1 conv over the 9 stacked taps equals the 3x3 conv over them.
    columns = torch.cat(samples, dim=1)  # (B, 9*in, H, W), tap-major
    flat = weight.permute(0, 2, 3, 1).reshape(weight.shape[0], TAPS * weight.shape[1], 1, 1)
    return F.conv2d(columns, flat, bias)
