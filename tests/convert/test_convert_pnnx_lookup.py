"""pnnx is found on PATH or, for a venv used without activating it, beside the interpreter."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mosface.convert import ConversionError
from mosface.convert.ncnn_files import pnnx_executable


def fake_executable(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pnnx"
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_pnnx_beside_the_interpreter_without_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    beside = fake_executable(tmp_path / "venv" / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    assert pnnx_executable() == str(beside)


def test_path_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = fake_executable(tmp_path / "on_path")
    fake_executable(tmp_path / "venv" / "bin")
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    assert pnnx_executable() == str(on_path)


def test_missing_everywhere_names_both_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    with pytest.raises(ConversionError, match="neither on PATH nor in"):
        pnnx_executable()
