"""The MOS model: backbone -> FPN -> SSH -> multi-task head, per level.

Module tree (names used by ``load_official`` and by converters):

- ``body``: ShuffleNetV2 / MobileNetV2 in torchvision's key layout.
- ``fpn``: ``laterals[0..2]``, ``merges[0..1]`` (see ``neck.py``).
- ``ssh[0..2]``: SSH context module of P3, P4, P5.
- ``heads[0..2]``: ``MultiTaskHead`` of P3, P4, P5 (see ``heads.py``).

``forward(x)`` with x (B, 3, H, W) (BGR minus mean, unscaled) returns raw
logits ``(loc, cls_logits, landm, yaw_logits, pitch_logits, roll_logits)``
with shapes (B, N, 4) (B, N, 2) (B, N, 10) (B, N, 66) x 3, levels P3, P4, P5
concatenated; N = 2 * sum(ceil(H/s) * ceil(W/s)) over s = 8, 16, 32.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .backbones import build_backbone
from .heads import MultiTaskHead
from .neck import FPN, SSH

ANCHORS_PER_LOCATION = 2


@dataclass(frozen=True)
class ArchSpec:
    """What distinguishes the members of the family."""

    backbone: str
    backbone_width: float
    channels: int  # FPN / SSH / head width
    pose_mode: str  # "per-angle" (3x3 conv per angle) or "shared" (cheap trunk)
    pose_channels: int


ARCHS: dict[str, ArchSpec] = {
    "mos-s": ArchSpec("shufflenetv2", 1.0, 64, "per-angle", 128),
    "mos-m": ArchSpec("mobilenetv2", 1.0, 64, "per-angle", 128),
    # Not in the release: ShuffleNetV2 x0.5, 32-wide neck and one depthwise
    # pose trunk shared by the angles (the per-angle 3x3 convs are ~70% of
    # MOS-S's MACs), sized for <= 0.3 GMACs at 320x240.
    "mos-tiny": ArchSpec("shufflenetv2", 0.5, 32, "shared", 64),
}


class MOS(nn.Module):
    """Multi-task face model; see the module docstring for the layout."""

    def __init__(self, arch: str, *, dcn: bool, head: str) -> None:
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"unknown model {arch!r}; expected one of {sorted(ARCHS)}")
        spec = ARCHS[arch]
        # Recorded so checkpoints can say what they hold.
        self.arch, self.dcn, self.head_type = arch, dcn, head
        self.body = build_backbone(spec.backbone, spec.backbone_width)
        self.fpn = FPN(self.body.out_channels, spec.channels, dcn=dcn)
        self.ssh = nn.ModuleList(SSH(spec.channels, dcn=dcn) for _ in range(3))
        self.heads = nn.ModuleList(
            MultiTaskHead(
                spec.channels,
                ANCHORS_PER_LOCATION,
                head=head,
                pose_mode=spec.pose_mode,
                pose_channels=spec.pose_channels,
            )
            for _ in range(3)
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        levels = self.fpn(self.body(x))
        per_level = [head(ssh(p)) for head, ssh, p in zip(self.heads, self.ssh, levels)]
        return tuple(torch.cat(outs, dim=1) for outs in zip(*per_level))


def build_model(name: str, *, dcn: bool = False, head: str = "stitch") -> MOS:
    """Build ``"mos-s"``, ``"mos-m"`` or ``"mos-tiny"``.

    ``dcn=True`` uses DCNv2 in the FPN merges and SSH (the released models);
    ``head="hard"`` is the ablation's hard-connection baseline.
    """
    return MOS(name, dcn=dcn, head=head)
