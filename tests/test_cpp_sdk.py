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
    output = run([str(consumer_build / "consumer"), str(model)]).stdout
    expected = mosface.Detector(model).detect(np.full((64, 64, 3), 128, dtype=np.uint8))
    assert output.strip() == f"anchors=168 faces={len(expected)}"
