"""Drawing detections on an image: boxes, the 5 landmarks and the head pose as 3D axes."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from .columns import BOX, LANDMARKS, PITCH, ROLL, SCORE, YAW

# Right eye, left eye, nose, right and left mouth corner (RetinaFace's colours).
LANDMARK_COLOURS = [(255, 0, 0), (0, 255, 255), (255, 0, 255), (0, 255, 0), (0, 0, 255)]


def pose_axes(yaw: float, pitch: float, roll: float, size: float) -> list[tuple[float, float]]:
    """Image-plane ends of the head's x (right), y (down) and z (forward) axes, unit length `size`.

    Hopenet's `draw_axis` convention (angles in degrees, yaw positive to the
    viewer's left), relative to the axes' origin.
    """
    p = math.radians(pitch)
    y = -math.radians(yaw)
    r = math.radians(roll)
    x_axis = (size * math.cos(y) * math.cos(r),
              size * (math.cos(p) * math.sin(r) + math.cos(r) * math.sin(p) * math.sin(y)))
    y_axis = (size * -math.cos(y) * math.sin(r),
              size * (math.cos(p) * math.cos(r) - math.sin(p) * math.sin(y) * math.sin(r)))
    z_axis = (size * math.sin(y), size * -math.cos(y) * math.sin(p))
    return [x_axis, y_axis, z_axis]


def draw_detections(image_rgb: Image.Image, faces: np.ndarray) -> Image.Image:
    """Return a copy of `image_rgb` with every row of `faces` (K, 18) drawn on it."""
    out = image_rgb.copy()
    canvas = ImageDraw.Draw(out)
    line = max(1, round(min(out.size) / 300))
    for face in faces:
        x1, y1, x2, y2 = (float(v) for v in face[BOX])
        canvas.rectangle([x1, y1, x2, y2], outline=(255, 64, 0), width=line)
        canvas.text((x1, max(0.0, y1 - 12)), f"{face[SCORE]:.2f}", fill=(255, 255, 255))
        points = face[LANDMARKS].reshape(5, 2)
        radius = max(1.5, (x2 - x1) / 40)
        for (px, py), colour in zip(points, LANDMARK_COLOURS):
            canvas.ellipse([px - radius, py - radius, px + radius, py + radius], fill=colour)
        origin = points[2]  # nose
        for (dx, dy), colour in zip(pose_axes(face[YAW], face[PITCH], face[ROLL], (x2 - x1) / 2),
                                    [(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
            canvas.line([origin[0], origin[1], origin[0] + dx, origin[1] + dy], fill=colour, width=line + 1)
    return out
