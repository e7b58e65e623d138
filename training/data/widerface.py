"""WIDER FACE with the MOS authors' pose labels (``label.txt``).

Format (RetinaFace's, plus pose)::

    # <image path relative to the images folder>
    x y w h  l1x l1y 0.0  l2x l2y 0.0  l3x l3y 0.0  l4x l4y 0.0  l5x l5y 0.0  conf pitch yaw roll

Landmarks are -1 when absent: as released, a face has none when its first
x is negative. Pose is kept for every face here; the release gates it by the
face's size after augmentation, when matching (``targets.build_targets``).
Faces become (G, 17) float32 rows as in ``targets.FACE_COLUMNS`` with NaN for
what is missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..targets import FACE_COLUMNS
from .images import read_bgr

FIELDS_WITHOUT_POSE = 20  # box 4 + 5 x (x, y, flag) + conf
FIELDS_WITH_POSE = 23


class LabelFormatError(ValueError):
    """A malformed ``label.txt``; the message names file and line."""


@dataclass
class LabeledImage:
    path: str  # relative image path as written after '#'
    faces: np.ndarray = field(default_factory=lambda: np.zeros((0, FACE_COLUMNS), np.float32))


def parse_face(values: list[float]) -> np.ndarray:
    """One label line's numbers -> (17,) row in pixels / degrees."""
    x, y, w, h = values[:4]
    row = np.full(FACE_COLUMNS, np.nan, np.float32)
    row[:4] = (x, y, x + w, y + h)
    points = [values[4 + 3 * k : 6 + 3 * k] for k in range(5)]
    if values[4] >= 0:  # the release's landmark flag: -1 iff the first x is negative
        row[4:14] = np.asarray(points, np.float32).reshape(-1)
    if len(values) == FIELDS_WITH_POSE:
        pitch, yaw, roll = values[20:23]
        row[14:17] = (yaw, pitch, roll)
    return row


def parse_label_file(path: str | Path) -> list[LabeledImage]:
    """Parse ``label.txt``; raises ``LabelFormatError`` naming file:line."""
    images: list[LabeledImage] = []
    faces: list[np.ndarray] = []

    def close_image() -> None:
        if images:
            images[-1].faces = np.stack(faces) if faces else np.zeros((0, FACE_COLUMNS), np.float32)

    for lineno, raw in enumerate(Path(path).read_text().splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        where = f"{path}:{lineno}"
        if line.startswith("#"):
            close_image()
            name = line[1:].strip()
            if not name:
                raise LabelFormatError(f"{where}: '#' line without an image path")
            images.append(LabeledImage(name))
            faces = []
            continue
        if not images:
            raise LabelFormatError(f"{where}: face line before the first '# <image>' line")
        try:
            values = [float(v) for v in line.split()]
        except ValueError as exc:
            raise LabelFormatError(f"{where}: not a number ({exc}): {line!r}") from None
        if len(values) not in (FIELDS_WITHOUT_POSE, FIELDS_WITH_POSE):
            raise LabelFormatError(
                f"{where}: expected {FIELDS_WITHOUT_POSE} or {FIELDS_WITH_POSE} numbers, got {len(values)}"
            )
        if not all(math.isfinite(v) for v in values) or values[2] <= 0 or values[3] <= 0:
            raise LabelFormatError(
                f"{where}: box width/height must be positive and values finite: {line!r}"
            )
        faces.append(parse_face(values))
    close_image()
    return images


class WiderFaceDataset:
    """Indexable (image BGR uint8 HxWx3, faces (G, 17)) pairs, optionally transformed."""

    def __init__(
        self, label_file: str | Path, image_root: str | Path | None = None, transform=None
    ) -> None:
        label_file = Path(label_file)
        self.items = parse_label_file(label_file)
        self.image_root = Path(image_root) if image_root else label_file.parent / "images"
        self.transform = transform

    def __len__(self) -> int:
        return len(self.items)

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        item = self.items[index]
        return read_bgr(self.image_root / item.path), item.faces.copy()

    def __getitem__(self, index: int):
        image, faces = self.load(index)
        return self.transform(image, faces) if self.transform else (image, faces)
