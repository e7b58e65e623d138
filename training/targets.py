"""Anchor matching and per-anchor training targets.

Face annotations travel as float arrays (G, 17) in pixels of the network
input, columns ``FACE_COLUMNS``: box x1 y1 x2 y2, five landmark (x, y) pairs
(left eye, right eye, nose, left mouth, right mouth), yaw, pitch, roll in
degrees. NaN marks a missing landmark set or pose.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .box_utils import encode, encode_landmarks, iou, point_form

FACE_COLUMNS = 17
BOX, LANDMARKS, POSE = slice(0, 4), slice(4, 14), slice(14, 17)
MATCH_THRESHOLD = 0.35  # RetinaFace: IoU >= 0.35 positive, below negative
MIN_BEST_OVERLAP = 0.2  # RetinaFace: a face whose best anchor is below this is not forced
SMALL_FACE = 25  # paper 3.3: the small-face box loss counts faces <= 25x25 px
# The release's pose mask: matched face height >= 0.055 of the input height
# after augmentation (35.2 px at 640, the paper's 35 px rule). The release
# hard-codes 16,800 anchors, so its mask only works at 640x640; normalised
# heights make ours work at any size.
MIN_POSE_HEIGHT = 0.055


@dataclass
class Targets:
    """Per-anchor targets of a batch; N anchors, B images."""

    labels: torch.Tensor  # (B, N) long, 1 face / 0 background
    loc: torch.Tensor  # (B, N, 4)
    landmarks: torch.Tensor  # (B, N, 10)
    landmarks_valid: torch.Tensor  # (B, N) bool
    pose: torch.Tensor  # (B, N, 3) degrees yaw, pitch, roll
    pose_valid: torch.Tensor  # (B, N) bool
    small: torch.Tensor  # (B, N) bool: matched face <= SMALL_FACE px

    def to(self, device: torch.device | str) -> Targets:
        return Targets(**{k: v.to(device) for k, v in vars(self).items()})


def match(boxes: torch.Tensor, priors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Assign each prior a face.

    boxes: (G, 4) normalised xyxy; priors (N, 4) cx, cy, w, h.
    Returns (face index per prior (N,) long, positive mask (N,) bool).
    Positive when IoU >= 0.35. As released (RetinaFace): a face is valid
    when its best prior's IoU >= 0.2, and valid faces' best priors become
    positive; then every face, invalid ones too, in index order, claims its
    best prior's face index (an invalid face's prior stays positive only if
    it already was, now regressing to that face).
    """
    n = priors.shape[0]
    if boxes.shape[0] == 0:
        return torch.zeros(n, dtype=torch.long), torch.zeros(n, dtype=torch.bool)
    overlaps = iou(boxes, point_form(priors))  # (G, N)
    best_prior_overlap, best_prior_idx = overlaps.max(dim=1)
    best_face_overlap, best_face_idx = overlaps.max(dim=0)
    valid = best_prior_overlap >= MIN_BEST_OVERLAP
    if not valid.any():
        return best_face_idx, torch.zeros(n, dtype=torch.bool)
    best_face_overlap[best_prior_idx[valid]] = 2.0  # above any IoU: always positive
    for g, prior in enumerate(best_prior_idx.tolist()):
        best_face_idx[prior] = g
    return best_face_idx, best_face_overlap >= MATCH_THRESHOLD


def build_targets(
    faces: list[torch.Tensor], priors: torch.Tensor, height: int, width: int
) -> Targets:
    """Targets for a batch; ``faces[b]`` is (G_b, 17) in input pixels."""
    scale = torch.tensor([width, height], dtype=torch.float32)
    per_image = []
    for f in faces:
        f = f.float()
        boxes = f[:, BOX] / scale.repeat(2)
        idx, positive = match(boxes, priors)
        mf = f[idx] if f.shape[0] else torch.full((priors.shape[0], FACE_COLUMNS), float("nan"))
        mboxes = mf[:, BOX] / scale.repeat(2)
        pts = mf[:, LANDMARKS] / scale.repeat(5)
        lmk_valid = positive & ~torch.isnan(pts).any(dim=1)
        tall_enough = (mf[:, 3] - mf[:, 1]) / height >= MIN_POSE_HEIGHT
        pose_valid = positive & tall_enough & ~torch.isnan(mf[:, POSE]).any(dim=1)
        size = (mf[:, 2:4] - mf[:, 0:2]).max(dim=1).values
        per_image.append(
            Targets(
                labels=positive.long(),
                loc=torch.where(positive[:, None], encode(mboxes, priors), 0.0),
                landmarks=torch.where(
                    lmk_valid[:, None], encode_landmarks(torch.nan_to_num(pts), priors), 0.0
                ),
                landmarks_valid=lmk_valid,
                pose=torch.where(pose_valid[:, None], torch.nan_to_num(mf[:, POSE]), 0.0),
                pose_valid=pose_valid,
                small=positive & (size <= SMALL_FACE),
            )
        )
    return Targets(
        **{k: torch.stack([getattr(t, k) for t in per_image]) for k in vars(per_image[0])}
    )
