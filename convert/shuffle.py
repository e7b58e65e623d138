"""Channel shuffle in the forms pnnx fuses into one ncnn ``ShuffleChannel`` layer.

The training model's ``ChannelShuffle`` reshapes and transposes 4-D tensors
(ncnn holds no 5-D tensor). Traced for a dynamic size, pnnx keeps that as
Reshape/Permute/Reshape layers whose 4-D intermediate makes the following
convolutions run on ncnn's slow generic path (MOS-S at 640x480: ~400 ms
instead of ~55 ms on 2 cores). pnnx recognises ``torch.nn.ChannelShuffle`` in
TorchScript and the 5-D view/transpose/view pattern in ONNX; either becomes
``ShuffleChannel`` and no 5-D tensor reaches ncnn.
"""

from __future__ import annotations

import torch
from torch import nn

from ..training.models.backbones import ChannelShuffle


class ViewChannelShuffle(nn.Module):
    """torchvision's shuffle: view (B, g, C/g, H, W), swap, view back (for the ONNX route)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        x = x.view(b, self.groups, c // self.groups, h, w).transpose(1, 2).contiguous()
        return x.view(b, c, h, w)


def use_fusable_shuffle(model: nn.Module, *, torchscript: bool) -> nn.Module:
    """Replace every ``ChannelShuffle`` of ``model`` in place; returns ``model``."""
    for parent in list(model.modules()):
        for name, child in parent.named_children():
            if isinstance(child, ChannelShuffle):
                fused = nn.ChannelShuffle(child.groups) if torchscript else ViewChannelShuffle(child.groups)
                setattr(parent, name, fused)
    return model
