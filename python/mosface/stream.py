"""One frame of a stream: detect, track, keep best shots."""

from __future__ import annotations

import numpy as np

from ._core import BestShots, Detector, Track, Tracker


def track_frame(
    detector: Detector,
    tracker: Tracker,
    image: np.ndarray,
    timestamp_ms: float,
    best_shots: BestShots | None = None,
) -> list[Track]:
    """Detect faces in one BGR frame, update the tracker and the best shots; return the tracks seen now.

    Tracks that ended in this update are in ``tracker.ended``; take their shots
    with ``best_shots.take(tracker.ended)``.
    """
    faces, pose_std = detector.detect(image, return_uncertainty=True)
    tracks = tracker.update(faces, timestamp_ms, pose_std)
    if best_shots is not None:
        best_shots.update(image, tracks, timestamp_ms)
    return tracks
