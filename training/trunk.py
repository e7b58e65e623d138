"""The ImageNet-pretrained trunk the paper trains from (paper 4.1).

Weights come in torchvision's key layout (``shufflenet_v2_x1_0``,
``mobilenet_v2`` state dicts); our backbones use the same names.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .models import MOS


class MissingTrunkWeights(FileNotFoundError):
    """A config names trunk weights that are not there (and --from-scratch was not given)."""


def resolve_trunk_weights(named: str | Path | None, *, from_scratch: bool) -> Path | None:
    """The weights file to load, None to train from scratch; raises when a named file is missing."""
    if from_scratch or named is None:
        return None
    path = Path(named)
    if not path.is_file():
        raise MissingTrunkWeights(
            f"trunk weights {path} not found: the paper trains from an ImageNet-pretrained "
            "trunk. Put torchvision's state dict there (shufflenet_v2_x1_0 for mos-s, "
            "mobilenet_v2 for mos-m), pass --backbone-weights PATH, or pass --from-scratch "
            "to train without"
        )
    return path


def load_backbone_weights(model: MOS, path: str | Path) -> list[str]:
    """ImageNet weights in torchvision's key layout -> ``model.body``; returns unused keys.

    Keys the detector has no use for (``fc``, ``conv5``, ``features.18``,
    ``classifier``) are skipped; any backbone tensor missing or mis-shaped
    raises naming it.
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = {k.removeprefix("module."): v for k, v in state.items()}
    body = model.body.state_dict()
    missing = [k for k in body if k not in state and not k.endswith("num_batches_tracked")]
    if missing:
        raise ValueError(f"{path}: backbone tensors missing: {', '.join(missing[:8])}")
    for key in body:
        if key in state and state[key].shape != body[key].shape:
            raise ValueError(
                f"{path}: {key} has shape {tuple(state[key].shape)}, expected {tuple(body[key].shape)}"
            )
    model.body.load_state_dict({k: state.get(k, v) for k, v in body.items()})
    return sorted(k for k in state if k not in body)
