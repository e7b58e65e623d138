"""MOS training losses (paper 3.2) and their weightings.

``MultiTaskLoss`` returns the separate terms (cls, box, landmarks, pose, and
the small-face box-loss ratio that drives online feedback sampling);
``UncertaintyWeighting`` (eq. 7) or ``FixedWeighting`` (2:1:1:0.25) turns
them into one scalar, visibly, in the training loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .targets import Targets

POSE_BINS = 66
POSE_BIN_WIDTH = 3.0  # degrees; bins cover [-99, 99)
POSE_OFFSET = 99.0
POSE_MSE_WEIGHT = 0.001  # beta, paper eq. 1
NEG_POS_RATIO = 3  # OHEM negatives : positives


def angle_to_bin(angle: torch.Tensor) -> torch.Tensor:
    """Degrees -> bin index in [0, 65] (Hopenet's ``np.digitize(...) - 1``)."""
    return torch.floor((angle + POSE_OFFSET) / POSE_BIN_WIDTH).long().clamp(0, POSE_BINS - 1)


def expected_angle(logits: torch.Tensor) -> torch.Tensor:
    """(..., 66) logits -> (...) degrees: 3 * sum_k softmax_k * k - 99."""
    idx = torch.arange(POSE_BINS, dtype=logits.dtype, device=logits.device)
    return (F.softmax(logits, dim=-1) * idx).sum(dim=-1) * POSE_BIN_WIDTH - POSE_OFFSET


def pose_loss(logits: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """One angle: mean CE on the bin + 0.001 * MSE of the expected angle.

    logits (M, 66), angle (M,) degrees; 0 when M == 0.
    """
    if logits.shape[0] == 0:
        return logits.sum() * 0.0
    ce = F.cross_entropy(logits, angle_to_bin(angle))
    return ce + POSE_MSE_WEIGHT * F.mse_loss(expected_angle(logits), angle)


def ohem_cls_loss(cls_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Softmax CE over positives + the hardest negatives (3 per positive, per image).

    cls_logits (B, N, 2), labels (B, N) in {0, 1}. Sum divided by the number
    of positives (SSD / RetinaFace normalisation).
    """
    ce = F.cross_entropy(cls_logits.reshape(-1, 2), labels.reshape(-1), reduction="none").reshape(
        labels.shape
    )
    positive = labels > 0
    num_pos = positive.sum(dim=1, keepdim=True)
    ranking = ce.detach().masked_fill(positive, 0.0)
    order = ranking.argsort(dim=1, descending=True).argsort(dim=1)  # rank of each anchor
    num_neg = (NEG_POS_RATIO * num_pos).clamp(max=labels.shape[1] - 1)
    negative = (order < num_neg) & ~positive
    return ce[positive | negative].sum() / num_pos.sum().clamp(min=1)


@dataclass
class LossTerms:
    """Unweighted loss terms of one batch, plus the feedback ratio."""

    cls: torch.Tensor
    box: torch.Tensor
    landmarks: torch.Tensor
    pose: torch.Tensor
    small_box_ratio: float  # L_box^s / L_box (paper 3.3); 1.0 when no positives


class MultiTaskLoss(nn.Module):
    """Unweighted MOS loss terms from raw model outputs and ``Targets``."""

    def forward(self, outputs: tuple[torch.Tensor, ...], targets: Targets) -> LossTerms:
        loc, cls_logits, landm, *pose_logits = outputs
        pos = targets.labels > 0
        num_pos = pos.sum().clamp(min=1)
        box_per_anchor = F.smooth_l1_loss(loc[pos], targets.loc[pos], reduction="none").sum(dim=1)
        box = box_per_anchor.sum() / num_pos
        small = targets.small[pos]
        total = float(box_per_anchor.detach().sum())
        # Ratio of sums: the share of the box loss that small faces carry.
        ratio = float(box_per_anchor.detach()[small].sum()) / total if total > 0 else 1.0
        lpos = targets.landmarks_valid
        landmarks = F.smooth_l1_loss(
            landm[lpos], targets.landmarks[lpos], reduction="sum"
        ) / lpos.sum().clamp(min=1)
        ppos = targets.pose_valid
        pose = sum(
            pose_loss(logits[ppos], targets.pose[..., k][ppos])
            for k, logits in enumerate(pose_logits)
        )
        return LossTerms(ohem_cls_loss(cls_logits, targets.labels), box, landmarks, pose, ratio)


class FixedWeighting(nn.Module):
    """Baseline: cls:box:pts:pose = 2:1:1:0.25."""

    def __init__(self, weights: tuple[float, float, float, float] = (2.0, 1.0, 1.0, 0.25)) -> None:
        super().__init__()
        self.weights = weights

    def forward(self, terms: LossTerms) -> torch.Tensor:
        w_cls, w_box, w_pts, w_pose = self.weights
        return w_cls * terms.cls + w_box * terms.box + w_pts * terms.landmarks + w_pose * terms.pose


class UncertaintyWeighting(nn.Module):
    """Paper eq. 7 with learned logs of T, s1, s2, s3 (all start at 0, i.e. 1).

    L = cls/T^2 + box/(2 s1^2) + pts/(2 s2^2) + pose/(2 s3^2) + log(T s1 s2 s3).
    """

    def __init__(self) -> None:
        super().__init__()
        self.log_sigma = nn.Parameter(torch.zeros(4))  # log T, log s1, log s2, log s3

    def forward(self, terms: LossTerms) -> torch.Tensor:
        inv_var = torch.exp(-2.0 * self.log_sigma)
        return (
            terms.cls * inv_var[0]
            + 0.5
            * (terms.box * inv_var[1] + terms.landmarks * inv_var[2] + terms.pose * inv_var[3])
            + self.log_sigma.sum()
        )


def build_weighting(name: str) -> nn.Module:
    """``"uncertainty"`` (eq. 7) or ``"fixed"`` (2:1:1:0.25)."""
    if name == "uncertainty":
        return UncertaintyWeighting()
    if name == "fixed":
        return FixedWeighting()
    raise ValueError(f"unknown loss weighting {name!r}; expected 'uncertainty' or 'fixed'")
