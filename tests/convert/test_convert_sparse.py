"""Sparse pose heads (``--pose-heads sparse``): the same faces and angles as the dense graph and torch.

Every conversion here also runs the converter's own gates (pose logits from the
runtime's sparse heads at every anchor against torch's dense logits, and the
Detector end to end, angles within 0.01 degree); a failed gate raises. The tests
add the dense-vs-sparse comparison, border cells named explicitly, each
architecture and route, and bad files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import mosface
from mosface import _core
from mosface.convert import convert, load_source
from mosface.convert.errors import ConversionError
from mosface.convert.runners import ncnn_net, ncnn_outputs, network_input, torch_outputs
from mosface.convert.verify import compare_detections, seeded_image
from mosface.convert.verify_sparse import MAX_SPARSE_ANGLE_DIFF_DEG

RAW_MAX_ABS = 1e-3  # the converter's raw gate: float32 torch vs ncnn logits
HEIGHT, WIDTH = 96, 128


@pytest.fixture(scope="module")
def mos_s(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """MOS-S (stitch head, plain convs) at a fixed 128x96 on the ONNX route, sparse and dense."""
    root = tmp_path_factory.mktemp("mos-s")
    source = load_source(arch="mos-s", seed=5)
    folders = {}
    for mode in ("sparse", "dense"):
        folders[mode] = root / mode
        convert(source, folders[mode], height=HEIGHT, width=WIDTH, pose_heads=mode)
    return folders


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def _max_angle_diffs(manifest: dict) -> list[float]:
    """The sparse heads' own gate: angles from torch's float64 features vs torch's float64 logits."""
    gate = manifest["parity"]["sparse_pose_heads"]
    return [entry["max_angle_diff_deg"] for key, entry in gate.items() if key != "tolerance_deg"]


def test_sparse_manifest_describes_graph_and_pose_file(mos_s: dict[str, Path]) -> None:
    sparse, dense = _manifest(mos_s["sparse"]), _manifest(mos_s["dense"])
    assert sparse["pose_heads"] == "sparse"
    assert dense["pose_heads"] == "dense"
    assert sparse["outputs"] == {"loc": "out0", "cls": "out1", "landmarks": "out2"}
    assert set(dense["outputs"]) == {"loc", "cls", "landmarks", "yaw", "pitch", "roll"}
    pose = sparse["sparse_pose"]
    assert pose["features"] == ["out3", "out4", "out5"]
    assert sparse["files"]["pose_heads"] == "pose_heads.bin"
    assert "pose_heads.bin" in sparse["sha256"]
    assert (mos_s["sparse"] / "pose_heads.bin").stat().st_size == 4 * pose["floats"]
    for level in pose["levels"]:  # MOS-S: folded 3x3 (with the stitch bias channel), then 1x1 to 2 x 66
        assert level["trunk"] == []
        for chain in level["angles"]:
            assert [layer["kind"] for layer in chain] == ["conv3x3", "conv1x1"]
            assert chain[0]["ones_channel"] is True
            assert chain[1]["out"] == 2 * 66
    # The sparse graph has no pose convolutions: 3 levels x 3 angles x 2 convs fewer.
    layers = sparse["conversion"]["ncnn_layer_types"]["Convolution"]
    assert layers == dense["conversion"]["ncnn_layer_types"]["Convolution"] - 18
    assert max(_max_angle_diffs(sparse)) <= MAX_SPARSE_ANGLE_DIFF_DEG


@pytest.mark.parametrize("image_size", [(HEIGHT, WIDTH), (61, 127)])  # network size, and letterboxed
def test_sparse_and_dense_detectors_give_the_same_faces(
    mos_s: dict[str, Path], image_size: tuple[int, int]
) -> None:
    image = seeded_image(*image_size, seed=11)
    results, spreads = [], []
    for mode in ("dense", "sparse"):
        detector = mosface.Detector(mos_s[mode], num_threads=1, conf_threshold=0.55, nms_threshold=0.6)
        faces, pose_std = detector.detect(image, return_uncertainty=True)
        results.append(faces)
        spreads.append(pose_std)
    dense, sparse = results
    if len(dense) == len(sparse):  # the pose spread comes from the same logits (order: by score)
        assert np.abs(spreads[0] - spreads[1]).max() <= 0.01  # degrees, as the angles
        assert spreads[1].min() > 0
    assert len(dense) >= 5  # enough faces to compare, on every level of a small image
    figures, failures = compare_detections(dense, sparse, "sparse vs dense")
    assert failures == []
    assert figures["max_angle_diff_deg"] <= MAX_SPARSE_ANGLE_DIFF_DEG
    assert figures["max_score_diff"] <= 1e-5  # the same loc/cls layers in both graphs


def test_two_threads_give_the_faces_of_one(mos_s: dict[str, Path]) -> None:
    """With two threads the small layers run on one (featmask 128) and the rest on both: same faces."""
    image = seeded_image(HEIGHT, WIDTH, seed=11)
    one, two = (mosface.Detector(mos_s["sparse"], num_threads=threads, conf_threshold=0.55,
                                 nms_threshold=0.6).detect(image) for threads in (1, 2))
    assert len(one) >= 5
    figures, failures = compare_detections(one, two, "two threads vs one")
    assert failures == []
    assert figures["max_score_diff"] <= 1e-5  # float32 sums split differently across threads at most


def test_pose_logits_on_border_cells_match_torch(mos_s: dict[str, Path]) -> None:
    """Corner and edge cells of every level (zero padding on one or two sides) against torch's dense logits."""
    source = load_source(arch="mos-s", seed=5)
    x = network_input(seeded_image(HEIGHT, WIDTH, seed=3), height=HEIGHT, width=WIDTH)
    expected = torch_outputs(source.model, x)
    net = ncnn_net(mos_s["sparse"] / "model.param", mos_s["sparse"] / "model.bin")
    features = ncnn_outputs(net, x, feature_maps=3)[3:]
    anchors, first = [], 0
    for feature in features:
        rows, cols = feature.shape[1:]
        for row, col in {(0, 0), (0, cols - 1), (rows - 1, 0), (rows - 1, cols - 1), (0, cols // 2), (rows // 2, 0)}:
            anchors += [first + 2 * (row * cols + col) + size for size in (0, 1)]
        first += 2 * rows * cols
    logits = _core.SparsePoseHeads(str(mos_s["sparse"])).logits(features, HEIGHT, WIDTH, np.array(anchors))
    for angle in range(3):
        diff = np.abs(logits[:, angle] - expected[3 + angle][anchors]).max()
        assert diff <= RAW_MAX_ABS, (angle, diff)


def test_tiny_shared_trunk_with_dcn_on_the_dynamic_route(tmp_path: Path) -> None:
    source = load_source(arch="mos-tiny", dcn=True, seed=6)
    manifest = convert(
        source, tmp_path / "tiny", height=HEIGHT, width=WIDTH, dynamic=True, gate_sizes=[(96, 128), (72, 130)]
    )
    assert manifest["conversion"]["route"].startswith("torchscript")
    assert manifest["conversion"]["ncnn_layer_types"]["DeformableConv2D"] == 17
    trunk = manifest["sparse_pose"]["levels"][0]["trunk"]
    assert [layer["kind"] for layer in trunk] == ["conv1x1", "depthwise3x3", "conv1x1"]
    assert max(_max_angle_diffs(manifest)) <= MAX_SPARSE_ANGLE_DIFF_DEG


def test_hard_head_without_stitch_bias_at_odd_sizes(tmp_path: Path) -> None:
    """Hard connection: no stitch bias, so the 3x3 has no ones channel (the runtime pads a zero row)."""
    source = load_source(arch="mos-s", head="hard", seed=7)
    manifest = convert(
        source, tmp_path / "hard", height=65, width=97, dynamic=True, gate_sizes=[(65, 97), (97, 65)]
    )
    assert manifest["sparse_pose"]["levels"][1]["angles"][0][0]["ones_channel"] is False
    assert max(_max_angle_diffs(manifest)) <= MAX_SPARSE_ANGLE_DIFF_DEG


@pytest.mark.slow
def test_mos_m_with_dcn_fixed_size(tmp_path: Path) -> None:
    source = load_source(arch="mos-m", dcn=True, seed=8)
    manifest = convert(source, tmp_path / "m", height=HEIGHT, width=WIDTH)
    assert max(_max_angle_diffs(manifest)) <= MAX_SPARSE_ANGLE_DIFF_DEG


def test_sparse_needs_the_folded_model(tmp_path: Path) -> None:
    source = load_source(arch="mos-tiny")
    with pytest.raises(ConversionError, match="sparse pose heads need the folded model"):
        convert(source, tmp_path / "o", height=64, width=64, fold=False)


class TestBadPoseFiles:
    def _copy(self, mos_s: dict[str, Path], tmp_path: Path) -> Path:
        folder = tmp_path / "copy"
        shutil.copytree(mos_s["sparse"], folder)
        return folder

    def test_truncated_pose_file(self, mos_s: dict[str, Path], tmp_path: Path) -> None:
        folder = self._copy(mos_s, tmp_path)
        data = (folder / "pose_heads.bin").read_bytes()
        (folder / "pose_heads.bin").write_bytes(data[:-8])
        with pytest.raises(mosface.ModelError, match="do not belong together"):
            mosface.Detector(folder)

    def test_missing_pose_file(self, mos_s: dict[str, Path], tmp_path: Path) -> None:
        folder = self._copy(mos_s, tmp_path)
        (folder / "pose_heads.bin").unlink()
        with pytest.raises(FileNotFoundError, match="pose heads"):
            mosface.Detector(folder)

    @pytest.mark.parametrize(
        ("key", "value", "message"),
        [
            ("in", 63, "takes 63 channels"),
            ("weight", 10**9, "past the end"),
            ("kind", "conv5x5", "must be conv1x1"),
        ],
    )
    def test_inconsistent_layer(
        self, mos_s: dict[str, Path], tmp_path: Path, key: str, value: object, message: str
    ) -> None:
        folder = self._copy(mos_s, tmp_path)
        manifest = _manifest(folder)
        manifest["sparse_pose"]["levels"][2]["angles"][1][0][key] = value
        (folder / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(mosface.ModelError, match=message):
            mosface.Detector(folder)
