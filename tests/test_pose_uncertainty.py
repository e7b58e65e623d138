"""Pose uncertainty: the standard deviation of each angle's 66-bin softmax distribution.

Reference: float64 numpy over the raw logits of the anchor each face came from
(found by its angles, which the post-processor computes from the same logits).
"""

from __future__ import annotations

import numpy as np

import mosface
from mosface.bench.authors_numpy import ANCHORS
from mosface.bench.planted import planted_outputs
from tests import tiny_model

BIN_DEGREES = 3.0 * np.arange(66) - 99.0
ANGLE_TOL = 1e-3  # float32 sums of 66 terms vs float64: ~1e-4 degrees


def softmax_moments(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 66) logits -> expectation and standard deviation in degrees, float64."""
    z = logits.astype(np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    mean = p @ BIN_DEGREES
    # E[(a - E[a])^2], equal to E[a^2] - E[a]^2 and without its cancellation.
    return mean, np.sqrt((p * (BIN_DEGREES - mean[:, None]) ** 2).sum(axis=1))


def assert_std_matches_source_anchor(faces: np.ndarray, pose_std: np.ndarray, pose_logits) -> None:
    moments = [softmax_moments(z) for z in pose_logits]
    means = np.stack([m for m, _ in moments], axis=1)  # (N, 3)
    stds = np.stack([s for _, s in moments], axis=1)
    assert pose_std.dtype == np.float32
    assert pose_std.shape == (faces.shape[0], 3)
    for face, spread in zip(faces, pose_std):
        anchor = int(np.argmin(np.abs(means - face[15:18]).sum(axis=1)))
        np.testing.assert_allclose(means[anchor], face[15:18], atol=ANGLE_TOL, rtol=0)
        np.testing.assert_allclose(spread, stds[anchor], atol=ANGLE_TOL, rtol=0)


def test_postprocess_uncertainty_matches_numpy() -> None:
    outputs = planted_outputs(240, 320, n_faces=12, seed=4)
    # Sharpen some rows so spreads range from a fraction of a degree to tens of degrees.
    outputs[3][::3] *= 20.0
    faces, pose_std = mosface.postprocess(
        *outputs, height=240, width=320, anchors=ANCHORS, return_uncertainty=True
    )
    assert faces.shape[0] >= 10
    np.testing.assert_array_equal(faces, mosface.postprocess(*outputs, height=240, width=320, anchors=ANCHORS))
    assert pose_std.min() < 1.0 < 20.0 < pose_std.max()
    assert_std_matches_source_anchor(faces, pose_std, outputs[3:6])


def test_detector_uncertainty_matches_numpy(tmp_path) -> None:
    weights = tiny_model.write_model(tmp_path, seed=3, size_policy="dynamic", height=64, width=64)
    image = np.random.default_rng(5).integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    detector = mosface.Detector(tmp_path, num_threads=1)
    faces, pose_std = detector.detect(image, return_uncertainty=True)
    assert faces.shape[0] > 0, "fixture should produce detections"
    np.testing.assert_array_equal(faces, detector.detect(image))
    outputs = tiny_model.forward(image, weights)
    assert_std_matches_source_anchor(faces, pose_std, outputs[3:6])


def test_empty_result_has_empty_uncertainty() -> None:
    outputs = planted_outputs(64, 64, n_faces=1, seed=1)
    faces, pose_std = mosface.postprocess(
        *outputs, height=64, width=64, anchors=ANCHORS, conf_threshold=1.0, return_uncertainty=True
    )
    assert faces.shape == (0, 18)
    assert pose_std.shape == (0, 3)
