"""Reading images for detection: one reader for the runtime CLI and the training side."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# The runtime's limit on one image (height x width x 3 bytes), as in
# cpp/include/mosface/limits.hpp: checked on the header, before decoding.
MAX_IMAGE_BYTES = 2**31 - 1


def read_bgr(path: str | Path) -> np.ndarray:
    """HxWx3 uint8 BGR, upright (EXIF orientation applied, as a viewer shows the photo).

    FileNotFoundError names a missing path, IsADirectoryError a folder; a file
    Pillow cannot read raises its OSError (``UnidentifiedImageError``); a
    header claiming more than MAX_IMAGE_BYTES of pixels raises ValueError
    before anything is decoded.
    """
    from PIL import Image, ImageOps

    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not an image")
    if not path.is_file():
        raise FileNotFoundError(f"image not found: {path}")
    try:
        image = Image.open(path)
    except Image.DecompressionBombError as error:
        raise ValueError(f"{path}: refused, the header claims too many pixels ({error})") from None
    with image:
        width, height = image.size
        if width * height * 3 > MAX_IMAGE_BYTES:
            raise ValueError(f"{path}: {width}x{height} pixels is more than the {MAX_IMAGE_BYTES} bytes "
                             "mosface accepts; downscale it first")
        rgb = ImageOps.exif_transpose(image).convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
