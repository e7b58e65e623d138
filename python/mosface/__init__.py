"""mosface: MOS multi-task face detection (boxes, 5 landmarks, head pose) on ncnn.

>>> import mosface
>>> detector = mosface.Detector("models/mos-s")          # folder from `mosface convert`
>>> faces = detector.detect(bgr_image)                  # float32 (K, 18)

Each row: x1, y1, x2, y2, score, 5 landmark (x, y) pairs (right eye, left eye,
nose, right and left mouth corner), yaw, pitch, roll in degrees. The column
indices are also available as constants (``mosface.SCORE``, ``mosface.YAW``...).

This package never imports torch: training and conversion live in
``mosface.training`` and ``mosface.convert`` (``pip install mosface[train]``).
"""

from ._core import (
    BestShot,
    BestShots,
    Detector,
    ModelError,
    Track,
    Tracker,
    __version__,
    align,
    face_quality,
    postprocess,
    priors,
)
from .columns import (
    BOX,
    LANDMARKS,
    NUM_COLUMNS,
    PITCH,
    POSE,
    ROLL,
    SCORE,
    YAW,
)
from .stream import track_frame

__all__ = [
    "BOX",
    "LANDMARKS",
    "NUM_COLUMNS",
    "PITCH",
    "POSE",
    "ROLL",
    "SCORE",
    "YAW",
    "BestShot",
    "BestShots",
    "Detector",
    "ModelError",
    "Track",
    "Tracker",
    "__version__",
    "align",
    "face_quality",
    "postprocess",
    "priors",
    "track_frame",
]
