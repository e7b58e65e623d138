"""torchrun environment (DistributedDataParallel), or a single process."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn


class Distributed:
    """Ranks, device and the few collectives the training loop needs."""

    def __init__(self, device: str | None) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and self.world > 1:
            device = f"cuda:{local}"
            torch.cuda.set_device(local)
        self.device = torch.device(device)
        if self.world > 1:
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
        self.main = self.rank == 0

    def wrap(self, model: nn.Module) -> nn.Module:
        if self.world == 1:
            return model
        ids = [self.device.index] if self.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        if self.world > 1:
            dist.all_reduce(values)
            values /= self.world
        return values

    def union(self, counts: dict[int, int]) -> dict[int, int]:
        """All ranks' {index: count} merged, so every rank samples the same hard set."""
        if self.world == 1:
            return counts
        gathered: list[dict[int, int]] = [{} for _ in range(self.world)]
        dist.all_gather_object(gathered, counts)
        return {i: n for part in gathered for i, n in part.items()}

    def close(self) -> None:
        if self.world > 1:
            dist.destroy_process_group()
