"""Honest learning test and the CLI: training on generated faces must really learn.

mos-tiny at 128x128 on generated images (known boxes, landmarks, pose), the
full recipe (augmentation, uncertainty loss, feedback stitching, hard-sample
mining) through ``main(["train", ...])``; about a minute on 2 CPU cores.
"""

from __future__ import annotations

import csv
from pathlib import Path

import torch

from mosface.training import build_model
from mosface.training.checkpoint import load_checkpoint, load_model
from mosface.training.cli import main
from mosface.training.data.synthetic import SyntheticFaces
from mosface.training.evaluate.quick import dataset_ap

SMOKE = [
    "--set", "data.kind=synthetic",
    "--set", "data.image_size=128",
    "--set", "data.workers=0",
    "--set", "optim.warmup_epochs=1",
    "--set", "optim.lr=0.02",
    "--set", "sampling.mine_max_images=32",
]  # fmt: skip


def train_args(out: Path, *extra: str) -> list[str]:
    return [
        "train",
        "--config",
        "training/configs/mos-tiny.yaml",
        "--out-dir",
        str(out),
        "--device",
        "cpu",
        *SMOKE,
        *extra,
    ]


def read_log(out: Path) -> list[dict[str, float]]:
    with (out / "log.csv").open() as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def test_training_lowers_every_loss_and_detects(tmp_path: Path) -> None:
    torch.manual_seed(0)
    out = tmp_path / "run"
    extra = [
        "--set",
        "data.synthetic_images=96",
        "--set",
        "optim.batch_size=16",
        "--set",
        "optim.epochs=30",
        "--set",
        "optim.milestones=[24]",
    ]
    assert main(train_args(out, *extra)) == 0
    rows = read_log(out)
    assert len(rows) == 30
    for term in ("cls", "box", "landmarks", "pose"):
        late = sum(r[term] for r in rows[-3:]) / 3  # mean of the last epochs: less noisy than one
        assert late < 0.97 * rows[0][term], (
            f"{term}: first epoch {rows[0][term]:.3f}, last epochs {late:.3f}"
        )
    assert (out / "loss_curves.png").stat().st_size > 0

    held_out = SyntheticFaces(24, size=128, seed=1000)  # seeds unlike training's
    trained = dataset_ap(load_model(out / "last.pt"), held_out, 128)
    untrained = dataset_ap(build_model("mos-tiny"), held_out, 128)
    # Measured 0.80 vs 0.006; the margin leaves room for thread-order noise.
    assert trained > 0.5, f"trained AP {trained:.3f}"
    assert trained > untrained + 0.4, f"trained {trained:.3f} vs untrained {untrained:.3f}"


def test_resume_continues_the_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    small = [
        "--set",
        "data.synthetic_images=8",
        "--set",
        "optim.batch_size=4",
        "--set",
        "sampling.hard_mining=false",
    ]
    assert main(train_args(out, *small, "--set", "optim.epochs=1")) == 0
    assert (
        main(train_args(out, *small, "--set", "optim.epochs=2", "--resume", str(out / "last.pt")))
        == 0
    )
    assert [r["epoch"] for r in read_log(out)] == [1.0, 2.0]
    state = load_checkpoint(out / "last.pt")
    assert state["epoch"] == 1
    assert (state["arch"], state["dcn"], state["head"]) == ("mos-tiny", False, "stitch")


def test_bad_config_key_is_reported(tmp_path: Path, capsys) -> None:
    assert main(train_args(tmp_path, "--set", "optim.learning_rate=1")) == 2
    assert "learning_rate" in capsys.readouterr().err
