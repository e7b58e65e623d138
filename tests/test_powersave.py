"""powersave: applied to the threads that run inference, reported as set, refused where the CPU lacks the cores."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

import mosface
from tests import tiny_model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("powersave") / "model"
    tiny_model.write_model(folder, seed=3)
    return folder


def cores_all_alike() -> bool:
    """ncnn tells little cores by their maximum frequency; without cpufreq (or with one frequency) there are none."""
    frequencies = {
        path.read_text().strip()
        for path in Path("/sys/devices/system/cpu").glob("cpu[0-9]*/cpufreq/cpuinfo_max_freq")
    }
    return len(frequencies) <= 1


def affinity_after_detect(detector: mosface.Detector, start: set[int]) -> set[int]:
    """Affinity of a fresh thread pinned to `start` after it ran one detect()."""
    seen: list[set[int]] = []

    def run() -> None:
        os.sched_setaffinity(0, start)
        detector.detect(np.zeros((64, 64, 3), dtype=np.uint8))
        seen.append(os.sched_getaffinity(0))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return seen[0]


@pytest.mark.skipif(not cores_all_alike(), reason="this CPU has cores of several speeds")
def test_mode_without_cores_is_refused(model: Path) -> None:
    with pytest.raises(ValueError, match="no cores for powersave mode 1"):
        mosface.Detector(model, powersave="little")
    detector = mosface.Detector(model)
    with pytest.raises(ValueError, match="no cores"):
        detector.powersave = "little"
    assert detector.powersave is None


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to see a thread re-pinned")
def test_mode_is_applied_on_the_thread_that_runs_detect(model: Path) -> None:
    every = os.sched_getaffinity(0)
    one = {min(every)}
    detector = mosface.Detector(model, powersave="all", num_threads=1)  # set on this (main) thread
    assert detector.powersave == "all"
    assert affinity_after_detect(detector, one) == every
    # None leaves the caller's affinity alone.
    assert affinity_after_detect(mosface.Detector(model, num_threads=1), one) == one


def test_setter_reports_what_the_next_detect_applies(model: Path) -> None:
    detector = mosface.Detector(model, num_threads=1)
    assert detector.powersave is None
    detector.powersave = "big"
    assert detector.powersave == "big"
    detector.powersave = None
    assert detector.powersave is None
