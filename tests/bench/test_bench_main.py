"""`mosface bench` end to end on mos-tiny: conversion into the cache, timing, memory, report files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mosface.cli import main

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")


def test_bench_converts_times_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "results"
    argv = ["bench", "--arch", "mos-tiny", "--sizes", "96x64", "--threads", "1", "--runs", "3",
            "--warmup", "1", "--engines", "mosface", "mosface-dense", "onnxruntime", "--no-peers",
            "--cache", str(tmp_path / "cache"), "--out", str(out)]
    assert main(argv) == 0
    report = json.loads((out / "bench.json").read_text())
    assert report["weights"].startswith("seeded, untrained")
    assert [(r["engine"], r["width"], r["height"]) for r in report["results"]] == [
        ("mosface", 96, 64), ("mosface (dense pose heads)", 96, 64), ("onnxruntime+numpy", 96, 64)]
    for row in report["results"]:
        stages = row["stages"]
        assert set(stages) == {"preprocess", "inference", "postprocess", "total"}
        assert stages["total"]["median_ms"] > 0
    memory = {m["engine"]: m["peak_rss_mb"] for m in report["memory"]}
    assert set(memory) == {"mosface", "mosface-dense", "mosface-malloc", "onnxruntime"}
    assert all(20 < value < 2000 for value in memory.values())  # MiB: a real process, not a parse error
    account = next(m for m in report["memory"] if m["engine"] == "mosface")
    assert account["after_imports_mb"] <= account["after_load_mb"] <= account["peak_rss_mb"]
    assert account["peak_rss_mb"] <= account["peak_rss_10_mb"]
    assert 0 < account["activations_mb"] <= account["live_set_mb"] <= account["block_mb"] < account["peak_rss_mb"]
    assert {f["file"] for f in report["files"]} == {"model.param", "model.bin", "pose_heads.bin"}
    assert (out / "bench_stages.png").read_bytes().startswith(b"\x89PNG")
    assert [(s["arch"], s["faces"]) for s in report["stream"]] == [("mos-tiny", 10)]
    printed = capsys.readouterr().out
    assert "| mos-tiny | 96x64 | 1 | mosface |" in printed

    # A second run reuses the cached conversion (no new folder, same files).
    cached = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert main([*argv[:-2], "--out", str(tmp_path / "again"), "--no-memory"]) == 0
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == cached


def test_bench_rejects_bad_arguments(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["bench", "--sizes", "640"])
    assert "WIDTHxHEIGHT" in capsys.readouterr().err
