"""Honest learning test and the CLI: training on generated faces must really learn.

mos-tiny at 128x128 on generated images (known boxes, landmarks, pose), the
full recipe (augmentation, uncertainty loss, feedback stitching, hard-sample
mining) through ``main(["train", "--config", "training/configs/synthetic.yaml"])``,
the README's example; a few minutes on 2 CPU cores.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from mosface.training import build_model
from mosface.training.checkpoint import load_checkpoint, load_model
from mosface.training.cli import main
from mosface.training.data.synthetic import SyntheticFaces
from mosface.training.evaluate.quick import dataset_ap


def train_args(out: Path, *extra: str) -> list[str]:
    config = "training/configs/synthetic.yaml"
    return ["train", "--config", config, "--out-dir", str(out), "--device", "cpu", *extra]


def read_log(out: Path) -> list[dict[str, float]]:
    with (out / "log.csv").open() as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def test_training_lowers_every_loss_and_detects(tmp_path: Path) -> None:
    torch.manual_seed(0)
    out = tmp_path / "run"
    assert main(train_args(out)) == 0  # the README's example: training/configs/synthetic.yaml
    rows = read_log(out)
    assert len(rows) == 30
    for term in ("cls", "box", "landmarks", "pose"):
        late = sum(r[term] for r in rows[-3:]) / 3  # mean of the last epochs: less noisy than one
        assert late < 0.97 * rows[0][term], (
            f"{term}: first epoch {rows[0][term]:.3f}, last epochs {late:.3f}"
        )
    assert (out / "loss_curves.png").stat().st_size > 0
    assert any(r["stitched_fraction"] > 0 for r in rows)  # the feedback rule did stitch
    assert any(r["hard_set"] > 0 for r in rows)

    reported = json.loads((out / "held_out_ap.json").read_text())["ap"]
    held_out = SyntheticFaces(24, size=128, seed=1000)  # seeds unlike training's
    trained = dataset_ap(load_model(out / "last.pt"), held_out, 128)
    untrained = dataset_ap(build_model("mos-tiny"), held_out, 128)
    assert reported == pytest.approx(trained, abs=1e-4)
    # Measured 0.755 (one torch thread) vs 0.006; the margin leaves room for thread-order noise.
    assert trained > 0.5, f"trained AP {trained:.3f}"
    assert trained > untrained + 0.4, f"trained {trained:.3f} vs untrained {untrained:.3f}"


def test_resume_continues_the_run(tmp_path: Path) -> None:
    small = [
        "--set",
        "data.synthetic_images=8",
        "--set",
        "optim.batch_size=4",
        "--set",
        "sampling.hard_mining=false",
    ]
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert main(train_args(straight, *small, "--set", "optim.epochs=2")) == 0
    assert main(train_args(resumed, *small, "--set", "optim.epochs=1")) == 0
    last = str(resumed / "last.pt")
    assert main(train_args(resumed, *small, "--set", "optim.epochs=2", "--resume", last)) == 0
    rows = read_log(resumed)
    assert [r["epoch"] for r in rows] == [1.0, 2.0]
    state = load_checkpoint(resumed / "last.pt")
    assert state["epoch"] == 1
    assert (state["arch"], state["dcn"], state["head"]) == ("mos-tiny", False, "stitch")
    # The resumed epoch draws the same data stream as the uninterrupted run: same losses and
    # weights (up to float reduction order: 1e-5).
    want = read_log(straight)[1]
    for term in ("total", "cls", "box", "landmarks", "pose", "stitched_fraction"):
        assert rows[1][term] == pytest.approx(want[term], rel=1e-5, abs=1e-6), term
    reference = load_checkpoint(straight / "last.pt")["state_dict"]
    for key, value in state["state_dict"].items():
        torch.testing.assert_close(value, reference[key], rtol=1e-5, atol=1e-5, msg=key)


def test_bad_config_key_is_reported(tmp_path: Path, capsys) -> None:
    assert main(train_args(tmp_path, "--set", "optim.learning_rate=1")) == 2
    assert "learning_rate" in capsys.readouterr().err
