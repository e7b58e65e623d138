"""DCNv2 in the form pnnx turns into ncnn ``DeformableConv2D``.

pnnx recognises a TorchScript submodule of type
``__torch__.torchvision.ops.deform_conv.DeformConv2d`` (attributes ``weight``,
``bias``) that calls the op ``torchvision::deform_conv2d`` and writes one
``DeformableConv2D`` layer with three inputs (data, offset, mask). torchvision
cannot be installed beside our CPU torch, so this module takes that type
name, and the op is registered here when torchvision has not done so (its
schema is copied from torchvision; the pnnx wheel bundles the kernel).

The offset layout of ``training/models/dcn.py`` (9 (dy, dx) pairs, tap-major)
is torchvision's, so offsets and masks pass through unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from ..training.models.dcn import ModulatedDeformConv2d, deform_conv2d, split_offset_mask

OP_SCHEMA = (
    "deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, "
    "SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, "
    "SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor"
)
_LIBRARY: torch.library.Library | None = None


def _deform_conv2d_cpu(
    x: torch.Tensor,
    weight: torch.Tensor,
    offset: torch.Tensor,
    mask: torch.Tensor,
    bias: torch.Tensor,
    *_geometry: int | bool,  # always 3x3, stride 1, pad 1, dilation 1, one group (MOS)
) -> torch.Tensor:
    return deform_conv2d(x, weight, offset, mask, bias)


def ensure_deform_op() -> None:
    """Register ``torchvision::deform_conv2d`` unless torchvision already did."""
    global _LIBRARY
    if _LIBRARY is not None or hasattr(torch.ops.torchvision, "deform_conv2d"):
        return
    library = torch.library.Library("torchvision", "DEF")
    library.define(OP_SCHEMA)
    library.impl("deform_conv2d", _deform_conv2d_cpu, "CPU")
    _LIBRARY = library  # the registration lives as long as this object


class DeformConv2d(nn.Module):
    """torchvision's DeformConv2d as pnnx sees it: 3x3, stride 1, pad 1, with mask."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight.detach().clone(), requires_grad=False)
        self.bias = nn.Parameter(bias.detach().clone(), requires_grad=False)

    def forward(self, x: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return torch.ops.torchvision.deform_conv2d(
            x, self.weight, offset, mask, self.bias, 1, 1, 1, 1, 1, 1, 1, 1, True
        )


# The TorchScript type name pnnx matches (see the module docstring).
DeformConv2d.__module__ = "torchvision.ops.deform_conv"


class DeployDeformConv(nn.Module):
    """A ``ModulatedDeformConv2d`` split into its offset conv and the pnnx-visible DCN."""

    def __init__(self, source: ModulatedDeformConv2d, weight: torch.Tensor, bias: torch.Tensor):
        super().__init__()
        ensure_deform_op()
        self.conv_offset_mask = source.conv_offset_mask
        self.deform = DeformConv2d(weight, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        offset, mask = split_offset_mask(self.conv_offset_mask(x))
        return self.deform(x, offset, mask)
