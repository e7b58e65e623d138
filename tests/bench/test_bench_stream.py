"""The stream row of `mosface bench` on the tiny model: what it times and how it is reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import mosface
from mosface.bench.report import markdown_table
from mosface.bench.stream import planted_faces, time_stream
from tests import tiny_model


def test_planted_faces_are_distinct_faces_inside_the_frame() -> None:
    faces = planted_faces(480, 640, 10, np.random.default_rng(0))
    assert faces.shape == (10, 18)
    assert faces[:, [0, 1]].min() > 0
    assert faces[:, 2].max() < 640
    assert faces[:, 3].max() < 480
    tracks = mosface.Tracker().update(faces, 0.0)
    assert len(tracks) == 10  # no two overlap into one track


def test_time_stream_reports_each_stage_and_the_overhead(tmp_path: Path) -> None:
    tiny_model.write_model(tmp_path, seed=1, size_policy="dynamic", height=64, width=64)
    image = np.random.default_rng(2).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    row = time_stream(tmp_path, image, threads=1, faces=10, warmup=1, runs=3)
    assert row["faces"] == 10
    assert min(row["detect_ms"], row["track_ms"], row["best_shot_ms"]) > 0
    expected = 100 * (row["track_ms"] + row["best_shot_ms"]) / row["detect_ms"]
    assert abs(row["overhead_pct"] - expected) < 1e-9
    report = {"machine": {"cpu": "c", "cores": 2, "date": "d", "mosface": "v"}, "weights": "w", "runs": 3,
              "warmup": 1, "results": [], "memory": [], "files": [],
              "stream": [{"arch": "tiny", "height": 96, "width": 128, "threads": 1, **row}]}
    assert f"| tiny | 128x96 | 1 | 10 | {row['detect_ms']:.2f} |" in markdown_table(report)
