"""Parity gates of a sparse-pose conversion (convert/sparse_pose.py).

1. Every gate of verify.py, on dense outputs rebuilt from the graph's: loc,
   cls and landmarks as they are, and yaw / pitch / roll logits at every
   anchor computed from the graph's feature maps by the runtime's own sparse
   heads (``mosface._core.SparsePoseHeads``, the code the Detector runs), so
   border cells and every level are checked. The Detector gate runs the
   sparse heads end to end.
2. The sparse heads alone: fed torch's float64 feature maps, their logits at
   every anchor must match torch's float64 dense logits within ``RAW_MAX_ABS``
   and give angles within ``MAX_SPARSE_ANGLE_DIFF_DEG``: what the sparse heads
   compute is what the dense graph computes, apart from float32 rounding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import mosface
from mosface import _core

from ..training.priors import manifest_anchors
from .runners import float64_copy, network_input, torch_outputs
from .verify import RAW_MAX_ABS, ParityReport, _figure, seeded_image, size_key, verify

MAX_SPARSE_ANGLE_DIFF_DEG = 0.01
POSE_BIN_WIDTH, POSE_OFFSET = 3.0, -99.0  # Hopenet bins, as cpp/include/mosface/pose.hpp


def torch_outputs_and_features(model: nn.Module, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The six dense outputs (rows) and the per-level head inputs (C, H, W), in the model's precision."""
    features: list[np.ndarray] = []
    hooks = [
        ssh.register_forward_hook(lambda _m, _i, out: features.append(out[0].detach().numpy().copy()))
        for ssh in model.ssh
    ]
    try:
        with torch.no_grad():
            dense = torch_outputs(model, x)
    finally:
        for hook in hooks:
            hook.remove()
    return dense, features


def sparse_pose_logits(folder: Path, features: list[np.ndarray], height: int, width: int) -> list[np.ndarray]:
    """yaw, pitch, roll logits (N, 66) at every anchor, from the runtime's sparse heads."""
    priors = mosface.priors(height, width, anchors=manifest_anchors())  # as verify.detections
    anchors = np.arange(len(priors), dtype=np.int64)
    maps = [np.ascontiguousarray(f, dtype=np.float32) for f in features]
    logits = _core.SparsePoseHeads(str(folder)).logits(maps, height, width, anchors)
    return [np.ascontiguousarray(logits[:, angle]) for angle in range(3)]


def expected_angles(logits: np.ndarray) -> np.ndarray:
    """Softmax expectation over the bins, in float64 (degrees)."""
    z = logits.astype(np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return POSE_BIN_WIDTH * (p @ np.arange(z.shape[1])) + POSE_OFFSET


def _sparse_heads_gate(
    reference: nn.Module, folder: Path, sizes: list[tuple[int, int]]
) -> tuple[dict[str, Any], list[str]]:
    exact_model = float64_copy(reference)
    figures, failures = {}, []
    for seed, (height, width) in enumerate(sizes):
        x = network_input(seeded_image(height, width, seed), height=height, width=width)
        dense, features = torch_outputs_and_features(exact_model, x)
        sparse = sparse_pose_logits(folder, features, height, width)
        logit_diff = max(float(np.abs(s - d).max()) for s, d in zip(sparse, dense[3:]))
        angle_diff = max(
            float(np.abs(expected_angles(s) - expected_angles(d)).max()) for s, d in zip(sparse, dense[3:])
        )
        key = size_key(height, width)
        figures[key] = {"max_logit_diff": _figure(logit_diff), "max_angle_diff_deg": _figure(angle_diff)}
        if not logit_diff <= RAW_MAX_ABS:
            failures.append(f"sparse pose heads at {key}: logits differ from float64 torch by {logit_diff:.3e}")
        if not angle_diff <= MAX_SPARSE_ANGLE_DIFF_DEG:
            failures.append(f"sparse pose heads at {key}: angles differ by {angle_diff:.4f} deg")
    return figures, failures


def verify_sparse(
    reference: nn.Module,
    folder: str | Path,
    *,
    sizes: list[tuple[int, int]],
    onnx_file: str | Path | None = None,
    ncnn_reference: nn.Module | None = None,
    detector_image: tuple[int, int] | None = None,
) -> ParityReport:
    """``verify.verify`` for a sparse-pose folder (same arguments), plus the sparse heads' own gate."""
    folder = Path(folder)

    def dense_outputs(outputs: list[np.ndarray], height: int, width: int) -> list[np.ndarray]:
        return outputs[:3] + sparse_pose_logits(folder, outputs[3:], height, width)

    report = verify(
        reference,
        folder,
        sizes=sizes,
        onnx_file=onnx_file,
        ncnn_reference=ncnn_reference,
        detector_image=detector_image,
        sparse_pose=dense_outputs,
    )
    # The pose layers are stored fp32 even with --fp16, so the fp32 reference applies.
    figures, failures = _sparse_heads_gate(reference, folder, sizes)
    report.figures["sparse_pose_heads"] = {"tolerance_deg": MAX_SPARSE_ANGLE_DIFF_DEG, **figures}
    report.failures += failures
    return report
