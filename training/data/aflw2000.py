"""AFLW2000-3D pose ground truth (Hopenet protocol).

Each ``image00002.jpg`` has a ``image00002.mat`` whose ``Pose_Para`` holds
radians [pitch, yaw, roll, tx, ty, tz, scale]. Hopenet drops a face when any
of the three angles lies outside [-99, 99] degrees.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

POSE_LIMIT = 99.0  # degrees: the bin range of the pose head


def read_pose(mat_path: str | Path) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from one AFLW2000 ``.mat``."""
    mat = scipy.io.loadmat(str(mat_path))
    if "Pose_Para" not in mat:
        raise ValueError(f"{mat_path}: no 'Pose_Para' variable")
    pitch, yaw, roll = np.degrees(np.asarray(mat["Pose_Para"], np.float64).reshape(-1)[:3])
    return float(yaw), float(pitch), float(roll)


def list_aflw2000(root: str | Path) -> list[tuple[Path, tuple[float, float, float]]]:
    """(image path, (yaw, pitch, roll)) for every kept face, sorted by name."""
    root = Path(root)
    mats = sorted(root.glob("*.mat"))
    if not mats:
        raise FileNotFoundError(f"no AFLW2000 .mat files under {root}")
    kept = []
    for mat in mats:
        angles = read_pose(mat)
        if all(abs(a) <= POSE_LIMIT for a in angles):
            kept.append((mat.with_suffix(".jpg"), angles))
    return kept
