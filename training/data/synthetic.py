"""Generated "faces" with exactly known boxes, landmarks and pose.

For tests and smoke runs only (no real data is needed): each face is a
skin-coloured ellipse with two eyes, a nose and a mouth whose positions are
five 3-D points rotated by (yaw, pitch, roll) and projected, so appearance
carries the pose. Faces do not overlap. Nothing here resembles real faces
closely enough to pretrain a useful model.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ..targets import FACE_COLUMNS

# Landmarks of a unit face (x right, y down, z towards the camera), in the
# order left eye, right eye, nose, left mouth corner, right mouth corner.
FACE_POINTS = np.array(
    [
        [-0.4, -0.3, 0.55],
        [0.4, -0.3, 0.55],
        [0.0, 0.05, 0.95],
        [-0.3, 0.42, 0.55],
        [0.3, 0.42, 0.55],
    ]
)
ASPECT = 1.2  # ellipse half-height / half-width


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """R = Rz(roll) Rx(pitch) Ry(yaw), angles in degrees."""
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


def draw_face(
    draw: ImageDraw.ImageDraw,
    cx: float,
    cy: float,
    half: float,
    pose: tuple[float, float, float],
    tone: tuple[int, int, int],
) -> np.ndarray:
    """Render one face; returns its (17,) row (box, landmarks, yaw, pitch, roll)."""
    draw.ellipse((cx - half, cy - ASPECT * half, cx + half, cy + ASPECT * half), fill=tone)
    pts = (FACE_POINTS @ rotation(*pose).T)[:, :2] * half + (cx, cy)
    r = max(1.0, 0.13 * half)
    for x, y in pts[:2]:
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(20, 20, 20))
    nx, ny = pts[2]
    draw.ellipse((nx - r, ny - r, nx + r, ny + r), fill=(60, 90, 200))
    draw.line([tuple(pts[3]), tuple(pts[4])], fill=(40, 40, 160), width=max(1, int(r)))
    row = np.empty(FACE_COLUMNS, np.float32)
    row[:4] = (cx - half, cy - ASPECT * half, cx + half, cy + ASPECT * half)
    row[4:14] = pts.reshape(-1)
    row[14:17] = pose
    return row


def synthetic_image(
    rng: np.random.Generator,
    size: int = 128,
    max_faces: int = 3,
    half_range: tuple[float, float] = (8, 28),
) -> tuple[np.ndarray, np.ndarray]:
    """(size x size x 3 uint8 BGR image, (G, 17) faces), 1..max_faces faces."""
    background = rng.integers(0, 256, 3)
    noise = rng.normal(0, 25, (size, size, 3))
    image = Image.fromarray((background + noise).clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    rows: list[np.ndarray] = []
    for _ in range(50 * max_faces):  # rejection sampling of non-overlapping faces
        if len(rows) == max_faces:
            break
        half = rng.uniform(*half_range)
        cx = rng.uniform(half, size - half)
        cy = rng.uniform(ASPECT * half, size - ASPECT * half)
        box = np.array((cx - half, cy - ASPECT * half, cx + half, cy + ASPECT * half))
        if any((box[:2] < r[2:4] + 2).all() and (r[:2] < box[2:] + 2).all() for r in rows):
            continue
        pose = (rng.uniform(-60, 60), rng.uniform(-30, 30), rng.uniform(-30, 30))
        tone = tuple(int(v) for v in rng.integers((150, 100, 80), (255, 200, 170)))
        rows.append(draw_face(draw, cx, cy, half, pose, tone))
    faces = np.stack(rows) if rows else np.zeros((0, FACE_COLUMNS), np.float32)
    return np.ascontiguousarray(np.asarray(image)[:, :, ::-1]), faces


class SyntheticFaces:
    """A deterministic dataset of ``length`` generated images (index-seeded)."""

    def __init__(
        self, length: int, size: int = 128, seed: int = 0, transform=None, **kwargs
    ) -> None:
        self.length = length
        self.size = size
        self.seed = seed
        self.transform = transform
        self.kwargs = kwargs

    def __len__(self) -> int:
        return self.length

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return synthetic_image(np.random.default_rng((self.seed, index)), self.size, **self.kwargs)

    def __getitem__(self, index: int):
        image, faces = self.load(index)
        return self.transform(image, faces) if self.transform else (image, faces)
