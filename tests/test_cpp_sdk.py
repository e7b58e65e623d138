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

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(command)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


@pytest.fixture(scope="module")
def sdk_prefix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = ROOT / "build" / "sdk"
    prefix = tmp_path_factory.mktemp("sdk") / "prefix"
    run(
        [
            "cmake",
            "-S",
            str(ROOT),
            "-B",
            str(build),
            "-DMOSFACE_BUILD_PYTHON=OFF",
            "-DCMAKE_BUILD_TYPE=Release",
        ]
    )
    run(["cmake", "--build", str(build), "-j2"])
    run(["cmake", "--install", str(build), "--prefix", str(prefix)])
    return prefix


def build_consumer(name: str, executable: str, prefix: Path, tmp_path: Path) -> Path:
    consumer_build = tmp_path / name
    run(
        [
            "cmake",
            "-S",
            str(ROOT / "tests" / "data" / name),
            "-B",
            str(consumer_build),
            f"-DCMAKE_PREFIX_PATH={prefix}",
        ]
    )
    run(["cmake", "--build", str(consumer_build)])
    return consumer_build / executable


def test_installed_sdk_links_into_a_consumer_project(sdk_prefix: Path, tmp_path: Path) -> None:
    consumer = build_consumer("sdk_consumer", "consumer", sdk_prefix, tmp_path)
    model = tmp_path / "model"
    tiny_model.write_model(model, seed=1)
    output = run([str(consumer), str(model)]).stdout
    expected = mosface.Detector(model).detect(np.full((64, 64, 3), 128, dtype=np.uint8))
    assert output.strip() == f"anchors=168 faces={len(expected)}"


def c_example_image() -> np.ndarray:
    y, x, c = np.mgrid[0:64, 0:96, 0:3]
    return ((7 * x + 13 * y + 50 * c) % 256).astype(np.uint8)


def test_c_example_detects_tracks_and_aligns_like_python(sdk_prefix: Path, tmp_path: Path) -> None:
    example = build_consumer("c_example", "c_example", sdk_prefix, tmp_path)
    model = tmp_path / "model"
    tiny_model.write_model(model, seed=3)
    lines = run([str(example), str(model)]).stdout.splitlines()

    image = c_example_image()
    faces, pose_std = mosface.Detector(model, conf_threshold=0.3, num_threads=1).detect(
        image, return_uncertainty=True
    )
    assert len(faces) > 1, "fixture should give several faces"
    assert lines[0] == "missing model: status 2"
    assert lines[1] == f"faces {len(faces)}"
    printed = np.array(
        [
            [float(v) for v in line.split()[1:6] + line.split()[7:10]]
            for line in lines[2 : 2 + len(faces)]
        ]
    )
    np.testing.assert_allclose(printed[:, 0:4], faces[:, 0:4], atol=1e-3)  # printed to 4 decimals
    np.testing.assert_allclose(printed[:, 4], faces[:, 4], atol=1e-5)
    np.testing.assert_allclose(printed[:, 5:8], pose_std, atol=1e-3)
    rest = lines[2 + len(faces) :]
    assert rest[0] == f"capacity 1: status 4, found {len(faces)}"
    rotated = mosface.Detector(model, conf_threshold=0.3).detect(
        image, rotation=180, roi=(16, 0, 64, 64)
    )
    words = rest.pop(1).split()
    assert words[:4] == ["rotated", "roi", "faces", str(len(rotated))]
    np.testing.assert_allclose([float(words[5]), float(words[6])], rotated[0, 0:2], atol=1e-3)

    tracker = mosface.Tracker()
    for frame in range(3):
        tracks = tracker.update(faces, 40.0 * frame, pose_std)
        assert rest[1 + frame] == f"frame {frame} tracks" + "".join(
            f" {t.id}/{t.hits}" for t in tracks
        )
    assert rest[4] == "old timestamp: status 1"
    _, matrix = mosface.align(image, faces[0])
    np.testing.assert_allclose([float(v) for v in rest[5].split()[1:]], matrix.ravel(), atol=1e-4)
