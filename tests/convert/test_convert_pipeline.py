"""End to end: `mosface convert` on small seeded models, through every gate.

The gates themselves compare against the unfolded torch model, onnxruntime
and mosface.Detector; these tests check that they ran, what was written, and
that reruns are byte-identical.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mosface
from mosface.convert import check, convert, load_source
from mosface.convert.cli import main
from mosface.convert.runners import ncnn_net, ncnn_outputs, network_input, torch_outputs
from mosface.convert.verify import seeded_image
from mosface.training.priors import manifest_anchors

FIXED = ["--arch", "mos-tiny", "--input-size", "128x96"]  # WxH: height 96, width 128
FILES = ("model.param", "model.bin", "model.onnx", "pose_heads.bin", "manifest.json")
SHUFFLE_UNITS = 16  # ShuffleNetV2 stages 2-4: 4 + 8 + 4 units, one channel shuffle each


def assert_shuffles_fused(layer_types: dict[str, int]) -> None:
    """Each shuffle is one ShuffleChannel; the reshape/permute form made dynamic graphs ~10x slower."""
    assert layer_types.get("ShuffleChannel") == SHUFFLE_UNITS


@pytest.fixture(scope="module")
def fixed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fixed") / "mos-tiny"
    assert main(["convert", *FIXED, "--out", str(out)]) == 0
    return out


def test_fixed_conversion_writes_the_runtime_manifest(fixed_dir: Path) -> None:
    assert sorted(p.name for p in fixed_dir.iterdir()) == sorted(FILES)
    manifest = json.loads((fixed_dir / "manifest.json").read_text())
    assert manifest["format"] == "mosface.manifest/1"
    assert manifest["input"] == {
        "blob": "in0",
        "mean": [104.0, 117.0, 123.0],
        "norm": [1.0, 1.0, 1.0],
        "size_policy": "fixed",
        "height": 96,
        "width": 128,
    }
    assert manifest["outputs"] == {"loc": "out0", "cls": "out1", "landmarks": "out2"}
    assert manifest["pose_heads"] == "sparse"  # the default; the pose logits come from pose_heads.bin
    assert manifest["source"]["kind"] == "untrained seeded"
    assert manifest["conversion"]["route"].startswith("onnx")
    sizes = manifest["parity"]["sizes"]["128x96"]
    assert set(sizes) >= {"ncnn", "onnxruntime"}
    assert sizes["ncnn"]["detections"]["count"] > 0  # the detection gate compared something
    assert manifest["parity"]["detector"]["count"] > 0
    assert set(manifest["sha256"]) == {"model.param", "model.bin", "model.onnx", "pose_heads.bin"}
    assert_shuffles_fused(manifest["conversion"]["ncnn_layer_types"])


def test_detector_runs_the_fixed_conversion_and_refuses_other_sizes(fixed_dir: Path) -> None:
    detector = mosface.Detector(fixed_dir, num_threads=1)
    assert detector.network_input_size(height=480, width=640) == (96, 128)
    assert detector.detect(seeded_image(300, 200, seed=5)).shape[1] == 18


def test_same_input_gives_byte_identical_files(fixed_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert main(["convert", *FIXED, "--out", str(again)]) == 0
    for name in FILES:
        assert (again / name).read_bytes() == (fixed_dir / name).read_bytes(), name


def test_check_reruns_the_gates(fixed_dir: Path) -> None:
    assert check(fixed_dir).passed
    assert main(["convert", "--check", str(fixed_dir)]) == 0


def test_check_refuses_a_changed_model(
    fixed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in FILES:
        (copy / name).write_bytes((fixed_dir / name).read_bytes())
    with open(copy / "model.bin", "r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x7f\x7f\x7f\x7f")
    assert main(["convert", "--check", str(copy)]) == 2
    assert "model.bin" in capsys.readouterr().err


def test_dynamic_conversion_runs_at_any_size(tmp_path: Path) -> None:
    source = load_source(arch="mos-tiny", seed=3)
    sizes = [(96, 96), (64, 160), (130, 72)]  # (height, width); 130 and 72 are not multiples of 32
    manifest = convert(
        source, tmp_path / "dyn", height=96, width=128, dynamic=True, gate_sizes=sizes, pose_heads="dense"
    )
    assert manifest["input"]["size_policy"] == "dynamic"
    assert set(manifest["parity"]["sizes"]) == {"96x96", "160x64", "72x130"}
    assert_shuffles_fused(manifest["conversion"]["ncnn_layer_types"])
    # One more size, outside the gates: the anchor count follows the input.
    net = ncnn_net(tmp_path / "dyn" / "model.param", tmp_path / "dyn" / "model.bin")
    x = network_input(seeded_image(200, 40, seed=9), height=200, width=40)
    got, expected = ncnn_outputs(net, x), torch_outputs(source.model, x)
    assert got[0].shape == expected[0].shape == (len(mosface.priors(200, 40, anchors=manifest_anchors())), 4)
    assert float(np.abs(got[3] - expected[3]).max()) < 1e-3  # the fp32 gate's bound


def test_dcn_model_converts_to_deformable_conv(tmp_path: Path) -> None:
    source = load_source(arch="mos-tiny", dcn=True, seed=4)
    manifest = convert(
        source, tmp_path / "dcn", height=64, width=96, dynamic=True, gate_sizes=[(64, 96), (96, 64)]
    )
    types = manifest["conversion"]["ncnn_layer_types"]
    assert types["DeformableConv2D"] == 17  # 2 FPN merges + 3 levels x 5 SSH convs
    assert "GridSample" not in types


def test_fp16_weights_pass_the_conversion_gate_and_report_their_rounding(tmp_path: Path) -> None:
    """ncnn with fp16 weights matches torch with the same rounded weights (1e-3); the
    rounding's own effect on this chaotic seeded model is recorded, not gated."""
    out = tmp_path / "fp16"
    assert main(["convert", *FIXED, "--fp16", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["conversion"]["fp16_weights"] is True
    size = manifest["parity"]["sizes"]["128x96"]
    assert max(size["ncnn"]["max_abs_diff"].values()) <= 1e-3
    assert max(size["onnxruntime"]["max_abs_diff"].values()) <= 1e-3  # fp32 model.onnx vs fp32 torch
    assert max(size["fp16_rounding_effect"].values()) > 1e-3  # rounding does move the outputs
    fp32_bin = main(["convert", *FIXED, "--out", str(tmp_path / "fp32")])
    assert fp32_bin == 0
    # fp16 storage halves the convolution weights (biases stay fp32).
    assert (out / "model.bin").stat().st_size < 0.6 * (tmp_path / "fp32" / "model.bin").stat().st_size
