"""Type stubs of the compiled core (mosface._core)."""

import os
from typing import Literal, TypedDict

import numpy as np
import numpy.typing as npt

__version__: str

PathLike = str | os.PathLike[str]
PowerSave = Literal["all", "little", "big"]

class ModelError(RuntimeError):
    """A model file exists but cannot be used (corrupt, truncated, mismatched manifest or anchor count)."""

class Anchors(TypedDict):
    """A manifest's "anchors": {"steps": [8, 16, 32], "min_sizes": [[16, 32], ...], "variances": [0.1, 0.2]}."""

    steps: list[int]
    min_sizes: list[list[float]]
    variances: list[float]

def priors(height: int, width: int, *, anchors: Anchors) -> npt.NDArray[np.float32]:
    """Anchors of a height x width input: (N, 4) cx, cy, w, h normalised, ordered level, row, column, size."""

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
    anchors: Anchors,
    conf_threshold: float = 0.5,
    nms_threshold: float = 0.4,
    top_k: int = 5000,
    keep_top_k: int = 750,
) -> npt.NDArray[np.float32]:
    """Raw outputs of ONE image, (N,4) (N,2) (N,10) (N,66) x3 -> (K, 18) detections in input pixels.

    Columns: x1, y1, x2, y2, score, 5 landmark (x, y) pairs, yaw, pitch, roll (degrees).
    Sorted by score, best first; shape (0, 18) when nothing passes conf_threshold.
    Raises ValueError on mismatched shapes, NaN class logits, non-finite candidate rows,
    candidates decoding beyond 1e10 pixels or parameters out of range; TypeError on
    non-floating arrays.
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

        num_threads None: ncnn's default (physical big cores); 1..256, fixed at construction.
        memory_pool True: keep freed buffers for later calls, bounded by the largest live set
        (more memory than malloc alone). powersave: ncnn's core set; each detect() pins its
        calling thread and ncnn's workers to it (None leaves affinity alone; a set this CPU
        lacks raises ValueError). input_height/width: the box images are fitted into, at most
        8192 (default: the manifest's size; a fixed-size model accepts only that).
        Raises FileNotFoundError, ModelError or ValueError.
        """
    def detect(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """HxWx3 uint8 BGR -> (K, 18) detections in the image's pixels. Empty image -> (0, 18).

        ValueError for images over 2**31 - 1 bytes (height x row stride)."""
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
    @property
    def num_threads(self) -> int: ...
    powersave: PowerSave | None
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
