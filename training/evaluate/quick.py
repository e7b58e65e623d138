"""Single-scale AP over an annotated dataset (validation during training, tests).

Not the WIDER protocol (see ``predict.py`` / ``widerface.py``): one square
pass, conf 0.02, NMS 0.4; every face counts (no easy/medium/hard split).
The AP itself is the official tool's (``average_precision``).
"""

from __future__ import annotations

import numpy as np
import torch

from ..detect import detect_square
from .widerface import average_precision, normalise_scores

CONF_THRESHOLD = 0.02


def dataset_ap(
    model: torch.nn.Module, dataset, size: int, *, device: torch.device | str = "cpu"
) -> float:
    """AP of ``model`` on ``dataset`` (anything with ``len`` and ``load(i) -> (image, faces)``)."""
    model.eval()
    preds, gts, keeps = [], [], []
    for i in range(len(dataset)):
        image, faces = dataset.load(i)
        rows = detect_square(model, image, size, device=device, conf_threshold=CONF_THRESHOLD)
        preds.append(
            np.concatenate((rows[:, :2], rows[:, 2:4] - rows[:, :2], rows[:, 4:5]), axis=1)
        )
        gts.append(np.concatenate((faces[:, :2], faces[:, 2:4] - faces[:, :2]), axis=1))
        keeps.append(np.ones(len(faces), bool))
    return average_precision(normalise_scores(preds), gts, keeps)
