"""Image I/O and resizing with Pillow (OpenCV is not a dependency)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ...images import read_bgr

__all__ = ["MEAN_BGR", "read_bgr", "resize", "to_input"]

MEAN_BGR = (104.0, 117.0, 123.0)  # subtracted, no scaling (spec)


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of an HxWx3 uint8 image."""
    return np.asarray(Image.fromarray(image).resize((width, height), Image.BILINEAR))


def to_input(image: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 BGR -> 3xHxW float32, mean subtracted."""
    return (image.astype(np.float32) - np.asarray(MEAN_BGR, np.float32)).transpose(2, 0, 1).copy()
