"""`mosface detect` on awkward inputs: clashing outputs, a folder, a decompression bomb, a
mix of good and bad images, a writer killed mid-write."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mosface.cli import main
from mosface.files import write_atomically
from tests import tiny_model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli_inputs") / "model"
    tiny_model.write_model(folder, seed=3)
    return folder


def write_image(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, size=(64, 96, 3), dtype=np.uint8)).save(path)


def png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims width x height (8-bit RGB) and holds no pixel data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))


def test_two_inputs_drawn_to_one_name_are_refused(model: Path, tmp_path: Path, capsys) -> None:
    write_image(tmp_path / "a" / "x.png", seed=1)
    write_image(tmp_path / "b" / "x.png", seed=2)
    out = tmp_path / "out"
    argv = ["detect", str(tmp_path / "a" / "x.png"), str(tmp_path / "b" / "x.png"), "--model", str(model),
            "--out", str(out)]
    assert main(argv) == 1
    assert "would both be drawn to" in capsys.readouterr().err
    assert not out.exists()  # refused before any work


def test_out_equal_to_the_input_is_refused(model: Path, tmp_path: Path, capsys) -> None:
    image = tmp_path / "a.png"
    write_image(image, seed=3)
    before = image.read_bytes()
    assert main(["detect", str(image), "--model", str(model), "--out", str(image)]) == 1
    assert "is the input image itself" in capsys.readouterr().err
    assert image.read_bytes() == before


def test_folder_as_input_says_so(model: Path, tmp_path: Path, capsys) -> None:
    assert main(["detect", str(tmp_path), "--model", str(model)]) == 1
    assert "is a folder, not an image" in capsys.readouterr().err


def test_decompression_bomb_header_is_a_clear_error(model: Path, tmp_path: Path, capsys) -> None:
    png_header_only(tmp_path / "bomb.png", 40000, 40000)
    assert main(["detect", str(tmp_path / "bomb.png"), "--model", str(model)]) == 1
    assert "too many pixels" in capsys.readouterr().err


def test_good_results_survive_a_bad_image(model: Path, tmp_path: Path, capsys) -> None:
    write_image(tmp_path / "good.png", seed=4)
    (tmp_path / "bad.png").write_text("not a PNG")
    argv = ["detect", str(tmp_path / "good.png"), str(tmp_path / "bad.png"), "--model", str(model), "--json"]
    assert main(argv) == 1  # one image failed
    captured = capsys.readouterr()
    good, bad = json.loads(captured.out)
    assert good["image"].endswith("good.png")
    assert len(good["faces"]) > 0
    assert bad["image"].endswith("bad.png")
    assert "cannot identify image file" in bad["error"]
    assert "bad.png" in captured.err


def test_temporary_of_a_killed_writer_is_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "result.txt"
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from mosface.files import write_atomically\n"
         "def write(tmp):\n"
         "    tmp.write_text('half'); print('writing', flush=True); time.sleep(60)\n"
         f"write_atomically(Path({str(target)!r}), write)"],
        stdout=subprocess.PIPE, text=True,
    )
    assert writer.stdout.readline().strip() == "writing"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    assert len(list(tmp_path.iterdir())) == 1  # the killed writer's temporary
    write_atomically(target, lambda tmp: tmp.write_text("whole"))
    assert [p.name for p in tmp_path.iterdir()] == ["result.txt"]
    assert target.read_text() == "whole"
