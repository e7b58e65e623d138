"""Parity gates: torch (the unfolded source model) vs onnxruntime vs ncnn, raw and after post-processing.

Raw gate: per output, max |other - torch| over all anchors and channels,
  <= 1e-3 (the logits are O(1..10); float32 reassociation and the exact folds
  leave ~1e-4, see the manifest figures).
  fp16 weights (--fp16): ncnn is compared with the folded torch model whose
  convolution weights are rounded to fp16 exactly as the .bin stores them
  (ncnn widens them back to fp32 at load), under the same 1e-3: the gate
  checks the conversion, not the precision of fp16. What fp16 rounding itself
  does to the outputs (torch fp32 against torch with rounded weights) is
  recorded as ``fp16_rounding_effect``, not gated: it is a property of the
  weights. Seeded untrained models are chaotic (logits move by 0.1-0.5 from a
  2**-11 relative weight change, measured in torch alone); re-measure on a
  trained checkpoint before shipping fp16. onnxruntime runs the fp32
  ``model.onnx`` and is compared with the fp32 model.
Detection gate: ``mosface.postprocess`` on both sides must give the same
  detections (greedy match by IoU): IoU >= 0.99, |score diff| <= 1e-3,
  |angle diff| <= 0.5 degree. The confidence threshold is chosen from the
  torch scores of each image: in the widest gap between the 20th and 200th
  best anchor. An untrained model has near-uniform scores, so a fixed 0.5
  would test nothing (or everything); a threshold inside a gap makes a few
  dozen candidates pass NMS and keeps borderline anchors from flipping.
  The NMS threshold is chosen the same way, in the widest gap of the
  candidates' pairwise IoUs within [0.3, 0.5]: with hundreds of overlapping
  candidates some pair can sit within 1e-4 of a fixed 0.4, and float-level
  differences would then keep a different box on each side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

import mosface
from mosface.boxes import iou_plus_one

from ..training.priors import manifest_anchors
from .export import OUTPUT_NAMES
from .runners import ncnn_net, ncnn_outputs, network_input, onnx_outputs, torch_outputs

RAW_MAX_ABS = 1e-3
MIN_IOU = 0.99
MAX_SCORE_DIFF = 1e-3
MAX_ANGLE_DIFF_DEG = 0.5
CANDIDATE_RANKS = (20, 200)  # the threshold falls between these ranks of torch scores
NMS_RANGE = (0.3, 0.5)  # the NMS threshold falls in the widest IoU gap inside this range
DETECTOR_SEED = 100  # apart from the per-size seeds 0, 1, ...
SCORE, LANDMARKS, ANGLES = 4, slice(5, 15), slice(15, 18)  # (K, 18) columns


@dataclass
class ParityReport:
    figures: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def text(self) -> str:
        if self.passed:
            return "all parity gates passed"
        return "parity gates FAILED:\n" + "\n".join(f"  - {f}" for f in self.failures)


def _figure(value: float) -> float:
    """Three significant digits: readable, and stable across runs for byte-identical manifests."""
    return float(f"{value:.3g}")


def seeded_image(height: int, width: int, seed: int) -> np.ndarray:
    """Uniform noise, uint8 BGR; the gates need reproducible, not natural, images."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def size_key(height: int, width: int) -> str:
    return f"{width}x{height}"  # WIDTHxHEIGHT, as on the command line


def conf_threshold_in_gap(cls_logits: np.ndarray) -> float:
    """Midpoint of the widest score gap between ranks CANDIDATE_RANKS[0] and [1].

    When every score in that range ties (a padded area gives many identical
    anchors), the widest gap over all ranks is taken instead.
    """
    logits = cls_logits.astype(np.float64)
    scores = np.sort(1.0 / (1.0 + np.exp(logits[:, 0] - logits[:, 1])))[::-1]
    for low, high in (CANDIDATE_RANKS, (1, len(scores))):
        high = min(high, len(scores) - 1)
        gaps = scores[low - 1 : high - 1] - scores[low:high]
        if gaps.size and gaps.max() > 0:
            k = low + int(np.argmax(gaps))
            return float((scores[k - 1] + scores[k]) / 2)
    raise ValueError("all anchors have the same score; the detection gate cannot pick a threshold")


def nms_threshold_in_gap(candidates: np.ndarray) -> float:
    """Midpoint of the widest gap of pairwise IoUs (+1 pixel convention, as NMS) inside NMS_RANGE."""
    boxes = candidates[:, :4].astype(np.float64)
    iou = iou_plus_one(boxes, boxes)
    low, high = NMS_RANGE
    values = np.unique(iou[np.triu_indices(len(boxes), k=1)])
    edges = np.concatenate(([low], values[(values > low) & (values < high)], [high]))
    k = int(np.argmax(np.diff(edges)))
    return float((edges[k] + edges[k + 1]) / 2)


def detections(
    outputs: list[np.ndarray], *, height: int, width: int, conf: float, nms: float
) -> np.ndarray:
    return mosface.postprocess(*outputs, height=height, width=width, anchors=manifest_anchors(),
                               conf_threshold=conf, nms_threshold=nms)


def gate_thresholds(expected: list[np.ndarray], *, height: int, width: int) -> tuple[float, float]:
    """(conf, nms) thresholds for this image, each inside a gap of the torch outputs (see the docstring)."""
    conf = conf_threshold_in_gap(expected[1])
    candidates = detections(expected, height=height, width=width, conf=conf, nms=1.0)
    return conf, nms_threshold_in_gap(candidates)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x1, y1 = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    x2, y2 = np.minimum(box[2], boxes[:, 2]), np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


def compare_detections(
    reference: np.ndarray, other: np.ndarray, where: str
) -> tuple[dict, list[str]]:
    """Greedy one-to-one match by IoU; figures and failure lines naming ``where``."""
    figures: dict[str, Any] = {"count": len(other), "reference_count": len(reference)}
    if len(reference) != len(other):
        return figures, [f"{where}: {len(other)} detections vs {len(reference)} from torch"]
    if len(reference) == 0:
        return figures, [f"{where}: no detections at all, the gate tested nothing"]
    free = np.ones(len(other), dtype=bool)
    ious, scores, angles, landmarks = [], [], [], []
    for row in reference:
        overlap = np.where(free, _iou(row, other), -1.0)
        j = int(np.argmax(overlap))
        free[j] = False
        ious.append(overlap[j])
        scores.append(abs(row[SCORE] - other[j, SCORE]))
        angles.append(np.abs(row[ANGLES] - other[j, ANGLES]).max())
        landmarks.append(np.abs(row[LANDMARKS] - other[j, LANDMARKS]).max())
    figures.update(
        min_iou=_figure(min(ious)),
        max_score_diff=_figure(max(scores)),
        max_angle_diff_deg=_figure(max(angles)),
        max_landmark_diff_px=_figure(max(landmarks)),
    )
    failures = []
    if min(ious) < MIN_IOU:
        failures.append(f"{where}: box IoU {min(ious):.4f} < {MIN_IOU}")
    if max(scores) > MAX_SCORE_DIFF:
        failures.append(f"{where}: score differs by {max(scores):.2e} > {MAX_SCORE_DIFF}")
    if max(angles) > MAX_ANGLE_DIFF_DEG:
        failures.append(f"{where}: angle differs by {max(angles):.3f} deg > {MAX_ANGLE_DIFF_DEG}")
    return figures, failures


def _raw_gate(reference: list[np.ndarray], other: list[np.ndarray], where: str) -> tuple[dict, list[str]]:
    figures, failures = {}, []
    for name, ref, out in zip(OUTPUT_NAMES, reference, other):
        if out.shape != ref.shape:
            figures[name] = None
            failures.append(f"{where}, output {name}: shape {out.shape} vs torch {ref.shape}")
            continue
        diff = float(np.abs(out - ref).max())
        figures[name] = _figure(diff)
        if not diff <= RAW_MAX_ABS:  # also catches NaN
            failures.append(f"{where}, output {name}: max |diff| {diff:.3e} > {RAW_MAX_ABS:.0e}")
    return figures, failures


def verify(
    reference: nn.Module,
    folder: str | Path,
    *,
    sizes: list[tuple[int, int]],
    onnx_file: str | Path | None = None,
    ncnn_reference: nn.Module | None = None,
    detector_image: tuple[int, int] | None = None,
) -> ParityReport:
    """Run every gate on ``folder`` (model.param/.bin, manifest.json for the Detector).

    ``sizes``: (height, width) network inputs for the raw and detection gates
    (onnxruntime too when ``onnx_file`` is given). ``ncnn_reference``: the
    model ncnn and the Detector are held to when it differs from
    ``reference`` (fp16 weights, see the module docstring). ``detector_image``:
    (height, width) of an image run end to end through ``mosface.Detector``,
    compared with torch on the same padded input; None skips it.
    """
    folder = Path(folder)
    report = ParityReport(
        figures={
            "tolerances": {
                "raw_max_abs": RAW_MAX_ABS,
                "min_iou": MIN_IOU,
                "max_score_diff": MAX_SCORE_DIFF,
                "max_angle_diff_deg": MAX_ANGLE_DIFF_DEG,
            },
            "sizes": {},
        }
    )
    net = ncnn_net(folder / "model.param", folder / "model.bin")
    for seed, (height, width) in enumerate(sizes):
        key = size_key(height, width)
        x = network_input(seeded_image(height, width, seed), height=height, width=width)
        expected = {"torch": torch_outputs(reference, x)}
        expected["ncnn"] = torch_outputs(ncnn_reference, x) if ncnn_reference else expected["torch"]
        entry: dict[str, Any] = {}
        if ncnn_reference is not None:
            entry["fp16_rounding_effect"] = {
                name: _figure(float(np.abs(a - b).max()))
                for name, a, b in zip(OUTPUT_NAMES, expected["torch"], expected["ncnn"])
            }
        runs = {"ncnn": (ncnn_outputs(net, x), expected["ncnn"])}
        if onnx_file is not None:
            runs["onnxruntime"] = (onnx_outputs(onnx_file, x), expected["torch"])
        for runtime, (outputs, wanted) in runs.items():
            where = f"{runtime} at {key}"
            raw, raw_failures = _raw_gate(wanted, outputs, where)
            entry[runtime] = {"max_abs_diff": raw}
            report.failures += raw_failures
            if raw_failures:
                continue
            conf, nms = gate_thresholds(wanted, height=height, width=width)
            entry[runtime]["thresholds"] = {"conf": _figure(conf), "nms": _figure(nms)}
            entry[runtime]["detections"], det_failures = compare_detections(
                detections(wanted, height=height, width=width, conf=conf, nms=nms),
                detections(outputs, height=height, width=width, conf=conf, nms=nms),
                f"{where} (detections)",
            )
            report.failures += det_failures
        report.figures["sizes"][key] = entry
    if detector_image is not None:
        report.figures["detector"], failures = _detector_gate(
            ncnn_reference or reference, folder, detector_image
        )
        report.failures += failures
    return report


def _detector_gate(
    reference: nn.Module, folder: Path, image_size: tuple[int, int]
) -> tuple[dict, list[str]]:
    """mosface.Detector end to end on an image it needs no resize for (padding only)."""
    detector = mosface.Detector(folder, num_threads=2)
    height, width = image_size
    net_h, net_w = detector.network_input_size(height=height, width=width)
    image = seeded_image(height, width, seed=DETECTOR_SEED)
    expected = torch_outputs(reference, network_input(image, height=net_h, width=net_w))
    conf, nms = gate_thresholds(expected, height=net_h, width=net_w)
    reference_dets = detections(expected, height=net_h, width=net_w, conf=conf, nms=nms)
    detector.conf_threshold = conf
    detector.nms_threshold = nms
    where = f"mosface.Detector, image {size_key(height, width)} in {size_key(net_h, net_w)}"
    figures, failures = compare_detections(reference_dets, detector.detect(image), where)
    figures.update(
        image=size_key(height, width),
        network=size_key(net_h, net_w),
        conf_threshold=_figure(conf),
        nms_threshold=_figure(nms),
    )
    return figures, failures
