"""Photometric distortion as the release does it (RetinaFace's ``_distort``), in numpy.

The release works on uint8 BGR with OpenCV: every op computes in float,
clips to [0, 255] and truncates back to uint8; saturation and hue act on
OpenCV's 8-bit HSV (H in [0, 180), two degrees a unit), and the HSV round
trip always happens. OpenCV is not a dependency here, so its 8-bit
conversions are written out below as lookup tables built from OpenCV's
formulas (in float where OpenCV uses 12-bit fixed-point tables, so a rare
value may land one unit apart).
"""

from __future__ import annotations

import numpy as np

HUE_UNITS = 180  # OpenCV 8-bit hue: [0, 180)
MAX_HUE_SHIFT = 18  # OpenCV units, i.e. +-36 degrees
BRIGHTNESS_DELTA = 32.0
CONTRAST_RANGE = (0.5, 1.5)
SATURATION_RANGE = (0.5, 1.5)
# OpenCV's HSV -> BGR sector table: which of (v, p, q, t) each sector gives B, G, R.
SECTOR_BGR = np.array([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])


def scale_shift(channels: np.ndarray, alpha: float = 1.0, beta: float = 0.0) -> np.ndarray:
    """uint8 -> uint8: ``x * alpha + beta``, clipped to [0, 255], truncated (the release's ``_convert``)."""
    return (channels.astype(np.float64) * alpha + beta).clip(0, 255).astype(np.uint8)


def _saturation_table() -> np.ndarray:
    """S for every (max - min, max): round(255 * diff / max), 0 where max = 0."""
    diff, v = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    return np.where(v > 0, np.floor(255.0 * diff / np.maximum(v, 1) + 0.5), 0).astype(np.uint8)


def _hue_table() -> np.ndarray:
    """H for every (sector numerator + 255, max - min); numerators lie in [-255, 1275]."""
    num, diff = np.meshgrid(np.arange(-255, 1276), np.arange(256), indexing="ij")
    h = np.where(diff > 0, np.floor(30.0 * num / np.maximum(diff, 1) + 0.5), 0)
    return np.where(h < 0, h + HUE_UNITS, h).clip(0, 255).astype(np.uint8)


def _bgr_factor_table() -> np.ndarray:
    """(180, 256, 3) float32: B, G, R = V * factor[H, S] (OpenCV computes in float32 too)."""
    h, s = np.meshgrid(
        np.arange(HUE_UNITS) * (6.0 / HUE_UNITS), np.arange(256) / 255.0, indexing="ij"
    )
    frac = h - np.floor(h)
    table = np.stack((np.ones_like(s), 1 - s, 1 - s * frac, 1 - s * (1 - frac)), axis=-1)
    sector = np.floor(h).astype(np.int64)
    return np.take_along_axis(table, SECTOR_BGR[sector], axis=-1).astype(np.float32)


SATURATION = _saturation_table()
HUE = _hue_table()
BGR_FACTORS = _bgr_factor_table()


def bgr_to_hsv(image: np.ndarray) -> np.ndarray:
    """OpenCV ``COLOR_BGR2HSV`` for uint8: H in [0, 180), S and V in [0, 255]."""
    b, g, r = (image[..., k].astype(np.int16) for k in range(3))
    v = np.maximum(np.maximum(b, g), r)
    diff = v - np.minimum(np.minimum(b, g), r)
    # Red maximum first, then green (OpenCV's order when two channels tie).
    num = np.where(v == r, g - b, np.where(v == g, b - r + 2 * diff, r - g + 4 * diff))
    return np.stack((HUE[num + 255, diff], SATURATION[diff, v], v.astype(np.uint8)), axis=-1)


def hsv_to_bgr(hsv: np.ndarray) -> np.ndarray:
    """OpenCV ``COLOR_HSV2BGR`` for uint8 (H in [0, 180))."""
    factors = BGR_FACTORS[hsv[..., 0], hsv[..., 1]]
    bgr = factors * hsv[..., 2:3].astype(np.float32)
    return np.floor(bgr + 0.5).clip(0, 255).astype(np.uint8)


def shift_hue(hsv: np.ndarray, delta: int) -> np.ndarray:
    """Hue + ``delta`` OpenCV units, modulo 180 (S and V unchanged)."""
    out = hsv.copy()
    out[..., 0] = (hsv[..., 0].astype(np.int64) + delta) % HUE_UNITS
    return out


def scale_saturation(hsv: np.ndarray, alpha: float) -> np.ndarray:
    out = hsv.copy()
    out[..., 1] = scale_shift(hsv[..., 1], alpha)
    return out


def distort_in_hsv(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """BGR -> HSV, saturation (p 0.5), hue (p 0.5), -> BGR; the round trip always happens."""
    hsv = bgr_to_hsv(image)
    if rng.random() < 0.5:
        hsv = scale_saturation(hsv, rng.uniform(*SATURATION_RANGE))
    if rng.random() < 0.5:
        hsv = shift_hue(hsv, int(rng.integers(-MAX_HUE_SHIFT, MAX_HUE_SHIFT + 1)))
    return hsv_to_bgr(hsv)


def photometric_distort(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The release's distortion of a uint8 BGR image; each op has p = 0.5.

    Order A (p 0.5): brightness, contrast, HSV (saturation, hue).
    Order B: brightness, HSV (saturation, hue), contrast.
    """
    contrast_first = rng.random() < 0.5
    if rng.random() < 0.5:
        image = scale_shift(image, beta=rng.uniform(-BRIGHTNESS_DELTA, BRIGHTNESS_DELTA))
    if contrast_first and rng.random() < 0.5:
        image = scale_shift(image, alpha=rng.uniform(*CONTRAST_RANGE))
    image = distort_in_hsv(image, rng)
    if not contrast_first and rng.random() < 0.5:
        image = scale_shift(image, alpha=rng.uniform(*CONTRAST_RANGE))
    return np.ascontiguousarray(image)
