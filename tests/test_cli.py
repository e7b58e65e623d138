"""`mosface` command line: detect on generated images, JSON and drawings; torch stays out of the runtime."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mosface
from mosface.cli import main
from mosface.draw import pose_axes
from tests import tiny_model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "model"
    tiny_model.write_model(folder, seed=3)
    return folder


def write_image(path: Path, seed: int, height: int = 64, width: int = 96) -> np.ndarray:
    rgb = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(path)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def test_detect_json_matches_the_detector(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bgr = write_image(tmp_path / "a.png", seed=1)
    assert main(["detect", str(tmp_path / "a.png"), "--model", str(model), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    expected, expected_std = mosface.Detector(model).detect(bgr, return_uncertainty=True)
    assert (report["height"], report["width"]) == (64, 96)
    assert len(report["faces"]) == len(expected) > 0
    for face, row, spread in zip(report["faces"], expected, expected_std):
        np.testing.assert_allclose(face["pose_std"], spread, atol=0.01)
        np.testing.assert_allclose(face["box"], row[mosface.BOX], atol=0.01)  # JSON rounds to 0.01 px
        np.testing.assert_allclose(np.ravel(face["landmarks"]), row[mosface.LANDMARKS], atol=0.01)
        assert face["score"] == pytest.approx(row[mosface.SCORE], abs=1e-5)
        assert face["yaw"] == pytest.approx(row[mosface.YAW], abs=0.01)


def test_detect_draws_one_image(model: Path, tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", seed=2)
    out = tmp_path / "drawn" / "a.jpg"
    assert main(["detect", str(tmp_path / "a.png"), "--model", str(model), "--out", str(out)]) == 0
    with Image.open(out) as drawn:
        assert drawn.format == "JPEG"
        assert drawn.size == (96, 64)
    assert [p.name for p in out.parent.iterdir()] == ["a.jpg"]  # no temporary file left


def test_detect_several_images_into_a_folder(model: Path, tmp_path: Path, capsys) -> None:
    for index in range(2):
        write_image(tmp_path / f"img{index}.png", seed=index)
    out = tmp_path / "out"
    argv = ["detect", str(tmp_path / "img0.png"), str(tmp_path / "img1.png"), "--model", str(model),
            "--out", str(out), "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert [Path(entry["annotated"]).name for entry in report] == ["img0.detections.png", "img1.detections.png"]
    assert all(Path(entry["annotated"]).is_file() for entry in report)


def test_missing_image_and_model_are_clear_errors(model: Path, tmp_path: Path, capsys) -> None:
    assert main(["detect", str(tmp_path / "nope.png"), "--model", str(model)]) == 1
    assert "image not found" in capsys.readouterr().err
    write_image(tmp_path / "a.png", seed=0)
    assert main(["detect", str(tmp_path / "a.png"), "--model", str(tmp_path / "no_model")]) == 1
    assert "model not found" in capsys.readouterr().err


def test_pose_axes_at_rest_point_right_down_and_at_the_viewer() -> None:
    (xx, xy), (yx, yy), (zx, zy) = pose_axes(0.0, 0.0, 0.0, size=10.0)
    assert (xx, xy, yx, yy, zx, zy) == pytest.approx((10, 0, 0, 10, 0, 0))
    # Yaw 90 degrees turns the forward axis fully sideways in the image.
    _, _, (zx, zy) = pose_axes(90.0, 0.0, 0.0, size=10.0)
    assert abs(zx) == pytest.approx(10)


def test_import_mosface_does_not_import_torch() -> None:
    code = "import sys, mosface, mosface.cli, mosface.draw; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_one_image_into_an_existing_folder(model: Path, tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", seed=3)
    folder = tmp_path / "annotated"
    folder.mkdir()
    assert main(["detect", str(tmp_path / "a.png"), "--model", str(model), "--out", str(folder)]) == 0
    assert [p.name for p in folder.iterdir()] == ["a.detections.png"]
    assert (folder / "a.detections.png").stat().st_mode & 0o777 != 0o600  # not left private by mkstemp


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("not_an_image", "cannot identify image file"),
        ("bad_suffix", "unknown image suffix '.xyz'"),
    ],
)
def test_unreadable_input_and_unknown_output_format(model: Path, tmp_path: Path, capsys, setup, message) -> None:
    if setup == "not_an_image":
        (tmp_path / "a.png").write_text("this is not a PNG")
        argv = ["detect", str(tmp_path / "a.png"), "--model", str(model)]
    else:
        write_image(tmp_path / "a.png", seed=0)
        argv = ["detect", str(tmp_path / "a.png"), "--model", str(model), "--out", str(tmp_path / "out.xyz")]
    assert main(argv) == 1
    assert message in capsys.readouterr().err
