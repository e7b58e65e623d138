"""Online feedback sampling (paper 3.3, Fig. 2b).

- ``FeedbackRule``: after each iteration, if the small-face (<= 25 px) share
  of the box loss is below T = 0.35, the next batch is stitched.
- ``FeedbackBatchSampler``: batches of ``(index, stitch)`` keys for
  ``TrainingSet``; ``stitch`` is the rule's decision when the batch is
  drawn. With ``workers = 0`` that is exactly the next batch; with workers the
  loader draws ``2 x workers`` batches ahead, so the decision lands that
  many batches later (the release's code for this loop is not public).
- ``HardSampleSampler``: an epoch = every image once + the hard-sample set S,
  where an image enters S once per false detection of the last mining pass
  (Fig. 2b: "added according to the number of false detection boxes"),
  shuffled, sharded across DDP ranks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

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


class FeedbackBatchSampler(torch.utils.data.Sampler[list[tuple[int, bool]]]):
    """Full batches of ``sampler``'s indices, each key tagged with the rule's stitch decision."""

    def __init__(self, sampler: torch.utils.data.Sampler[int], batch_size: int, rule: FeedbackRule):
        self.sampler = sampler
        self.batch_size = batch_size
        self.rule = rule

    def __iter__(self) -> Iterator[list[tuple[int, bool]]]:
        indices = list(self.sampler)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            stitch = self.rule.stitch_next
            yield [(i, stitch) for i in indices[start : start + self.batch_size]]

    def __len__(self) -> int:
        return len(self.sampler) // self.batch_size  # drop the last partial batch


class HardSampleSampler(torch.utils.data.Sampler[int]):
    """All indices once plus each hard image once per false detection, shuffled; DDP-sharded."""

    def __init__(self, size: int, *, seed: int = 0, num_replicas: int = 1, rank: int = 0) -> None:
        self.size = size
        self.seed = seed
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.hard: list[int] = []

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def set_hard(self, counts: dict[int, int]) -> None:
        """``counts``: image index -> number of copies in S (its false detections, capped)."""
        self.hard = [i for i in sorted(counts) for _ in range(counts[i])]

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
