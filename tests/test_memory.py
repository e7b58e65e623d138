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
    detector.detect(image)
    blobs = detector.memory_counts()["blobs"]
    assert blobs["in_use"] == 0  # every activation went back to the allocator
    # The float32 input blob (3 channels) and the three (anchors, 66) pose outputs
    # are alive together once the last output is extracted: a lower bound of the live set.
    input_bytes = 3 * 240 * 320 * 4
    pose_bytes = 3 * anchors(240, 320) * tiny_model.HEAD_WIDTHS["yaw"] * 4
    assert blobs["peak_requested"] >= pose_bytes
    assert blobs["peak_requested"] >= input_bytes
    assert blobs["fresh_allocations"] > 0
    if memory_pool:
        assert blobs["cached"] > 0
        # Kept buffers never exceed the live set by more than what reusing a buffer
        # up to twice a request's size can add (the blob allocator's reuse limit).
        assert blobs["peak_held"] <= 2 * blobs["peak_requested"]
    else:
        assert blobs["cached"] == 0
        assert blobs["reused"] == 0


@pytest.mark.parametrize("memory_pool", [False, True])
def test_resident_memory_stays_flat_over_random_sizes(model: Path, memory_pool: bool) -> None:
    detector = mosface.Detector(model, num_threads=1, memory_pool=memory_pool)
    big = np.random.default_rng(1).integers(0, 256, size=(240, 320, 3), dtype=np.uint8)
    rng = np.random.default_rng(2)

    def run(calls: int) -> None:
        for _ in range(calls):
            # Multiples of 32: the tiny model's ceil-mode pooling matches the anchor grid there.
            height, width = 32 * rng.integers(1, 8), 32 * rng.integers(1, 11)
            detector.detect(big[:height, :width])

    run(50)  # warm-up: the largest sizes have been seen
    after_warmup = resident_mib()
    run(250)
    growth = resident_mib() - after_warmup
    # One call's live set here is about 2 MiB (input 0.9 MiB, pose outputs 0.6 MiB);
    # ncnn's keep-everything pool grew by several live sets over such a run.
    assert growth < 3.0, f"resident memory grew by {growth:.1f} MiB over 250 calls"
    counts = detector.memory_counts()
    assert counts["blobs"]["in_use"] == 0
    assert counts["workspace"]["in_use"] == 0
