"""Type stubs of the compiled core (mosface._core)."""

import os
from typing import Literal

import numpy as np
import numpy.typing as npt

__version__: str

PathLike = str | os.PathLike[str]
PowerSave = Literal["all", "little", "big"]

class ModelError(RuntimeError):
    """A model file exists but cannot be used (corrupt, truncated, mismatched manifest or anchor count)."""

def priors(height: int, width: int) -> npt.NDArray[np.float32]:
    """Anchors of a height x width input: (N, 4) cx, cy, w, h normalised, ordered level, row, column, size."""

class SparsePoseHeads:
    """The pose heads of a model converted with --pose-heads sparse (its folder)."""

    def __init__(self, model: str) -> None: ...
    def logits(
        self, features: list[npt.ArrayLike], height: int, width: int, anchors: npt.ArrayLike
    ) -> npt.NDArray[np.float32]:
        """Per-level (channels, rows, cols) feature maps of a height x width input ->
        (len(anchors), 3, 66) yaw, pitch, roll logits of the given anchors."""

def postprocess(
    loc: npt.ArrayLike,
    cls_logits: npt.ArrayLike,
    landm: npt.ArrayLike,
    yaw_logits: npt.ArrayLike,
    pitch_logits: npt.ArrayLike,
    roll_logits: npt.ArrayLike,
    *,
    height: int,
    width: int,
    conf_threshold: float = 0.5,
    nms_threshold: float = 0.4,
    top_k: int = 5000,
    keep_top_k: int = 750,
) -> npt.NDArray[np.float32]:
    """Raw outputs of ONE image, (N,4) (N,2) (N,10) (N,66) x3 -> (K, 18) detections in input pixels.

    Columns: x1, y1, x2, y2, score, 5 landmark (x, y) pairs, yaw, pitch, roll (degrees).
    Sorted by score, best first; shape (0, 18) when nothing passes conf_threshold.
    Raises ValueError on mismatched shapes, NaN class logits, non-finite candidate rows
    or parameters out of range; TypeError on non-floating arrays.
    """

class Detector:
    """A converted MOS model (ncnn) plus post-processing. Safe to share between threads."""

    def __init__(
        self,
        model: PathLike,
        bin_path: PathLike | None = None,
        *,
        conf_threshold: float = 0.5,
        nms_threshold: float = 0.4,
        top_k: int = 5000,
        keep_top_k: int = 750,
        num_threads: int | None = None,
        powersave: PowerSave | int | None = None,
        fp16: bool = False,
        light_mode: bool = True,
        memory_pool: bool = False,
        input_height: int | None = None,
        input_width: int | None = None,
    ) -> None:
        """model: folder with manifest.json, model.param, model.bin (or the .param path).

        num_threads None: ncnn's default (physical big cores). memory_pool True: keep
        freed buffers for later calls, bounded by the largest live set (more memory than malloc alone). powersave:
        ncnn's core selection, process-wide (None leaves it as it is; the property reports
        the mode in force). input_height/width: the box images are fitted
        into (default: the manifest's size; a fixed-size model accepts only that).
        Raises FileNotFoundError, ModelError or ValueError.
        """
    def detect(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """HxWx3 uint8 BGR -> (K, 18) detections in the image's pixels. Empty image -> (0, 18)."""
    def detect_timed(self, image: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float32], dict[str, float]]:
        """detect() plus preprocess_ms, inference_ms and postprocess_ms of this call."""
    def network_input_size(self, *, height: int, width: int) -> tuple[int, int]:
        """(height, width) of the network input used for an image of this size."""
    def memory_counts(self) -> dict[str, dict[str, int]]:
        """Bytes held by the allocator of ncnn's feature maps ('blobs') and layer scratch ('workspace'):
        in_use, peak_requested (the live set), peak_in_use, cached, peak_held, fresh_allocations,
        fresh_bytes, reused."""
    conf_threshold: float
    nms_threshold: float
    top_k: int
    keep_top_k: int
    num_threads: int
    powersave: PowerSave
    @property
    def fp16(self) -> bool: ...
    @property
    def light_mode(self) -> bool: ...
    @property
    def memory_pool(self) -> bool: ...
    @property
    def input_height(self) -> int: ...
    @property
    def input_width(self) -> int: ...
    @property
    def architecture(self) -> str: ...
    @property
    def size_policy(self) -> Literal["fixed", "dynamic"]: ...
