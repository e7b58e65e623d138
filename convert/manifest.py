"""manifest.json: the runtime's contract (cpp/include/mosface/manifest.hpp) plus provenance.

Keys the runtime reads: format, architecture, input, anchors, outputs, files,
pose_heads ("dense", or "sparse" with sparse_pose: convert/sparse_pose.py).
Everything else (source, tools, conversion, parity, layers, sha256) is
provenance that the runtime ignores. Keys are sorted and nothing time-dependent
is written, so converting the same input twice gives the same bytes.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

from ..files import sha256_of
from ..training.priors import manifest_anchors
from .errors import ConversionError
from .export import OUTPUT_NAMES
from .ncnn_files import INPUT_BLOB, OUTPUT_BLOBS
from .runners import BGR_MEAN

FORMAT = "mosface.manifest/1"
MANIFEST = "manifest.json"
PARAM, BIN, ONNX = "model.param", "model.bin", "model.onnx"
TOOLS = ("torch", "onnx", "onnxsim", "onnxruntime", "pnnx", "ncnn")


def tool_versions() -> dict[str, str]:
    versions = {}
    for name in TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_manifest(
    folder: str | Path,
    *,
    architecture: str,
    size_policy: str,
    height: int,
    width: int,
    extra: dict[str, Any],
    pose: dict[str, Any] | None = None,
) -> Path:
    """Write ``folder/manifest.json``; sha256 of every model file present is added.

    ``pose``: the sparse pose heads' description (convert/sparse_pose.py); None for
    a dense graph, whose outputs include the pose logits.
    """
    folder = Path(folder)
    if size_policy not in ("fixed", "dynamic"):
        raise ValueError(f"size_policy must be 'fixed' or 'dynamic', got {size_policy!r}")
    files = {"param": PARAM, "bin": BIN}
    outputs = dict(zip(OUTPUT_NAMES, OUTPUT_BLOBS))  # the runtime's role names, in order
    pose_section: dict[str, Any] = {"pose_heads": "dense"}
    if pose is not None:
        files["pose_heads"] = pose["file"]
        outputs = {name: outputs[name] for name in OUTPUT_NAMES[:3]}
        pose_section = {"pose_heads": "sparse", "sparse_pose": pose}
    digests = {
        name: sha256_of(folder / name)
        for name in (PARAM, BIN, ONNX, *files.values())
        if (folder / name).is_file()
    }
    if ONNX in digests:
        files["onnx"] = ONNX
    manifest = {
        **extra,
        "format": FORMAT,
        "architecture": architecture,
        "input": {
            "blob": INPUT_BLOB,
            "mean": [float(v) for v in BGR_MEAN],
            "norm": [1.0, 1.0, 1.0],
            "size_policy": size_policy,
            "height": height,
            "width": width,
        },
        "anchors": manifest_anchors(),
        **pose_section,
        "outputs": outputs,  # the runtime's role names, in order
        "files": files,
        "sha256": digests,
    }
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """Load a manifest written by ``write_manifest`` and check the model files' sha256."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise ConversionError(f"{path}: missing; is {folder} a `mosface convert` output folder?")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ConversionError(f"{path}: not valid JSON ({error})") from error
    if manifest.get("format") != FORMAT:
        raise ConversionError(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    for name, digest in manifest.get("sha256", {}).items():
        if not (folder / name).is_file() or sha256_of(folder / name) != digest:
            raise ConversionError(
                f"{folder / name}: missing or changed since conversion (sha256 differs); "
                "convert again"
            )
    return manifest
