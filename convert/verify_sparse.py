"""Parity gates of a sparse-pose conversion (convert/sparse_pose.py) against the dense torch model.

The graph's loc / cls / landmarks outputs go through the raw gate of
verify.py; the pose logits are computed from the graph's per-level features
by the runtime's own sparse heads (``mosface._core.SparsePoseHeads``, the
code the Detector runs) at every anchor and held to the same raw gate
against torch's dense logits, so border cells and every level are checked.
The detection gate and the end-to-end Detector gate then require the same
faces as torch with angles within ``MAX_SPARSE_ANGLE_DIFF_DEG``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import mosface
from mosface import _core

from .export import OUTPUT_NAMES
from .runners import ncnn_net, ncnn_outputs, network_input, onnx_outputs, torch_outputs
from .sparse_pose import FEATURE_NAMES
from .verify import (
    ParityReport,
    _detector_gate,
    _figure,
    _raw_gate,
    compare_detections,
    detections,
    gate_thresholds,
    seeded_image,
    size_key,
)

# Same faces as torch, and angles this close: the sparse heads compute what the dense graph does.
MAX_SPARSE_ANGLE_DIFF_DEG = 0.01
FEATURE_MAPS = len(FEATURE_NAMES)


def torch_outputs_and_features(
    model: nn.Module, x: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The six dense outputs (rows) and the per-level head inputs (C, H, W) of one image."""
    features: list[np.ndarray] = []
    hooks = [
        ssh.register_forward_hook(
            lambda _m, _i, out: features.append(out[0].detach().numpy().copy())
        )
        for ssh in model.ssh
    ]
    try:
        with torch.no_grad():
            dense = torch_outputs(model, x)
    finally:
        for hook in hooks:
            hook.remove()
    return dense, features


def sparse_pose_logits(
    folder: Path, features: list[np.ndarray], height: int, width: int
) -> list[np.ndarray]:
    """yaw, pitch, roll logits (N, 66) at every anchor, from the runtime's sparse heads."""
    anchors = np.arange(len(mosface.priors(height, width)), dtype=np.int64)
    logits = _core.SparsePoseHeads(str(folder)).logits(features, height, width, anchors)
    return [np.ascontiguousarray(logits[:, angle]) for angle in range(3)]


def _angle_gate(figures: dict[str, Any], where: str) -> list[str]:
    diff = figures.get("max_angle_diff_deg")
    if diff is not None and not diff <= MAX_SPARSE_ANGLE_DIFF_DEG:
        return [f"{where}: sparse pose angles differ by {diff} deg > {MAX_SPARSE_ANGLE_DIFF_DEG}"]
    return []


def verify_sparse(
    reference: nn.Module,
    folder: str | Path,
    *,
    sizes: list[tuple[int, int]],
    onnx_file: str | Path | None = None,
    ncnn_reference: nn.Module | None = None,
    detector_image: tuple[int, int] | None = None,
) -> ParityReport:
    """``verify.verify`` for a sparse-pose folder; same arguments, same report layout."""
    folder = Path(folder)
    report = ParityReport(
        figures={
            "tolerances": {"max_sparse_angle_diff_deg": MAX_SPARSE_ANGLE_DIFF_DEG},
            "sizes": {},
        }
    )
    net = ncnn_net(folder / "model.param", folder / "model.bin")
    for seed, (height, width) in enumerate(sizes):
        key = size_key(height, width)
        x = network_input(seeded_image(height, width, seed), height=height, width=width)
        wanted = {"torch": torch_outputs_and_features(reference, x)}
        wanted["ncnn"] = (
            torch_outputs_and_features(ncnn_reference, x) if ncnn_reference else wanted["torch"]
        )
        runs = {"ncnn": (ncnn_outputs(net, x, feature_maps=FEATURE_MAPS), wanted["ncnn"])}
        if onnx_file is not None:
            runs["onnxruntime"] = (onnx_outputs(onnx_file, x), wanted["torch"])
        entry: dict[str, Any] = {}
        if ncnn_reference is not None:  # what fp16 rounding of the graph does, recorded as verify does
            entry["fp16_rounding_effect"] = {
                name: _figure(float(np.abs(a - b).max()))
                for name, a, b in zip(OUTPUT_NAMES, wanted["torch"][0], wanted["ncnn"][0])
            }
        for runtime, (graph_outputs, (dense, features)) in runs.items():
            where = f"{runtime} (sparse pose) at {key}"
            maps = graph_outputs[3:]
            outputs = graph_outputs[:3] + sparse_pose_logits(folder, maps, height, width)
            raw, failures = _raw_gate(dense, outputs, where)
            entry[runtime] = {
                "max_abs_diff": raw,
                "feature_max_abs_diff": {
                    name: _figure(float(np.abs(got - ref).max()))
                    if got.shape == ref.shape
                    else None
                    for name, got, ref in zip(FEATURE_NAMES, maps, features)
                },
            }
            report.failures += failures
            if failures:
                continue
            conf, nms = gate_thresholds(dense, height=height, width=width)
            entry[runtime]["thresholds"] = {"conf": _figure(conf), "nms": _figure(nms)}
            figures, failures = compare_detections(
                detections(dense, height=height, width=width, conf=conf, nms=nms),
                detections(outputs, height=height, width=width, conf=conf, nms=nms),
                f"{where} (detections)",
            )
            entry[runtime]["detections"] = figures
            report.failures += failures + _angle_gate(figures, f"{where} (detections)")
        report.figures["sizes"][key] = entry
    if detector_image is not None:
        figures, failures = _detector_gate(ncnn_reference or reference, folder, detector_image)
        report.figures["detector"] = figures
        report.failures += failures + _angle_gate(figures, "mosface.Detector (sparse pose)")
    return report
