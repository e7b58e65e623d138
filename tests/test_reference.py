"""The numpy reference against literal per-anchor loops on tiny inputs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from mosface.bench.authors_numpy import MIN_SIZES, STEPS, reference_postprocess, reference_priors
from mosface.bench.planted import planted_outputs


def loop_priors(height: int, width: int) -> list[list[float]]:
    """The authors' ``PriorBox.forward`` loop, written out."""
    anchors = []
    for step, sizes in zip(STEPS, MIN_SIZES):
        for i, j in itertools.product(
            range(math.ceil(height / step)), range(math.ceil(width / step))
        ):
            for size in sizes:
                cx = (j + 0.5) * step / width
                cy = (i + 0.5) * step / height
                anchors.append([cx, cy, size / width, size / height])
    return anchors


def loop_postprocess(
    arrays: tuple[np.ndarray, ...], height: int, width: int, thresh: float
) -> np.ndarray:
    """Per-anchor float64 decode, then greedy NMS by explicit pairwise overlap."""
    loc, cls, landm, *pose = (a.astype(np.float64) for a in arrays)
    candidates = []
    for n, (cx, cy, aw, ah) in enumerate(loop_priors(height, width)):
        score = 1 / (1 + math.exp(cls[n, 0] - cls[n, 1]))
        if score <= 0.5:
            continue
        bcx, bcy = cx + loc[n, 0] * 0.1 * aw, cy + loc[n, 1] * 0.1 * ah
        bw, bh = aw * math.exp(loc[n, 2] * 0.2), ah * math.exp(loc[n, 3] * 0.2)
        box = [
            (bcx - bw / 2) * width,
            (bcy - bh / 2) * height,
            (bcx + bw / 2) * width,
            (bcy + bh / 2) * height,
        ]
        points = []
        for p in range(5):
            points += [
                (cx + landm[n, 2 * p] * 0.1 * aw) * width,
                (cy + landm[n, 2 * p + 1] * 0.1 * ah) * height,
            ]
        angles = []
        for z in pose:
            e = np.exp(z[n] - z[n].max())
            angles.append(3 * float((e / e.sum()) @ np.arange(66)) - 99)
        candidates.append([*box, score, *points, *angles])
    candidates.sort(key=lambda row: -row[4])

    def overlap(a: list[float], b: list[float]) -> float:
        w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]) + 1)
        h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]) + 1)
        area = lambda r: (r[2] - r[0] + 1) * (r[3] - r[1] + 1)  # noqa: E731
        return w * h / (area(a) + area(b) - w * h)

    kept: list[list[float]] = []
    for row in candidates:
        if all(overlap(row, k) <= thresh for k in kept):
            kept.append(row)
    return np.array(kept, dtype=np.float64).reshape(-1, 18)


@pytest.mark.parametrize(("height", "width"), [(1, 1), (20, 36), (97, 131)])
def test_priors_match_authors_loop(height: int, width: int) -> None:
    expected = np.array(loop_priors(height, width), dtype=np.float32)
    # Exact: same float64 arithmetic in the same order, one rounding to float32.
    np.testing.assert_array_equal(reference_priors(height, width), expected)


def test_priors_count_at_640() -> None:
    assert reference_priors(640, 640).shape == (16800, 4)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("thresh", [0.3, 0.4, 0.9])
def test_postprocess_matches_loop(seed: int, thresh: float) -> None:
    height, width = 40, 56
    n = reference_priors(height, width).shape[0]
    rng = np.random.default_rng(seed)
    # Continuous random logits: about half the anchors pass, ties have probability 0.
    arrays = tuple(
        rng.normal(0.0, s, (n, c)).astype(np.float32)
        for s, c in [(1.0, 4), (2.0, 2), (1.0, 10), (3.0, 66), (3.0, 66), (3.0, 66)]
    )
    got = reference_postprocess(*arrays, height=height, width=width, nms_threshold=thresh)
    expected = loop_postprocess(arrays, height, width, thresh)
    assert got.dtype == np.float32
    assert got.shape == expected.shape
    # float32 decode against float64: pixel values < 1e3, rounding ~1e-4 at most.
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-3)


def test_planted_outputs_shapes_and_faces() -> None:
    arrays = planted_outputs(480, 640, 10, seed=3)
    n = reference_priors(480, 640).shape[0]
    assert [a.shape for a in arrays] == [(n, 4), (n, 2), (n, 10), (n, 66), (n, 66), (n, 66)]
    assert all(a.dtype == np.float32 for a in arrays)
    logit = arrays[1][:, 1] - arrays[1][:, 0]
    # Every face has an anchor above 0.6; background stays below 1e-5.
    assert np.sum(logit > math.log(0.6 / 0.4)) >= 10
    assert np.sum(logit > math.log(1e-5)) <= 10 * 10
    dets = reference_postprocess(*arrays, height=480, width=640)
    assert len(dets) >= 10
