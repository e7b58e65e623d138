"""Training augmentation (RetinaFace ``data_augment.py`` order, Pillow/numpy only).

``TrainTransform(size)(image, faces)``: random square crop -> photometric
distortion -> random mirror -> resize to ``size`` -> (3xSxS float32 input,
(G, 17) faces in input pixels). Faces use ``targets.FACE_COLUMNS``.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .images import MEAN_BGR, resize, to_input

CROP_SCALES = (0.3, 0.45, 0.6, 0.8, 1.0)  # of the shorter side (RetinaFace)
CROP_TRIES = 250
# Mirror swaps left/right points: eyes (0, 1) and mouth corners (3, 4).
MIRROR_ORDER = (1, 0, 2, 4, 3)


def random_square_crop(
    image: np.ndarray, faces: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Square crop keeping faces whose centre falls inside; falls back to the image."""
    h, w = image.shape[:2]
    for _ in range(CROP_TRIES):
        side = int(rng.choice(CROP_SCALES) * min(h, w))
        x0, y0 = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
        centres = (faces[:, 0:2] + faces[:, 2:4]) / 2
        inside = (centres >= (x0, y0)).all(axis=1) & (centres < (x0 + side, y0 + side)).all(axis=1)
        if faces.shape[0] and not inside.any():
            continue
        kept = faces[inside].copy()
        kept[:, 0:4] -= (x0, y0, x0, y0)
        kept[:, 0:4] = kept[:, 0:4].clip(0, side)
        kept[:, 4:14] -= np.tile((x0, y0), 5)  # NaN stays NaN
        kept = kept[((kept[:, 2:4] - kept[:, 0:2]) > 0).all(axis=1)]
        return image[y0 : y0 + side, x0 : x0 + side], kept
    return pad_to_square(image), faces


def pad_to_square(image: np.ndarray) -> np.ndarray:
    """Pad bottom/right with the mean colour so faces keep their coordinates."""
    h, w = image.shape[:2]
    side = max(h, w)
    out = np.empty((side, side, 3), np.uint8)
    out[:] = MEAN_BGR
    out[:h, :w] = image
    return out


def photometric_distort(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random brightness, contrast, saturation and hue, each with p = 0.5."""
    img = image.astype(np.float32)
    if rng.random() < 0.5:
        img += rng.uniform(-32, 32)
    if rng.random() < 0.5:
        img *= rng.uniform(0.5, 1.5)
    if rng.random() < 0.5:
        grey = img.mean(axis=2, keepdims=True)
        img = grey + (img - grey) * rng.uniform(0.5, 1.5)
    img = img.clip(0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        hsv = np.asarray(Image.fromarray(img[:, :, ::-1]).convert("HSV")).copy()
        hsv[:, :, 0] = (
            hsv[:, :, 0].astype(np.int32) + int(rng.integers(-13, 14))
        ) % 256  # +-18 deg
        img = np.asarray(Image.fromarray(hsv, "HSV").convert("RGB"))[:, :, ::-1]
    return np.ascontiguousarray(img)


def mirror(image: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal flip: x -> W - x, left/right points swapped, yaw and roll negated."""
    w = image.shape[1]
    out = faces.copy()
    out[:, 0], out[:, 2] = w - faces[:, 2], w - faces[:, 0]
    pts = faces[:, 4:14].reshape(-1, 5, 2)[:, MIRROR_ORDER].copy()
    pts[:, :, 0] = w - pts[:, :, 0]
    out[:, 4:14] = pts.reshape(-1, 10)
    out[:, 14] = -faces[:, 14]  # yaw
    out[:, 16] = -faces[:, 16]  # roll; pitch (15) is unchanged
    return np.ascontiguousarray(image[:, ::-1]), out


def resize_square(image: np.ndarray, faces: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Resize a square image to size x size and scale face coordinates."""
    scale = size / image.shape[0]
    out = faces.copy()
    out[:, 0:14] *= scale
    return resize(image, size, size), out


class TrainTransform:
    """The full training augmentation; seeded per worker for reproducibility."""

    def __init__(self, size: int = 640, seed: int | None = None) -> None:
        self.size = size
        self.rng = np.random.default_rng(seed)

    def __call__(self, image: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        image, faces = random_square_crop(image, faces, self.rng)
        image = photometric_distort(image, self.rng)
        if self.rng.random() < 0.5:
            image, faces = mirror(image, faces)
        image, faces = resize_square(image, faces, self.size)
        return to_input(image), faces.astype(np.float32)
