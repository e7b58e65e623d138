"""Online feedback sampling (paper 3.3, Fig. 2b).

- ``stitch_batch``: each image of a batch becomes a 2x2 mosaic of itself and
  the next three batch images, each downscaled by 2, so faces get smaller.
- ``FeedbackRule``: after each iteration, if the small-face (<= 25 px) share
  of the box loss is below 0.35, the next batch is stitched.
- ``HardSampleSampler``: an epoch = every image once + the hard-sample set S
  (images with false positives or negatives in the last mining pass),
  shuffled, sharded across DDP ranks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F

FEEDBACK_THRESHOLD = 0.35  # paper's T


class FeedbackRule:
    """Decides whether the next batch is stitched."""

    def __init__(self, threshold: float = FEEDBACK_THRESHOLD, enabled: bool = True) -> None:
        self.threshold = threshold
        self.enabled = enabled
        self.stitch_next = False

    def update(self, small_box_ratio: float) -> bool:
        self.stitch_next = self.enabled and small_box_ratio < self.threshold
        return self.stitch_next


def stitch_batch(
    images: torch.Tensor, faces: list[torch.Tensor], grid: int = 2
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """(B, 3, S, S) + faces in pixels -> mosaics of grid x grid images, same shapes.

    Tile (r, c) of output image i holds batch image (i + r*grid + c) mod B.
    """
    b, _, size, _ = images.shape
    tile = size // grid
    small = F.interpolate(images, size=(tile, tile), mode="bilinear", align_corners=False)
    out = torch.zeros_like(images)  # zero = mean colour after mean subtraction
    out_faces = []
    scale = tile / size
    for i in range(b):
        parts = []
        for k in range(grid * grid):
            r, c = divmod(k, grid)
            j = (i + k) % b
            out[i, :, r * tile : (r + 1) * tile, c * tile : (c + 1) * tile] = small[j]
            f = faces[j].clone()
            f[:, 0:14] = f[:, 0:14] * scale + torch.tensor(
                [c * tile, r * tile], dtype=f.dtype
            ).repeat(7)
            parts.append(f)
        out_faces.append(torch.cat(parts))
    return out, out_faces


class HardSampleSampler(torch.utils.data.Sampler[int]):
    """All indices once plus the hard-sample set S, shuffled; DDP-sharded."""

    def __init__(self, size: int, *, seed: int = 0, num_replicas: int = 1, rank: int = 0) -> None:
        self.size = size
        self.seed = seed
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.hard: list[int] = []

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def set_hard(self, indices: list[int]) -> None:
        self.hard = sorted(set(indices))

    def _all(self) -> list[int]:
        gen = torch.Generator().manual_seed(self.seed + self.epoch)
        order = list(range(self.size)) + self.hard
        order = [order[k] for k in torch.randperm(len(order), generator=gen).tolist()]
        total = math.ceil(len(order) / self.num_replicas) * self.num_replicas
        return (order + order[: total - len(order)])[self.rank :: self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self._all())

    def __len__(self) -> int:
        return math.ceil((self.size + len(self.hard)) / self.num_replicas)
