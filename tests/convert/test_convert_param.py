"""inspect_param refuses layers ncnn cannot run and counts the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from mosface.convert import ConversionError, inspect_param
from mosface.convert.ncnn_files import disable_winograd_on_offset_convs

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


def test_no_winograd_mask_follows_the_offset_input_back_to_its_convolution(tmp_path: Path) -> None:
    """Offsets reach DeformableConv2D through Split/Slice/Concat; only the Convolution that
    computes them gets 31=64, an existing mask is kept (OR), the data-path conv stays as it was."""
    body = (
        "Convolution data 1 1 in0 x 0=8 1=3 4=1\n"
        "Split split 1 2 x x0 x1\n"
        "Convolution offset_conv 1 1 x0 om 0=27 1=3 4=1 31=1\n"
        "Slice slice 1 3 om o1 o2 m -23300=3,9,9,-233\n"
        "Concat offsets 2 1 o1 o2 off\n"
        "Sigmoid mask 1 1 m msk\n"
        "DeformableConv2D dcn 3 1 x1 off msk y 0=8 1=3 4=1\n"
        + "".join(f"ReLU r{i} 1 1 y out{i}\n" for i in range(6))
    )
    path = _write(tmp_path, body, 14)
    assert disable_winograd_on_offset_convs(path) == ["offset_conv"]
    lines = {line.split()[1]: line for line in path.read_text().splitlines()[2:]}
    assert lines["offset_conv"].endswith("31=65")
    assert "31=" not in lines["data"]
    assert inspect_param(path).layer_types["DeformableConv2D"] == 1  # still a valid graph
