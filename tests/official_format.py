"""Authors'-format checkpoints built from our models: the release's key layout, our weights.

The release's keys come from its key lists (tests/training/data); each is
filled through the importer's own mapping (``official_to_ours`` and the
cross-stitch slot tables), so loading the result with ``load_official`` gives
back the model it was written from. Its ``Conv_pose`` (unused by the
release's forward) gets seeded noise.
"""

from __future__ import annotations

from pathlib import Path

import torch

from mosface.training.models import MOS
from mosface.training.official import (
    CROSS_STITCH_RE,
    IGNORED_PREFIX,
    INPUT_SLOT_TO_TASK,
    OUTPUT_SLOT_TO_TASK,
    official_to_ours,
)

KEY_LISTS = Path(__file__).parent / "training" / "data"


def release_keys(arch: str) -> list[tuple[str, tuple[int, ...]]]:
    """(key, shape) of every tensor in the release checkpoint of ``arch``."""
    keys = []
    for line in (KEY_LISTS / f"official-keys-{arch}.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, shape, _dtype = line.split("\t")
        keys.append((key, tuple(int(d) for d in shape.strip("()").split(",") if d.strip())))
    return keys


def official_state_dict_of(model: MOS, arch: str) -> dict[str, torch.Tensor]:
    """``model``'s weights (MOS-S / MOS-M, DCN, stitch head) under the release's keys."""
    ours = model.state_dict()
    noise = torch.Generator().manual_seed(0)
    state = {}
    for key, shape in release_keys(arch):
        if key.startswith(IGNORED_PREFIX):
            state[key] = torch.randn(shape, generator=noise) if shape else torch.tensor(0)
        elif m := CROSS_STITCH_RE.fullmatch(key):
            weight = ours[f"heads.{int(m[1]) - 1}.cross_stitch.weight"]
            state[key] = weight[OUTPUT_SLOT_TO_TASK[m[2]], INPUT_SLOT_TO_TASK[m[3]]].clone()
        else:
            state[key] = ours[official_to_ours(key)].clone()
    return state
