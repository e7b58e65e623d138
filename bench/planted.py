"""Synthetic MOS head outputs with planted faces: input for the post-processing benchmark and tests.

Faces are placed so that NMS has to choose and no decision sits near a round
threshold (see ``planted_outputs``); the arrays are what a MOS graph would
output, so ``mosface.postprocess`` and ``authors_numpy.reference_postprocess``
can both run on them.
"""

from __future__ import annotations

import math

import numpy as np

from .authors_numpy import POSE_BINS, STEPS, VARIANCES, reference_priors


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
