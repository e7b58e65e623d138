"""The C++ SDK as a firmware project uses it: install, find_package(mosface), link mosface::core."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import mosface
from tests import tiny_model

ROOT = Path(__file__).resolve().parents[1]


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")
def test_installed_sdk_links_into_a_consumer_project(tmp_path: Path) -> None:
    build = ROOT / "build" / "sdk"
    prefix = tmp_path / "prefix"
    run(["cmake", "-S", str(ROOT), "-B", str(build), "-DMOSFACE_BUILD_PYTHON=OFF", "-DCMAKE_BUILD_TYPE=Release"])
    run(["cmake", "--build", str(build), "-j2"])
    run(["cmake", "--install", str(build), "--prefix", str(prefix)])
    consumer_build = tmp_path / "consumer"
    run(["cmake", "-S", str(ROOT / "tests" / "data" / "sdk_consumer"), "-B", str(consumer_build),
         f"-DCMAKE_PREFIX_PATH={prefix}"])
    run(["cmake", "--build", str(consumer_build)])

    model = tmp_path / "model"
    tiny_model.write_model(model, seed=1)
    height, width = 48, 80  # not the manifest's 64 x 64: the consumer fits it like the binding does
    image = np.random.default_rng(2).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    (tmp_path / "image.bgr").write_bytes(image.tobytes())
    lines = run([str(consumer_build / "consumer"), str(model), str(tmp_path / "image.bgr"), str(height),
                 str(width)]).stdout.splitlines()
    expected = mosface.Detector(model).detect(image)
    assert len(expected) > 0, "fixture should produce detections"
    # 48 x 80 at stride 8/16/32 and 2 sizes: 2 * (6*10 + 3*5 + 2*3) anchors.
    assert lines[0] == f"anchors=162 faces={len(expected)}"
    got = np.array([[float(v) for v in line.split()] for line in lines[1:]], dtype=np.float32)
    # Same library, same ncnn, same input: only thread scheduling could differ, and
    # ncnn's fp32 sums do not depend on it; %.9g prints float32 exactly.
    np.testing.assert_array_equal(got, expected)
