"""Per-epoch hard-sample mining (paper 3.3, Fig. 2b).

The current model is run over the training set; an image enters the
sampling set S once per false detection (false positives plus missed faces,
IoU 0.5, conf 0.5), up to ``max_copies`` times: the paper adds images
"according to the number of false detection boxes"; the cap is ours, so a
crowd photo with dozens of misses does not flood an epoch.
"""

from __future__ import annotations

import numpy as np
import torch

from .box_utils import iou
from .detect import detect_square

MATCH_IOU = 0.5
MIN_FACE_AT_INPUT = 10  # px at the network input: smaller misses are not "hard", just invisible


def count_false_detections(dets: np.ndarray, faces: np.ndarray, scale: float) -> int:
    """Detections matching no face plus visible faces matched by no detection (IoU 0.5)."""
    visible = (faces[:, 2:4] - faces[:, 0:2]).max(axis=1) * scale >= MIN_FACE_AT_INPUT
    if len(dets) == 0 or len(faces) == 0:
        return int(len(dets) + visible.sum())
    overlaps = iou(
        torch.from_numpy(dets[:, :4]).double(), torch.from_numpy(faces[:, :4]).double()
    ).numpy()
    false_positives = (overlaps.max(axis=1) < MATCH_IOU).sum()
    missed = (overlaps.max(axis=0)[visible] < MATCH_IOU).sum()
    return int(false_positives + missed)


@torch.no_grad()
def mine_hard_samples(
    model: torch.nn.Module,
    dataset,
    size: int,
    indices: list[int],
    *,
    max_copies: int,
    device: torch.device | str = "cpu",
) -> dict[int, int]:
    """{index: copies in S} for the images of ``indices`` where the model errs."""
    model.eval()
    hard = {}
    for i in indices:
        image, faces = dataset.load(i)
        dets = detect_square(model, image, size, device=device)
        errors = count_false_detections(dets, faces, size / max(image.shape[:2]))
        if errors:
            hard[i] = min(errors, max_copies)
    return hard
