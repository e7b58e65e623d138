"""Parity gates: ncnn and onnxruntime against the float64 forward of the source model.

Why float64: a model with input-dependent DCN sampling amplifies rounding, so
every float32 engine, torch included, can sit 1e-3..3e-2 from the exact answer
(shared/notes/toolchain.md). Comparing ncnn with float32 torch then compares
two noisy answers. So each gate holds an engine to the float64 forward of the
model (the unfolded torch model, ``float64_copy``), and its tolerance follows
float32's own error on that input: the *float32 noise floor*, |torch float32 -
torch float64|, measured per output.

Raw gate: per output, max |engine - float64| over all anchors and channels
  <= max(RAW_MAX_ABS, NOISE_FACTOR x noise floor). A calm model is held to 1e-3
  (the folds and float32 reassociation leave ~1e-4); a chaotic one passes a
  correct converter without loosening the gate for calm ones.
  fp16 weights (--fp16): ncnn is held to the folded model whose convolution
  weights are rounded to fp16 exactly as the .bin stores them (ncnn widens them
  back to fp32 at load), in float64, with that model's own noise floor: the
  gate checks the conversion, not the precision of fp16. What fp16 rounding
  itself does to the outputs (float64 forwards with and without the rounded
  weights) is recorded as ``fp16_rounding_effect``, not gated: it is a property
  of the weights. onnxruntime runs the fp32 ``model.onnx``.
Detection gate: ``mosface.postprocess`` on the engine's and the float64
  outputs must give the same detections (greedy match by IoU): IoU >= 0.99,
  |score diff| <= 1e-3, |landmark diff| <= 1 px, |angle diff| <= 0.5 degree,
  each widened like the raw gate by NOISE_FACTOR x what float32 torch itself
  misses by.
  Thresholds: the confidence threshold sits in a gap of the float64 scores of
  each image, between the 20th and 200th best anchor (then the 3rd and 20th),
  and the NMS threshold in a gap of the candidates' pairwise IoUs within
  [0.3, 0.5]; a fixed 0.5 would test nothing (or everything) on an untrained
  model's near-uniform scores. Of the widest gaps, the first (conf, nms) pair
  whose decisions survive float32-sized drifts x NOISE_FACTOR is used. When
  no pair does (near-tied overlapping boxes, an IoU on the threshold), no
  float32 engine can be held to the float64 faces: the report says so in its
  notes instead of failing blindly, and the raw gate still holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from torch import nn

import mosface
from mosface.boxes import iou_plus_one

from ..training.priors import manifest_anchors
from .export import OUTPUT_NAMES
from .runners import (
    float64_copy,
    ncnn_net,
    ncnn_outputs,
    network_input,
    onnx_outputs,
    torch_outputs,
)

RAW_MAX_ABS = 1e-3
NOISE_FACTOR = 4  # an engine may miss float64 by this many times what float32 torch misses by
MIN_IOU = 0.99
MAX_SCORE_DIFF = 1e-3
MAX_LANDMARK_DIFF_PX = 1.0
MAX_ANGLE_DIFF_DEG = 0.5
GAPS_TRIED = 4  # conf gaps x NMS gaps tried, widest first, for decisions clear of float32 noise
RANDOM_DRIFTS = 4  # random-sign drifts tried besides float32's own (see _drifted_outputs)
SAME_FACE_IOU = 0.9  # a face overlapping its float64 twin less is another box NMS kept
# The conf threshold falls between these ranks of the reference scores: the
# first range gives a few dozen faces; the second, fewer, where so many faces
# leave some decision within float32 noise of a threshold.
CANDIDATE_RANKS = ((20, 200), (3, 20))
NMS_RANGE = (0.3, 0.5)  # the NMS threshold falls in the widest IoU gap inside this range
DETECTOR_SEED = 100  # apart from the per-size seeds 0, 1, ...
SCORE, LANDMARKS, ANGLES = 4, slice(5, 15), slice(15, 18)  # (K, 18) columns


@dataclass
class ParityReport:
    figures: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be gated, and why

    @property
    def passed(self) -> bool:
        return not self.failures

    def text(self) -> str:
        lines = ["all parity gates passed" if self.passed else "parity gates FAILED:"]
        lines += [f"  - {f}" for f in self.failures]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class ReferenceModel:
    """A torch model and its float64 twin: the exact answer and float32's distance from it."""

    float32: nn.Module
    float64: nn.Module

    @classmethod
    def of(cls, model: nn.Module) -> ReferenceModel:
        return cls(model, float64_copy(model))

    def outputs(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(float64 outputs, float32 outputs) for one network input."""
        return torch_outputs(self.float64, x), torch_outputs(self.float32, x)


def _figure(value: float) -> float:
    """Three significant digits: readable, and stable across runs for byte-identical manifests."""
    return float(f"{value:.3g}")


def _threshold(value: float) -> float:
    """Seven significant digits: an untrained model's gap can sit at a score of 0.99994."""
    return float(f"{value:.7g}")


def seeded_image(height: int, width: int, seed: int) -> np.ndarray:
    """Uniform noise, uint8 BGR; the gates need reproducible, not natural, images."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def size_key(height: int, width: int) -> str:
    return f"{width}x{height}"  # WIDTHxHEIGHT, as on the command line


def conf_thresholds_in_gaps(
    cls_logits: np.ndarray, ranks: tuple[int, int] = CANDIDATE_RANKS[0]
) -> list[float]:
    """Midpoints of the score gaps between ranks ``ranks[0]`` and ``ranks[1]``, widest first.

    When every score in that range ties (a padded area gives many identical
    anchors), the gaps over all ranks are taken instead.
    """
    logits = cls_logits.astype(np.float64)
    scores = np.sort(1.0 / (1.0 + np.exp(logits[:, 0] - logits[:, 1])))[::-1]
    for low, high in (ranks, (1, len(scores))):
        high = min(high, len(scores) - 1)
        gaps = scores[low - 1 : high - 1] - scores[low:high]
        if gaps.size and gaps.max() > 0:
            ranks = low + np.argsort(-gaps, kind="stable")[: int((gaps > 0).sum())]
            return [float((scores[k - 1] + scores[k]) / 2) for k in ranks]
    raise ValueError("all anchors have the same score; the detection gate cannot pick a threshold")


def nms_thresholds_in_gaps(candidates: np.ndarray) -> list[float]:
    """Midpoints of the gaps of pairwise IoUs (+1 pixel convention, as NMS) inside NMS_RANGE, widest first."""
    boxes = candidates[:, :4].astype(np.float64)
    iou = iou_plus_one(boxes, boxes)
    low, high = NMS_RANGE
    values = np.unique(iou[np.triu_indices(len(boxes), k=1)])
    edges = np.concatenate(([low], values[(values > low) & (values < high)], [high]))
    order = np.argsort(-np.diff(edges), kind="stable")
    return [float((edges[k] + edges[k + 1]) / 2) for k in order]


def detections(
    outputs: list[np.ndarray], *, height: int, width: int, conf: float, nms: float
) -> np.ndarray:
    """``mosface.postprocess`` (float32, as every engine's outputs are post-processed)."""
    outputs = [np.ascontiguousarray(o, dtype=np.float32) for o in outputs]
    return mosface.postprocess(
        *outputs, height=height, width=width, anchors=manifest_anchors(),
        conf_threshold=conf, nms_threshold=nms
    )


@dataclass(frozen=True)
class DetectionTolerance:
    min_iou: float = MIN_IOU
    max_score_diff: float = MAX_SCORE_DIFF
    max_landmark_diff_px: float = MAX_LANDMARK_DIFF_PX
    max_angle_diff_deg: float = MAX_ANGLE_DIFF_DEG

    def widened_by(self, float32_miss: dict[str, float]) -> DetectionTolerance:
        """Each bound widened to NOISE_FACTOR x what float32 torch misses the float64 faces by."""
        return DetectionTolerance(
            min_iou=min(self.min_iou, 1 - NOISE_FACTOR * (1 - float32_miss["min_iou"])),
            max_score_diff=max(self.max_score_diff, NOISE_FACTOR * float32_miss["max_score_diff"]),
            max_landmark_diff_px=max(
                self.max_landmark_diff_px, NOISE_FACTOR * float32_miss["max_landmark_diff_px"]
            ),
            max_angle_diff_deg=max(
                self.max_angle_diff_deg, NOISE_FACTOR * float32_miss["max_angle_diff_deg"]
            ),
        )

    def figures(self) -> dict[str, float]:
        return {name: _figure(value) for name, value in vars(self).items()}


def compare_detections(
    reference: np.ndarray,
    other: np.ndarray,
    where: str,
    tolerance: DetectionTolerance = DetectionTolerance(),
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
        overlap = np.where(free, iou_plus_one(row[None, :4], other[:, :4])[0], -1.0)
        j = int(np.argmax(overlap))
        free[j] = False
        ious.append(overlap[j])
        scores.append(abs(row[SCORE] - other[j, SCORE]))
        angles.append(np.abs(row[ANGLES] - other[j, ANGLES]).max())
        landmarks.append(np.abs(row[LANDMARKS] - other[j, LANDMARKS]).max())
    figures.update(
        min_iou=_figure(min(ious)),
        max_score_diff=_figure(max(scores)),
        max_landmark_diff_px=_figure(max(landmarks)),
        max_angle_diff_deg=_figure(max(angles)),
    )
    failures = []
    if min(ious) < tolerance.min_iou:
        failures.append(f"{where}: box IoU {min(ious):.4f} < {tolerance.min_iou:.4g}")
    if max(scores) > tolerance.max_score_diff:
        failures.append(
            f"{where}: score differs by {max(scores):.2e} > {tolerance.max_score_diff:.2e}"
        )
    if max(landmarks) > tolerance.max_landmark_diff_px:
        failures.append(
            f"{where}: landmark differs by {max(landmarks):.3f} px > {tolerance.max_landmark_diff_px:.3g}"
        )
    if max(angles) > tolerance.max_angle_diff_deg:
        failures.append(
            f"{where}: angle differs by {max(angles):.3f} deg > {tolerance.max_angle_diff_deg:.3g}"
        )
    return figures, failures


def _raw_gate(
    exact: list[np.ndarray], float32: list[np.ndarray], other: list[np.ndarray], where: str
) -> tuple[dict, list[str]]:
    """Per output: the engine's distance from float64 against the float32 noise floor."""
    figures: dict[str, dict] = {"max_abs_diff": {}, "float32_noise": {}, "tolerance": {}}
    failures = []
    for name, ref, ref32, out in zip(OUTPUT_NAMES, exact, float32, other):
        if out.shape != ref.shape:
            figures["max_abs_diff"][name] = None
            failures.append(f"{where}, output {name}: shape {out.shape} vs torch {ref.shape}")
            continue
        noise = float(np.abs(ref32 - ref).max())
        tolerance = max(RAW_MAX_ABS, NOISE_FACTOR * noise)
        diff = float(np.abs(out - ref).max())
        figures["max_abs_diff"][name] = _figure(diff)
        figures["float32_noise"][name] = _figure(noise)
        figures["tolerance"][name] = _figure(tolerance)
        if not diff <= tolerance:  # also catches NaN
            failures.append(
                f"{where}, output {name}: max |diff| {diff:.3e} from float64 > {tolerance:.3e} "
                f"(float32 torch: {noise:.3e})"
            )
    return figures, failures


def _same_faces(faces: np.ndarray, others: np.ndarray) -> bool:
    """Same decisions: as many faces, each matched by one overlapping it (not another box kept)."""
    if len(faces) != len(others):
        return False
    figures, _ = compare_detections(faces, others, "")
    return len(faces) == 0 or figures["min_iou"] >= SAME_FACE_IOU


def _drifted_outputs(exact: list[np.ndarray], float32: list[np.ndarray]) -> list[list[np.ndarray]]:
    """float64 outputs moved by NOISE_FACTOR x float32's own error, element by element.

    The drift float32 itself took, added and subtracted, and RANDOM_DRIFTS
    copies of its magnitude with seeded random signs: another engine's error
    has about the same size per element but its own direction.
    """
    drift = [NOISE_FACTOR * (b - a) for a, b in zip(exact, float32)]
    signs = np.random.default_rng(0)
    variants = [drift, [-d for d in drift]]
    variants += [
        [np.abs(d) * signs.choice((-1.0, 1.0), size=d.shape) for d in drift]
        for _ in range(RANDOM_DRIFTS)
    ]
    return [[a + d for a, d in zip(exact, variant)] for variant in variants]


@dataclass
class _DetectionGate:
    """Thresholds and float64 faces of one input, and how far float32 torch is from them."""

    exact_faces: np.ndarray
    conf: float
    nms: float
    tolerance: DetectionTolerance | None  # None: the decisions sit within float32 noise
    float32_figures: dict[str, Any]

    @classmethod
    def of(
        cls, exact: list[np.ndarray], float32: list[np.ndarray], *, height: int, width: int
    ) -> _DetectionGate:
        """Thresholds in gaps of the float64 outputs whose decisions survive float32-sized drift.

        An engine as far from float64 as the raw gate allows must take the same
        decisions (see ``_drifted_outputs``). The first (conf, nms) pair, widest
        gaps first, whose faces survive every drift is used. When none does,
        this input's decisions sit within float32 noise of a threshold (near-tied
        scores of overlapping boxes, an IoU at the NMS threshold), and its
        detections are not gated.
        """

        def faces_at(outputs: list[np.ndarray], conf: float, nms: float) -> np.ndarray:
            return detections(outputs, height=height, width=width, conf=conf, nms=nms)

        drifted = _drifted_outputs(exact, float32)
        pairs = [
            (conf, nms)
            for ranks in CANDIDATE_RANKS
            for conf in conf_thresholds_in_gaps(exact[1], ranks)[:GAPS_TRIED]
            for nms in nms_thresholds_in_gaps(faces_at(exact, conf, 1.0))[:GAPS_TRIED]
        ]
        for conf, nms in pairs:
            faces = faces_at(exact, conf, nms)
            own = faces_at(float32, conf, nms)
            if (
                len(faces)
                and _same_faces(faces, own)
                and all(_same_faces(faces, faces_at(d, conf, nms)) for d in drifted)
            ):
                figures, _ = compare_detections(faces, own, "torch float32")
                return cls(faces, conf, nms, DetectionTolerance().widened_by(figures), figures)
        conf, nms = pairs[0]
        faces = faces_at(exact, conf, nms)
        figures, _ = compare_detections(faces, faces_at(float32, conf, nms), "torch float32")
        return cls(faces, conf, nms, None if len(faces) else DetectionTolerance(), figures)

    def check(self, faces: np.ndarray, where: str, report: ParityReport) -> dict[str, Any]:
        figures, failures = compare_detections(
            self.exact_faces, faces, where, self.tolerance or DetectionTolerance()
        )
        figures.update(
            conf_threshold=_threshold(self.conf),
            nms_threshold=_threshold(self.nms),
            float32_torch=self.float32_figures,
        )
        if self.tolerance is None:
            figures["gated"] = False
            report.notes.append(
                f"{where}: not gated: every conf/NMS threshold pair tried leaves a decision within "
                f"{NOISE_FACTOR} x float32's own error of a threshold; the raw gate still holds"
            )
        else:
            figures["gated"] = True
            figures["tolerance"] = self.tolerance.figures()
            report.failures += failures
        return figures


def verify(
    reference: nn.Module,
    folder: str | Path,
    *,
    sizes: list[tuple[int, int]],
    onnx_file: str | Path | None = None,
    ncnn_reference: nn.Module | None = None,
    detector_image: tuple[int, int] | None = None,
    sparse_pose: Callable[[list[np.ndarray], int, int], list[np.ndarray]] | None = None,
) -> ParityReport:
    """Run every gate on ``folder`` (model.param/.bin, manifest.json for the Detector).

    ``sizes``: (height, width) network inputs for the raw and detection gates
    (onnxruntime too when ``onnx_file`` is given). ``ncnn_reference``: the
    model ncnn and the Detector are held to when it differs from
    ``reference`` (fp16 weights, see the module docstring). ``detector_image``:
    (height, width) of an image run end to end through ``mosface.Detector``,
    compared with torch on the same padded input; None skips it.
    ``sparse_pose``: for a sparse-pose graph, maps its outputs (loc, cls,
    landmarks, three feature maps) at (height, width) to the six dense outputs
    (verify_sparse.py).
    """
    folder = Path(folder)
    report = ParityReport(
        figures={
            "reference": "torch float64",
            "tolerances": {
                "raw_max_abs": RAW_MAX_ABS,
                "noise_factor": NOISE_FACTOR,
                **DetectionTolerance().figures(),
            },
            "sizes": {},
        }
    )
    torch_model = ReferenceModel.of(reference)
    ncnn_model = ReferenceModel.of(ncnn_reference) if ncnn_reference is not None else torch_model
    net = ncnn_net(folder / "model.param", folder / "model.bin")
    for seed, (height, width) in enumerate(sizes):
        key = size_key(height, width)
        x = network_input(seeded_image(height, width, seed), height=height, width=width)
        expected = {"torch": torch_model.outputs(x)}
        expected["ncnn"] = (
            ncnn_model.outputs(x) if ncnn_reference is not None else expected["torch"]
        )
        entry: dict[str, Any] = {}
        if ncnn_reference is not None:
            entry["fp16_rounding_effect"] = {
                name: _figure(float(np.abs(a - b).max()))
                for name, a, b in zip(OUTPUT_NAMES, expected["torch"][0], expected["ncnn"][0])
            }
        runs = {"ncnn": (ncnn_outputs(net, x, feature_maps=3 if sparse_pose else 0), expected["ncnn"])}
        if onnx_file is not None:
            runs["onnxruntime"] = (onnx_outputs(onnx_file, x), expected["torch"])
        if sparse_pose is not None:
            runs = {name: (sparse_pose(out, height, width), want) for name, (out, want) in runs.items()}
        for runtime, (outputs, (exact, float32)) in runs.items():
            where = f"{runtime} at {key}"
            entry[runtime], raw_failures = _raw_gate(exact, float32, outputs, where)
            report.failures += raw_failures
            if raw_failures:
                continue
            gate = _DetectionGate.of(exact, float32, height=height, width=width)
            entry[runtime]["detections"] = gate.check(
                detections(outputs, height=height, width=width, conf=gate.conf, nms=gate.nms),
                f"{where} (detections)",
                report,
            )
        report.figures["sizes"][key] = entry
    if detector_image is not None:
        report.figures["detector"] = _detector_gate(ncnn_model, folder, detector_image, report)
    report.figures["notes"] = report.notes
    return report


def _detector_gate(
    reference: ReferenceModel, folder: Path, image_size: tuple[int, int], report: ParityReport
) -> dict[str, Any]:
    """mosface.Detector end to end on an image it needs no resize for (padding only)."""
    detector = mosface.Detector(folder, num_threads=2)
    height, width = image_size
    net_h, net_w = detector.network_input_size(height=height, width=width)
    image = seeded_image(height, width, seed=DETECTOR_SEED)
    exact, float32 = reference.outputs(network_input(image, height=net_h, width=net_w))
    gate = _DetectionGate.of(exact, float32, height=net_h, width=net_w)
    detector.conf_threshold = gate.conf
    detector.nms_threshold = gate.nms
    where = f"mosface.Detector, image {size_key(height, width)} in {size_key(net_h, net_w)}"
    figures = gate.check(detector.detect(image), where, report)
    figures.update(image=size_key(height, width), network=size_key(net_h, net_w))
    return figures
