"""Bad inputs fail early with a message that names the problem; failures leave no output."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mosface.convert import CheckpointError, ConversionError, load_source, pipeline
from mosface.convert.cli import main
from mosface.training.checkpoint import model_payload, save_checkpoint
from mosface.training.models import build_model

TINY = ["--arch", "mos-tiny", "--input-size", "64x64"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    save_checkpoint(path, model_payload(build_model("mos-tiny")))
    return path


def test_our_checkpoint_loads_with_provenance(checkpoint: Path) -> None:
    source = load_source(checkpoint)
    assert source.provenance["kind"] == "checkpoint"
    assert source.provenance["arch"] == "mos-tiny"
    assert len(source.provenance["sha256"]) == 64


def test_corrupt_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pt"
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="cannot read as a torch checkpoint"):
        load_source(path)


def test_truncated_checkpoint(checkpoint: Path, tmp_path: Path) -> None:
    path = tmp_path / "truncated.pt"
    path.write_bytes(checkpoint.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="is the file complete"):
        load_source(path)


def test_checkpoint_of_another_arch(checkpoint: Path) -> None:
    with pytest.raises(CheckpointError, match="holds 'mos-tiny' but --arch 'mos-s'"):
        load_source(checkpoint, arch="mos-s")


def test_checkpoint_whose_weights_do_not_fit(tmp_path: Path) -> None:
    path = tmp_path / "liar.pt"
    save_checkpoint(path, {**model_payload(build_model("mos-tiny")), "dcn": True})
    with pytest.raises(CheckpointError, match="weights do not fit mos-tiny"):
        load_source(path)


def test_foreign_file_points_to_import_official(tmp_path: Path) -> None:
    path = tmp_path / "release.pth"
    torch.save({"body.conv1.0.weight": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError, match="import-official"):
        load_source(path)


def test_official_file_of_the_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "MOS-S.pth"
    torch.save({"body.conv1.0.weight": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError, match="not the authors' mos-s release"):
        load_source(official=path, arch="mos-s")


def test_missing_checkpoint_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "o")]) == 2
    assert "no such checkpoint" in capsys.readouterr().err


def test_unwritable_out_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    assert main(["convert", *TINY, "--out", str(blocker / "model")]) == 2
    assert "pick a writable --out" in capsys.readouterr().err


def test_existing_out_needs_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "o").mkdir()
    assert main(["convert", *TINY, "--out", str(tmp_path / "o")]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_bad_size_is_a_usage_error() -> None:
    with pytest.raises(SystemExit):
        main(["convert", "--arch", "mos-tiny", "--input-size", "640", "--out", "x"])


def test_failed_gate_exits_1_names_output_and_size_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fold = pipeline.fold_linear_heads

    def corrupt_fold(model: torch.nn.Module) -> torch.nn.Module:
        folded = fold(model)
        with torch.no_grad():
            folded.heads[1].pose_outputs[0].bias.add_(0.5)  # yaw at stride 16 goes wrong
        return folded

    monkeypatch.setattr(pipeline, "fold_linear_heads", corrupt_fold)
    assert main(["convert", *TINY, "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "output yaw" in err
    assert "64x64" in err
    assert list(tmp_path.iterdir()) == []  # no output, no staging folder


def test_interrupt_leaves_no_partial_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "verify", interrupt)
    monkeypatch.setattr(pipeline, "verify_sparse", interrupt)  # the default conversion's gates
    with pytest.raises(KeyboardInterrupt):
        main(["convert", *TINY, "--out", str(tmp_path / "o")])
    assert list(tmp_path.iterdir()) == []


def test_no_fold_is_refused_for_dcn(tmp_path: Path) -> None:
    source = load_source(arch="mos-tiny", dcn=True)
    with pytest.raises(ConversionError, match="plain-conv models only"):
        pipeline.convert(source, tmp_path / "o", height=64, width=64, fold=False)
    assert list(tmp_path.iterdir()) == []
