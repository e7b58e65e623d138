"""A tiny ncnn model with MOS's six outputs, written by the tests, plus its numpy forward pass.

Per level (stride 8, 16, 32): average pooling with kernel = stride and
ceil-mode output (ncnn's "full padding", border windows averaged over their
pixels inside the image), so the feature map is ceil(input / stride) as in MOS
(max pooling would saturate at 255 on random images and tie the scores); then one 1x1 convolution per head (2 anchors x {4, 2, 10, 66, 66, 66}
channels), NHWC flatten, and the levels concatenated. Weights are seeded. The
numpy forward pass is the independent reference for the ncnn graph.

``cls_linear=(weight (2, 2), bias (2,))`` adds an InnerProduct on the class
rows: the one kind of layer whose weights ncnn's x86 build stores in fp16 when
asked (``Detector(fp16=True)``), so that option shows on x86 too.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

STEPS = (8, 16, 32)
ANCHORS_PER_CELL = 2
HEAD_WIDTHS = {"loc": 4, "cls": 2, "landmarks": 10, "yaw": 66, "pitch": 66, "roll": 66}
MEAN_BGR = (104.0, 117.0, 123.0)


def make_weights(seed: int) -> dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]:
    """(level, head) -> (weight (out, 3), bias (out,)) float32."""
    rng = np.random.default_rng(seed)
    weights = {}
    for level in range(len(STEPS)):
        for head, width in HEAD_WIDTHS.items():
            out = ANCHORS_PER_CELL * width
            scale = {"loc": 0.004, "cls": 0.02, "landmarks": 0.004}.get(head, 0.01)
            weight = rng.normal(0.0, scale, size=(out, 3)).astype(np.float32)
            bias = rng.normal(0.0, 0.5, size=out).astype(np.float32)
            if head == "cls":
                bias[1::2] -= 1.0  # face logit below background on average: a few faces, not all
            weights[level, head] = (weight, bias)
    return weights


def write_model(
    folder: Path,
    *,
    seed: int = 0,
    size_policy: str = "dynamic",
    height: int = 64,
    width: int = 64,
    cls_linear: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]:
    """Write model.param, model.bin and manifest.json into folder; return the weights."""
    weights = make_weights(seed)
    layers: list[str] = [f"Input in0 0 1 in0 0={width} 1={height} 2=3"]
    level_inputs = [f"in_l{level}" for level in range(len(STEPS))]
    layers.append(f"Split split_in 1 3 in0 {' '.join(level_inputs)}")
    level_outputs: dict[str, list[str]] = {head: [] for head in HEAD_WIDTHS}
    blob = bytearray()
    for level, step in enumerate(STEPS):
        pooled = f"pool_l{level}"
        layers.append(f"Pooling {pooled} 1 1 {level_inputs[level]} {pooled} 0=1 1={step} 2={step} 5=0")
        branches = [f"{pooled}_{head}" for head in HEAD_WIDTHS]
        layers.append(f"Split split_l{level} 1 6 {pooled} {' '.join(branches)}")
        for head, branch in zip(HEAD_WIDTHS, branches):
            weight, bias = weights[level, head]
            out = weight.shape[0]
            conv, nhwc, rows = f"conv_{head}_l{level}", f"nhwc_{head}_l{level}", f"rows_{head}_l{level}"
            layers.append(f"Convolution {conv} 1 1 {branch} {conv} 0={out} 1=1 5=1 6={weight.size}")
            # order_type 3: ncnn (w, h, c) -> (c, w, h), i.e. channels innermost (NHWC).
            layers.append(f"Permute {nhwc} 1 1 {conv} {nhwc} 0=3")
            layers.append(f"Reshape {rows} 1 1 {nhwc} {rows} 0={HEAD_WIDTHS[head]} 1=-1")
            level_outputs[head].append(rows)
            blob += struct.pack("<I", 0)  # ncnn weight tag: raw float32
            blob += weight.astype("<f4").tobytes() + bias.astype("<f4").tobytes()
    output_names = {}
    for index, head in enumerate(HEAD_WIDTHS):
        name = f"out{index}"
        output_names[head] = name
        concat = f"{name}_rows" if head == "cls" and cls_linear is not None else name
        layers.append(f"Concat concat_{head} 3 1 {' '.join(level_outputs[head])} {concat} 0=0")
    if cls_linear is not None:
        weight, bias = cls_linear
        # 2-D input (w = 2 logits, h = rows): ncnn applies it to every row.
        layers.append(f"InnerProduct linear_cls 1 1 {output_names['cls']}_rows {output_names['cls']} 0=2 1=1 2=4")
        blob += struct.pack("<I", 0) + weight.astype("<f4").tobytes() + bias.astype("<f4").tobytes()
    blob_count = len({token for line in layers for token in _blob_tokens(line)})
    param = "7767517\n" + f"{len(layers)} {blob_count}\n" + "\n".join(layers) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.param").write_text(param)
    (folder / "model.bin").write_bytes(bytes(blob))
    manifest = {
        "format": "mosface.manifest/1",
        "architecture": "tiny-test",
        "input": {"blob": "in0", "mean": list(MEAN_BGR), "norm": [1.0, 1.0, 1.0],
                  "size_policy": size_policy, "height": height, "width": width},
        "anchors": {"steps": list(STEPS), "min_sizes": [[16, 32], [64, 128], [256, 512]],
                    "variances": [0.1, 0.2]},
        "outputs": output_names,
        "files": {"param": "model.param", "bin": "model.bin"},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return weights


def _blob_tokens(line: str) -> list[str]:
    parts = line.split()
    n_in, n_out = int(parts[2]), int(parts[3])
    return parts[4 : 4 + n_in + n_out]


def forward(
    image_bgr: np.ndarray,
    weights: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]],
    cls_linear: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[np.ndarray]:
    """numpy forward pass of the tiny model on an image already at network size.

    Returns the six (N, K) outputs in the order loc, cls, landmarks, yaw, pitch, roll.
    """
    x = image_bgr.astype(np.float32) - np.asarray(MEAN_BGR, dtype=np.float32)
    height, width = x.shape[:2]
    outputs: dict[str, list[np.ndarray]] = {head: [] for head in HEAD_WIDTHS}
    for level, step in enumerate(STEPS):
        rows, cols = -(-height // step), -(-width // step)
        padded = np.zeros((rows * step, cols * step, 3), dtype=np.float32)
        padded[:height, :width] = x
        inside = np.zeros((rows * step, cols * step, 1), dtype=np.float32)
        inside[:height, :width] = 1.0
        sums = padded.reshape(rows, step, cols, step, 3).sum(axis=(1, 3))
        counts = inside.reshape(rows, step, cols, step, 1).sum(axis=(1, 3))
        pooled = sums / counts  # (rows, cols, 3)
        for head, head_width in HEAD_WIDTHS.items():
            weight, bias = weights[level, head]
            conv = pooled @ weight.T + bias  # (rows, cols, A*K): NHWC already
            outputs[head].append(conv.reshape(-1, head_width))
    result = [np.concatenate(outputs[head]).astype(np.float32) for head in HEAD_WIDTHS]
    if cls_linear is not None:
        weight, bias = cls_linear
        result[1] = (result[1] @ weight.T + bias).astype(np.float32)
    return result
