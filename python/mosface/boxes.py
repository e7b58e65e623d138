"""The +1 pixel IoU of the release (``py_cpu_nms``: a box from x1 to x2 covers x2 - x1 + 1 pixels).

The Python home of the convention that the C++ NMS (cpp/src/nms.cpp) applies:
evaluation, box voting and the conversion gates call this one function.
"""

from __future__ import annotations

import numpy as np


def iou_plus_one(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """(K, 4) x (G, 4) x1, y1, x2, y2 -> (K, G) IoU with the +1 convention."""
    iw = np.minimum(boxes[:, None, 2], others[None, :, 2]) - np.maximum(boxes[:, None, 0], others[None, :, 0]) + 1
    ih = np.minimum(boxes[:, None, 3], others[None, :, 3]) - np.maximum(boxes[:, None, 1], others[None, :, 1]) + 1
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    area = lambda b: (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)  # noqa: E731
    return inter / (area(boxes)[:, None] + area(others)[None, :] - inter)
