"""`mosface bench` pieces that need no conversion: engines on a generated model, report, sizes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

import mosface
from mosface.bench.authors_numpy import reference_postprocess
from mosface.bench.cli import time_engine
from mosface.bench.engines import MosfaceEngine, NcnnWheelEngine
from mosface.bench.models import benchmark_image, read_io
from mosface.bench.readme_table import markers, replace_block
from mosface.bench.report import (
    behind,
    markdown_table,
    memory_summary,
    plot_results,
    summary_table,
    write_json,
)
from mosface.sizes import parse_size
from tests import tiny_model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench") / "model"
    tiny_model.write_model(folder, seed=4)
    return folder


def test_ncnn_wheel_engine_gives_the_runtimes_answer(model: Path) -> None:
    pytest.importorskip("ncnn")
    image = benchmark_image(64, 96)
    engine = NcnnWheelEngine(model, threads=1, io=read_io(model))
    infer, _ = engine.infer(image)
    outputs = infer()
    expected = mosface.Detector(model, input_height=64, input_width=96).detect(image)
    got = reference_postprocess(*outputs, height=64, width=96)
    # Two builds of ncnn (the PyPI wheel and ours) on the same graph: float32 sums
    # in a different order move pixels by far less than 1e-3.
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-3, rtol=0)


def test_time_engine_reports_median_and_p90_per_stage(model: Path) -> None:
    engine = MosfaceEngine(model, threads=1, height=64, width=64)
    stats = time_engine(engine, benchmark_image(64, 64), warmup=1, runs=5)
    assert set(stats) == {"preprocess", "inference", "postprocess", "total"}
    for value in stats.values():
        assert 0 <= value["median_ms"] <= value["p90_ms"]


def sample_report() -> dict:
    stages = {stage: {"median_ms": 1.0 + i, "p90_ms": 2.0 + i}
              for i, stage in enumerate(("preprocess", "inference", "postprocess", "total"))}
    return {
        "machine": {"cpu": "Test CPU", "cores": 2, "date": "2026-11-27", "mosface": "0.1.0"},
        "weights": "seeded, untrained", "runs": 30, "warmup": 5,
        "results": [
            {"arch": "mos-s", "height": h, "width": w, "threads": 2, "engine": "mosface",
             "gives": "boxes, landmarks, pose", "stages": stages} for h, w in ((240, 320), (480, 640))
        ] + [{"arch": "peer", "height": 480, "width": 640, "threads": 1, "engine": "dlib HOG",
              "gives": "boxes", "stages": {"total": {"median_ms": 9.0, "p90_ms": 9.5}}}],
        "memory": [{"arch": "mos-s", "engine": "mosface", "height": 480, "width": 640, "peak_rss_mb": 41.5}],
        "files": [{"arch": "mos-s", "file": "model.bin", "bytes": 1234567}],
    }


def test_markdown_table_lists_every_row_with_machine_and_settings() -> None:
    table = markdown_table(sample_report())
    assert "Test CPU, 2 cores; 2026-11-27" in table
    assert "| mos-s | 640x480 | 2 | mosface | 1.00 | 2.00 | 3.00 | 4.00 | 5.00 |" in table
    assert "| peer | 640x480 | 1 | dlib HOG | - | - | - | 9.00 | 9.50 | boxes |" in table
    assert "| mos-s | 640x480 | mosface | 41.5 |" in table
    assert "1,234,567" in table


def _stages(inference: float, total: float) -> dict:
    return {"inference": {"median_ms": inference, "p90_ms": inference}, "total": {"median_ms": total, "p90_ms": total}}


def test_summary_compares_each_cell_and_names_where_mosface_is_behind() -> None:
    rows = [("mosface", 2.0, 4.0), ("mosface (dense pose heads)", 5.0, 7.0), ("ncnn-wheel+numpy", 3.0, 8.0),
            ("onnxruntime+numpy", 1.5, 6.0)]
    report = sample_report()
    report["results"] = [{"arch": "mos-s", "height": 480, "width": 640, "threads": 2, "engine": engine,
                          "gives": "boxes, landmarks, pose", "stages": _stages(inference, total)}
                         for engine, inference, total in rows]
    table = summary_table(report)
    assert "| mos-s | 640x480 | 2 | 4.0 (2.0) | 7.0 (5.0) | 2.50x | 8.0 (3.0) | 6.0 (1.5) |" in table
    assert behind(report) == ["mos-s 640x480 2 thread(s): onnxruntime+numpy inference 1.50 vs 2.00 ms"]
    assert "Cells of this run where another runtime is ahead: mos-s 640x480" in table
    report["results"][3]["stages"] = _stages(2.5, 6.0)
    assert behind(report) == []
    assert "ahead of both other runtimes in every cell" in summary_table(report)


def test_memory_summary_keeps_other_engines_to_640x480_when_short() -> None:
    report = sample_report()
    report["memory"] = [{"arch": "mos-s", "engine": engine, "height": h, "width": w, "peak_rss_mb": 50.0}
                        for engine in ("mosface", "onnxruntime") for h, w in ((240, 320), (480, 640))]
    short = memory_summary(report, ("mos-s",), short=True)
    assert "| mos-s | 320x240 | mosface | 50.0 |" in short
    assert "| mos-s | 640x480 | onnxruntime | 50.0 |" in short
    assert "| mos-s | 320x240 | onnxruntime |" not in short
    assert "| mos-s | 320x240 | onnxruntime |" in memory_summary(report)


def test_json_and_plots_are_written(tmp_path: Path) -> None:
    report = sample_report()
    write_json(tmp_path / "bench.json", report)
    assert json.loads((tmp_path / "bench.json").read_text()) == report
    for path in plot_results(report, tmp_path):
        assert path.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.json", "bench_scaling.png", "bench_stages.png"]


def test_readme_table_replaces_only_the_marked_block() -> None:
    begin, end = markers("bench-table")
    other_begin, other_end = markers("other")
    readme = f"intro\n{begin}\nold table\n{end}\n{other_begin}\nkeep\n{other_end}\n"
    expected = f"intro\n{begin}\nnew\n{end}\n{other_begin}\nkeep\n{other_end}\n"
    assert replace_block(readme, "bench-table", "new") == expected
    with pytest.raises(ValueError, match="markers"):
        replace_block("no markers", "bench-table", "new")


def test_full_tables_live_in_docs_and_the_readme_stays_short() -> None:
    """A newcomer's README: headline figures and a link; the generated tables in docs/benchmarks.md."""
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    benchmarks = (root / "docs" / "benchmarks.md").read_text()
    begin, end = markers("bench-table")
    assert begin not in readme
    assert begin in benchmarks
    assert end in benchmarks
    assert "docs/benchmarks.md" in readme
    longest, run = 0, 0
    for line in readme.splitlines():
        run = run + 1 if line.startswith("|") else 0
        longest = max(longest, run)
    assert longest <= 15, f"README holds a table of {longest} lines: full tables belong in docs/"


@pytest.mark.parametrize("text", ["640", "640x", "x480", "axb", "16x16"])
def test_bad_sizes_are_rejected(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"WIDTHxHEIGHT|at least"):
        parse_size(text)


def test_sizes_are_width_by_height() -> None:
    assert parse_size("640x480") == (480, 640)
