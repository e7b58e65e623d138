"""The MOS release's post-processing in plain numpy: the benchmark's baseline and the tests' reference.

An independent re-statement of the authors' steps (RetinaFace ``PriorBox``,
``decode``, ``decode_landm``, ``py_cpu_nms`` and the MOS ``detect.py`` pose
expectation), written for readability, not speed: it is what a user would run
without mosface's C++ post-processor (``mosface.postprocess``), so the
benchmark measures against it and the tests check the C++ with it. Nothing in
the runtime calls it.
"""

from __future__ import annotations

import math

import numpy as np

STEPS = (8, 16, 32)
MIN_SIZES = ((16, 32), (64, 128), (256, 512))
VARIANCES = (0.1, 0.2)
POSE_BINS = 66
OUTPUT_COLUMNS = 18
# The same anchors in the form mosface.priors / mosface.postprocess take (a manifest's "anchors").
ANCHORS = {"steps": list(STEPS), "min_sizes": [list(s) for s in MIN_SIZES], "variances": list(VARIANCES)}


def reference_priors(height: int, width: int) -> np.ndarray:
    """Anchors of the authors' ``PriorBox`` for a ``height`` x ``width`` input.

    Returns float32 (N, 4) rows (cx, cy, w, h) normalised by width/height, in
    the order level, row, column, anchor size. The arithmetic is done in
    float64 in the same order as the authors' Python loop
    (``(j + 0.5) * step / width``) and rounded once to float32, as their
    ``torch.Tensor(anchors)`` does.
    """
    levels = []
    for step, sizes in zip(STEPS, MIN_SIZES):
        rows, cols = math.ceil(height / step), math.ceil(width / step)
        cy = (np.arange(rows, dtype=np.float64) + 0.5) * step / height
        cx = (np.arange(cols, dtype=np.float64) + 0.5) * step / width
        grid = np.empty((rows, cols, len(sizes), 4), dtype=np.float64)
        grid[..., 0] = cx[None, :, None]
        grid[..., 1] = cy[:, None, None]
        for s, size in enumerate(sizes):
            grid[:, :, s, 2] = size / width
            grid[:, :, s, 3] = size / height
        levels.append(grid.reshape(-1, 4))
    return np.concatenate(levels).astype(np.float32)


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shifted by the row maximum like torch's."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _pose_degrees(logits: np.ndarray) -> np.ndarray:
    """Hopenet expectation over the 66 bins: ``3 * sum_k p_k * k - 99``."""
    bins = np.arange(POSE_BINS, dtype=logits.dtype)
    return (_softmax(logits) * bins).sum(axis=-1) * 3 - 99


def py_cpu_nms(dets: np.ndarray, thresh: float) -> list[int]:
    """Greedy NMS of the authors' ``py_cpu_nms`` (+1 pixel areas and overlaps).

    ``dets`` is (M, 5): x1, y1, x2, y2, score. Returns the kept row indices in
    descending score order; a box is kept when its overlap with every
    previously kept box is ``<= thresh``.
    """
    x1, y1, x2, y2, scores = (dets[:, c] for c in range(5))
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = scores.argsort()[::-1]
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(int(i))
        xx1 = np.maximum(x1[i], x1[order[1:]])
        yy1 = np.maximum(y1[i], y1[order[1:]])
        xx2 = np.minimum(x2[i], x2[order[1:]])
        yy2 = np.minimum(y2[i], y2[order[1:]])
        w = np.maximum(0.0, xx2 - xx1 + 1)
        h = np.maximum(0.0, yy2 - yy1 + 1)
        inter = w * h
        ovr = inter / (areas[i] + areas[order[1:]] - inter)
        order = order[np.where(ovr <= thresh)[0] + 1]
    return keep


def reference_postprocess(
    loc: np.ndarray,
    cls: np.ndarray,
    landm: np.ndarray,
    yaw: np.ndarray,
    pitch: np.ndarray,
    roll: np.ndarray,
    *,
    height: int,
    width: int,
    conf_threshold: float = 0.5,
    nms_threshold: float = 0.4,
    top_k: int = 5000,
    keep_top_k: int = 750,
) -> np.ndarray:
    """The release's single-image post-processing, step for step.

    Inputs are the raw head outputs of one image: (N, 4), (N, 2), (N, 10) and
    three (N, 66) float32 arrays. Like the release, it decodes every anchor
    and takes the pose softmax of every anchor before thresholding (that is
    what makes it slow). Returns float32 (K, 18): x1, y1, x2, y2, score, five
    landmark (x, y) pairs, yaw, pitch, roll in input pixels, score descending.
    """
    priors = reference_priors(height, width)
    n = priors.shape[0]
    expected = {"loc": 4, "cls": 2, "landm": 10, "yaw": 66, "pitch": 66, "roll": 66}
    arrays = dict(zip(expected, (loc, cls, landm, yaw, pitch, roll)))
    for name, cols in expected.items():
        if arrays[name].shape != (n, cols):
            raise ValueError(f"{name} has shape {arrays[name].shape}, expected {(n, cols)}")
    loc, cls, landm, yaw, pitch, roll = (np.asarray(a, dtype=np.float32) for a in arrays.values())

    centres, sizes = priors[:, :2], priors[:, 2:]
    box_c = centres + loc[:, :2] * VARIANCES[0] * sizes
    box_wh = sizes * np.exp(loc[:, 2:] * VARIANCES[1])
    top_left = box_c - box_wh / 2
    boxes = np.concatenate([top_left, top_left + box_wh], axis=1)
    boxes *= np.array([width, height, width, height], dtype=np.float32)

    points = np.tile(centres, 5) + landm * VARIANCES[0] * np.tile(sizes, 5)
    points *= np.array([width, height] * 5, dtype=np.float32)

    scores = _softmax(cls)[:, 1]
    angles = np.stack([_pose_degrees(a) for a in (yaw, pitch, roll)], axis=1)

    inds = np.where(scores > conf_threshold)[0]
    boxes, points, scores, angles = boxes[inds], points[inds], scores[inds], angles[inds]

    order = scores.argsort()[::-1][:top_k]
    boxes, points, scores, angles = boxes[order], points[order], scores[order], angles[order]

    dets = np.hstack((boxes, scores[:, np.newaxis])).astype(np.float32, copy=False)
    keep = py_cpu_nms(dets, nms_threshold)[:keep_top_k]
    out = np.hstack((dets[keep], points[keep], angles[keep]))
    return out.astype(np.float32, copy=False).reshape(-1, OUTPUT_COLUMNS)
