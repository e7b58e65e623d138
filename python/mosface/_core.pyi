"""Type stubs of the compiled core (mosface._core)."""

import os
from typing import Any, Literal, TypedDict, overload

import numpy as np
import numpy.typing as npt

__version__: str

PathLike = str | os.PathLike[str]
PowerSave = Literal["all", "little", "big"]
PixelFormat = Literal["bgr", "rgb", "bgra", "rgba", "gray", "nv12", "nv21"]

class ModelError(RuntimeError):
    """A model file exists but cannot be used (corrupt, truncated, mismatched manifest or anchor count)."""

class Anchors(TypedDict):
    """A manifest's "anchors": {"steps": [8, 16, 32], "min_sizes": [[16, 32], ...], "variances": [0.1, 0.2]}."""

    steps: list[int]
    min_sizes: list[list[float]]
    variances: list[float]

def priors(height: int, width: int, *, anchors: Anchors) -> npt.NDArray[np.float32]:
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
    anchors: Anchors,
    conf_threshold: float = 0.5,
    nms_threshold: float = 0.4,
    top_k: int = 5000,
    keep_top_k: int = 750,
    return_uncertainty: bool = False,
) -> npt.NDArray[np.float32] | tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Raw outputs of ONE image, (N,4) (N,2) (N,10) (N,66) x3 -> (K, 18) detections in input pixels.

    Columns: x1, y1, x2, y2, score, 5 landmark (x, y) pairs, yaw, pitch, roll (degrees).
    Sorted by score, best first; shape (0, 18) when nothing passes conf_threshold.
    return_uncertainty=True: (faces, pose_std (K, 3)), each angle's bin std in degrees.
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
        memory_pool: bool = True,
        input_height: int | None = None,
        input_width: int | None = None,
    ) -> None:
        """model: folder with manifest.json, model.param, model.bin (or the .param path).

        num_threads None: ncnn's default (physical big cores); 1..256, fixed at construction
        (layers too small to share at the input size run on one thread).
        memory_pool True: feature maps and workspaces in one block planned from the previous
        call at the same size (about the largest live set), kept between calls; False: malloc
        alone (nothing kept, but heap fragmentation and page faults every call). powersave: ncnn's core set; each detect() pins its
        calling thread and ncnn's workers to it (None leaves affinity alone; a set this CPU
        lacks raises ValueError). input_height/width: the box images are fitted into, at most
        8192 (default: the manifest's size; a fixed-size model accepts only that).
        Raises FileNotFoundError, ModelError or ValueError.
        """
    @overload
    def detect(
        self,
        image: npt.NDArray[np.uint8],
        *,
        return_uncertainty: Literal[False] = False,
        format: PixelFormat = "bgr",
        rotation: int = 0,
        roi: tuple[int, int, int, int] | None = None,
    ) -> npt.NDArray[np.float32]:
        """HxWx3 uint8 BGR -> (K, 18) detections in the image's pixels. Empty image -> (0, 18).

        return_uncertainty=True: (faces, pose_std), pose_std (K, 3) the standard deviation in
        degrees of the yaw, pitch and roll bin distributions (same softmax as the angles).
        Camera frames: format bgr, rgb (HxWx3), bgra, rgba (HxWx4), gray (HxW), nv12, nv21
        (H*3/2 x W: the Y rows, then the interleaved chroma rows); rotation: degrees (0, 90,
        180, 270) the frame must be turned clockwise to be upright; roi: (x, y, width, height)
        in the frame. Faces come back in the frame's pixels, angles as seen upright.
        ValueError for images over 2**31 - 1 bytes (height x row stride).
        """
    @overload
    def detect(
        self,
        image: npt.NDArray[np.uint8],
        *,
        return_uncertainty: Literal[True],
        format: PixelFormat = "bgr",
        rotation: int = 0,
        roi: tuple[int, int, int, int] | None = None,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]: ...
    def detect_timed(
        self,
        image: npt.NDArray[np.uint8],
        *,
        format: PixelFormat = "bgr",
        rotation: int = 0,
        roi: tuple[int, int, int, int] | None = None,
    ) -> tuple[npt.NDArray[np.float32], dict[str, float]]:
        """detect() plus preprocess_ms, inference_ms and postprocess_ms of this call."""
    def network_input_size(self, *, height: int, width: int) -> tuple[int, int]:
        """(height, width) of the network input used for an image of this size."""
    def memory_counts(self) -> dict[str, Any]:
        """Bytes of ncnn's feature maps ('blobs') and layer scratch ('workspace'), each a dict of
        in_use, peak_requested, from_block, from_system, system_bytes; live_peak (both kinds alive
        at once); the planned block: block_bytes, block_peak_bytes, plans, misses."""
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

class Track:
    """One tracked face, a snapshot taken when it was returned."""

    id: int  # stable, never reused by one Tracker
    age: int  # updates since the track started, including the first
    hits: int  # updates in which a face was matched to it
    first_seen_ms: float
    last_seen_ms: float  # timestamp of the latest matched face
    face: npt.NDArray[np.float32]  # (18,) smoothed box, landmarks, angles; latest score
    raw: npt.NDArray[np.float32]  # (18,) the latest matched face as detected
    pose_std: npt.NDArray[np.float32]  # (3,) pose uncertainty of the latest face (0 if not given)

class Tracker:
    """Stable ids and One-Euro-smoothed rows for a stream's faces (ByteTrack-style two-stage matching).

    Faces >= high_score are matched first (IoU >= match_iou with a track's predicted box);
    faces in [low_score, high_score) only continue tracks seen in the previous frame
    (IoU >= low_match_iou): run the Detector with conf_threshold <= low_score to use them.
    Unmatched faces >= new_track_score start tracks; a track unmatched for longer than
    lost_buffer_ms ends. Smoothing: lower *_min_cutoff_hz gives less jitter on still faces
    and more lag; higher *_beta less lag on fast moves and more jitter (position_beta per
    face height per second, angle_beta per degree per second).
    """

    def __init__(
        self,
        *,
        high_score: float = 0.5,
        low_score: float = 0.1,
        new_track_score: float = 0.6,
        match_iou: float = 0.2,
        low_match_iou: float = 0.5,
        landmark_weight: float = 0.01,
        lost_buffer_ms: float = 1000.0,
        position_min_cutoff_hz: float = 1.0,
        position_beta: float = 5.0,
        position_derivative_cutoff_hz: float = 1.0,
        angle_min_cutoff_hz: float = 1.0,
        angle_beta: float = 0.05,
        angle_derivative_cutoff_hz: float = 1.0,
    ) -> None: ...
    def update(
        self, faces: npt.ArrayLike, timestamp_ms: float, pose_std: npt.ArrayLike | None = None
    ) -> list[Track]:
        """One frame's (K, 18) faces at timestamp_ms (strictly increasing) -> tracks matched now, by id.

        pose_std: the faces' (K, 3) uncertainty from detect(..., return_uncertainty=True).
        """
    def tracks(self) -> list[Track]:
        """Every live track, matched in the latest frame or not."""
    @property
    def ended(self) -> list[Track]:
        """Tracks that ended (lost longer than lost_buffer_ms) in the latest update."""
    def finish(self) -> list[Track]:
        """End every track now (end of stream) and return them."""
    @property
    def lost_buffer_ms(self) -> float: ...

def align(
    image: npt.NDArray[np.uint8], face: npt.ArrayLike, size: int = 112
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
    """Crop one (18,) face for recognition: the least-squares similarity taking its 5 landmarks onto
    the ArcFace 112x112 template scaled to size. Returns (crop (size, size, 3) BGR, matrix (2, 3)
    taking image pixels to crop pixels). ValueError when the landmarks coincide or size is not in
    [16, 1024]."""

def face_quality(
    image: npt.NDArray[np.uint8], face: npt.ArrayLike, pose_std: npt.ArrayLike | None = None, **options: float
) -> dict[str, float]:
    """Best-shot quality of one face: frontal, certainty, size, score, sharpness and total (see BestShots)."""

class BestShot:
    """The best aligned crop of one track."""

    track_id: int
    timestamp_ms: float  # of the frame the crop comes from
    face: npt.NDArray[np.float32]  # (18,) the raw face in that frame
    pose_std: npt.NDArray[np.float32]  # (3,)
    quality: dict[str, float]  # the factors and their weighted product, "total"
    crop: npt.NDArray[np.uint8]  # (crop_size, crop_size, 3) BGR
    matrix: npt.NDArray[np.float32]  # (2, 3) image -> crop

class BestShots:
    """Keeps the best aligned crop of each track.

    quality = frontal^w * certainty^w * size^w * score^w * sharpness^w, each factor in [0, 1]:
    frontal = exp(-(yaw^2 + pitch^2) / (2 frontal_sigma_deg^2)), certainty = exp(-mean(pose_std) /
    certainty_scale_deg), size = min(1, box height / full_size_px), score = detection score,
    sharpness = v / (v + sharpness_half) with v the variance of the Laplacian of the grey face box.
    A weight of 0 turns a factor off.
    """

    def __init__(
        self,
        *,
        frontal_sigma_deg: float = 25.0,
        certainty_scale_deg: float = 10.0,
        full_size_px: float = 112.0,
        sharpness_half: float = 100.0,
        frontal_weight: float = 1.0,
        certainty_weight: float = 1.0,
        size_weight: float = 1.0,
        score_weight: float = 1.0,
        sharpness_weight: float = 1.0,
        crop_size: int = 112,
    ) -> None: ...
    def update(self, image: npt.NDArray[np.uint8], tracks: list[Track], timestamp_ms: float) -> None:
        """Score each track's raw face in this BGR frame; keep its crop when it beats the track's best."""
    def best(self, track_id: int) -> BestShot | None:
        """The best shot so far of a live track."""
    def take(self, ended: list[Track]) -> list[BestShot]:
        """Remove and return the best shots of these ended tracks (Tracker.ended or Tracker.finish())."""
