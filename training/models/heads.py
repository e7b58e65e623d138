"""Multi-task head (MTH) of MOS, one instance per pyramid level.

Structure of ``MultiTaskHead`` (names a converter can rely on):

- ``stitch_convs``: ``ModuleList`` of 1x1 convs (C -> C, with bias), one per
  stitched task in ``tasks`` order; absent for the hard-connection head.
- ``cross_stitch.weight``: (T, T, C); output task i is
  ``sum_j weight[i, j] * x_j`` (per-channel), written as a running sum so no
  tensor exceeds 4-D. Absent for the hard-connection head.
- ``box_head`` / ``cls_head`` / ``landmark_head``: 1x1 convs to A*4, A*2, A*10.
- pose, ``pose_mode="per-angle"`` (MOS-S/M): ``pose_heads[0..2]`` for yaw,
  pitch, roll, each ``conv3x3`` (conv C -> P, BN, ReLU) then ``conv1x1`` (P ->
  A*66); the stitched tasks are box, cls, landmark, yaw, pitch, roll.
- pose, ``pose_mode="shared"`` (mos-tiny): one stitched ``pose`` task feeds
  ``pose_trunk`` (depthwise 3x3 + BN + ReLU, 1x1 C -> P + BN + ReLU) shared by
  the angles, then ``pose_heads[0..2]`` with only a ``conv1x1`` (P -> A*66).

Everything before the BN/ReLU of the pose branch is linear (stitch convs,
cross-stitch, 1x1 heads), so a converter may fold it.
"""

from __future__ import annotations

import torch
from torch import nn

from .neck import ConvBNAct

POSE_BINS = 66
STITCH_DIAGONAL = 0.9  # cross-stitch init (paper / release)
STITCH_OFF_DIAGONAL = 0.1


def flatten_nhwc(x: torch.Tensor, k: int) -> torch.Tensor:
    """(B, A*k, H, W) -> (B, H*W*A, k): anchor order row, column, size."""
    return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1, k)


class CrossStitch(nn.Module):
    """Per-channel cross-stitch unit over T task maps of C channels."""

    def __init__(self, tasks: int, channels: int) -> None:
        super().__init__()
        init = torch.full((tasks, tasks, channels), STITCH_OFF_DIAGONAL)
        init[range(tasks), range(tasks)] = STITCH_DIAGONAL
        self.weight = nn.Parameter(init)

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        t = len(xs)
        outs = []
        for i in range(t):
            # Explicit running sum: torch.stack(...).sum(0) would be 5-D and
            # breaks ncnn (see shared/notes/toolchain.md).
            acc = self.weight[i, 0].view(1, -1, 1, 1) * xs[0]
            for j in range(1, t):
                acc = acc + self.weight[i, j].view(1, -1, 1, 1) * xs[j]
            outs.append(acc)
        return outs


class PoseHead(nn.Module):
    """One angle: optional ``conv3x3`` (C -> P + BN + ReLU), then ``conv1x1`` -> A*66."""

    def __init__(
        self, channels: int, pose_channels: int, anchors: int, *, with_conv3x3: bool
    ) -> None:
        super().__init__()
        if with_conv3x3:
            conv = nn.Conv2d(channels, pose_channels, 3, 1, 1, bias=False)
            self.conv3x3 = ConvBNAct(conv, pose_channels, nn.ReLU(inplace=True))
        else:
            self.conv3x3 = nn.Identity()
        self.conv1x1 = nn.Conv2d(pose_channels, anchors * POSE_BINS, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv1x1(self.conv3x3(x))


def shared_pose_trunk(channels: int, pose_channels: int) -> nn.Sequential:
    """mos-tiny's cheap trunk: depthwise 3x3 + 1x1, shared by the three angles."""
    return nn.Sequential(
        ConvBNAct(
            nn.Conv2d(channels, channels, 3, 1, 1, groups=channels, bias=False),
            channels,
            nn.ReLU(inplace=True),
        ),
        ConvBNAct(
            nn.Conv2d(channels, pose_channels, 1, bias=False), pose_channels, nn.ReLU(inplace=True)
        ),
    )


class MultiTaskHead(nn.Module):
    """(B, C, H, W) -> (loc, cls, landm, yaw, pitch, roll), each (B, H*W*A, k)."""

    def __init__(
        self, channels: int, anchors: int, *, head: str, pose_mode: str, pose_channels: int
    ) -> None:
        super().__init__()
        if head not in ("stitch", "hard"):
            raise ValueError(f"head must be 'stitch' or 'hard', got {head!r}")
        if pose_mode not in ("per-angle", "shared"):
            raise ValueError(f"pose_mode must be 'per-angle' or 'shared', got {pose_mode!r}")
        self.tasks = ("box", "cls", "landmark") + (
            ("yaw", "pitch", "roll") if pose_mode == "per-angle" else ("pose",)
        )
        self.stitched = head == "stitch"
        if self.stitched:
            self.stitch_convs = nn.ModuleList(nn.Conv2d(channels, channels, 1) for _ in self.tasks)
            self.cross_stitch = CrossStitch(len(self.tasks), channels)
        self.box_head = nn.Conv2d(channels, anchors * 4, 1)
        self.cls_head = nn.Conv2d(channels, anchors * 2, 1)
        self.landmark_head = nn.Conv2d(channels, anchors * 10, 1)
        per_angle = pose_mode == "per-angle"
        self.pose_trunk = nn.Identity() if per_angle else shared_pose_trunk(channels, pose_channels)
        self.pose_heads = nn.ModuleList(
            PoseHead(channels, pose_channels, anchors, with_conv3x3=per_angle) for _ in range(3)
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if self.stitched:
            feats = self.cross_stitch([conv(x) for conv in self.stitch_convs])
        else:
            feats = [x] * len(self.tasks)
        box_f, cls_f, lmk_f, *pose_f = feats
        if len(pose_f) == 1:  # shared trunk: one stitched pose map for all angles
            pose_f = [self.pose_trunk(pose_f[0])] * 3
        return (
            flatten_nhwc(self.box_head(box_f), 4),
            flatten_nhwc(self.cls_head(cls_f), 2),
            flatten_nhwc(self.landmark_head(lmk_f), 10),
            *(flatten_nhwc(head(f), POSE_BINS) for head, f in zip(self.pose_heads, pose_f)),
        )
