"""Pose and landmark metrics: AFLW2000 MAE (Hopenet protocol), NME by sqrt(w*h)."""

from __future__ import annotations

import numpy as np


def pose_mae(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """(M, 3) predicted / true (yaw, pitch, roll) degrees -> MAE per angle and mean."""
    err = np.abs(np.asarray(pred, np.float64) - np.asarray(truth, np.float64))
    if err.size == 0:
        raise ValueError("pose_mae needs at least one face")
    yaw, pitch, roll = err.mean(axis=0)
    return {
        "yaw": float(yaw),
        "pitch": float(pitch),
        "roll": float(roll),
        "mean": float(err.mean()),
    }


def landmark_nme(pred: np.ndarray, truth: np.ndarray, boxes: np.ndarray) -> float:
    """Mean over faces of mean point distance / sqrt(w * h).

    pred, truth (M, 5, 2) pixels; boxes (M, 4) ground-truth x1, y1, x2, y2.
    """
    pred, truth, boxes = (np.asarray(a, np.float64) for a in (pred, truth, boxes))
    norm = np.sqrt((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    return float((np.linalg.norm(pred - truth, axis=2).mean(axis=1) / norm).mean())
