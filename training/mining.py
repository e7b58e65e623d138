"""Per-epoch hard-sample mining (paper 3.3): images with false positives or negatives."""

from __future__ import annotations

import numpy as np
import torch

from .box_utils import iou
from .detect import detect_square

MATCH_IOU = 0.5
MIN_FACE_AT_INPUT = 10  # px at the network input: smaller misses are not "hard", just invisible


def has_errors(dets: np.ndarray, faces: np.ndarray, scale: float) -> bool:
    """True when a detection matches no face, or a visible face no detection (IoU 0.5)."""
    visible = (faces[:, 2:4] - faces[:, 0:2]).max(axis=1) * scale >= MIN_FACE_AT_INPUT
    if len(dets) == 0 or len(faces) == 0:
        return bool(len(dets) or visible.any())
    overlaps = iou(
        torch.from_numpy(dets[:, :4]).double(), torch.from_numpy(faces[:, :4]).double()
    ).numpy()
    false_positive = (overlaps.max(axis=1) < MATCH_IOU).any()
    false_negative = (overlaps.max(axis=0)[visible] < MATCH_IOU).any()
    return bool(false_positive or false_negative)


@torch.no_grad()
def mine_hard_samples(
    model: torch.nn.Module,
    dataset,
    size: int,
    indices: list[int],
    *,
    device: torch.device | str = "cpu",
) -> list[int]:
    """Indices (from ``indices``) of images where the model errs at conf 0.5."""
    model.eval()
    hard = []
    for i in indices:
        image, faces = dataset.load(i)
        dets = detect_square(model, image, size, device=device)
        if has_errors(dets, faces, size / max(image.shape[:2])):
            hard.append(i)
    return hard
