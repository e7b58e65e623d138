"""mosface.Detector on a tiny ncnn model the tests write themselves.

Reference: the numpy forward pass of that model (tests/tiny_model.py) followed
by the numpy post-processor (mosface.bench.authors_numpy). Both are independent of the
C++ preprocessing, ncnn graph execution and C++ post-processing under test.
"""

from __future__ import annotations

import json
import platform
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

import mosface
from mosface.bench.authors_numpy import reference_postprocess
from tests import tiny_model

# ncnn's fp32 1x1 convolutions sum in another order than numpy: logits differ by
# ~1e-5, which moves decoded pixels by well under 1e-3 and scores by < 1e-5.
PIXEL_TOL = 1e-3
SCORE_TOL = 1e-5
ANGLE_TOL = 1e-3


def assert_same_detections(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.dtype == np.float32
    assert got.shape == expected.shape, f"{got.shape[0]} detections, expected {expected.shape[0]}"
    np.testing.assert_allclose(got[:, 0:4], expected[:, 0:4], atol=PIXEL_TOL, rtol=0)
    np.testing.assert_allclose(got[:, 4], expected[:, 4], atol=SCORE_TOL, rtol=0)
    np.testing.assert_allclose(got[:, 5:15], expected[:, 5:15], atol=PIXEL_TOL, rtol=0)
    np.testing.assert_allclose(got[:, 15:18], expected[:, 15:18], atol=ANGLE_TOL, rtol=0)


def reference_detect(image: np.ndarray, weights, **params) -> np.ndarray:
    outputs = tiny_model.forward(image, weights)
    height, width = image.shape[:2]
    return reference_postprocess(*outputs, height=height, width=width, **params)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("tiny") / "model"
    weights = tiny_model.write_model(folder, seed=3, size_policy="dynamic", height=64, width=64)
    return folder, weights


def random_image(height: int, width: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize(("height", "width"), [(64, 64), (96, 64), (44, 60), (33, 97)])
def test_detect_matches_reference_at_network_size(model, height: int, width: int) -> None:
    folder, weights = model
    image = random_image(height, width, seed=height * width)
    detector = mosface.Detector(folder, input_height=height, input_width=width, num_threads=1)
    expected = reference_detect(image, weights)
    assert expected.shape[0] > 0, "fixture should produce detections"
    assert_same_detections(detector.detect(image), expected)


def test_detections_map_back_to_original_pixels(model) -> None:
    folder, weights = model
    small = random_image(48, 80, seed=11)
    # Each pixel repeated 2x2: ncnn's bilinear 2x downscale returns `small` exactly.
    large = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)
    detector = mosface.Detector(folder, input_height=48, input_width=80, num_threads=1)
    assert detector.network_input_size(height=96, width=160) == (48, 80)
    expected = reference_detect(small, weights, nms_threshold=1.0)
    detector.nms_threshold = 1.0  # NMS off: its +1 pixel rule is not scale invariant
    got = detector.detect(large)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got[:, 0:4], expected[:, 0:4] * 2, atol=2 * PIXEL_TOL, rtol=0)
    np.testing.assert_allclose(got[:, 5:15], expected[:, 5:15] * 2, atol=2 * PIXEL_TOL, rtol=0)
    np.testing.assert_allclose(got[:, 4], expected[:, 4], atol=SCORE_TOL, rtol=0)


def test_fixed_size_model_pads_bottom_right_with_the_mean(tmp_path: Path) -> None:
    weights = tiny_model.write_model(tmp_path, seed=5, size_policy="fixed", height=64, width=64)
    image = random_image(32, 64, seed=2)
    padded = np.empty((64, 64, 3), dtype=np.uint8)
    padded[:] = np.asarray(tiny_model.MEAN_BGR, dtype=np.uint8)  # mean colour = 0 after subtraction
    padded[:32] = image
    detector = mosface.Detector(tmp_path)
    assert detector.size_policy == "fixed"
    assert detector.network_input_size(height=32, width=64) == (64, 64)
    assert_same_detections(detector.detect(image), reference_detect(padded, weights))


def test_fixed_size_model_refuses_another_input_size(tmp_path: Path) -> None:
    tiny_model.write_model(tmp_path, size_policy="fixed", height=64, width=64)
    with pytest.raises(ValueError, match=r"fixed 64x64 .*--dynamic"):
        mosface.Detector(tmp_path, input_height=96, input_width=96)


def test_wrong_anchor_count_is_an_error_not_a_wrong_answer(tmp_path: Path) -> None:
    tiny_model.write_model(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    # The graph gives 2 anchors per cell; a manifest expecting 3 sees too few rows,
    # as a graph with another input size baked in would give.
    manifest["anchors"]["min_sizes"] = [[16, 24, 32], [64, 96, 128], [256, 384, 512]]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    detector = mosface.Detector(tmp_path)
    with pytest.raises(mosface.ModelError, match=r"rows but a 64x64 \(WxH\) input has"):
        detector.detect(random_image(64, 64, seed=0))


def test_param_path_and_explicit_bin_path(model, tmp_path: Path) -> None:
    folder, weights = model
    shutil.copy(folder / "model.bin", tmp_path / "weights.bin")
    image = random_image(64, 64, seed=4)
    detector = mosface.Detector(folder / "model.param", bin_path=tmp_path / "weights.bin")
    assert_same_detections(detector.detect(image), reference_detect(image, weights))


def test_options_are_readable_and_thresholds_settable(model) -> None:
    folder, weights = model
    detector = mosface.Detector(folder, conf_threshold=0.3, nms_threshold=0.5, top_k=100, keep_top_k=10,
                                num_threads=2, powersave="all", light_mode=False, memory_pool=False)
    assert detector.conf_threshold == pytest.approx(0.3)
    assert detector.nms_threshold == pytest.approx(0.5)
    assert (detector.top_k, detector.keep_top_k, detector.num_threads) == (100, 10, 2)
    assert (detector.powersave, detector.fp16, detector.light_mode, detector.memory_pool) == ("all", False, False, False)
    assert (detector.input_height, detector.input_width) == (64, 64)
    assert detector.architecture == "tiny-test"
    image = random_image(64, 64, seed=8)
    detector.conf_threshold = 0.7
    detector.keep_top_k = 3
    expected = reference_detect(image, weights, conf_threshold=0.7, nms_threshold=0.5, top_k=100, keep_top_k=3)
    assert_same_detections(detector.detect(image), expected)
    with pytest.raises(ValueError, match="conf_threshold"):
        detector.conf_threshold = 1.5
    with pytest.raises(ValueError, match="top_k"):
        detector.top_k = 0


def test_timed_detect_reports_stages(model) -> None:
    folder, _ = model
    detector = mosface.Detector(folder)
    image = random_image(64, 64, seed=9)
    faces, timings = detector.detect_timed(image)
    np.testing.assert_array_equal(faces, detector.detect(image))
    assert set(timings) == {"preprocess_ms", "inference_ms", "postprocess_ms"}
    assert all(value >= 0 for value in timings.values())


# Close to the identity, not representable in fp16: rounding moves the class logits by ~1e-4.
CLS_LINEAR = (np.array([[1.0003, 0.37], [-0.41, 0.9997]], np.float32), np.array([0.1, -0.2], np.float32))


def test_fp16_option_reaches_ncnn_on_x86_and_stays_close_on_arm(tmp_path: Path) -> None:
    """ncnn's x86 build keeps fp16 weights only in InnerProduct (and MultiHeadAttention), so on
    a graph with an InnerProduct on the class logits fp16=True must give the numpy forward with
    exactly those weights rounded to fp16 (convolutions untouched) and fp16=False the unrounded
    one. The two references differ by several score tolerances: an fp16 option that never
    reached ncnn, or one that rounded more, fails here. On ARMv8.2+ ncnn rounds every weight
    and activation (~3 significant digits): every confident fp32 face must still be found
    within a pixel."""
    weights = tiny_model.write_model(tmp_path, seed=3, cls_linear=CLS_LINEAR)
    image = random_image(64, 64, seed=12)
    everything = {"conf_threshold": 0.0, "nms_threshold": 1.0, "top_k": 100000, "keep_top_k": 100000}
    fp32 = mosface.Detector(tmp_path, fp16=False, **everything).detect(image)
    detector = mosface.Detector(tmp_path, fp16=True, **everything)
    assert detector.fp16
    fp16 = detector.detect(image)
    assert len(fp32) == 168  # every anchor of a 64 x 64 input: all rows compared
    if platform.machine() in ("x86_64", "AMD64", "i686"):
        rounded = (CLS_LINEAR[0].astype(np.float16).astype(np.float32), CLS_LINEAR[1])
        expected = {name: reference_postprocess(*tiny_model.forward(image, weights, linear), height=64, width=64,
                                                **everything)
                    for name, linear in (("fp32", CLS_LINEAR), ("fp16", rounded))}
        # Both sorted by score: the two references must be told apart by the scores alone.
        assert np.abs(expected["fp16"][:, 4] - expected["fp32"][:, 4]).max() > 5 * SCORE_TOL
        assert_same_detections(fp32, expected["fp32"])
        assert_same_detections(fp16, expected["fp16"])
        return
    confident = fp32[fp32[:, 4] > 0.6]
    assert len(confident) > 0, "fixture should have confident faces"
    for face in confident:
        distances = np.abs(fp16[:, 0:4] - face[0:4]).max(axis=1)
        assert distances.min() < 1.0, f"fp16 lost face {face[:5]}"


def test_concurrent_detect_matches_sequential(model) -> None:
    folder, _ = model
    detector = mosface.Detector(folder, num_threads=1)
    images = [random_image(64 + 8 * i, 64, seed=100 + i) for i in range(8)]
    sequential = [detector.detect(image) for image in images]
    results: dict[tuple[int, int], np.ndarray] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for repeat in range(5):
                for index in range(len(images)):
                    results[worker, repeat * 100 + index] = detector.detect(images[index])
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 4 * 5 * len(images)
    for (_, key), faces in results.items():
        np.testing.assert_array_equal(faces, sequential[key % 100])


def test_setters_during_concurrent_detect_give_one_or_the_other(model) -> None:
    """A call uses the thresholds it started with: each result equals a sequential run at 0.3 or 0.7."""
    folder, _ = model
    detector = mosface.Detector(folder, num_threads=1)
    image = random_image(64, 64, seed=31)
    expected = {}
    for conf in (0.3, 0.7):
        detector.conf_threshold = conf
        expected[conf] = detector.detect(image)
    assert len(expected[0.3]) > len(expected[0.7])  # the two settings are told apart
    stop = threading.Event()
    seen: list[np.ndarray] = []

    def toggle() -> None:
        while not stop.is_set():
            for conf in (0.3, 0.7):
                detector.conf_threshold = conf

    def detect() -> None:
        for _ in range(40):
            seen.append(detector.detect(image))

    toggler = threading.Thread(target=toggle)
    workers = [threading.Thread(target=detect) for _ in range(3)]
    toggler.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    stop.set()
    toggler.join()
    assert len(seen) == 120
    for faces in seen:
        assert any(faces.shape == e.shape and np.array_equal(faces, e) for e in expected.values())


class TestImageInput:
    @pytest.fixture
    def detector(self, model):
        return mosface.Detector(model[0])

    def test_non_contiguous_views_work(self, detector) -> None:
        base = random_image(64, 128, seed=21)
        strided = base[:, ::2]  # pixel stride 6 bytes
        rgb_view = base[:, :64, ::-1]  # negative channel stride
        for view in (strided, rgb_view):
            assert not view.flags.c_contiguous
            np.testing.assert_array_equal(detector.detect(view), detector.detect(np.ascontiguousarray(view)))

    def test_padded_rows_work(self, detector) -> None:
        base = random_image(64, 80, seed=22)
        view = base[:, :64]  # rows of 240 bytes holding 192 used bytes
        np.testing.assert_array_equal(detector.detect(view), detector.detect(view.copy()))

    @pytest.mark.parametrize("shape", [(0, 0, 3), (0, 10, 3), (10, 0, 3)])
    def test_empty_image_gives_no_faces(self, detector, shape) -> None:
        faces = detector.detect(np.zeros(shape, dtype=np.uint8))
        assert faces.shape == (0, 18)
        assert faces.dtype == np.float32

    def test_wrong_dtype(self, detector) -> None:
        with pytest.raises(TypeError, match="uint8"):
            detector.detect(np.zeros((64, 64, 3), dtype=np.float32))

    @pytest.mark.parametrize("shape", [(64, 64), (64, 64, 4), (64, 64, 1), (2, 64, 64, 3)])
    def test_wrong_shape(self, detector, shape) -> None:
        with pytest.raises(ValueError, match=r"shape \(height, width, 3\)"):
            detector.detect(np.zeros(shape, dtype=np.uint8))

    def test_not_an_array(self, detector) -> None:
        with pytest.raises(TypeError):
            detector.detect("image.jpg")


class TestBadModelFiles:
    def test_missing_folder(self, tmp_path: Path) -> None:
        with pytest.raises(FileNotFoundError, match="model not found"):
            mosface.Detector(tmp_path / "nope")

    def test_missing_manifest(self, model, tmp_path: Path) -> None:
        shutil.copy(model[0] / "model.param", tmp_path)
        with pytest.raises(FileNotFoundError, match="manifest"):
            mosface.Detector(tmp_path)

    def test_missing_bin(self, model, tmp_path: Path) -> None:
        for name in ("model.param", "manifest.json"):
            shutil.copy(model[0] / name, tmp_path)
        with pytest.raises(FileNotFoundError, match=r"\.bin"):
            mosface.Detector(tmp_path)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("garbage\x00\xff", "not an ncnn .param file"),
            ("7767517\n-1 99999999999\n", "malformed header"),
            ("7767517\n1 1\nNoSuchLayer x 0 1 in0\n", "could not be parsed by ncnn"),
        ],
    )
    def test_corrupt_param(self, tmp_path: Path, text: str, message: str) -> None:
        tiny_model.write_model(tmp_path)
        (tmp_path / "model.param").write_bytes(text.encode("latin-1"))
        with pytest.raises(mosface.ModelError, match=message):
            mosface.Detector(tmp_path)

    def test_truncated_bin(self, tmp_path: Path) -> None:
        tiny_model.write_model(tmp_path)
        data = (tmp_path / "model.bin").read_bytes()
        (tmp_path / "model.bin").write_bytes(data[: len(data) // 2])
        with pytest.raises(mosface.ModelError, match="truncated"):
            mosface.Detector(tmp_path)

    def test_bin_with_trailing_bytes(self, tmp_path: Path) -> None:
        tiny_model.write_model(tmp_path)
        with (tmp_path / "model.bin").open("ab") as handle:
            handle.write(b"\0" * 64)
        with pytest.raises(mosface.ModelError, match="64 bytes more"):
            mosface.Detector(tmp_path)

    @pytest.mark.parametrize(
        ("edit", "message"),
        [
            (lambda m: m.pop("outputs"), "'outputs' is missing"),
            (lambda m: m["input"].update(mean=[1, 2]), r"input\.mean' must hold 3 numbers"),
            (lambda m: m["input"].update(size_policy="any"), "size_policy"),
            (lambda m: m["input"].update(height=0), r"input\.height' must be a positive integer"),
            (lambda m: m["outputs"].update(yaw="missing_blob"), "'missing_blob' .* is not an output"),
            (lambda m: m["input"].update(blob="image"), "input blob 'image' is not an input"),
            (lambda m: m.update(format="other/2"), "mosface.manifest/1"),
            (lambda m: m["anchors"].update(steps=[8, 16]), "same, non-zero number of levels"),
        ],
    )
    def test_bad_manifest_fields(self, tmp_path: Path, edit, message: str) -> None:
        tiny_model.write_model(tmp_path)
        manifest = json.loads((tmp_path / "manifest.json").read_text())
        edit(manifest)
        (tmp_path / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(mosface.ModelError, match=message):
            mosface.Detector(tmp_path)

    def test_manifest_not_json(self, tmp_path: Path) -> None:
        tiny_model.write_model(tmp_path)
        (tmp_path / "manifest.json").write_text('{"format": "mosface.manifest/1", ')
        with pytest.raises(mosface.ModelError, match="not valid JSON"):
            mosface.Detector(tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"conf_threshold": -0.1}, "conf_threshold"),
        ({"nms_threshold": 2.0}, "nms_threshold"),
        ({"keep_top_k": 0}, "keep_top_k"),
        ({"num_threads": 0}, "num_threads"),
        ({"powersave": "turbo"}, "powersave"),
        ({"input_height": 64}, "both input_height and input_width"),
    ],
)
def test_bad_detector_options(model, kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mosface.Detector(model[0], **kwargs)
