"""Alignment to the ArcFace template, face quality and best shots per track.

References: a hand-computed similarity, numpy least squares, numpy bilinear
sampling of a linear-gradient image, a numpy Laplacian, and planted frames
whose best shot is known.
"""

from __future__ import annotations

import numpy as np
import pytest

import mosface

TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ]
)


def face_with_landmarks(
    points: np.ndarray, score: float = 0.95, angles=(0.0, 0.0, 0.0)
) -> np.ndarray:
    row = np.zeros(18, np.float32)
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.4 * (high - low).max()
    row[0:4] = (*(low - margin), *(high + margin))
    row[4] = score
    row[5:15] = points.ravel()
    row[15:18] = angles
    return row


def test_align_matrix_matches_a_hand_computed_similarity() -> None:
    # Template scaled by 2, turned 90 degrees and moved by (300, 50): image = [[0, -2], [2, 0]] t + (300, 50).
    # Its inverse, image -> crop, is t = [[0, 0.5], [-0.5, 0]] image + (-25, 150).
    points = TEMPLATE @ np.array([[0.0, -2.0], [2.0, 0.0]]).T + [300.0, 50.0]
    image = np.zeros((400, 500, 3), np.uint8)
    _, matrix = mosface.align(image, face_with_landmarks(points))
    assert matrix.dtype == np.float32
    np.testing.assert_allclose(
        matrix, [[0.0, 0.5, -25.0], [-0.5, 0.0, 150.0]], atol=1e-4
    )  # float32 sums
    _, matrix_224 = mosface.align(image, face_with_landmarks(points), size=224)
    np.testing.assert_allclose(matrix_224, [[0.0, 1.0, -50.0], [-1.0, 0.0, 300.0]], atol=2e-4)


def test_align_matrix_is_the_least_squares_similarity() -> None:
    rng = np.random.default_rng(3)
    points = TEMPLATE * 1.3 + [120.0, 80.0] + rng.normal(0, 3.0, (5, 2))
    _, matrix = mosface.align(np.zeros((300, 300, 3), np.uint8), face_with_landmarks(points))
    # Unknowns a, b, tx, ty of x' = a x - b y + tx, y' = b x + a y + ty, solved by numpy in float64.
    x, y = points[:, 0], points[:, 1]
    rows = np.concatenate(
        [
            np.stack([x, -y, np.ones(5), np.zeros(5)], 1),
            np.stack([y, x, np.zeros(5), np.ones(5)], 1),
        ]
    )
    (a, b, tx, ty), *_ = np.linalg.lstsq(
        rows, np.concatenate([TEMPLATE[:, 0], TEMPLATE[:, 1]]), rcond=None
    )
    np.testing.assert_allclose(matrix, [[a, -b, tx], [b, a, ty]], atol=1e-4)


def test_align_crop_samples_the_image_through_the_matrix() -> None:
    # Linear channels: bilinear sampling reproduces them exactly, up to ncnn's fixed-point rounding.
    yy, xx = np.mgrid[0:256, 0:256].astype(np.float64)
    image = np.stack([xx, yy, (xx + yy) / 2], axis=2).astype(np.uint8)
    angle = np.radians(25.0)
    turn = 1.4 * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points = TEMPLATE @ turn.T + [70.0, 20.0]
    crop, matrix = mosface.align(image, face_with_landmarks(points), size=112)
    assert crop.shape == (112, 112, 3)
    assert crop.dtype == np.uint8
    inverse = np.linalg.inv(np.vstack([matrix.astype(np.float64), [0, 0, 1]]))[:2]
    v, u = np.mgrid[0:112, 0:112].astype(np.float64)
    source = np.einsum("ij,jhw->ihw", inverse, np.stack([u, v, np.ones_like(u)]))
    inside = (source[0] >= 0) & (source[0] <= 254) & (source[1] >= 0) & (source[1] <= 254)
    assert inside.mean() > 0.9
    expected = np.stack([source[0], source[1], (source[0] + source[1]) / 2], axis=2)
    # ncnn interpolates in 11-bit fixed point and truncates to uint8: within 1.5 grey levels.
    assert np.abs(crop[inside].astype(np.float64) - np.floor(expected[inside])).max() <= 1.5


def test_align_rejects_bad_input() -> None:
    image = np.zeros((50, 50, 3), np.uint8)
    with pytest.raises(ValueError, match="coincide"):
        mosface.align(image, face_with_landmarks(np.full((5, 2), 10.0)))
    with pytest.raises(ValueError, match="crop size"):
        mosface.align(image, face_with_landmarks(TEMPLATE), size=5000)
    with pytest.raises(ValueError, match=r"\(18,\)"):
        mosface.align(image, np.zeros(17, np.float32))


def numpy_laplacian_variance(bgr: np.ndarray, box, step: int = 1) -> float:
    grey = bgr[..., 0] * 0.114 + bgr[..., 1] * 0.587 + bgr[..., 2] * 0.299
    x1, y1, x2, y2 = box
    ys = np.arange(y1 + step, y2 - step + 1, step)
    xs = np.arange(x1 + step, x2 - step + 1, step)
    c = grey[np.ix_(ys, xs)]
    lap = grey[np.ix_(ys, xs - step)] + grey[np.ix_(ys, xs + step)] + grey[np.ix_(ys - step, xs)]
    lap = lap + grey[np.ix_(ys + step, xs)] - 4 * c
    return float(lap.var())


@pytest.mark.parametrize(("box", "step"), [((10, 20, 70, 90), 1), ((5, 5, 290, 250), 3)])
def test_sharpness_is_the_laplacian_variance_of_the_box(box, step: int) -> None:
    image = np.random.default_rng(1).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    face = face_with_landmarks(TEMPLATE + 100)
    face[0:4] = box
    quality = mosface.face_quality(image, face, sharpness_half=100.0)
    variance = numpy_laplacian_variance(
        image, box, step
    )  # boxes over 128 px: grid step ceil(side / 128)
    assert quality["sharpness"] == pytest.approx(variance / (variance + 100.0), rel=1e-4)


def test_quality_factors_follow_their_definitions() -> None:
    image = np.full((200, 200, 3), 128, np.uint8)
    face = face_with_landmarks(TEMPLATE * 0.5 + 50, score=0.8, angles=(30.0, -20.0, 50.0))
    height = face[3] - face[1]
    q = mosface.face_quality(image, face, np.array([3.0, 6.0, 9.0], np.float32), full_size_px=112.0)
    assert q["frontal"] == pytest.approx(np.exp(-(30.0**2 + 20.0**2) / (2 * 25.0**2)), rel=1e-5)
    assert q["certainty"] == pytest.approx(np.exp(-6.0 / 10.0), rel=1e-5)
    assert q["size"] == pytest.approx(min(1.0, height / 112.0), rel=1e-5)
    assert q["score"] == pytest.approx(0.8, rel=1e-6)
    assert q["sharpness"] == 0.0  # a flat image
    weighted = mosface.face_quality(image, face, sharpness_weight=0.0, size_weight=2.0)
    assert weighted["total"] == pytest.approx(q["frontal"] * q["size"] ** 2 * 0.8, rel=1e-5)
    with pytest.raises(TypeError, match="unknown quality parameter 'sharpnes_weight'"):
        mosface.face_quality(image, face, sharpnes_weight=1.0)


def test_best_shot_picks_the_planted_frontal_sharp_frame() -> None:
    rng = np.random.default_rng(5)
    texture = rng.integers(0, 256, (160, 160, 3)).astype(np.uint8)
    blurred = texture.astype(np.float64)
    for axis in (0, 1):  # 9-pixel box blur: same face, little Laplacian energy
        blurred = np.mean([np.roll(blurred, shift, axis) for shift in range(-4, 5)], axis=0)
    blurred = blurred.astype(np.uint8)
    points = TEMPLATE * 1.2 + [100.0, 60.0]
    # (yaw, sharp?) per frame: only frame 6 is frontal and sharp.
    plan = [
        (40, True),
        (0, False),
        (35, True),
        (0, False),
        (25, True),
        (0, False),
        (2, True),
        (0, False),
        (45, True),
    ]
    tracker, shots = mosface.Tracker(), mosface.BestShots()
    frames = []
    for index, (yaw, sharp) in enumerate(plan):
        frame = np.zeros((320, 360, 3), np.uint8)
        frame[60:220, 100:260] = texture if sharp else blurred
        face = face_with_landmarks(points, angles=(yaw, 0.0, 0.0))
        tracks = tracker.update(face[None], index * 40.0)
        shots.update(frame, tracks, index * 40.0)
        frames.append((frame, face))
    (track,) = tracker.tracks()
    assert shots.best(track.id).timestamp_ms == 6 * 40.0
    (shot,) = shots.take(tracker.finish())
    assert shot.track_id == track.id
    assert shot.timestamp_ms == 6 * 40.0
    crop, matrix = mosface.align(*frames[6])
    np.testing.assert_array_equal(shot.crop, crop)
    np.testing.assert_array_equal(shot.matrix, matrix)
    assert shots.best(track.id) is None  # taken
