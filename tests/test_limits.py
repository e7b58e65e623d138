"""Hostile input: sizes, counts and model files beyond the documented limits
(cpp/include/mosface/limits.hpp) are refused with an exception, never a crash,
a hang or a silently wrong answer. Views claiming huge images are broadcast or
strided over a few bytes, so no test allocates what it claims.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import mosface
from mosface.bench.authors_numpy import ANCHORS
from mosface.bench.planted import planted_outputs
from tests import tiny_model

MAX_INPUT_SIDE = 8192
MAX_THREADS = 256


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("limits") / "model"
    tiny_model.write_model(folder, seed=3, size_policy="dynamic", height=64, width=64)
    return folder


def edited_model(folder: Path, edit) -> Path:
    tiny_model.write_model(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    edit(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def huge_view(height: int, width: int) -> np.ndarray:
    """A read-only (height, width, 3) uint8 view of 3 bytes."""
    return np.broadcast_to(np.zeros((1, 1, 3), dtype=np.uint8), (height, width, 3))


class TestInputSize:
    @pytest.mark.parametrize("side", [MAX_INPUT_SIDE + 1, 46341, 50000])
    def test_network_input_beyond_limit_is_refused(self, model: Path, side: int) -> None:
        with pytest.raises(ValueError, match=r"height and width must be 1\.\.8192"):
            mosface.Detector(model, input_height=side, input_width=side)

    def test_limit_itself_is_accepted(self, model: Path) -> None:
        detector = mosface.Detector(model, input_height=MAX_INPUT_SIDE, input_width=32)
        assert detector.input_height == MAX_INPUT_SIDE

    def test_manifest_size_beyond_limit_is_a_model_error(self, tmp_path: Path) -> None:
        folder = edited_model(tmp_path, lambda m: m["input"].update(height=2**20, width=2**20))
        with pytest.raises(mosface.ModelError, match=r"input\.height' must be a positive integer up to 8192"):
            mosface.Detector(folder)


class TestThreads:
    @pytest.mark.parametrize("threads", [MAX_THREADS + 1, 8192, 32768, 100000])
    def test_thread_count_beyond_limit_is_refused(self, model: Path, threads: int) -> None:
        with pytest.raises(ValueError, match=r"num_threads must be 1\.\.256"):
            mosface.Detector(model, num_threads=threads)

    def test_thread_count_is_fixed_at_construction(self, model: Path) -> None:
        # ncnn's convolutions keep the count they were loaded with; a setter could not hold.
        detector = mosface.Detector(model, num_threads=2)
        with pytest.raises(AttributeError):
            detector.num_threads = 1
        assert detector.num_threads == 2


class TestImageSize:
    def test_width_beyond_int_is_refused_not_truncated(self, model: Path) -> None:
        # Cast to int, 2**32 + 640 would become 640: a silently wrong answer.
        with pytest.raises(ValueError, match="larger than the 2147483647 bytes"):
            mosface.Detector(model).detect(huge_view(1, 2**32 + 640))

    def test_image_beyond_byte_limit_is_refused_before_any_copy(self, model: Path) -> None:
        # 27000 x 27000 x 3 = 2.2 GB > 2**31 - 1; a broadcast view would be copied first.
        with pytest.raises(ValueError, match="downscale it first"):
            mosface.Detector(model).detect(huge_view(27000, 27000))

    def test_row_stride_beyond_int_is_refused(self, model: Path) -> None:
        base = np.zeros(64, dtype=np.uint8)
        view = np.lib.stride_tricks.as_strided(base, shape=(2, 4, 3), strides=(2**31 + 12, 3, 1))
        with pytest.raises(ValueError, match="row stride 2147483660"):
            mosface.Detector(model).detect(view)

    def test_failed_allocation_is_an_error_not_a_crash(self, model: Path) -> None:
        """With the address space capped, ncnn's resize of an image to 8192 x 8192 (800 MB of
        float32) fails; the Detector must say so instead of running on an empty Mat."""
        script = textwrap.dedent(f"""
            import resource, numpy as np, mosface
            detector = mosface.Detector({str(model)!r}, input_height=8192, input_width=8192, num_threads=1)
            image = np.zeros((64, 64, 3), dtype=np.uint8)
            with open("/proc/self/status") as status:
                vm = next(int(line.split()[1]) for line in status if line.startswith("VmSize"))
            limit = (vm << 10) + (256 << 20)  # 256 MB more than now: far below 800 MB
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            try:
                detector.detect(image)
            except (RuntimeError, MemoryError) as error:
                print("refused:", error)
        """)
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "refused:" in result.stdout
        assert "out of memory" in result.stdout


class TestDecodedRange:
    @pytest.mark.parametrize(
        ("index", "column", "value"),
        [(0, 2, 1000.0), (0, 3, 1000.0), (0, 0, 3e38), (0, 1, -3e38), (0, 2, 3e38), (2, 4, 3e38), (2, 9, -3e38)],
    )
    def test_finite_but_absurd_regression_is_refused(self, index: int, column: int, value: float) -> None:
        """exp(1000 * 0.2) and 3e38 * 0.1 * 320 are inf in float32: refused, never returned."""
        arrays = list(planted_outputs(320, 320, 1, seed=0))
        best = int(np.argmax(arrays[1][:, 1] - arrays[1][:, 0]))
        arrays[index] = arrays[index].copy()
        arrays[index][best, column] = value
        with pytest.raises(ValueError, match="out of range"):
            mosface.postprocess(*arrays, height=320, width=320, anchors=ANCHORS)

    def test_large_pose_logits_give_finite_angles(self) -> None:
        arrays = list(planted_outputs(320, 320, 3, seed=1))
        expected = mosface.postprocess(*arrays, height=320, width=320, anchors=ANCHORS)
        for index in (3, 4, 5):
            arrays[index] = np.where(arrays[index] > 0, 3e38, -3e38).astype(np.float32)
        faces = mosface.postprocess(*arrays, height=320, width=320, anchors=ANCHORS)
        np.testing.assert_array_equal(faces[:, :15], expected[:, :15])  # pose changes nothing else
        assert np.isfinite(faces).all()


class TestManifestValues:
    @pytest.mark.parametrize(
        ("edit", "message"),
        [
            (lambda m: m["anchors"].update(variances=[0.1, 1e30]), r"variances must be in \(0, 1"),
            (lambda m: m["anchors"].update(variances=[0.0, 0.2]), r"variances must be in \(0, 1"),
            (lambda m: m["input"].update(norm=[1.0, 0.0, 1.0]), r"input\.norm' must hold 3 numbers > 0"),
            (lambda m: m["input"].update(norm=[1.0, -1.0, 1.0]), r"input\.norm' must hold 3 numbers > 0"),
            (lambda m: m["input"].update(mean=[1e39, 0, 0]), r"input\.mean\[0\]' must be a finite"),
            (lambda m: m["anchors"].update(steps=[8] * 9, min_sizes=[[16]] * 9), "more than 8"),
            (lambda m: m["anchors"].update(min_sizes=[[16] * 65, [64], [256]]), "more than 64"),
            (lambda m: m["anchors"].update(min_sizes=[[16, 32], [64, 128], [256, 1e6]]), "anchor sizes"),
        ],
    )
    def test_out_of_range_values_are_model_errors(self, tmp_path: Path, edit, message: str) -> None:
        with pytest.raises(mosface.ModelError, match=message):
            mosface.Detector(edited_model(tmp_path, edit))


class TestModelFiles:
    @pytest.mark.parametrize("name", ["../../../../dev/zero", "/dev/zero", "sub/../../model.bin", ""])
    def test_manifest_names_stay_inside_the_model_folder(self, tmp_path: Path, name: str) -> None:
        folder = edited_model(tmp_path, lambda m: m["files"].update(bin=name))
        with pytest.raises(mosface.ModelError, match=r"inside the model folder|'files\.bin' is empty"):
            mosface.Detector(folder)

    @pytest.mark.parametrize("linked", ["file", "folder"])
    def test_symlinks_out_of_the_model_folder_are_refused(self, tmp_path: Path, linked: str) -> None:
        """A link inside the folder to a regular file elsewhere (or to a folder elsewhere) is a
        way out, as '../' is: a valid model file is planted there, so only the check refuses it."""
        folder = tmp_path / "model"
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        name = "link.bin" if linked == "file" else "sub/model.bin"
        edited_model(folder, lambda m: m["files"].update(bin=name))
        shutil.copy(folder / "model.bin", elsewhere / "model.bin")
        if linked == "file":
            (folder / "link.bin").symlink_to(elsewhere / "model.bin")
        else:
            (folder / "sub").symlink_to(elsewhere, target_is_directory=True)
        with pytest.raises(mosface.ModelError, match=r"'files\.bin' .* resolves outside the model folder"):
            mosface.Detector(folder)

    def test_symlinks_that_stay_inside_are_followed(self, tmp_path: Path) -> None:
        """Links within the folder, and a link to the folder itself, are not ways out."""
        folder = edited_model(tmp_path / "model", lambda m: m["files"].update(bin="weights/alias.bin"))
        (folder / "weights").mkdir()
        (folder / "weights" / "alias.bin").symlink_to(Path("..") / "model.bin")
        (tmp_path / "current").symlink_to(folder, target_is_directory=True)
        image = np.random.default_rng(0).integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
        expected = mosface.Detector(edited_model(tmp_path / "plain", lambda m: None)).detect(image)
        np.testing.assert_array_equal(mosface.Detector(tmp_path / "current").detect(image), expected)

    def test_fifo_is_refused_without_blocking(self, tmp_path: Path) -> None:
        folder = edited_model(tmp_path, lambda m: m["files"].update(bin="pipe.bin"))
        os.mkfifo(folder / "pipe.bin")
        with pytest.raises(mosface.ModelError, match="not a regular file"):
            mosface.Detector(folder)

    def test_directory_is_a_model_error(self, tmp_path: Path) -> None:
        folder = edited_model(tmp_path, lambda m: m["files"].update(param="sub"))
        (folder / "sub").mkdir()
        with pytest.raises(mosface.ModelError, match="not a regular file"):
            mosface.Detector(folder)

    def test_explicit_bin_path_must_be_a_regular_file(self, model: Path) -> None:
        with pytest.raises(mosface.ModelError, match="not a regular file"):
            mosface.Detector(model / "model.param", "/dev/zero")

    def test_oversized_manifest_is_refused(self, tmp_path: Path) -> None:
        folder = edited_model(tmp_path, lambda m: m.update(padding="x" * (1 << 20)))
        with pytest.raises(mosface.ModelError, match="more than the 1048576 mosface reads"):
            mosface.Detector(folder)


COMMA_LOCALES = ("de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "ru_RU.UTF-8", "nl_NL.UTF-8")


def test_manifest_numbers_do_not_follow_the_c_locale(model: Path) -> None:
    """GUI toolkits call setlocale(LC_ALL, ""); with a ',' decimal point strtod stopped at '104.0'."""
    import locale

    previous = locale.setlocale(locale.LC_ALL)
    for name in COMMA_LOCALES:
        try:
            locale.setlocale(locale.LC_ALL, name)  # the C library's setlocale, process-wide
            break
        except locale.Error:
            continue
    else:
        pytest.skip("no locale with a ',' decimal point is installed (apt-get install locales; locale-gen)")
    try:
        assert locale.localeconv()["decimal_point"] == ","
        image = np.random.default_rng(5).integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
        faces = mosface.Detector(model, num_threads=1).detect(image)
    finally:
        locale.setlocale(locale.LC_ALL, previous)
    expected = mosface.Detector(model, num_threads=1).detect(image)
    assert len(expected) > 0, "fixture should produce detections"
    np.testing.assert_array_equal(faces, expected)
