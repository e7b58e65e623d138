"""Our checkpoint format, written atomically.

A checkpoint is a ``torch.save``d dict readable with ``weights_only=True``:

- ``format_version`` (int, currently 1), ``arch`` ("mos-s" | "mos-m" |
  "mos-tiny"), ``dcn`` (bool), ``head`` ("stitch" | "hard"), ``state_dict``;
- optional: ``epoch``, ``optimizer``, ``weighting`` (loss-weighting state),
  ``config`` (resolved training config), ``hard_set`` (list of indices),
  ``source`` (e.g. the imported release file and its sha256).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..files import write_atomically
from .models import MOS, build_model

FORMAT_VERSION = 1


def model_payload(model: MOS, **extra: Any) -> dict[str, Any]:
    """The checkpoint dict for ``model`` (unwrap DDP before calling)."""
    return {
        "format_version": FORMAT_VERSION,
        "arch": model.arch,
        "dcn": model.dcn,
        "head": model.head_type,
        "state_dict": model.state_dict(),
        **extra,
    }


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Write to a temporary file in the same folder, then rename (atomic)."""
    write_atomically(Path(path), lambda tmp: torch.save(payload, tmp))


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read and validate a checkpoint dict (weights only)."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path}: not a mosface checkpoint (format_version {FORMAT_VERSION}); "
            "for the authors' MOS-S.pth / MOS-M.pth run `mosface import-official` first"
        )
    return payload


def load_model(path: str | Path) -> MOS:
    """Build the checkpoint's model and load its weights (strict)."""
    payload = load_checkpoint(path)
    model = build_model(payload["arch"], dcn=payload["dcn"], head=payload["head"])
    model.load_state_dict(payload["state_dict"])
    return model
