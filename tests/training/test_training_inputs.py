"""Loaders on files that are not what they claim: a non-checkpoint, non-UTF-8 labels, impossible angles."""

from __future__ import annotations

from pathlib import Path

import pytest

from mosface.training.cli import main
from mosface.training.data.widerface import LabelFormatError, parse_label_file
from mosface.training.official import OfficialCheckpointError, read_official_state_dict

FACE = "10 20 40 40 " + "15 25 0.0 " * 5 + "1.0"


@pytest.mark.parametrize("content", [b"this is not a checkpoint", b"", b"PK\x03\x04 not a zip either"])
def test_non_checkpoint_is_a_named_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "MOS-S.pth"
    path.write_bytes(content)
    with pytest.raises(OfficialCheckpointError, match=r"MOS-S\.pth: not a PyTorch checkpoint"):
        read_official_state_dict(path)


def test_import_official_cli_reports_a_non_checkpoint(tmp_path: Path, capsys) -> None:
    (tmp_path / "MOS-S.pth").write_text("hello")
    assert main(["import-official", str(tmp_path / "MOS-S.pth"), "--arch", "mos-s",
                 "--output", str(tmp_path / "out.pt")]) == 2
    assert "not a PyTorch checkpoint" in capsys.readouterr().err


def test_label_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "label.txt"
    path.write_bytes(b"# caf\xe9.jpg\n" + FACE.encode() + b"\n")
    with pytest.raises(LabelFormatError, match=r"label\.txt: not UTF-8 text \(byte 5"):
        parse_label_file(path)


@pytest.mark.parametrize("angles", ["0 500 0", "-181 0 0", "0 0 180.5"])
def test_pose_labels_are_range_checked(tmp_path: Path, angles: str) -> None:
    path = tmp_path / "label.txt"
    path.write_text(f"# a.jpg\n{FACE} {angles}\n")
    with pytest.raises(LabelFormatError, match=r"label\.txt:2: pitch, yaw and roll must be within \+-180 degrees"):
        parse_label_file(path)


@pytest.mark.parametrize("angles", ["0 0 nan", "inf 0 0"])
def test_non_finite_pose_labels_are_refused(tmp_path: Path, angles: str) -> None:
    """The finiteness check on every number of a line refuses these, before the range check
    (which would refuse them too: NaN is within no range). It predates the range check."""
    path = tmp_path / "label.txt"
    path.write_text(f"# a.jpg\n{FACE} {angles}\n")
    with pytest.raises(LabelFormatError, match=r"label\.txt:2: box width/height must be positive and values finite"):
        parse_label_file(path)


def test_pose_labels_in_range_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "label.txt"
    path.write_text(f"# a.jpg\n{FACE} -170 10 180\n")
    (image,) = parse_label_file(path)
    assert image.faces[0, 14:17].tolist() == [10.0, -170.0, 180.0]  # yaw, pitch, roll
