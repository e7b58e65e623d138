"""mosface.Tracker on planted detections (the model does not matter here).

References are the planted truths: which walker a face belongs to, how long a
face was hidden, and the still / stepped values under known jitter.
"""

from __future__ import annotations

import numpy as np
import pytest

import mosface

FRAME_MS = 1000.0 / 30.0


def planted_face(
    cx: float, cy: float, size: float, score: float = 0.9, angles=(0.0, 0.0, 0.0)
) -> np.ndarray:
    row = np.zeros(18, np.float32)
    row[0:4] = (cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2)
    row[4] = score
    offsets = np.array([[-0.2, -0.1], [0.2, -0.1], [0.0, 0.05], [-0.15, 0.2], [0.15, 0.2]])
    row[5:15] = (np.array([cx, cy]) + offsets * size).ravel()
    row[15:18] = angles
    return row


def test_crossing_faces_keep_their_ids() -> None:
    tracker = mosface.Tracker()
    ids: dict[str, int] = {}
    for frame in range(40):
        walkers = {
            "right": planted_face(100 + 12 * frame, 200, 80),
            "left": planted_face(580 - 12 * frame, 212, 80),
        }
        tracks = tracker.update(np.stack(list(walkers.values())), frame * FRAME_MS)
        assert len(tracks) == 2
        for track in tracks:
            name = next(n for n, row in walkers.items() if np.array_equal(row, track.raw))
            assert ids.setdefault(name, track.id) == track.id, f"frame {frame}: {name} changed id"
    assert ids["right"] != ids["left"]


@pytest.mark.parametrize(("hidden_frames", "same_id"), [(10, True), (20, False)])
def test_hidden_face_keeps_its_id_only_within_the_buffer(hidden_frames: int, same_id: bool) -> None:
    # 500 ms buffer at 30 fps: 10 hidden frames (367 ms since last seen) keep the id, 20 (700 ms) do not.
    tracker = mosface.Tracker(lost_buffer_ms=500.0)
    face = planted_face(300, 200, 90)[None]
    frame = 0
    for _ in range(15):
        (first,) = tracker.update(face, frame * FRAME_MS)
        frame += 1
    ended = []
    for _ in range(hidden_frames):
        assert tracker.update(np.zeros((0, 18), np.float32), frame * FRAME_MS) == []
        ended += tracker.ended
        frame += 1
    (back,) = tracker.update(face, frame * FRAME_MS)
    assert (back.id == first.id) is same_id
    assert [t.id for t in ended] == ([] if same_id else [first.id])
    assert back.hits == (16 if same_id else 1)


def jitter_ratio(raw: np.ndarray, smoothed: np.ndarray) -> float:
    return float(np.std(np.diff(raw)) / np.std(np.diff(smoothed)))


def test_smoothing_cuts_still_jitter_3x_with_at_most_2_frames_lag() -> None:
    rng = np.random.default_rng(7)
    frames, step_at = 150, 90
    box_step, angle_step = 40.0, 30.0
    truth = np.array([planted_face(320, 240, 100, angles=(10.0, -5.0, 3.0)) for _ in range(frames)])
    truth[step_at:, [0, 2, 5, 7, 9, 11, 13]] += box_step  # the face moves right...
    truth[step_at:, 15:18] += angle_step  # ...and turns
    noisy = truth.copy()
    noisy[:, 0:4] += rng.normal(0, 1.0, (frames, 4))  # 1 px on a 100 px face
    noisy[:, 5:15] += rng.normal(0, 1.0, (frames, 10))
    noisy[:, 15:18] += rng.normal(0, 2.0, (frames, 3))  # 2 degrees
    tracker = mosface.Tracker()
    smoothed = np.array(
        [tracker.update(row[None], i * FRAME_MS)[0].face for i, row in enumerate(noisy)]
    )

    still = slice(20, step_at)  # after the filters settle, before the step
    for column, step in [
        (0, box_step),
        (2, box_step),
        (5, box_step),
        (15, angle_step),
        (16, angle_step),
        (17, angle_step),
    ]:
        ratio = jitter_ratio(noisy[still, column], smoothed[still, column])
        assert ratio >= 3.0, f"column {column}: jitter only cut {ratio:.2f}x"
        # Lag: frames after the step until the smoothed value is within 10% of the step of the truth.
        error = np.abs(smoothed[step_at:, column] - truth[step_at:, column])
        lag = int(np.argmax(error <= 0.1 * step))
        assert error[lag] <= 0.1 * step, f"column {column}: never within 10% of the step"
        assert lag <= 2, f"column {column}: lag {lag} frames"
        assert np.all(error[lag:] <= 0.2 * step), f"column {column}: overshoot after the step"


def test_bad_input_raises() -> None:
    tracker = mosface.Tracker()
    tracker.update(np.zeros((0, 18), np.float32), 5.0)
    with pytest.raises(ValueError, match="increase"):
        tracker.update(np.zeros((0, 18), np.float32), 5.0)
    with pytest.raises(ValueError, match=r"\(K, 18\)"):
        tracker.update(np.zeros((2, 17), np.float32), 10.0)
    with pytest.raises(TypeError):
        tracker.update(np.zeros((2, 18), np.int32), 10.0)
    with pytest.raises(ValueError, match="lost_buffer_ms"):
        mosface.Tracker(lost_buffer_ms=-1.0)
    with pytest.raises(ValueError, match=r"angles\.beta"):
        mosface.Tracker(angle_beta=-1.0)


def test_track_carries_the_latest_pose_std() -> None:
    tracker = mosface.Tracker()
    faces = np.stack([planted_face(100, 100, 60), planted_face(300, 100, 60)])
    spreads = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    tracks = tracker.update(faces, 0.0, spreads)
    np.testing.assert_array_equal([t.pose_std for t in tracks], spreads)
    (track, _) = tracker.update(faces[::-1], 33.0, spreads[::-1] * 2)  # order changes, ids do not
    np.testing.assert_array_equal(track.pose_std, spreads[0] * 2)
    np.testing.assert_array_equal(tracker.update(faces, 66.0)[0].pose_std, np.zeros(3))
    with pytest.raises(ValueError, match="pose_std has 1 rows for 2 faces"):
        tracker.update(faces, 99.0, spreads[:1])
