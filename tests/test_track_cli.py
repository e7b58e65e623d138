"""`mosface track` on a generated video: one JSON line per frame, the same tracks as the
Python pipeline on the decoded frames, best shots and an annotated video written whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mosface
from mosface.cli import main
from mosface.stream import track_frame
from tests import tiny_model

cv2 = pytest.importorskip("cv2")

FPS = 25.0
FRAMES = 12


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("track") / "model"
    tiny_model.write_model(folder, seed=3)
    return folder


def write_video(path: Path) -> None:
    """A random texture drifting right by 2 px a frame: the tiny model finds steady faces in it."""
    texture = np.random.default_rng(0).integers(0, 256, (64, 128, 3), dtype=np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (96, 64))
    assert writer.isOpened()
    for frame in range(FRAMES):
        writer.write(np.ascontiguousarray(texture[:, 2 * frame : 2 * frame + 96]))
    writer.release()


def decoded_frames(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


def test_track_writes_one_json_line_per_frame_and_best_shots(model: Path, tmp_path: Path) -> None:
    video = tmp_path / "walk.avi"
    write_video(video)
    out_json, shots, annotated = (
        tmp_path / "out" / "tracks.jsonl",
        tmp_path / "shots",
        tmp_path / "out" / "a.avi",
    )
    argv = [
        "track",
        str(video),
        "--model",
        str(model),
        "--json",
        str(out_json),
        "--best-shots",
        str(shots),
        "--out",
        str(annotated),
        "--no-progress",
        "--threads",
        "1",
    ]
    assert main(argv) == 0

    lines = [json.loads(line) for line in out_json.read_text().splitlines()]
    assert [line["frame"] for line in lines] == list(range(FRAMES))
    np.testing.assert_allclose(
        [line["timestamp_ms"] for line in lines], np.arange(FRAMES) * 1000 / FPS, atol=1e-3
    )

    # The same pipeline in Python on the same decoded frames.
    detector = mosface.Detector(model, conf_threshold=0.3, num_threads=1)
    tracker = mosface.Tracker()
    seen: set[int] = set()
    for line, frame in zip(lines, decoded_frames(video)):
        tracks = track_frame(detector, tracker, frame, line["timestamp_ms"])
        assert [t["id"] for t in line["tracks"]] == [t.id for t in tracks]
        for entry, track in zip(line["tracks"], tracks):
            np.testing.assert_allclose(
                entry["face"]["box"], track.face[mosface.BOX], atol=0.01
            )  # JSON: 0.01 px
            assert entry["hits"] == track.hits
            seen.add(track.id)
    assert len(seen) > 0
    # The random tiny model's faces flicker a little; steady ones keep one id over most of the video.
    assert max(t["hits"] for t in lines[-1]["tracks"]) >= FRAMES - 2

    # One best shot (crop + JSON) per track, all ended at the end of the video.
    assert sorted(p.name for p in shots.glob("*.png")) == [
        f"track-{i:06d}.png" for i in sorted(seen)
    ]
    meta = json.loads((shots / f"track-{min(seen):06d}.json").read_text())
    assert set(meta["quality"]) == {"frontal", "certainty", "size", "score", "sharpness", "total"}
    assert cv2.imread(str(shots / f"track-{min(seen):06d}.png")).shape == (112, 112, 3)
    assert len(decoded_frames(annotated)) == FRAMES
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")], (
        "temporary files left"
    )


def test_track_reports_a_missing_video(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["track", str(tmp_path / "none.mp4"), "--model", str(model), "--no-progress"]) == 1
    assert "video not found" in capsys.readouterr().err
