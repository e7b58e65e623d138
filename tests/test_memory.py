"""Detector memory: the allocator's counts and flat resident memory under changing image sizes.

The live-set check is against sizes computed here from the model's shapes
(input blob, pose outputs); the flatness check reads the process's own
resident memory (/proc/self/status) over many detects of random sizes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import mosface
from tests import tiny_model

MIB = 1024 * 1024

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")


def resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny") / "model"
    tiny_model.write_model(folder, seed=5, size_policy="dynamic", height=240, width=320)
    return folder


def anchors(height: int, width: int) -> int:
    return sum(-(-height // step) * -(-width // step) for step in tiny_model.STEPS) * tiny_model.ANCHORS_PER_CELL


@pytest.mark.parametrize("memory_pool", [False, True])
def test_counts_cover_the_live_set_and_everything_comes_back(model: Path, memory_pool: bool) -> None:
    detector = mosface.Detector(model, num_threads=1, memory_pool=memory_pool)
    image = np.random.default_rng(0).integers(0, 256, size=(240, 320, 3), dtype=np.uint8)
    first = detector.detect(image)
    second = detector.detect(image)
    np.testing.assert_array_equal(first, second)  # the block changes where buffers live, not what they hold
    counts = detector.memory_counts()
    blobs = counts["blobs"]
    assert blobs["in_use"] == 0  # everything went back
    assert counts["workspace"]["in_use"] == 0
    # The float32 input blob (3 channels) and the three (anchors, 66) pose outputs
    # are alive together once the last output is extracted: a lower bound of the live set.
    input_bytes = 3 * 240 * 320 * 4
    pose_bytes = 3 * anchors(240, 320) * tiny_model.HEAD_WIDTHS["yaw"] * 4
    assert blobs["peak_requested"] >= max(pose_bytes, input_bytes)
    assert counts["live_peak"] >= blobs["peak_requested"]
    assert blobs["from_system"] > 0  # the first call at a size
    if memory_pool:
        # The second call was replayed in one block, as planned, about the size of the live set:
        # no larger than it plus 128 bytes per buffer (alignment and ncnn's overread).
        assert (counts["plans"], counts["misses"]) == (1, 0)
        assert blobs["from_block"] == blobs["from_system"]
        buffers = blobs["from_block"] + counts["workspace"]["from_block"]
        assert counts["live_peak"] <= counts["block_bytes"] <= counts["live_peak"] + 128 * buffers
    else:
        assert (counts["block_peak_bytes"], blobs["from_block"]) == (0, 0)


def test_memory_pool_gives_the_same_faces(model: Path) -> None:
    image = np.random.default_rng(4).integers(0, 256, size=(200, 300, 3), dtype=np.uint8)
    with_malloc = mosface.Detector(model, num_threads=1, memory_pool=False).detect(image)
    pooled = mosface.Detector(model, num_threads=1, memory_pool=True)
    for _ in range(3):  # the first call from the system, the next ones from the block
        np.testing.assert_array_equal(pooled.detect(image), with_malloc)
    assert pooled.memory_counts()["blobs"]["from_block"] > 0


@pytest.mark.parametrize("memory_pool", [False, True])
def test_resident_memory_stays_flat_over_random_sizes(model: Path, memory_pool: bool) -> None:
    detector = mosface.Detector(model, num_threads=1, memory_pool=memory_pool)
    big = np.random.default_rng(1).integers(0, 256, size=(240, 320, 3), dtype=np.uint8)
    rng = np.random.default_rng(2)

    def run(calls: int) -> list[float]:
        resident = []
        for _ in range(calls):
            # Multiples of 32: the tiny model's ceil-mode pooling matches the anchor grid there.
            height, width = 32 * rng.integers(1, 8), 32 * rng.integers(1, 11)
            detector.detect(big[:height, :width])
            resident.append(resident_mib())
        return resident

    warmup = run(50)  # the largest sizes have been seen
    later = run(250)
    # Highest resident memory late against highest during the warm-up: malloc hands
    # pages back and takes them again between calls, a pool that creeps only grows.
    growth = max(later[-100:]) - max(warmup)
    # One call's live set here is about 2 MiB (input 0.9 MiB, pose outputs 0.6 MiB);
    # ncnn's keep-everything pool grew by several live sets over such a run.
    assert growth < 3.0, f"resident memory grew by {growth:.1f} MiB over 250 calls"
    counts = detector.memory_counts()
    assert counts["blobs"]["in_use"] == 0
    assert counts["workspace"]["in_use"] == 0
