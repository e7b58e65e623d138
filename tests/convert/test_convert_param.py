"""inspect_param refuses layers ncnn cannot run and counts the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from mosface.convert import ConversionError, inspect_param

HEADER = "7767517\n"
OUTPUTS = "".join(f"ReLU r{i} 1 1 x out{i}\n" for i in range(6))


def _write(tmp_path: Path, body: str, layers: int) -> Path:
    path = tmp_path / "model.param"
    path.write_text(HEADER + f"{layers} 8\nInput in0 0 1 in0\n" + body)
    return path


def test_counts_layers_of_a_clean_graph(tmp_path: Path) -> None:
    summary = inspect_param(_write(tmp_path, "Split s 1 1 in0 x\n" + OUTPUTS, 8))
    assert summary.layers == 8
    assert summary.layer_types == {"Input": 1, "ReLU": 6, "Split": 1}


def test_rejects_pnnx_expression(tmp_path: Path) -> None:
    body = "pnnx.Expression e 1 1 in0 x 0=add(@0,1)\n" + OUTPUTS
    with pytest.raises(ConversionError, match=r"pnnx\.Expression x1"):
        inspect_param(_write(tmp_path, body, 8))


def test_rejects_missing_outputs(tmp_path: Path) -> None:
    with pytest.raises(ConversionError, match="out0"):
        inspect_param(_write(tmp_path, "ReLU r 1 1 in0 x\n", 2))


def test_rejects_non_param_file(tmp_path: Path) -> None:
    path = tmp_path / "model.param"
    path.write_text("hello\n")
    with pytest.raises(ConversionError, match="not an ncnn"):
        inspect_param(path)
