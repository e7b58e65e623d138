"""The engines `mosface bench` compares, each timed by stage on the same image.

Every engine gets the same BGR image already at the network size, so no
engine pays for a resize the others skip. Stages: preprocess (mean
subtraction, layout), inference, postprocess (decode, threshold, NMS, pose).
The numpy post-processing of the non-mosface engines is the authors' algorithm
(`authors_numpy.reference_postprocess`), what a user would otherwise run.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from .authors_numpy import reference_postprocess

Stages = dict[str, float]


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1e3


class Engine:
    """One way to run a face detector; `run` returns per-stage milliseconds."""

    name: str
    gives: str  # what it outputs, for the report

    def run(self, image: np.ndarray) -> Stages:
        raise NotImplementedError


class MosfaceEngine(Engine):
    gives = "boxes, landmarks, pose"

    def __init__(self, model_dir: Path, threads: int, height: int, width: int, *, memory_pool: bool = True,
                 name: str = "mosface") -> None:
        import mosface

        self.name = name if memory_pool else f"{name} (memory_pool=False)"
        self.detector = mosface.Detector(model_dir, num_threads=threads, input_height=height, input_width=width,
                                         memory_pool=memory_pool)

    def run(self, image: np.ndarray) -> Stages:
        _, stages = self.detector.detect_timed(image)
        return {key.removesuffix("_ms"): value for key, value in stages.items()}


class NumpyPostprocessEngine(Engine):
    """Engines whose raw outputs go through the authors' numpy post-processing."""

    gives = "boxes, landmarks, pose"

    def infer(self, image: np.ndarray) -> tuple[Callable[[], list[np.ndarray]], float]:
        """Return a thunk running inference on the preprocessed image, and the preprocess time."""
        raise NotImplementedError

    def run(self, image: np.ndarray) -> Stages:
        infer, preprocess_ms = self.infer(image)
        start = time.perf_counter()
        outputs = infer()
        inference_ms = _ms_since(start)
        start = time.perf_counter()
        reference_postprocess(*outputs, height=image.shape[0], width=image.shape[1])
        return {"preprocess": preprocess_ms, "inference": inference_ms, "postprocess": _ms_since(start)}


class NcnnWheelEngine(NumpyPostprocessEngine):
    """The ncnn Python wheel on the same .param/.bin, as a user would call it."""

    def __init__(self, model_dir: Path, threads: int, io: dict) -> None:
        import ncnn

        self.name = "ncnn-wheel+numpy"
        self.ncnn = ncnn
        self.net = ncnn.Net()
        self.net.opt.num_threads = threads
        self.net.opt.use_vulkan_compute = False
        if self.net.load_param(str(model_dir / "model.param")) or self.net.load_model(str(model_dir / "model.bin")):
            raise RuntimeError(f"the ncnn wheel could not load {model_dir}")
        self.input_blob = io["input"]
        self.output_blobs = io["outputs"]
        self.mean = [float(v) for v in io["mean"]]

    def infer(self, image: np.ndarray) -> tuple[Callable[[], list[np.ndarray]], float]:
        start = time.perf_counter()
        height, width = image.shape[:2]
        mat = self.ncnn.Mat.from_pixels(image, self.ncnn.Mat.PixelType.PIXEL_BGR, width, height)
        mat.substract_mean_normalize(self.mean, [])
        preprocess_ms = _ms_since(start)

        def infer() -> list[np.ndarray]:
            extractor = self.net.create_extractor()
            extractor.input(self.input_blob, mat)
            outputs = []
            for name in self.output_blobs:
                status, out = extractor.extract(name)
                if status != 0:
                    raise RuntimeError(f"ncnn wheel: extracting {name} failed ({status})")
                array = np.array(out)
                outputs.append(array.reshape(-1, array.shape[-1]))
            return outputs

        return infer, preprocess_ms


class OnnxRuntimeEngine(NumpyPostprocessEngine):
    def __init__(self, onnx_path: Path, threads: int, mean: list[float]) -> None:
        import onnxruntime

        self.mean = np.asarray(mean, dtype=np.float32)
        self.name = "onnxruntime+numpy"
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def infer(self, image: np.ndarray) -> tuple[Callable[[], list[np.ndarray]], float]:
        start = time.perf_counter()
        tensor = np.ascontiguousarray((image.astype(np.float32) - self.mean).transpose(2, 0, 1)[None])
        preprocess_ms = _ms_since(start)

        def infer() -> list[np.ndarray]:
            return [out[0] for out in self.session.run(None, {self.input_name: tensor})]

        return infer, preprocess_ms


class TorchEngine(NumpyPostprocessEngine):
    def __init__(self, checkpoint: Path, threads: int, mean: list[float]) -> None:
        import torch

        from ..training.checkpoint import load_model

        self.name = "torch-eager+numpy"
        self.torch = torch
        torch.set_num_threads(threads)
        self.model = load_model(checkpoint).eval()
        self.mean = np.asarray(mean, dtype=np.float32)

    def infer(self, image: np.ndarray) -> tuple[Callable[[], list[np.ndarray]], float]:
        start = time.perf_counter()
        tensor = self.torch.from_numpy((image.astype(np.float32) - self.mean).transpose(2, 0, 1).copy())[None]
        preprocess_ms = _ms_since(start)

        def infer() -> list[np.ndarray]:
            with self.torch.inference_mode():
                return [out[0].numpy() for out in self.model(tensor)]

        return infer, preprocess_ms


class YuFaceEngine(Engine):
    """libfacedetection (YuNet) through the `yuface` wheel: boxes and landmarks, no pose."""

    gives = "boxes, landmarks (no pose)"

    def __init__(self) -> None:
        import yuface

        self.name = "yuface (libfacedetection)"
        self.detect = yuface.detect

    def run(self, image: np.ndarray) -> Stages:
        start = time.perf_counter()
        self.detect(image, conf=0.5)
        return {"total": _ms_since(start)}


class DlibHogEngine(Engine):
    """dlib's HOG + linear SVM frontal face detector: boxes only."""

    gives = "boxes (no landmarks, no pose)"

    def __init__(self) -> None:
        import dlib

        self.name = "dlib HOG"
        self.detector = dlib.get_frontal_face_detector()

    def run(self, image: np.ndarray) -> Stages:
        start = time.perf_counter()
        self.detector(np.ascontiguousarray(image[:, :, ::-1]), 0)  # RGB, no upsampling
        return {"total": _ms_since(start)}
