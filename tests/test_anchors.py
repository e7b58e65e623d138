"""mosface.priors / mosface.postprocess take a model's anchors (a manifest's "anchors"), none built in."""

from __future__ import annotations

import numpy as np
import pytest

import mosface
from mosface.bench.authors_numpy import ANCHORS

# Another model's anchors: two levels, three sizes at the first, other variances.
OTHER = {"steps": [4, 16], "min_sizes": [[8, 12, 20], [48]], "variances": [0.2, 0.5]}


def numpy_priors(height: int, width: int, anchors: dict) -> np.ndarray:
    """float64 (N, 4) cx, cy, w, h: level, row, column, size (RetinaFace's PriorBox)."""
    rows = []
    for step, sizes in zip(anchors["steps"], anchors["min_sizes"]):
        for i in range(-(-height // step)):
            for j in range(-(-width // step)):
                rows.extend([((j + 0.5) * step / width, (i + 0.5) * step / height, s / width, s / height)
                             for s in sizes])
    return np.array(rows)


def test_anchors_are_required() -> None:
    with pytest.raises(TypeError):
        mosface.priors(64, 64)
    with pytest.raises(TypeError):
        mosface.postprocess(*[np.zeros((1, k), np.float32) for k in (4, 2, 10, 66, 66, 66)],
                            height=8, width=8)


def test_priors_follow_the_given_anchors() -> None:
    got = mosface.priors(40, 56, anchors=OTHER)
    expected = numpy_priors(40, 56, OTHER)
    assert got.shape == expected.shape == ((10 * 14 * 3 + 3 * 4) , 4)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)  # float32 of values <= 1.2


def test_postprocess_decodes_with_the_given_anchors_and_variances() -> None:
    height, width = 40, 56
    priors = numpy_priors(height, width, OTHER)
    n = len(priors)
    rng = np.random.default_rng(0)
    loc = rng.normal(0, 1, (n, 4)).astype(np.float32)
    cls = np.tile(np.float32([5.0, -5.0]), (n, 1))
    face = 37  # one confident anchor
    cls[face] = (-5.0, 5.0)
    pose = [np.zeros((n, 66), np.float32)] * 3
    landm = np.zeros((n, 10), np.float32)
    (row,) = mosface.postprocess(loc, cls, landm, *pose, height=height, width=width, anchors=OTHER)
    cx, cy, w, h = priors[face]
    center_var, size_var = OTHER["variances"]
    dx, dy, dw, dh = loc[face].astype(np.float64)
    bcx, bcy = cx + dx * center_var * w, cy + dy * center_var * h
    bw, bh = w * np.exp(dw * size_var), h * np.exp(dh * size_var)
    expected = [(bcx - bw / 2) * width, (bcy - bh / 2) * height, (bcx + bw / 2) * width, (bcy + bh / 2) * height]
    np.testing.assert_allclose(row[:4], expected, rtol=0, atol=1e-4)  # float32 decode of pixels < 100
    np.testing.assert_allclose(row[5:15], np.tile([cx * width, cy * height], 5), rtol=0, atol=1e-4)


@pytest.mark.parametrize(
    ("anchors", "error", "message"),
    [
        ({"steps": [8]}, TypeError, "mapping like a manifest"),
        ([8, 16], TypeError, "mapping like a manifest"),
        ({**ANCHORS, "variances": [0.1]}, ValueError, "2 variances"),
        ({**ANCHORS, "variances": [0.1, 5.0]}, ValueError, "variances must be in"),
        ({**ANCHORS, "steps": [8, 16]}, ValueError, "same, non-zero number of levels"),
    ],
)
def test_bad_anchors(anchors, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        mosface.priors(64, 64, anchors=anchors)
