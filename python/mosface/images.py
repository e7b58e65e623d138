"""Reading images for detection: one reader for the runtime CLI and the training side."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_bgr(path: str | Path) -> np.ndarray:
    """HxWx3 uint8 BGR, upright (EXIF orientation applied, as a viewer shows the photo).

    FileNotFoundError names a missing path; a file Pillow cannot read raises
    its OSError (``UnidentifiedImageError``).
    """
    from PIL import Image, ImageOps

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image not found: {path}")
    with Image.open(path) as image:
        rgb = ImageOps.exif_transpose(image).convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
