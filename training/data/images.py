"""Image I/O and resizing with Pillow (OpenCV is not a dependency)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

MEAN_BGR = (104.0, 117.0, 123.0)  # subtracted, no scaling (spec)


def read_bgr(path: str | Path) -> np.ndarray:
    """HxWx3 uint8 BGR; FileNotFoundError names the path."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image not found: {path}")
    with Image.open(path) as im:
        return np.ascontiguousarray(np.asarray(im.convert("RGB"))[:, :, ::-1])


def write_bgr(path: str | Path, image: np.ndarray) -> None:
    Image.fromarray(np.ascontiguousarray(image[:, :, ::-1])).save(path)


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of an HxWx3 uint8 image."""
    return np.asarray(Image.fromarray(image).resize((width, height), Image.BILINEAR))


def to_input(image: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 BGR -> 3xHxW float32, mean subtracted."""
    return (image.astype(np.float32) - np.asarray(MEAN_BGR, np.float32)).transpose(2, 0, 1).copy()
