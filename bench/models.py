"""Benchmark models: seeded MOS checkpoints and their conversions, built once and cached.

Latency does not depend on the weights, but post-processing does depend on
how many anchors pass the threshold. An untrained model scores every anchor
near 0.5, which would make NMS sort thousands of boxes no trained model ever
gives it. So the seeded model's face-class bias is shifted until
`CANDIDATES_PER_FRAME` anchors pass 0.5 on the benchmark image, like a frame
with a few faces. Every report labels these models as untrained.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__

CANDIDATES_PER_FRAME = 30
SEED = 0


@dataclass(frozen=True)
class BenchModel:
    arch: str
    checkpoint: Path  # our checkpoint format (mosface.training.checkpoint)
    ncnn_dir: Path  # `mosface convert --dynamic` output (sparse pose heads, the default)
    dense_dir: Path  # the same with --pose-heads dense (pose logits at every anchor)
    onnx_path: Path  # ONNX with dynamic height/width, for onnxruntime
    trained: bool

    def io(self) -> dict:
        """The dense graph's blobs: engines other than mosface read all six outputs."""
        return read_io(self.dense_dir)


def read_io(ncnn_dir: Path) -> dict:
    """From manifest.json: input blob, BGR mean, and the six output blobs (loc ... roll) in order."""
    manifest = json.loads((ncnn_dir / "manifest.json").read_text())
    names = manifest["outputs"]
    return {"input": manifest["input"]["blob"], "mean": manifest["input"]["mean"],
            "outputs": [names[k] for k in ("loc", "cls", "landmarks", "yaw", "pitch", "roll")]}


def benchmark_image(height: int, width: int, seed: int = 1) -> np.ndarray:
    """A deterministic, smooth BGR test image (low-frequency noise, not white noise)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(height // 16 + 2, width // 16 + 2, 3)).astype(np.float32)
    image = np.repeat(np.repeat(coarse, 16, axis=0), 16, axis=1)[:height, :width]
    image += rng.normal(0, 8, size=image.shape)
    return np.ascontiguousarray(np.clip(image, 0, 255).astype(np.uint8))


def _seeded_model(arch: str):
    """The converter's seeded model (O(1) activations, calibrated BN), with the class bias shifted."""
    import torch

    from ..convert.source import seeded_model
    from ..training.data.images import to_input

    model = seeded_model(arch, dcn=False, head="stitch", seed=SEED).eval()
    tensor = torch.from_numpy(to_input(benchmark_image(480, 640)))[None]
    with torch.inference_mode():
        cls = model(tensor)[1][0].numpy()
    margins = np.sort(cls[:, 1] - cls[:, 0])
    shift = float(margins[-CANDIDATES_PER_FRAME - 1])  # that many margins stay above 0
    with torch.no_grad():
        for head in model.heads:
            head.cls_head.bias[1::2] -= shift
    return model


def _export_dynamic_onnx(checkpoint: Path, path: Path) -> None:
    from ..convert.export import export_onnx
    from ..training.checkpoint import load_model

    export_onnx(load_model(checkpoint), path, height=480, width=640, dynamic_size=True)


def _code_fingerprint() -> str:
    """Hash of the model, converter and this module's sources: a change never reuses an old cache."""
    import hashlib

    from .. import convert
    from ..training import models

    # The packages' own folders: an editable install keeps convert/ and training/ outside python/mosface.
    digest = hashlib.sha256()
    sources = [*Path(convert.__file__).parent.glob("*.py"), *Path(models.__file__).parent.glob("*.py"), Path(__file__)]
    for source in sorted(sources):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:10]


def prepare(arch: str, cache_root: Path, checkpoint: Path | None = None) -> BenchModel:
    """Checkpoint, dynamic ncnn conversion and dynamic ONNX for `arch`, from cache when present."""
    from ..convert.cli import main as convert_main
    from ..files import sha256_of
    from ..training.checkpoint import model_payload, save_checkpoint

    # A given checkpoint is identified by its content: another file never reuses this cache.
    tag = f"checkpoint-{sha256_of(checkpoint)[:10]}" if checkpoint else f"seed{SEED}"
    folder = cache_root / f"{arch}-{tag}-v{__version__}-{_code_fingerprint()}"
    model = BenchModel(arch, folder / "checkpoint.pt", folder / "ncnn", folder / "ncnn-dense", folder / "model.onnx",
                       checkpoint is not None)
    manifests = [model.ncnn_dir / "manifest.json", model.dense_dir / "manifest.json"]
    if model.checkpoint.exists() and all(m.exists() for m in manifests) and model.onnx_path.exists():
        return model
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted earlier preparation
    folder.mkdir(parents=True)
    if checkpoint is not None:
        shutil.copy(checkpoint, model.checkpoint)
    else:
        save_checkpoint(model.checkpoint, model_payload(_seeded_model(arch), source="seeded untrained (benchmark)"))
    # --arch: a checkpoint of another architecture is refused, not benchmarked under a wrong name.
    for pose_heads, out in (("sparse", model.ncnn_dir), ("dense", model.dense_dir)):
        status = convert_main(["convert", str(model.checkpoint), "--arch", arch, "--out", str(out), "--dynamic",
                               "--pose-heads", pose_heads])
        if status != 0:
            raise RuntimeError(f"converting {arch} ({pose_heads} pose heads) for the benchmark failed (exit {status})")
    _export_dynamic_onnx(model.checkpoint, model.onnx_path)
    return model
