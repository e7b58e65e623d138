"""AFLW2000 head-pose evaluation as released (``test_scripts/calculate_mbv2_pose_aflw.py``).

The release's protocol ("AFLW2000 in 300X300 as image input"): each image is
stretched to 300x300, detections are kept at confidence 0.4 and NMS 0.4
(+1 pixel convention, the runtime's NMS), the detection with the largest
box area is the face; images whose label has any angle outside +-99 degrees
are dropped (``data.aflw2000``); images without a detection are skipped and
counted apart, not in the MAE. The script also sweeps other sizes
(``size``); its 800 variant, a 450x450 image pasted into a 640x640 canvas,
is not reproduced here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..data.aflw2000 import list_aflw2000
from ..data.images import read_bgr, to_input
from ..detect import postprocess_outputs
from .metrics import pose_mae

RELEASE_SIZE = 300
CONF_THRESHOLD = 0.4
NMS_THRESHOLD = 0.4
ANGLES = slice(15, 18)  # yaw, pitch, roll in the runtime's (K, 18) rows


def largest_detection(rows: np.ndarray) -> np.ndarray | None:
    """The row with the largest box area, or None when there is none."""
    if len(rows) == 0:
        return None
    areas = (rows[:, 2] - rows[:, 0]) * (rows[:, 3] - rows[:, 1])
    return rows[int(np.argmax(areas))]


@torch.no_grad()
def detect_stretched(
    model: torch.nn.Module, image: np.ndarray, size: int, *, device: torch.device | str = "cpu"
) -> np.ndarray:
    """Stretch ``image`` to size x size (bilinear, aspect not kept) and detect at 0.4 / 0.4."""
    stretched = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR))
    x = torch.from_numpy(to_input(stretched))[None].to(device)
    outputs = tuple(o[0] for o in model(x))
    return postprocess_outputs(
        outputs, size, size, conf_threshold=CONF_THRESHOLD, nms_threshold=NMS_THRESHOLD
    )


def pose_summary(results: Iterable[tuple[np.ndarray, tuple[float, float, float]]]) -> dict:
    """(detections, true yaw/pitch/roll) per image -> MAE per angle, mean, faces, skipped."""
    preds, truths, skipped = [], [], 0
    for rows, truth in results:
        face = largest_detection(rows)
        if face is None:
            skipped += 1
            continue
        preds.append(face[ANGLES])
        truths.append(truth)
    if not preds:
        raise ValueError(f"no detection in any of the {skipped} images")
    return {
        **pose_mae(np.asarray(preds), np.asarray(truths)),
        "faces": len(preds),
        "skipped": skipped,
    }


def evaluate_aflw2000(
    model: torch.nn.Module,
    root: str | Path,
    *,
    size: int = RELEASE_SIZE,
    device: torch.device | str = "cpu",
) -> dict:
    """The release's AFLW2000 protocol over ``root`` (imageXXXXX.jpg + .mat)."""
    model.eval()
    items = list_aflw2000(root)
    return pose_summary(
        (detect_stretched(model, read_bgr(path), size, device=device), angles)
        for path, angles in items
    )
