"""The whole conversion, staged into a temporary folder that is renamed into place at the end.

Routes (shared/notes/toolchain.md):
- fixed size, plain convs: torch.onnx.export -> onnxsim -> pnnx (one shape);
  model.onnx (simplified) is kept for onnxruntime users.
- fixed size, DCN: TorchScript trace -> pnnx (one shape): only that route
  carries ``DeformableConv2D``; no ONNX file is written.
- dynamic: TorchScript trace -> pnnx with two shapes (one graph, any size).
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from ..files import current_umask
from .errors import ConversionError, ParityError
from .export import OPSET, OUTPUT_NAMES, export_onnx, simplify, trace_torchscript
from .fold import fold_linear_heads, fp16_weight_reference
from .manifest import BIN, ONNX, PARAM, read_manifest, tool_versions, write_manifest
from .ncnn_files import OUTPUT_BLOBS, disable_winograd_on_offset_convs, inspect_param, to_ncnn
from .shuffle import use_fusable_shuffle
from .source import Source, load_source
from .sparse_pose import FEATURE_NAMES, MODES, SparsePoseModel, write_pose_heads
from .verify import ParityReport, size_key, verify
from .verify_sparse import verify_sparse

# The sizes the issue asks a dynamic model to be checked at, as (height, width).
DYNAMIC_GATE_SIZES = ((320, 320), (480, 640), (736, 1280))
STRIDE = 32  # the coarsest level's stride


def _second_shape(height: int, width: int) -> tuple[int, int]:
    """pnnx's second input shape: both dims must differ from the first (a dim that does not
    is baked in as a constant), and by different amounts so height and width are not confused."""
    return (
        height - STRIDE if height > 2 * STRIDE else height + STRIDE,
        width - 2 * STRIDE if width > 3 * STRIDE else width + 2 * STRIDE,
    )


def _gate_plan(
    height: int, width: int, dynamic: bool, gate_sizes: list[tuple[int, int]] | None
) -> dict[str, Any]:
    if dynamic:
        sizes = gate_sizes or list(DYNAMIC_GATE_SIZES)
        return {"sizes": [list(s) for s in sizes], "detector_image": [height, width]}
    # A fixed graph runs at its one size; the Detector run adds a letterboxed image
    # (half height, padded bottom) so the padding path is checked as well.
    return {"sizes": [[height, width]], "detector_image": [max(1, height // 2), width]}


def _deploy_model(source: Source, fold: bool):
    if fold:
        return fold_linear_heads(source.model)
    if source.provenance["dcn"]:
        raise ConversionError(
            "--no-fold works for plain-conv models only; DCN needs the folded form"
        )
    return copy.deepcopy(source.model).eval()


def _build(
    source: Source,
    staging: Path,
    work: Path,
    *,
    height: int,
    width: int,
    dynamic: bool,
    fp16: bool,
    fold: bool,
    pose_heads: str,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Write model.param/.bin (and model.onnx, pose_heads.bin) into staging.

    Returns the conversion record and, for sparse pose heads, their manifest description.
    """
    dcn = bool(source.provenance["dcn"])
    torchscript = dynamic or dcn
    if pose_heads not in MODES:
        raise ConversionError(f"--pose-heads must be one of {MODES}, got {pose_heads!r}")
    deploy = use_fusable_shuffle(_deploy_model(source, fold), torchscript=torchscript)
    if pose_heads == "sparse" and not fold:
        raise ConversionError(
            "sparse pose heads need the folded model; drop --no-fold or use --pose-heads dense"
        )
    sparse = SparsePoseModel(deploy) if pose_heads == "sparse" else None
    graph = sparse or deploy
    if torchscript:
        shapes = [(height, width), _second_shape(height, width)] if dynamic else [(height, width)]
        route = "torchscript -> pnnx"
        model_file = trace_torchscript(graph, work / "model.pt", height=height, width=width)
    else:
        shapes = [(height, width)]
        route = f"onnx (opset {OPSET}) -> onnxsim -> pnnx"
        names = {} if sparse is None else {"output_names": (*OUTPUT_NAMES[:3], *FEATURE_NAMES)}
        raw = export_onnx(graph, work / "raw.onnx", height=height, width=width, **names)
        # pnnx leaves by-products beside its input: simplify into work, copy the deliverable.
        model_file = simplify(raw, work / ONNX)
        shutil.copyfile(model_file, staging / ONNX)
    param, weights = to_ncnn(model_file, work, shapes=shapes, fp16=fp16)
    shutil.move(param, staging / PARAM)
    shutil.move(weights, staging / BIN)
    no_winograd = disable_winograd_on_offset_convs(staging / PARAM)
    summary = inspect_param(staging / PARAM)
    pose = None
    if sparse is not None:
        pose = write_pose_heads(deploy, staging, list(OUTPUT_BLOBS[3:]))
    return {
        "pose_heads": pose_heads,
        "route": route,
        "pnnx_shapes": [size_key(h, w) for h, w in shapes],
        "fold_linear_heads": fold,
        "fp16_weights": fp16,
        "ncnn_layers": summary.layers,
        "ncnn_blobs": summary.blobs,
        "ncnn_layer_types": summary.layer_types,
        # Feature mask 31=64 (no Winograd): Winograd's rounding on a DCN offset
        # conv moves the sampling positions (see disable_winograd_on_offset_convs).
        "winograd_off_layers": no_winograd,
    }, pose


def _install(staging: Path, out: Path, overwrite: bool) -> None:
    """Rename staging to out; an old out (with overwrite) is swapped out first, then deleted."""
    os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp made it private; the result is an ordinary folder
    if not out.exists():
        os.replace(staging, out)
        return
    if not overwrite:
        raise ConversionError(f"{out} exists; pass --overwrite or choose another --out")
    retired = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
    os.replace(out, retired / "old")
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(retired / "old", out)  # put the previous conversion back
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)


def convert(
    source: Source,
    out: str | Path,
    *,
    height: int = 640,
    width: int = 640,
    dynamic: bool = False,
    fp16: bool = False,
    fold: bool = True,
    pose_heads: str = "sparse",
    overwrite: bool = False,
    gate_sizes: list[tuple[int, int]] | None = None,
    log: Callable[[str], None] = lambda _message: None,
) -> dict[str, Any]:
    """Convert, run the gates, write the manifest; returns it. Nothing appears at ``out`` on failure."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise ConversionError(f"{out} exists; pass --overwrite or choose another --out")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
    except OSError as error:
        raise ConversionError(
            f"cannot write into {out.parent}: {error}; pick a writable --out"
        ) from error
    try:
        with tempfile.TemporaryDirectory(prefix="mosface-convert-") as work:
            log(f"converting {source.provenance['arch']} ({source.provenance['kind']})")
            conversion, pose = _build(
                source,
                staging,
                Path(work),
                height=height,
                width=width,
                dynamic=dynamic,
                fp16=fp16,
                fold=fold,
                pose_heads=pose_heads,
            )
        plan = _gate_plan(height, width, dynamic, gate_sizes)
        header = {
            "architecture": source.provenance["arch"],
            "size_policy": "dynamic" if dynamic else "fixed",
            "height": height,
            "width": width,
        }
        # The Detector gate reads the manifest, so a first one is written before the gates.
        write_manifest(staging, **header, pose=pose, extra={})
        log(f"parity gates at {', '.join(size_key(*s) for s in plan['sizes'])} (+ Detector)")
        report = _run_gates(source, staging, plan, fp16=fp16)
        if not report.passed:
            raise ParityError(report.text())
        extra = {
            "source": source.provenance,
            "tools": tool_versions(),
            "conversion": conversion,
            "parity": {**report.figures, "plan": plan},
        }
        write_manifest(staging, **header, pose=pose, extra=extra)
        _install(staging, out, overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return read_manifest(out)


def _run_gates(source: Source, folder: Path, plan: dict[str, Any], *, fp16: bool) -> ParityReport:
    onnx_file = folder / ONNX
    sparse = read_manifest(folder).get("pose_heads") == "sparse"
    fp16_reference = fp16_weight_reference(source.model, graph_only=sparse) if fp16 else None
    return (verify_sparse if sparse else verify)(
        source.model,
        folder,
        sizes=[tuple(s) for s in plan["sizes"]],
        onnx_file=onnx_file if onnx_file.is_file() else None,
        ncnn_reference=fp16_reference,
        detector_image=tuple(plan["detector_image"]),
    )


def source_from_manifest(manifest: dict[str, Any]) -> Source:
    """Rebuild the torch reference a conversion was made from (``--check``)."""
    recorded = manifest.get("source", {})
    kind = recorded.get("kind")
    if kind == "checkpoint":
        source = load_source(recorded["path"])
    elif kind == "official":
        source = load_source(official=recorded["path"], arch=recorded["arch"])
    elif kind is not None:
        source = load_source(
            arch=recorded["arch"], dcn=recorded["dcn"], head=recorded["head"], seed=recorded["seed"]
        )
    else:
        raise ConversionError(
            "the manifest records no source; it was not written by `mosface convert`"
        )
    if source.provenance.get("sha256") != recorded.get("sha256"):
        raise ConversionError(
            f"{recorded['path']} changed since the conversion (sha256 differs); convert again"
        )
    return source


def check(folder: str | Path) -> ParityReport:
    """Re-run the recorded gates on an existing conversion against its rebuilt source."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    source = source_from_manifest(manifest)
    fp16 = bool(manifest.get("conversion", {}).get("fp16_weights", False))
    return _run_gates(source, folder, manifest["parity"]["plan"], fp16=fp16)
