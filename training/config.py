"""Training configs: ``configs/base.yaml`` <- a config file <- ``key.sub=value`` overrides.

Every config inherits all keys from ``base.yaml`` (MOS-S as released) and
states only what it changes; an unknown key is an error so typos do not
silently train the wrong model.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

BASE_CONFIG = Path(__file__).parent / "configs" / "base.yaml"
DEFAULTS: dict[str, dict[str, Any]] = yaml.safe_load(BASE_CONFIG.read_text())


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
    """base.yaml <- YAML file <- overrides."""
    config = DEFAULTS
    if path is not None:
        loaded = yaml.safe_load(Path(path).read_text()) or {}
        config = merge(config, loaded)
    for text in overrides:
        config = merge(config, parse_override(text))
    return config
