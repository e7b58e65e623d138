"""Shapes of every model, DCNv2 against a naive reference, the 4-D rule, cross-stitch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from mosface.training import build_model
from mosface.training.models.dcn import ModulatedDeformConv2d
from mosface.training.models.heads import CrossStitch
from mosface.training.priors import priors

VARIANTS = [
    (name, dcn, head)
    for name in ("mos-s", "mos-m", "mos-tiny")
    for dcn in (False, True)
    for head in ("stitch", "hard")
]


class MaxDimProbe(TorchDispatchMode):
    """Records the largest rank of any tensor an op produces."""

    def __init__(self) -> None:
        super().__init__()
        self.max_dim = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor):
                self.max_dim = max(self.max_dim, t.dim())
        return out


@pytest.mark.parametrize(("name", "dcn", "head"), VARIANTS)
def test_output_shapes_and_no_tensor_above_4d(name: str, dcn: bool, head: str) -> None:
    torch.manual_seed(0)
    model = build_model(name, dcn=dcn, head=head).eval()
    h, w = 72, 100  # odd sizes: ceil(size / stride) at every level
    n = 2 * sum(math.ceil(h / s) * math.ceil(w / s) for s in (8, 16, 32))
    probe = MaxDimProbe()
    with torch.no_grad(), probe:
        outs = model(torch.randn(2, 3, h, w))
    assert [tuple(o.shape) for o in outs] == [(2, n, k) for k in (4, 2, 10, 66, 66, 66)]
    assert n == priors(h, w).shape[0]
    assert probe.max_dim <= 4, "ncnn holds at most 4-D tensors"


def test_anchor_count_at_640() -> None:
    model = build_model("mos-tiny").eval()
    with torch.no_grad():
        outs = model(torch.zeros(1, 3, 640, 640))
    assert all(o.shape[1] == 16800 for o in outs)
    assert priors(640, 640).shape == (16800, 4)


def test_unknown_names_raise() -> None:
    with pytest.raises(ValueError, match="mos-xl"):
        build_model("mos-xl")
    with pytest.raises(ValueError, match="soft"):
        build_model("mos-s", head="soft")


def naive_dcn(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray, offset: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """Loop-by-loop DCNv2 (3x3, stride 1, pad 1), bilinear with zeros outside."""
    c, h, w = x.shape

    def pixel(y: int, xx: int) -> np.ndarray:
        return x[:, y, xx] if 0 <= y < h and 0 <= xx < w else np.zeros(c)

    out = np.zeros((weight.shape[0], h, w))
    for i in range(h):
        for j in range(w):
            for k in range(9):
                py = i + k // 3 - 1 + offset[2 * k, i, j]
                px = j + k % 3 - 1 + offset[2 * k + 1, i, j]
                y0, x0 = int(np.floor(py)), int(np.floor(px))
                fy, fx = py - y0, px - x0
                v = (
                    pixel(y0, x0) * (1 - fy) * (1 - fx)
                    + pixel(y0, x0 + 1) * (1 - fy) * fx
                    + pixel(y0 + 1, x0) * fy * (1 - fx)
                    + pixel(y0 + 1, x0 + 1) * fy * fx
                )
                out[:, i, j] += weight[:, :, k // 3, k % 3] @ (v * mask[k, i, j])
    return out + bias[:, None, None]


def test_dcn_matches_naive_reference() -> None:
    torch.manual_seed(0)
    layer = ModulatedDeformConv2d(3, 4)
    with torch.no_grad():
        layer.conv_offset_mask.weight.normal_(0, 0.5)  # non-zero offsets, some outside the map
        layer.conv_offset_mask.bias.normal_(0, 1.0)
        layer.bias.normal_()
    x = torch.randn(1, 3, 5, 6)
    with torch.no_grad():
        got = layer(x)[0].numpy()
        om = layer.conv_offset_mask(x)[0].numpy()
    offset = np.concatenate((om[:9], om[9:18]))
    mask = 1 / (1 + np.exp(-om[18:]))
    want = naive_dcn(
        x[0].double().numpy(),
        layer.weight.detach().double().numpy(),
        layer.bias.detach().double().numpy(),
        offset,
        mask,
    )
    np.testing.assert_allclose(got, want, atol=1e-4)  # float32 vs float64 accumulation


def test_cross_stitch_init_and_running_sum() -> None:
    unit = CrossStitch(6, 8)
    assert torch.all(unit.weight[range(6), range(6)] == 0.9)
    assert unit.weight.detach()[0, 1, 0].item() == pytest.approx(0.1)
    with torch.no_grad():
        unit.weight.normal_()
    xs = [torch.randn(2, 8, 3, 4) for _ in range(6)]
    want = torch.einsum("ijc,jbchw->ibchw", unit.weight, torch.stack(xs))
    for got, w in zip(unit(xs), want):
        torch.testing.assert_close(got, w)
