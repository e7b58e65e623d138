"""Plain-numpy reference of the MOS release's post-processing, and test data.

This is an independent re-statement of the authors' steps (RetinaFace
``PriorBox``, ``decode``, ``decode_landm``, ``py_cpu_nms`` and the MOS
``detect.py`` pose expectation), written for readability, not speed. The
shipped implementation is the C++ one behind ``mosface.postprocess``; this
module exists only to check it and to give the benchmark its baseline.
"""

from __future__ import annotations

import math

import numpy as np

STEPS = (8, 16, 32)
MIN_SIZES = ((16, 32), (64, 128), (256, 512))
VARIANCES = (0.1, 0.2)
POSE_BINS = 66
OUTPUT_COLUMNS = 18


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


def _planted_scores(rng: np.random.Generator, cluster_sizes: np.ndarray) -> list[np.ndarray]:
    """Distinct face probabilities for each planted cluster, the first above 0.6.

    Values are drawn without replacement from one grid of step 2e-4 in
    [0.05, 0.995] (so any two differ by >= 2e-4, far above float32 rounding)
    that leaves out everything within 1e-3 of a multiple of 0.05, so
    thresholds such as 0.5 or 0.55 never meet a near-tie either.
    """
    grid = np.arange(0.05, 0.995, 2e-4)
    grid = grid[[not _near_round(g) for g in grid]]
    if cluster_sizes.sum() > grid.size:
        raise ValueError(f"cannot draw {cluster_sizes.sum()} distinct scores")
    picked = rng.choice(grid[grid > 0.6], size=cluster_sizes.size, replace=False)
    others = rng.permutation(np.setdiff1d(grid, picked))
    bounds = np.cumsum(cluster_sizes - 1)
    return [
        np.concatenate(([first], others[end - (size - 1) : end]))
        for first, size, end in zip(picked, cluster_sizes, bounds)
    ]


def _near_round(value: float) -> bool:
    """Whether ``value`` lies within 1e-3 of a multiple of 0.05."""
    return abs(value / 0.05 - round(value / 0.05)) * 0.05 < 1e-3


def _jittered_box(
    rng: np.random.Generator, cx: float, cy: float, size: float
) -> tuple[float, float, float, float]:
    """A (cx, cy, w, h) pixel box around a face: shifted, scaled, a bit tall."""
    w = size * math.exp(rng.uniform(-0.25, 0.25))
    h = w * rng.uniform(1.0, 1.25)
    return cx + rng.uniform(-0.3, 0.3) * size, cy + rng.uniform(-0.3, 0.3) * size, w, h


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """IoU of two (cx, cy, w, h) pixel boxes with the +1 pixel convention."""
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    iw = max(0.0, min(ax + aw / 2, bx + bw / 2) - max(ax - aw / 2, bx - bw / 2) + 1)
    ih = max(0.0, min(ay + ah / 2, by + bh / 2) - max(ay - ah / 2, by - bh / 2) + 1)
    inter = iw * ih
    return inter / ((aw + 1) * (ah + 1) + (bw + 1) * (bh + 1) - inter)


def planted_outputs(
    height: int, width: int, n_faces: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic head outputs of one image with ``n_faces`` planted faces.

    Background anchors get face probabilities below 1e-5. Each face sits in
    its own cell of a grid over the image (so faces never overlap one another)
    and claims 3 to 10 anchors of the 3 x 3 neighbourhood (x 2 sizes) around
    its centre, at the level whose anchors fit its size. Their boxes are the
    face's box with jittered centre and size, so they overlap each other (IoU
    ~0.1 to 0.95) and NMS has to choose; no two of them have an IoU within
    1e-3 of a multiple of 0.05, so round NMS thresholds meet no near-tie.
    Every planted anchor gets a distinct score (see ``_planted_scores``); the
    first of each face is above 0.6. Landmark and pose logits are random
    everywhere. Returns float32 loc, cls, landm, yaw, pitch, roll.
    """
    rng = np.random.default_rng(seed)
    priors = reference_priors(height, width).astype(np.float64)
    n = priors.shape[0]

    loc = rng.normal(0.0, 0.5, (n, 4))
    cls_bg = rng.normal(4.0, 1.0, n)
    cls = np.stack([cls_bg, cls_bg - rng.uniform(12.0, 20.0, n)], axis=1)
    landm = rng.normal(0.0, 1.0, (n, 10))
    pose = [rng.normal(0.0, 3.0, (n, POSE_BINS)) for _ in range(3)]

    cols = math.ceil(math.sqrt(n_faces * width / height)) if n_faces else 1
    rows = math.ceil(n_faces / cols) if n_faces else 1
    cell_w, cell_h = width / cols, height / rows
    cells = rng.permutation(rows * cols)[:n_faces]
    cluster_sizes = rng.integers(3, 11, n_faces)
    scores = _planted_scores(rng, cluster_sizes)
    level_starts = np.cumsum(
        [0] + [2 * math.ceil(height / s) * math.ceil(width / s) for s in STEPS]
    )
    used: set[int] = set()

    for face, cell in enumerate(cells):
        r, c = divmod(int(cell), cols)
        size = min(cell_w, cell_h) * rng.uniform(0.15, 0.35)
        face_cx = (c + 0.5 + rng.uniform(-0.05, 0.05)) * cell_w
        face_cy = (r + 0.5 + rng.uniform(-0.05, 0.05)) * cell_h
        level = 0 if size < 48 else 1 if size < 192 else 2
        step = STEPS[level]
        fh, fw = math.ceil(height / step), math.ceil(width / step)
        i0, j0 = int(face_cy // step), int(face_cx // step)
        candidates = [
            int(level_starts[level]) + (i * fw + j) * 2 + s
            for i in range(max(i0 - 1, 0), min(i0 + 2, fh))
            for j in range(max(j0 - 1, 0), min(j0 + 2, fw))
            for s in range(2)
        ]
        free = [a for a in candidates if a not in used]
        chosen = rng.permutation(free)[: cluster_sizes[face]]
        used.update(int(a) for a in chosen)
        placed: list[tuple[float, float, float, float]] = []
        for k, anchor in enumerate(chosen):
            score = scores[face][k]
            box = _jittered_box(rng, face_cx, face_cy, size)
            # Redraw until no overlap with the face's other boxes is near-round.
            while any(_near_round(_overlap(box, other)) for other in placed):
                box = _jittered_box(rng, face_cx, face_cy, size)
            placed.append(box)
            bcx, bcy, bw, bh = box
            acx, acy, aw, ah = priors[anchor]
            loc[anchor] = [
                (bcx / width - acx) / (VARIANCES[0] * aw),
                (bcy / height - acy) / (VARIANCES[0] * ah),
                math.log(bw / width / aw) / VARIANCES[1],
                math.log(bh / height / ah) / VARIANCES[1],
            ]
            cls[anchor, 1] = cls[anchor, 0] + math.log(score / (1 - score))

    return tuple(a.astype(np.float32) for a in (loc, cls, landm, *pose))
