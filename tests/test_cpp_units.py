"""Run the C++ unit tests (cpp/tests, one executable per unit) through CMake and ctest.

The build folder build/ctest is reused between runs; ncnn comes from the same
cache as the Python extension, so only mosface's own sources compile here.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "ctest"


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")
def test_ctest_units_pass() -> None:
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    configure = ["cmake", "-S", str(ROOT), "-B", str(BUILD), *generator,
                 "-DMOSFACE_BUILD_TESTS=ON", "-DMOSFACE_BUILD_PYTHON=OFF", "-DCMAKE_BUILD_TYPE=Release"]
    for command in (configure, ["cmake", "--build", str(BUILD), "-j2"]):
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    result = subprocess.run(["ctest", "--output-on-failure"], cwd=BUILD, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "100% tests passed" in result.stdout
