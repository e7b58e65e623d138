"""The release's validation metric (its compiled ``eval_validation``), not WIDER AP.

Per image: recall = share of faces whose best detection IoU > 0.5, precision
= share of detections whose best face IoU > 0.5 (IoU without +1); no
detection gives recall 0 / precision 1, no face recall 1 / precision 0.
Pose: images with no detection or no face are skipped, and so are images
where *both* counts differ from 1 (the compiled ``and``); otherwise the top
detection's angles are compared with the first face's, without an IoU check.
The release leaves the score and NMS thresholds to its caller; its NMS has
no +1 (torchvision), ours is the runtime's (+1).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from ..box_utils import iou
from ..detect import detect_square

MATCH_IOU = 0.5
ANGLES = slice(15, 18)  # yaw, pitch, roll in the runtime's rows
FACE_ANGLES = slice(14, 17)  # yaw, pitch, roll in face rows


def recall_precision(dets: np.ndarray, faces: np.ndarray) -> tuple[float, float]:
    """One image's recall and precision as the release computes them."""
    if len(dets) == 0:
        return 0.0, 1.0
    if len(faces) == 0:
        return 1.0, 0.0
    overlaps = iou(
        torch.from_numpy(faces[:, :4]).double(), torch.from_numpy(dets[:, :4]).double()
    ).numpy()
    recall = float((overlaps.max(axis=1) > MATCH_IOU).mean())
    precision = float((overlaps.max(axis=0) > MATCH_IOU).mean())
    return recall, precision


def release_validation(results: Iterable[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """(detections sorted by score, faces) per image -> mean recall, precision, pose MAE."""
    scores, errors = [], []
    for dets, faces in results:
        scores.append(recall_precision(dets, faces))
        if len(dets) == 0 or len(faces) == 0 or (len(dets) != 1 and len(faces) != 1):
            continue
        truth = faces[0, FACE_ANGLES]
        if not np.isnan(truth).any():  # ours: a face without a pose label has nothing to compare
            errors.append(np.abs(dets[0, ANGLES] - truth))
    if not scores:
        raise ValueError("no images to validate")
    recall, precision = np.mean(scores, axis=0)
    out = {"recall": float(recall), "precision": float(precision), "pose_images": len(errors)}
    if errors:
        yaw, pitch, roll = np.mean(errors, axis=0)
        out.update(
            yaw=float(yaw), pitch=float(pitch), roll=float(roll), mean=float(np.mean(errors))
        )
    return out


def validate(
    model: torch.nn.Module,
    dataset,
    size: int,
    *,
    conf_threshold: float,
    nms_threshold: float,
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    """``release_validation`` over ``dataset`` (``load(i) -> (image, faces)``) at ``size``."""
    model.eval()

    def results():
        for i in range(len(dataset)):
            image, faces = dataset.load(i)
            dets = detect_square(
                model, image, size, device=device,
                conf_threshold=conf_threshold, nms_threshold=nms_threshold,
            )  # fmt: skip
            yield dets, faces

    return release_validation(results())
