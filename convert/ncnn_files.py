"""pnnx: ONNX or TorchScript -> ncnn ``model.param`` / ``model.bin``, and what the .param holds."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import ncnn

from .errors import ConversionError

PNNX_TIMEOUT_S = 600
PARAM_MAGIC = "7767517"
# pnnx names the graph's input and outputs in order (shared/notes/toolchain.md).
INPUT_BLOB = "in0"
OUTPUT_BLOBS = tuple(f"out{i}" for i in range(6))
# ncnn's per-layer feature mask: param key 31, bit 6 turns Winograd off for that
# layer (get_masked_option in ncnn's src/net.cpp; shared/notes/toolchain.md).
FEATURE_MASK_KEY = 31
NO_WINOGRAD = 1 << 6
DEFORMABLE = "DeformableConv2D"
OFFSET_INPUT = 1  # DeformableConv2D's bottoms: data, offset, mask


@dataclass(frozen=True)
class ParamSummary:
    layers: int
    blobs: int
    layer_types: dict[str, int]


def pnnx_executable() -> str:
    found = shutil.which("pnnx")
    if found is None:
        raise ConversionError("the pnnx executable is not on PATH; pip install pnnx")
    return found


def _shape_arg(height: int, width: int) -> str:
    return f"[1,3,{height},{width}]f32"


def to_ncnn(
    model_file: str | Path,
    work_dir: str | Path,
    *,
    shapes: list[tuple[int, int]],
    fp16: bool = False,
) -> tuple[Path, Path]:
    """Run pnnx on a .onnx or TorchScript .pt; two (height, width) shapes make the graph dynamic.

    Every pnnx by-product is written inside ``work_dir``; returns (param, bin) there.
    """
    if not 1 <= len(shapes) <= 2:
        raise ValueError(f"pnnx takes one or two input shapes, got {shapes}")
    work = Path(work_dir)
    outputs = {
        key: work / name
        for key, name in {
            "pnnxparam": "pnnx.param",
            "pnnxbin": "pnnx.bin",
            "pnnxpy": "pnnx_model.py",
            "pnnxonnx": "pnnx.onnx",
            "ncnnparam": "model.param",
            "ncnnbin": "model.bin",
            "ncnnpy": "ncnn_model.py",
        }.items()
    }
    command = [pnnx_executable(), str(Path(model_file).resolve()), f"fp16={int(fp16)}"]
    command.append(f"inputshape={_shape_arg(*shapes[0])}")
    if len(shapes) == 2:
        command.append(f"inputshape2={_shape_arg(*shapes[1])}")
    command += [f"{key}={path.resolve()}" for key, path in outputs.items()]
    try:
        result = subprocess.run(
            command, cwd=work, capture_output=True, text=True, timeout=PNNX_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise ConversionError(f"pnnx did not finish in {PNNX_TIMEOUT_S} s") from error
    param, weights = outputs["ncnnparam"], outputs["ncnnbin"]
    if result.returncode != 0 or not param.is_file() or not weights.is_file():
        tail = (result.stdout + result.stderr)[-2000:]
        raise ConversionError(f"pnnx failed (exit {result.returncode}) on {model_file}:\n{tail}")
    return param, weights


def inspect_param(param: str | Path) -> ParamSummary:
    """Count layers and refuse anything ncnn cannot run (``pnnx.Expression``, ``torch.*``...)."""
    lines = Path(param).read_text().splitlines()
    if not lines or lines[0].strip() != PARAM_MAGIC:
        raise ConversionError(f"{param}: not an ncnn .param file (magic {PARAM_MAGIC} missing)")
    layers, blobs = (int(v) for v in lines[1].split())
    types = Counter(line.split()[0] for line in lines[2:] if line.strip())
    unknown = sorted(t for t in types if ncnn.layer_to_index(t) < 0)
    if unknown:
        raise ConversionError(
            f"{param}: layers ncnn cannot run: {', '.join(f'{t} x{types[t]}' for t in unknown)}. "
            "pnnx left them unconverted; on the ONNX route try --dynamic (TorchScript), "
            "otherwise the model uses an op without an ncnn equivalent"
        )
    tops = {token for line in lines[2:] for token in _top_blobs(line)}
    missing = [b for b in (INPUT_BLOB, *OUTPUT_BLOBS) if b not in tops]
    if missing:
        raise ConversionError(f"{param}: expected blobs {missing} are missing")
    return ParamSummary(layers, blobs, dict(sorted(types.items())))


def _bottom_blobs(line: str) -> list[str]:
    parts = line.split()
    return parts[4 : 4 + int(parts[2])]


def _top_blobs(line: str) -> list[str]:
    parts = line.split()
    bottoms, tops = int(parts[2]), int(parts[3])
    return parts[4 + bottoms : 4 + bottoms + tops]


def _with_feature_mask(line: str, bits: int) -> str:
    parts = line.split()
    prefix = f"{FEATURE_MASK_KEY}="
    for i, token in enumerate(parts):
        if token.startswith(prefix):
            parts[i] = prefix + str(int(token[len(prefix) :]) | bits)
            return " ".join(parts)
    return " ".join([*parts, prefix + str(bits)])


def disable_winograd_on_offset_convs(param: str | Path) -> list[str]:
    """Set the no-Winograd bit on every Convolution whose output becomes DCN sampling positions.

    ncnn's Winograd path rounds differently from a direct convolution (about
    1e-5 relative); an offset moves where a deformable conv samples, so that
    error reaches the output amplified by the image gradient (one MOS layer:
    DCN output 1.1e-4 off with Winograd, 7.6e-6 without; torch float32 vs
    float64 4e-6). Walks back from each DeformableConv2D's offset input through
    whatever layers lie between (Split, Slice, Concat...) to the first
    Convolution on each path. Rewrites ``param`` in place; returns the names
    of the layers it marked.
    """
    path = Path(param)
    lines = path.read_text().splitlines()
    producer = {blob: i for i, line in enumerate(lines[2:], start=2) for blob in _top_blobs(line)}
    pending = [
        _bottom_blobs(line)[OFFSET_INPUT] for line in lines[2:] if line.split()[0] == DEFORMABLE
    ]
    marked: set[int] = set()
    seen: set[str] = set()
    while pending:
        blob = pending.pop()
        if blob in seen or blob not in producer:
            continue
        seen.add(blob)
        i = producer[blob]
        if lines[i].split()[0] == "Convolution":
            marked.add(i)
        else:
            pending += _bottom_blobs(lines[i])
    for i in marked:
        lines[i] = _with_feature_mask(lines[i], NO_WINOGRAD)
    path.write_text("\n".join(lines) + "\n")
    return sorted(lines[i].split()[1] for i in marked)
