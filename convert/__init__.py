"""Conversion of MOS checkpoints to ncnn (``mosface convert``); needs the ``convert`` extra.

Stages, each callable on its own::

    source = load_source(checkpoint=None, arch="mos-tiny")   # or a checkpoint / official file
    deploy = fold_linear_heads(source.model)                   # BN + stitch/cross-stitch folding
    export_onnx(deploy, "m.onnx", height=160, width=160); simplify("m.onnx", "s.onnx")
    to_ncnn("s.onnx", work_dir, shapes=[(160, 160)])           # pnnx -> model.param / model.bin
    verify(source.model, folder, sizes=[(160, 160)])           # parity gates -> figures
    write_manifest(folder, ...)

``convert(...)`` runs them all into a temporary folder renamed at the end.
"""

from .errors import CheckpointError, ConversionError, ParityError
from .export import export_onnx, simplify, trace_torchscript
from .fold import fold_batchnorm, fold_linear_heads
from .manifest import read_manifest, write_manifest
from .ncnn_files import inspect_param, to_ncnn
from .pipeline import check, convert
from .source import Source, load_source
from .verify import verify

__all__ = [
    "CheckpointError",
    "ConversionError",
    "ParityError",
    "Source",
    "check",
    "convert",
    "export_onnx",
    "fold_batchnorm",
    "fold_linear_heads",
    "inspect_param",
    "load_source",
    "read_manifest",
    "simplify",
    "to_ncnn",
    "trace_torchscript",
    "verify",
    "write_manifest",
]
