"""The stream row of `mosface bench`: per-frame cost of tracking and best shots beside detection.

The detector runs on the benchmark image; the tracker and the best-shot keeper
get `faces` planted faces (a grid over the frame, jittered per frame like a
detector's output), so their cost is measured at a known face count whatever
the (untrained) model finds.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

FRAME_MS = 1000.0 / 30.0


def planted_faces(height: int, width: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count, 18) faces on a grid over the frame, each about an eighth of the frame high."""
    columns = int(np.ceil(np.sqrt(count * width / height)))
    rows = int(np.ceil(count / columns))
    size = 0.8 * min(height / rows, width / columns)
    faces = np.zeros((count, 18), np.float32)
    offsets = np.array([[-0.2, -0.1], [0.2, -0.1], [0.0, 0.05], [-0.15, 0.2], [0.15, 0.2]])
    for i in range(count):
        cx = (i % columns + 0.5) * width / columns + rng.normal(0, 1.0)
        cy = (i // columns + 0.5) * height / rows + rng.normal(0, 1.0)
        faces[i, 0:4] = (cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2)
        faces[i, 4] = 0.9
        faces[i, 5:15] = (np.array([cx, cy]) + offsets * size).ravel()
        faces[i, 15:18] = rng.normal(0, 10.0, 3)
    return faces


def time_stream(model_dir: Path, image: np.ndarray, threads: int, faces: int, warmup: int, runs: int) -> dict:
    """Median per-frame ms of detection, tracker update and best-shot update; overhead in % of detection."""
    import mosface

    height, width = image.shape[:2]
    detector = mosface.Detector(model_dir, num_threads=threads, input_height=height, input_width=width)
    tracker, best_shots = mosface.Tracker(), mosface.BestShots()
    rng = np.random.default_rng(0)
    pose_std = np.full((faces, 3), 5.0, np.float32)
    samples = []
    for frame in range(warmup + runs):
        planted = planted_faces(height, width, faces, rng)
        start = time.perf_counter()
        detector.detect(image, return_uncertainty=True)
        detected = time.perf_counter()
        tracks = tracker.update(planted, frame * FRAME_MS, pose_std)
        tracked = time.perf_counter()
        best_shots.update(image, tracks, frame * FRAME_MS)
        shot = time.perf_counter()
        if frame >= warmup:
            samples.append((detected - start, tracked - detected, shot - tracked))
    detect_ms, track_ms, best_shot_ms = (float(np.median(column)) * 1000.0 for column in zip(*samples))
    return {
        "faces": faces,
        "detect_ms": detect_ms,
        "track_ms": track_ms,
        "best_shot_ms": best_shot_ms,
        "overhead_pct": 100.0 * (track_ms + best_shot_ms) / detect_ms,
    }
