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
from ..training.models.dcn import TAPS, ModulatedDeformConv2d
from ..training.models.heads import CrossStitch
from ..training.official import OfficialCheckpointError, load_official
from .errors import CheckpointError

UNTRAINED = "untrained seeded"
# BN statistics of a seeded model are measured on seeded noise images of this
# size, so activations have realistic O(1) scales and BN folding is exercised.
# The second image is letterboxed (bottom half at the mean colour, as
# mosface.Detector pads) so padded inputs stay in range too. Smaller images
# mislead: at 96x96 the stride-32 map is 3x3, all border, and at 640x480 the
# same model's head outputs came out 10-20x larger than calibrated.
CALIBRATION_SHAPE = (2, 3, 240, 320)
# Seeded DCN sampling, as a trained DCNv2 has it: offsets of about a pixel that
# follow the input, masks spread over (0, 1) rather than all sigmoid(0) = 0.5.
OFFSET_STD_PX = 1.0
MASK_LOGIT_STD = 1.5
OFFSET_BIAS_STD = 0.3
SPREAD_PASSES = 2
# Spreads of a seeded head's outputs, as a trained head has them (_scale_head_outputs).
REGRESSION_STD = 0.6
LOGIT_STD = 1.5


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
    the gates. So: perturb the cross-stitch, random BN affines with statistics
    measured on seeded noise images, DCN offsets and masks as a trained DCNv2
    has them, and head outputs of a trained model's scale.
    """
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = build_model(arch, dcn=dcn, head=head)
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, CrossStitch):
                    module.weight.add_(torch.randn_like(module.weight) * 0.05)
            for bn in _batchnorms(model):
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.normal_(0.0, 0.1)
            _measure_batchnorm_statistics(model)
            if dcn:
                _spread_deformable_sampling(model)
            _scale_head_outputs(model)
    return model.eval()


def _batchnorms(model: MOS) -> list[nn.BatchNorm2d]:
    return [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]


def _calibration_images() -> torch.Tensor:
    """Seeded noise at the mean colour's scale; the second image letterboxed as the Detector pads."""
    images = torch.rand(CALIBRATION_SHAPE) * 255 - torch.tensor(MEAN_BGR).view(1, 3, 1, 1)
    images[1, :, CALIBRATION_SHAPE[2] // 2 :] = 0.0
    return images


def _measure_batchnorm_statistics(model: MOS) -> None:
    """Running statistics of one forward over the calibration images."""
    batchnorms = _batchnorms(model)
    for bn in batchnorms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average: exactly this batch's statistics
    model.train()(_calibration_images())
    for bn in batchnorms:
        bn.momentum = 0.1  # torch's default, for anyone who trains it further
    model.eval()


def _rescale_outputs(
    model: MOS, wanted_std: dict[nn.Conv2d, torch.Tensor], *, keep_bias: bool
) -> None:
    """Scale each conv's weights so its output channels have ``wanted_std`` on the calibration images.

    One forward: each conv is rescaled as the forward reaches it and passes its
    rescaled output on, so every later conv is measured on what the ones
    before it now give. ``keep_bias``: scale only the input-dependent part.
    """

    def rescale(conv: nn.Conv2d, _inputs: tuple, out: torch.Tensor) -> torch.Tensor:
        varying = out - conv.bias.view(1, -1, 1, 1) if keep_bias else out
        spread = varying.transpose(0, 1).flatten(1).std(dim=1)
        scale = wanted_std[conv] / spread.clamp_min(1e-12)
        conv.weight.mul_(scale.view(-1, 1, 1, 1))
        if not keep_bias:
            conv.bias.mul_(scale)
        return out + varying * (scale.view(1, -1, 1, 1) - 1)

    hooks = [conv.register_forward_hook(rescale) for conv in wanted_std]
    try:
        model.eval()(_calibration_images())
    finally:
        for hook in hooks:
            hook.remove()


def _scale_head_outputs(model: MOS) -> None:
    """Head output channels scaled to a trained model's spread on the calibration images.

    Left alone, an untrained head's logits reach margins of 15 and more (scores
    saturate at float32's 1.0, many anchors tie, and which of two overlapping
    boxes NMS keeps is decided by rounding), and its box regressions shrink
    boxes to 2 px. Trained regressions stay near their anchors: the targets
    are (offset / 0.1 anchor, log(size / anchor) / 0.2) of matched faces.
    """
    wanted = {}
    for head in model.heads:
        wanted |= dict.fromkeys((head.box_head, head.landmark_head), REGRESSION_STD)
        logits = (head.cls_head, *(pose.conv1x1 for pose in head.pose_heads))
        wanted |= dict.fromkeys(logits, LOGIT_STD)
    _rescale_outputs(
        model, {conv: torch.tensor(std) for conv, std in wanted.items()}, keep_bias=False
    )


def _spread_deformable_sampling(model: MOS) -> None:
    """Input-dependent offsets and mask logits of spread OFFSET_STD_PX and MASK_LOGIT_STD.

    A zero-initialised offset conv makes a DCN a plain conv scaled by 0.5: the
    gates would never see input-dependent sampling, which is what amplifies
    float rounding (shared/notes/toolchain.md). Each offset conv gets random
    weights scaled to that spread of the input-dependent part of its outputs;
    BN statistics are re-measured after each pass and the scaling repeated, so
    the spread holds for the final model.
    """
    convs = [m.conv_offset_mask for m in model.modules() if isinstance(m, ModulatedDeformConv2d)]
    wanted = torch.full((3 * TAPS,), OFFSET_STD_PX)
    wanted[2 * TAPS :] = MASK_LOGIT_STD  # channels: 9 dy, 9 dx, 9 mask logits
    for conv in convs:
        nn.init.normal_(conv.weight)
        conv.bias.normal_(0.0, OFFSET_BIAS_STD)
    for _ in range(SPREAD_PASSES):
        _rescale_outputs(model, dict.fromkeys(convs, wanted), keep_bias=True)
        _measure_batchnorm_statistics(model)
