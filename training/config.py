"""Training configs: YAML files with identical keys, plus ``key.sub=value`` overrides.

Every config under ``training/configs/`` fills all of ``DEFAULTS``' sections;
a missing or unknown key is an error so typos do not silently train the
wrong model.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

DEFAULTS: dict[str, dict[str, Any]] = {
    "model": {"arch": "mos-s", "dcn": False, "head": "stitch"},
    "loss": {"weighting": "uncertainty"},
    "sampling": {
        "feedback": True,
        "feedback_threshold": 0.35,
        "hard_mining": True,
        "mine_max_images": 2000,
    },
    "data": {
        "kind": "widerface",  # or "synthetic" (generated faces, smoke runs and tests)
        "label_file": "data/widerface/train/label.txt",
        "image_root": None,  # default: <label_file folder>/images
        "synthetic_images": 0,
        "synthetic_size": 128,
        "image_size": 640,
        "workers": 4,
    },
    "optim": {
        "lr": 1.0e-3,
        "momentum": 0.9,
        "weight_decay": 5.0e-4,
        "batch_size": 64,  # global, split across DDP ranks
        "epochs": 200,
        "milestones": [150, 180],
        "gamma": 0.1,
        "warmup_epochs": 5,
    },
    "train": {"seed": 0, "out_dir": "runs/mos-s", "save_every": 10},
}


def merge(base: dict[str, Any], override: dict[str, Any], where: str = "") -> dict[str, Any]:
    """Recursive update that rejects keys ``base`` does not have."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key not in base:
            raise KeyError(f"unknown config key {where}{key!r}; known: {sorted(base)}")
        out[key] = (
            merge(base[key], value, f"{where}{key}.") if isinstance(base[key], dict) else value
        )
    return out


def parse_override(text: str) -> dict[str, Any]:
    """``"optim.lr=0.01"`` -> ``{"optim": {"lr": 0.01}}`` (value parsed as YAML)."""
    if "=" not in text:
        raise ValueError(f"override {text!r} must look like section.key=value")
    dotted, value = text.split("=", 1)
    out: dict[str, Any] = yaml.safe_load(value) if value else None
    for part in reversed(dotted.split(".")):
        out = {part: out}
    return out


def load_config(path: str | Path | None, overrides: list[str] = ()) -> dict[str, Any]:
    """DEFAULTS <- YAML file <- overrides."""
    config = DEFAULTS
    if path is not None:
        loaded = yaml.safe_load(Path(path).read_text()) or {}
        config = merge(config, loaded)
    for text in overrides:
        config = merge(config, parse_override(text))
    return config
