"""Import the authors' released checkpoints (``MOS-S.pth``, ``MOS-M.pth``).

The release names modules differently from ``models/`` and wires its
cross-stitch unit in a way that must be reproduced (spec, "Release details"):
its six slots are named ``classhead, bboxhead, landmarkhead, pose_y, pose_p,
pose_r`` and receive, in that order, the outputs of the stitch convs of
box, cls, landmarks, yaw, pitch, roll. So the *box* features enter slot
``classhead`` and the *cls* features slot ``bboxhead``, while the box head
reads the unit's ``bboxhead`` output and the class head its ``classhead``
output. A release key ``cross_stitch.fpnL.cross_stitch_unit.OUT.IN.param`` is
the weight from slot IN to slot OUT, hence our
``weight[task(OUT as output), task(IN as input)]``.

The release also holds a model-level ``Conv_pose`` (3x3 conv + BN) that its
forward never uses; it is ignored (and reported) on import. Everything else
is strict: a missing, unexpected or mis-shaped tensor raises naming it.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping

import torch

from .models import MOS

log = logging.getLogger(__name__)

IGNORED_PREFIX = "Conv_pose."  # unused by the release's forward pass
SLOTS = ("classhead", "bboxhead", "landmarkhead", "pose_y", "pose_p", "pose_r")
# Our task order is box, cls, landmark, yaw, pitch, roll (models/heads.py).
INPUT_SLOT_TO_TASK = {
    slot: i for i, slot in enumerate(SLOTS)
}  # box features enter slot 0 ("classhead")
OUTPUT_SLOT_TO_TASK = {
    "bboxhead": 0,
    "classhead": 1,
    "landmarkhead": 2,
    "pose_y": 3,
    "pose_p": 4,
    "pose_r": 5,
}
HEAD_NAMES = {"BboxHead": "box_head", "ClassHead": "cls_head", "LandmarkHead": "landmark_head"}
STITCH_NAMES = {
    "BboxHead": 0,
    "classhead": 1,
    "LandmarkHead": 2,
    "PoseHead_y": 3,
    "PoseHead_p": 4,
    "PoseHead_r": 5,
}
POSE_NAMES = {"PoseHead_y": 0, "PoseHead_p": 1, "PoseHead_r": 2}
SSH_NAMES = {
    "conv3X3": "branch_a",
    "conv5X5_1": "branch_b1",
    "conv5X5_2": "branch_b2",
    "conv7X7_2": "branch_c1",
    "conv7x7_3": "branch_c2",
}
# MobileNetV2 release groups torchvision's features[0:7], [7:14], [14:18].
MOBILENET_GROUP_START = {"feature_2": 0, "feature_4": 7, "feature_6": 14}

CROSS_STITCH_RE = re.compile(r"cross_stitch\.fpn([123])\.cross_stitch_unit\.(\w+)\.(\w+)\.param")


class OfficialCheckpointError(ValueError):
    """A release checkpoint does not fit the model; the message names the tensor."""


def _rename_block(rest: str) -> str:
    """``conv.*`` stays, ``actf.0.*`` (the BN after a DCN) becomes ``bn.*``."""
    return re.sub(r"^actf\.0\.", "bn.", rest)


def official_to_ours(key: str) -> str | None:
    """Our state_dict key for a release key; None for cross-stitch / unknown keys."""
    if m := re.fullmatch(r"body\.(feature_[246])\.(\d+)\.(.+)", key):
        return f"body.features.{MOBILENET_GROUP_START[m[1]] + int(m[2])}.{m[3]}"
    if key.startswith("body."):
        return key  # ShuffleNetV2: torchvision layout on both sides
    if m := re.fullmatch(r"fpn\.output([123])\.([01])\.(.+)", key):
        return f"fpn.laterals.{int(m[1]) - 1}.{'conv' if m[2] == '0' else 'bn'}.{m[3]}"
    if m := re.fullmatch(r"fpn\.merge([12])\.(.+)", key):
        return f"fpn.merges.{int(m[1]) - 1}.{_rename_block(m[2])}"
    if (m := re.fullmatch(r"ssh([123])\.(\w+?)\.(.+)", key)) and m[2] in SSH_NAMES:
        return f"ssh.{int(m[1]) - 1}.{SSH_NAMES[m[2]]}.{_rename_block(m[3])}"
    if (m := re.fullmatch(r"stitch_(\w+)\.([012])\.conv1x1\.(.+)", key)) and m[1] in STITCH_NAMES:
        return f"heads.{m[2]}.stitch_convs.{STITCH_NAMES[m[1]]}.{m[3]}"
    if (m := re.fullmatch(r"(\w+)\.([012])\.conv1x1\.(.+)", key)) and m[1] in HEAD_NAMES:
        return f"heads.{m[2]}.{HEAD_NAMES[m[1]]}.{m[3]}"
    if m := re.fullmatch(r"(PoseHead_[ypr])\.([012])\.conv1x1\.(.+)", key):
        return f"heads.{m[2]}.pose_heads.{POSE_NAMES[m[1]]}.conv1x1.{m[3]}"
    if m := re.fullmatch(r"(PoseHead_[ypr])\.([012])\.Conv_pose\.([01])\.(.+)", key):
        part = "conv" if m[3] == "0" else "bn"
        return f"heads.{m[2]}.pose_heads.{POSE_NAMES[m[1]]}.conv3x3.{part}.{m[4]}"
    return None


def _names(keys: list[str], limit: int = 8) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" ... ({len(keys)} in all)" if len(keys) > limit else "")


def read_official_state_dict(
    path_or_state_dict: str | os.PathLike | Mapping[str, torch.Tensor],
) -> dict[str, torch.Tensor]:
    """Load (weights only) and strip a DataParallel ``module.`` prefix."""
    if isinstance(path_or_state_dict, Mapping):
        state = dict(path_or_state_dict)
    else:
        try:
            state = torch.load(path_or_state_dict, map_location="cpu", weights_only=True)
        except OSError:
            raise  # missing or unreadable: FileNotFoundError / PermissionError say it best
        except Exception as error:  # torch.load raises UnpicklingError, KeyError,
            # RuntimeError, EOFError... depending on which bytes it meets first
            raise OfficialCheckpointError(
                f"{path_or_state_dict}: not a PyTorch checkpoint ({type(error).__name__}: {error})"
            ) from None
        if not isinstance(state, Mapping):
            raise OfficialCheckpointError(
                f"{path_or_state_dict}: expected a state_dict, got {type(state).__name__}"
            )
        state = dict(state)
    if "state_dict" in state and isinstance(state["state_dict"], Mapping):
        state = dict(state["state_dict"])
    return {k.removeprefix("module."): v for k, v in state.items()}


def load_official(
    model: MOS, path_or_state_dict: str | os.PathLike | Mapping[str, torch.Tensor]
) -> list[str]:
    """Load a release checkpoint into ``model`` (MOS-S or MOS-M, DCN, stitch head).

    Returns the ignored release keys (the unused model-level ``Conv_pose``).
    Raises ``OfficialCheckpointError`` naming any missing, unexpected or
    mis-shaped tensor. A release checkpoint without ``num_batches_tracked``
    entries is accepted (those counters do not affect inference).
    """
    official = read_official_state_dict(path_or_state_dict)
    ours = model.state_dict()
    converted: dict[str, torch.Tensor] = {}
    unexpected: list[str] = []
    ignored: list[str] = []
    misfit: list[str] = []  # "release key (shape) vs our key (shape)"
    stitch_seen: dict[str, str] = {}  # our "heads.L.cross_stitch.weight[i,j]" -> release key
    stitch_values: dict[int, torch.Tensor] = {}
    for key, value in official.items():
        if key.startswith(IGNORED_PREFIX):
            ignored.append(key)
            continue
        if m := CROSS_STITCH_RE.fullmatch(key):
            level, out_slot, in_slot = int(m[1]) - 1, m[2], m[3]
            target = f"heads.{level}.cross_stitch.weight"
            if (
                target not in ours
                or out_slot not in OUTPUT_SLOT_TO_TASK
                or in_slot not in INPUT_SLOT_TO_TASK
            ):
                unexpected.append(key)
                continue
            weight = stitch_values.setdefault(level, ours[target].clone())
            i, j = OUTPUT_SLOT_TO_TASK[out_slot], INPUT_SLOT_TO_TASK[in_slot]
            if tuple(value.shape) != tuple(weight.shape[2:]):
                misfit.append(
                    f"{key} {tuple(value.shape)} vs {target}[{i}, {j}] {tuple(weight.shape[2:])}"
                )
                continue
            weight[i, j] = value
            stitch_seen[f"{target}[{i},{j}]"] = key
            continue
        target_key = official_to_ours(key)
        if target_key is None or target_key not in ours:
            unexpected.append(key)
            continue
        if tuple(value.shape) != tuple(ours[target_key].shape):
            misfit.append(
                f"{key} {tuple(value.shape)} vs {target_key} {tuple(ours[target_key].shape)}"
            )
            continue
        converted[target_key] = value
    if unexpected:
        raise OfficialCheckpointError(
            f"unexpected tensors for {model.arch} (dcn={model.dcn}, head={model.head_type}): {_names(unexpected)}"
        )
    if misfit:
        raise OfficialCheckpointError(f"mis-shaped tensors: {_names(misfit)}")
    for level, weight in stitch_values.items():
        converted[f"heads.{level}.cross_stitch.weight"] = weight
    missing = [k for k in ours if k not in converted and not k.endswith("num_batches_tracked")]
    missing_stitch = [
        f"cross_stitch.fpn{level + 1}.cross_stitch_unit.{out_slot}.{in_slot}.param"
        for level in range(3)
        if f"heads.{level}.cross_stitch.weight" in ours
        for out_slot, i in OUTPUT_SLOT_TO_TASK.items()
        for in_slot, j in INPUT_SLOT_TO_TASK.items()
        if f"heads.{level}.cross_stitch.weight[{i},{j}]" not in stitch_seen
    ]
    if missing_stitch:
        raise OfficialCheckpointError(
            f"missing tensors in the checkpoint: {_names(missing_stitch)}"
        )
    if missing:
        raise OfficialCheckpointError(
            f"missing tensors in the checkpoint (our names): {_names(missing)}"
        )
    for key in ours:
        if key.endswith("num_batches_tracked") and key not in converted:
            converted[key] = ours[key]
    model.load_state_dict(converted, strict=True)
    if ignored:
        log.info(
            "ignored %d release tensors the release never uses: %s", len(ignored), _names(ignored)
        )
    return ignored
