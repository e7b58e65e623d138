"""Raw outputs of one image from torch, onnxruntime and ncnn, as six float32 (N, K) arrays.

The ncnn runner uses the ``ncnn`` Python wheel directly (not mosface.Detector),
so raw logits are compared before any post-processing.
"""

from __future__ import annotations

import copy
from pathlib import Path

import ncnn
import numpy as np
import onnxruntime
import torch
from torch import nn

from ..training.data.images import MEAN_BGR
from .ncnn_files import INPUT_BLOB, OUTPUT_BLOBS

BGR_MEAN = np.array(MEAN_BGR, dtype=np.float32)  # the model's preprocessing (training side)


def network_input(image_bgr: np.ndarray, *, height: int, width: int) -> np.ndarray:
    """(3, height, width) float32: BGR minus mean, zero (mean colour) padding bottom/right.

    The padding is what mosface.Detector does for a fixed-size model.
    """
    x = np.zeros((3, height, width), dtype=np.float32)
    h, w = image_bgr.shape[:2]
    x[:, :h, :w] = (image_bgr.astype(np.float32) - BGR_MEAN).transpose(2, 0, 1)
    return x


def torch_outputs(model: nn.Module, x: np.ndarray) -> list[np.ndarray]:
    """Outputs in the model's own precision (float64 for a ``float64_copy``)."""
    dtype = next(model.parameters()).dtype
    with torch.no_grad():
        outputs = model.eval()(torch.from_numpy(x)[None].to(dtype))
    return [o[0].numpy() for o in outputs]


def float64_copy(model: nn.Module) -> nn.Module:
    """The same model computing in float64: the exact answer every float32 engine is held to."""
    return copy.deepcopy(model).double().eval()


def onnx_outputs(onnx_file: str | Path, x: np.ndarray) -> list[np.ndarray]:
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    return [o[0] for o in session.run(None, {session.get_inputs()[0].name: x[None]})]


def ncnn_net(param: str | Path, weights: str | Path, *, num_threads: int = 2) -> ncnn.Net:
    """fp32 storage and arithmetic, so a gate measures the conversion, not ncnn's fp16 paths."""
    net = ncnn.Net()
    net.opt.use_fp16_storage = False
    net.opt.use_fp16_arithmetic = False
    net.opt.use_fp16_packed = False
    net.opt.use_bf16_storage = False
    net.opt.num_threads = num_threads
    if net.load_param(str(param)) != 0 or net.load_model(str(weights)) != 0:
        raise RuntimeError(f"ncnn cannot load {param} / {weights}")
    return net


def ncnn_outputs(net: ncnn.Net, x: np.ndarray, *, feature_maps: int = 0) -> list[np.ndarray]:
    """The six outputs as (N, K) rows; the last ``feature_maps`` keep their (C, H, W) shape
    (the sparse-pose graph's per-level features)."""
    # ncnn.Mat does not copy: keep the contiguous array alive until extraction is done.
    data = np.ascontiguousarray(x)
    extractor = net.create_extractor()
    extractor.input(INPUT_BLOB, ncnn.Mat(data))
    outputs = []
    for index, blob in enumerate(OUTPUT_BLOBS):
        ret, mat = extractor.extract(blob)
        if ret != 0:
            raise RuntimeError(f"ncnn could not compute {blob}")
        array = np.array(mat)
        rows = index < len(OUTPUT_BLOBS) - feature_maps
        outputs.append((array.reshape(-1, mat.w) if rows else array).copy())
    del data
    return outputs
