"""Sparse pose heads: the ncnn graph stops where the pose branches start; their weights go to a file.

A face's pose logits depend only on the 3x3 neighbourhood of its anchor's
cell, so the runtime computes them after NMS for the kept faces instead of
at all ~17k anchors (about half of MOS-S's MACs). The sparse graph's outputs
are ``loc, cls, landmarks`` and, per level, the head input (the SSH output,
C channels) that feeds the pose branches.

Per level, ``pose_heads.bin`` holds the folded pose layers as float32
little-endian arrays in torch layout, described in manifest.json
(``sparse_pose``): a ``trunk`` shared by the angles (mos-tiny) and one chain
per angle (yaw, pitch, roll); each layer names its kind, sizes, ReLU and
float offsets of weight and bias. Kinds:

- ``conv1x1`` (out, in): before the 3x3 layer it runs at each of the 9 cells
  inside the map (cells outside stay 0: the dense graph zero-pads its output);
- ``conv3x3`` (out, in[+1], 3, 3): ``ones_channel`` adds an input channel
  that is 1 inside the map and 0 outside (the folded stitch bias, see fold.py);
- ``depthwise3x3`` (channels, 1, 3, 3).

The chain ends with a conv1x1 to anchors x 66 bins; the runtime evaluates
only the anchor's 66 rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..training.models import MOS
from ..training.models.heads import POSE_BINS
from ..training.models.mos import ANCHORS_PER_LOCATION
from .fold import FoldedHead, FoldedPose3x3

POSE_HEADS_FILE = "pose_heads.bin"
MODES = ("sparse", "dense")
FEATURE_NAMES = ("pose_p3", "pose_p4", "pose_p5")  # ONNX names of the per-level head inputs


class SparsePoseModel(nn.Module):
    """A folded MOS without its pose branches: (loc, cls, landmarks, head input of P3, P4, P5)."""

    def __init__(self, folded: MOS) -> None:
        super().__init__()
        self.model = folded

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        model = self.model
        levels = model.fpn(model.body(x))
        features = [ssh(p) for ssh, p in zip(model.ssh, levels)]
        per_level = [head.detection_outputs(f) for head, f in zip(model.heads, features)]
        return (*(torch.cat(outs, dim=1) for outs in zip(*per_level)), *features)


class _Writer:
    """Collects float32 arrays into one buffer; each returns its offset in floats.

    Always fp32, also for ``--fp16`` graphs (a few hundred KB per level): the
    fp16 gate's reference keeps these layers fp32 (fold.fp16_weight_reference).
    """

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.size = 0

    def add(self, tensor: torch.Tensor) -> int:
        array = tensor.detach().float().numpy().astype("<f4").ravel()
        offset = self.size
        self.chunks.append(array)
        self.size += array.size
        return offset

    def layer(
        self, kind: str, conv: nn.Conv2d, *, relu: bool, ones_channel: bool = False
    ) -> dict[str, Any]:
        inputs = conv.weight.shape[1] * conv.groups - int(ones_channel)
        return {
            "kind": kind,
            "in": inputs,
            "out": conv.weight.shape[0],
            "relu": relu,
            "ones_channel": ones_channel,
            "weight": self.add(conv.weight),
            "bias": self.add(conv.bias),
        }


def _trunk_layers(head: FoldedHead, writer: _Writer) -> list[dict[str, Any]]:
    """mos-tiny: folded stitch 1x1, depthwise 3x3 + ReLU, 1x1 + ReLU (BN already folded)."""
    depthwise, pointwise = head.pose_trunk
    return [
        writer.layer("conv1x1", head.pose_input, relu=False),
        writer.layer("depthwise3x3", depthwise.conv, relu=True),
        writer.layer("conv1x1", pointwise.conv, relu=True),
    ]


def _angle_layers(head: FoldedHead, angle: int, writer: _Writer) -> list[dict[str, Any]]:
    layers = []
    conv3x3 = head.pose_convs[angle]
    if isinstance(conv3x3, FoldedPose3x3):
        layers.append(
            writer.layer("conv3x3", conv3x3.conv, relu=True, ones_channel=conv3x3.with_ones)
        )
    layers.append(writer.layer("conv1x1", head.pose_outputs[angle], relu=False))
    return layers


def write_pose_heads(folded: MOS, folder: Path, feature_blobs: list[str]) -> dict[str, Any]:
    """Write ``folder/pose_heads.bin``; returns its manifest description (``sparse_pose``)."""
    writer = _Writer()
    levels = []
    for head in folded.heads:
        if not isinstance(head, FoldedHead):
            raise TypeError("sparse pose heads need the folded model (fold_linear_heads)")
        trunk = _trunk_layers(head, writer) if head.shared_pose else []
        angles = [_angle_layers(head, angle, writer) for angle in range(3)]
        levels.append({"trunk": trunk, "angles": angles})
    (folder / POSE_HEADS_FILE).write_bytes(np.concatenate(writer.chunks).tobytes())
    channels = folded.heads[0].box_head.weight.shape[1]
    return {
        "file": POSE_HEADS_FILE,
        "features": list(feature_blobs),
        "channels": int(channels),
        "anchors_per_cell": ANCHORS_PER_LOCATION,
        "bins": POSE_BINS,
        "floats": writer.size,
        "levels": levels,
    }
