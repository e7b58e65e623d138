"""Anchors (priors) shared by training, evaluation and export.

The same anchors as the runtime's ``mosface.priors``: order level (strides
8, 16, 32), row, column, size; centres at (j + 0.5) * stride; feature map
size ceil(input / stride); (cx, cy, w, h) normalised by the input width and
height. Sizes and variances follow RetinaFace / the MOS release.
"""

from __future__ import annotations

import math

import torch

MIN_SIZES: tuple[tuple[int, int], ...] = ((16, 32), (64, 128), (256, 512))
STEPS: tuple[int, ...] = (8, 16, 32)
VARIANCES: tuple[float, float] = (0.1, 0.2)


def manifest_anchors() -> dict[str, list]:
    """These anchors as a manifest's "anchors" object (what ``mosface.priors`` / ``postprocess`` take)."""
    return {
        "steps": list(STEPS),
        "min_sizes": [list(sizes) for sizes in MIN_SIZES],
        "variances": list(VARIANCES),
    }


def feature_sizes(height: int, width: int) -> list[tuple[int, int]]:
    """(rows, cols) of each pyramid level."""
    return [(math.ceil(height / s), math.ceil(width / s)) for s in STEPS]


def priors(height: int, width: int) -> torch.Tensor:
    """float32 (N, 4) anchors (cx, cy, w, h), normalised."""
    boxes = []
    for (rows, cols), step, sizes in zip(feature_sizes(height, width), STEPS, MIN_SIZES):
        cy = (torch.arange(rows, dtype=torch.float64) + 0.5) * step / height
        cx = (torch.arange(cols, dtype=torch.float64) + 0.5) * step / width
        cy, cx = torch.meshgrid(cy, cx, indexing="ij")
        per_size = [
            torch.stack(
                (cx, cy, torch.full_like(cx, s / width), torch.full_like(cx, s / height)), dim=-1
            )
            for s in sizes
        ]
        boxes.append(torch.stack(per_size, dim=2).reshape(-1, 4))  # row, col, size
    return torch.cat(boxes).float()
