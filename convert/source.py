"""Where the torch model comes from: our checkpoint, the authors' release, or a seeded untrained model.

Every route returns a ``Source``: the model in eval mode plus a provenance
dict that goes into the manifest (and lets ``--check`` rebuild the model).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..files import sha256_of
from ..training.checkpoint import load_checkpoint
from ..training.data.images import MEAN_BGR
from ..training.models import ARCHS, MOS, build_model
from ..training.models.dcn import ModulatedDeformConv2d
from ..training.models.heads import CrossStitch
from ..training.official import OfficialCheckpointError, load_official
from .errors import CheckpointError

UNTRAINED = "untrained seeded"
# BN statistics of a seeded model are measured on seeded noise images of this
# size, so activations have realistic O(1) scales and BN folding is exercised.
# The second image of each batch is letterboxed (bottom half at the mean
# colour, as mosface.Detector pads) so padded inputs stay in range too.
CALIBRATION_SHAPE = (2, 3, 96, 96)
CALIBRATION_BATCHES = 2


@dataclass
class Source:
    model: MOS
    provenance: dict[str, Any]


def load_source(
    checkpoint: str | Path | None = None,
    *,
    official: str | Path | None = None,
    arch: str | None = None,
    dcn: bool = False,
    head: str = "stitch",
    seed: int = 0,
) -> Source:
    """Model to convert; ``arch`` is required for ``official`` and for a seeded model."""
    if checkpoint is not None and official is not None:
        raise CheckpointError("give a checkpoint or --official, not both")
    if checkpoint is not None:
        return _from_checkpoint(Path(checkpoint), arch)
    if arch not in ARCHS:
        raise CheckpointError(f"--arch must be one of {sorted(ARCHS)}, got {arch!r}")
    if official is not None:
        return _from_official(Path(official), arch)
    model = seeded_model(arch, dcn=dcn, head=head, seed=seed)
    provenance = {"kind": UNTRAINED, "arch": arch, "dcn": dcn, "head": head, "seed": seed}
    return Source(model, provenance)


def _readable(path: Path) -> str:
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    return sha256_of(path)


def _from_checkpoint(path: Path, arch: str | None) -> Source:
    sha = _readable(path)
    try:
        payload = load_checkpoint(path)
    except ValueError as error:  # not our format (the message names the remedy)
        raise CheckpointError(str(error)) from error
    except Exception as error:  # torch.load: truncated zip, pickle garbage, foreign objects
        raise CheckpointError(
            f"{path}: cannot read as a torch checkpoint ({type(error).__name__}: {error}); "
            "is the file complete? Re-save it with mosface.training.checkpoint.save_checkpoint"
        ) from error
    missing = [key for key in ("arch", "dcn", "head", "state_dict") if key not in payload]
    if missing:
        raise CheckpointError(f"{path}: checkpoint lacks {missing}")
    if arch is not None and payload["arch"] != arch:
        raise CheckpointError(
            f"{path}: checkpoint holds {payload['arch']!r} but --arch {arch!r} was asked; "
            "drop --arch or pick the matching checkpoint"
        )
    try:
        model = build_model(payload["arch"], dcn=payload["dcn"], head=payload["head"])
        model.load_state_dict(payload["state_dict"])
    except (RuntimeError, ValueError) as error:
        raise CheckpointError(
            f"{path}: weights do not fit {payload['arch']} (dcn={payload['dcn']}, "
            f"head={payload['head']}): {error}"
        ) from error
    provenance = {
        "kind": "checkpoint",
        "path": str(path.resolve()),
        "sha256": sha,
        "arch": payload["arch"],
        "dcn": bool(payload["dcn"]),
        "head": payload["head"],
    }
    return Source(model.eval(), provenance)


def _from_official(path: Path, arch: str) -> Source:
    sha = _readable(path)
    model = build_model(arch, dcn=True, head="stitch")  # the release is DCN + stitch
    try:
        ignored = load_official(model, path)
    except OfficialCheckpointError as error:
        raise CheckpointError(f"{path}: not the authors' {arch} release: {error}") from error
    except Exception as error:
        raise CheckpointError(
            f"{path}: cannot read as a torch checkpoint ({type(error).__name__}: {error})"
        ) from error
    provenance = {
        "kind": "official",
        "path": str(path.resolve()),
        "sha256": sha,
        "arch": arch,
        "dcn": True,
        "head": "stitch",
        "ignored_keys": len(ignored),
    }
    return Source(model.eval(), provenance)


def seeded_model(arch: str, *, dcn: bool, head: str, seed: int) -> MOS:
    """An untrained model whose every foldable part is non-trivial, reproducibly.

    A fresh init has identity BN statistics, zero DCN offsets and a symmetric
    cross-stitch; those would let a wrong fold or a wrong offset layout pass
    the gates. So: perturb the cross-stitch, give the DCN offset convs small
    random weights, and measure BN statistics on seeded noise images.
    """
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = build_model(arch, dcn=dcn, head=head)
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, CrossStitch):
                    module.weight.add_(torch.randn_like(module.weight) * 0.05)
                if isinstance(module, ModulatedDeformConv2d):
                    nn.init.normal_(module.conv_offset_mask.weight, std=0.01)
                    nn.init.normal_(module.conv_offset_mask.bias, std=0.1)
            _calibrate_batchnorm(model)
    return model.eval()


def _calibrate_batchnorm(model: MOS) -> None:
    """Random BN affines, then running statistics measured on seeded noise images."""
    batchnorms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in batchnorms:
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.normal_(0.0, 0.1)
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batches
    model.train()
    mean = torch.tensor(MEAN_BGR).view(1, 3, 1, 1)
    for _ in range(CALIBRATION_BATCHES):
        images = torch.rand(CALIBRATION_SHAPE) * 255 - mean
        images[1, :, CALIBRATION_SHAPE[2] // 2 :] = 0.0
        model(images)
    for bn in batchnorms:
        bn.momentum = 0.1  # torch's default, for anyone who trains it further
    model.eval()
