"""Training augmentation as the release does it (its compiled ``data_augment``).

``augment(image, faces, size, rng)``: random square crop -> photometric
distortion -> pad to square (only after a failed crop) -> random mirror ->
resize to ``size`` with a random interpolation -> (3xSxS float32 input,
(G, 17) faces in input pixels). Faces use ``targets.FACE_COLUMNS``; NaN marks
missing landmarks or pose (the release writes 0 or -1 and a flag instead).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .colour import photometric_distort
from .images import MEAN_BGR, to_input

CROP_TRIES = 250
FULL_IMAGE_PROBABILITY = 0.9  # scale 1.0 (the shorter side), else U(0.3, 1)
MIN_CROP_SCALE = 0.3
MIN_FACE_AT_OUTPUT = 5  # px: min(w + 1, h + 1) at the output size must exceed this
# Mirror swaps left/right points: eyes (0, 1) and mouth corners (3, 4).
MIRROR_ORDER = (1, 0, 2, 4, 3)
# The release draws one of OpenCV's linear, cubic, area, nearest and Lanczos-4.
# These are Pillow's counterparts; Pillow's filters widen when shrinking
# (antialiasing) and its Lanczos has 3 lobes, so pixels differ from OpenCV's.
INTERPOLATIONS = (
    Image.Resampling.BILINEAR,
    Image.Resampling.BICUBIC,
    Image.Resampling.BOX,
    Image.Resampling.NEAREST,
    Image.Resampling.LANCZOS,
)


def crop_faces(faces: np.ndarray, x0: int, y0: int, side: int, out_size: int) -> np.ndarray:
    """Faces of the square (x0, y0, side) that the release keeps, in crop pixels.

    Kept: centre strictly inside, and min(w + 1, h + 1) > 5 px at ``out_size``
    after clipping. Boxes and landmarks are shifted and clipped to [0, side].
    """
    centres = (faces[:, 0:2] + faces[:, 2:4]) / 2
    inside = ((centres > (x0, y0)) & (centres < (x0 + side, y0 + side))).all(axis=1)
    kept = faces[inside].copy()
    kept[:, 0:14] -= np.tile((x0, y0), 7)
    kept[:, 0:14] = kept[:, 0:14].clip(0, side)  # NaN (no landmarks) stays NaN
    extent = (kept[:, 2:4] - kept[:, 0:2] + 1).min(axis=1) * out_size / side
    return kept[extent > MIN_FACE_AT_OUTPUT]


def any_face_fully_inside(faces: np.ndarray, x0: int, y0: int, side: int) -> bool:
    """The release's acceptance: some face's intersection with the square is its whole area."""
    lt = np.maximum(faces[:, 0:2], (x0, y0))
    rb = np.minimum(faces[:, 2:4], (x0 + side, y0 + side))
    inter = np.prod(rb - lt, axis=1) * (lt < rb).all(axis=1)
    area = np.prod(faces[:, 2:4] - faces[:, 0:2], axis=1)
    return bool((inter / np.maximum(area, 1) >= 1).any())


def random_square_crop(
    image: np.ndarray, faces: np.ndarray, rng: np.random.Generator, out_size: int
) -> tuple[np.ndarray, np.ndarray, bool]:
    """(crop, faces in crop pixels, True), or the image unchanged and False after 250 failures.

    An image without faces takes its first square: the release crashes on
    one ("this image does not have gt"); we keep it as a pure negative.
    """
    h, w = image.shape[:2]
    for _ in range(CROP_TRIES):
        scale = 1.0 if rng.random() < FULL_IMAGE_PROBABILITY else rng.uniform(MIN_CROP_SCALE, 1.0)
        side = int(scale * min(h, w))
        # Python's randrange(dim - side): the last offset is never drawn (as released).
        x0 = 0 if side == w else int(rng.integers(0, w - side))
        y0 = 0 if side == h else int(rng.integers(0, h - side))
        if len(faces) and not any_face_fully_inside(faces, x0, y0, side):
            continue
        kept = crop_faces(faces, x0, y0, side, out_size)
        if len(faces) and not len(kept):
            continue
        return image[y0 : y0 + side, x0 : x0 + side], kept, True
    return image, faces, False


def pad_to_square(image: np.ndarray) -> np.ndarray:
    """Pad bottom/right with the mean colour so faces keep their coordinates."""
    h, w = image.shape[:2]
    side = max(h, w)
    out = np.empty((side, side, 3), np.uint8)
    out[:] = MEAN_BGR
    out[:h, :w] = image
    return out


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


def resize_square(
    image: np.ndarray, faces: np.ndarray, size: int, interpolation: Image.Resampling
) -> tuple[np.ndarray, np.ndarray]:
    """Resize a square image to size x size and scale face coordinates."""
    out = faces.copy()
    out[:, 0:14] *= size / image.shape[0]
    resized = np.asarray(Image.fromarray(image).resize((size, size), interpolation))
    return resized, out


def augment(
    image: np.ndarray, faces: np.ndarray, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One training sample: (3 x size x size float32 input, (G, 17) float32 faces)."""
    image, faces, cropped = random_square_crop(image, faces, rng, size)
    image = photometric_distort(image, rng)
    if not cropped:
        image = pad_to_square(image)  # after the distortion: the padding stays the mean colour
    if rng.random() < 0.5:
        image, faces = mirror(image, faces)
    interpolation = INTERPOLATIONS[int(rng.integers(len(INTERPOLATIONS)))]
    image, faces = resize_square(image, faces, size, interpolation)
    return to_input(image), faces.astype(np.float32)
