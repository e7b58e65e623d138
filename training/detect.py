"""Inference helpers of the training side: raw torch outputs through the runtime's post-processor.

Decoding, thresholding, NMS and pose expectation have one implementation, the
C++ one behind ``mosface.postprocess``; the runtime ships in the same package,
so training uses it instead of a torch copy. Output rows follow the runtime
contract: (K, 18) x1, y1, x2, y2, score, 5 landmark (x, y) pairs, yaw, pitch,
roll, in input pixels.
"""

from __future__ import annotations

import numpy as np
import torch

import mosface

from .data.augment import pad_to_square
from .data.images import resize, to_input
from .priors import manifest_anchors


def postprocess_outputs(
    outputs: tuple[torch.Tensor, ...], height: int, width: int, **options: float
) -> np.ndarray:
    """One image's raw outputs (each (N, k)) -> (K, 18) detections, via ``mosface.postprocess``."""
    arrays = [o.detach().float().cpu().numpy() for o in outputs]
    return mosface.postprocess(*arrays, height=height, width=width, anchors=manifest_anchors(), **options)


@torch.no_grad()
def detect_square(
    model: torch.nn.Module,
    image: np.ndarray,
    size: int,
    *,
    device: torch.device | str = "cpu",
    **options: float,
) -> np.ndarray:
    """Pad ``image`` (HxWx3 BGR) to a square, resize to ``size``, detect.

    Returns (K, 18) rows in the original image's pixels (``postprocess``
    options pass through). Used for hard-sample mining and quick validation.
    """
    square = pad_to_square(image)
    scale = size / square.shape[0]
    x = torch.from_numpy(to_input(resize(square, size, size)))[None].to(device)
    outputs = tuple(o[0] for o in model(x))
    rows = postprocess_outputs(outputs, size, size, **options)
    rows[:, [0, 1, 2, 3, *range(5, 15)]] /= scale
    return rows
