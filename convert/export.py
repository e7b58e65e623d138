"""torch -> ONNX (legacy exporter) -> simplified ONNX, and torch -> TorchScript trace.

Input and output names are fixed here (``in0``; ``loc cls landmarks yaw pitch
roll``) so onnxruntime users get readable names; pnnx renames them to
``in0`` / ``out0..out5`` in the ncnn files, in the same order.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import onnx
import onnxsim
import torch
from torch import nn

from .errors import ConversionError

INPUT_NAME = "in0"
OUTPUT_NAMES = ("loc", "cls", "landmarks", "yaw", "pitch", "roll")
# onnxsim 0.8.1 fails on opset 11 and the legacy exporter stops at 17
# (shared/notes/toolchain.md); 13 is the lowest that both handle.
OPSET = 13


def example_input(height: int, width: int) -> torch.Tensor:
    """A seeded input in the model's range (BGR minus mean); values do not change the graph."""
    generator = torch.Generator().manual_seed(0)
    return torch.rand((1, 3, height, width), generator=generator) * 255 - 117


def export_onnx(
    model: nn.Module,
    path: str | Path,
    *,
    height: int,
    width: int,
    dynamic_size: bool = False,
    output_names: tuple[str, ...] = OUTPUT_NAMES,
) -> Path:
    """Legacy (TorchScript-based) exporter: the dynamo one needs onnxscript.

    ``dynamic_size``: height, width and the anchor count stay symbolic. Fine for
    onnxruntime; pnnx bakes shapes from ONNX anyway (the ncnn route uses a trace).
    ``output_names``: another model's outputs (the sparse-pose graph's); they stay
    fixed-size.
    """
    path = Path(path)
    if dynamic_size and output_names != OUTPUT_NAMES:
        raise ValueError("dynamic_size is only for the six dense outputs")
    axes = {INPUT_NAME: {2: "height", 3: "width"}, **{name: {1: "anchors"} for name in OUTPUT_NAMES}}
    with warnings.catch_warnings(), torch.no_grad():
        # The legacy exporter is chosen on purpose; its deprecation notice is noise here.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            model.eval(),
            (example_input(height, width),),
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=[INPUT_NAME],
            output_names=list(output_names),
            dynamic_axes=axes if dynamic_size else None,
            do_constant_folding=True,
        )
    return path


def simplify(source: str | Path, target: str | Path) -> Path:
    """onnxsim with its own numeric check; a failed check is an error, not a warning."""
    model, ok = onnxsim.simplify(onnx.load(str(source)))
    if not ok:
        raise ConversionError(
            f"onnxsim could not validate the simplified {source}; convert with --dynamic "
            "(TorchScript route) or report the model"
        )
    onnx.save(model, str(target))
    return Path(target)


def trace_torchscript(model: nn.Module, path: str | Path, *, height: int, width: int) -> Path:
    """TorchScript trace for pnnx: the route that keeps shapes symbolic (and carries DCN)."""
    path = Path(path)
    with warnings.catch_warnings(), torch.no_grad():
        # Shape reads in flatten_nhwc are traced as size ops; the warning says so.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(model.eval(), example_input(height, width), check_trace=False)
    traced.save(str(path))
    return path
