"""The augmented training set: seeded random streams and the release's stitching.

``TrainingSet(source, size, seed)[key]`` augments ``source.load(i)`` at
``size``. A key is an index, or ``(index, stitch)``: a stitched sample is a
2x2 mosaic of the requested image and three images drawn uniformly from the
data set, each augmented on its own at ``size // 2`` (320 for 640), tiles
top-left, top-right, bottom-left, bottom-right (the release's stitching).

Random numbers: each (rank, epoch, DataLoader worker) gets its own stream,
``default_rng([seed, rank, epoch, worker])``. ``set_epoch`` is called in the
main process before the loader is iterated (workers are re-created each
epoch and copy the epoch), ``seed_worker`` is the loader's
``worker_init_fn``. A resumed run re-derives the same streams from the
epoch, so it continues exactly where the interrupted run would have gone.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from .augment import augment

STITCH_GRID = 2


class FaceSource(Protocol):
    def __len__(self) -> int: ...

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]: ...


class TrainingSet(torch.utils.data.Dataset):
    """Augmented samples of ``source``; keys are ``index`` or ``(index, stitch)``."""

    def __init__(self, source: FaceSource, size: int, *, seed: int = 0, rank: int = 0) -> None:
        if size % STITCH_GRID:
            raise ValueError(f"training image size {size} must be even (2x2 stitching)")
        self.source = source
        self.size = size
        self.seed = seed
        self.rank = rank
        self.epoch = 0
        self.rng = self.stream(worker=0)

    def stream(self, worker: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.rank, self.epoch, worker])

    def set_epoch(self, epoch: int) -> None:
        """Call before iterating the loader; also reseeds the main-process stream (workers = 0)."""
        self.epoch = epoch
        self.rng = self.stream(worker=0)

    def seed_worker(self, worker_id: int) -> None:
        """``worker_init_fn``: this worker's own stream for this epoch."""
        info = torch.utils.data.get_worker_info()
        dataset = info.dataset if info is not None else self
        dataset.rng = dataset.stream(worker=worker_id)

    def __len__(self) -> int:
        return len(self.source)

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The un-augmented image and faces (for mining and evaluation)."""
        return self.source.load(index)

    def __getitem__(self, key: int | tuple[int, bool]) -> tuple[np.ndarray, np.ndarray, bool]:
        """(3xSxS input, (G, 17) faces in input pixels, whether it is stitched)."""
        index, stitch = key if isinstance(key, tuple) else (key, False)
        if stitch:
            return (*self.stitched(index), True)
        return (*augment(*self.source.load(index), self.size, self.rng), False)

    def stitched(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Mosaic of ``index`` and three random images, each augmented at size // 2."""
        tile = self.size // STITCH_GRID
        others = self.rng.integers(0, len(self.source), STITCH_GRID**2 - 1).tolist()
        out = np.empty((3, self.size, self.size), np.float32)
        parts = []
        for k, i in enumerate([index, *others]):
            row, col = divmod(k, STITCH_GRID)
            x, faces = augment(*self.source.load(i), tile, self.rng)
            out[:, row * tile : (row + 1) * tile, col * tile : (col + 1) * tile] = x
            faces[:, 0:14] += np.tile((col * tile, row * tile), 7)
            parts.append(faces)
        return out, np.concatenate(parts)
