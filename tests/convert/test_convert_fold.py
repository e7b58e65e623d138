"""Folding (BN, stitch convs + cross-stitch + heads, pose 1x1 into 3x3) is exact in torch.

Reference: the unfolded training model. Odd input sizes put many pixels on
the border, where a naively folded pose bias would be wrong.
"""

from __future__ import annotations

import pytest
import torch

from mosface.convert.fold import fold_linear_heads
from mosface.convert.runners import float64_copy
from mosface.convert.source import seeded_model

# Both sides run in float64, so all that is left is the float32 rounding of the
# folded weights: ~4e-6 relative, ~8e-5 through the input-dependent sampling of
# a DCN model (measured; in float32 the DCN model's own rounding reached 3e-4).
# A wrong fold (e.g. a naive pose bias on the border) is O(1e-1) relative.
REL_TOL = 1e-4


def _max_rel_diff(
    model: torch.nn.Module, folded: torch.nn.Module, height: int, width: int
) -> float:
    x = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(3)) * 255 - 117
    with torch.no_grad():
        pairs = zip(float64_copy(model)(x.double()), float64_copy(folded)(x.double()))
        return max(float((a - b).abs().max() / a.abs().max()) for a, b in pairs)


@pytest.mark.parametrize(
    ("arch", "head", "dcn"),
    [
        ("mos-tiny", "stitch", False),
        ("mos-s", "stitch", False),
        ("mos-s", "hard", False),
        ("mos-tiny", "stitch", True),
    ],
)
def test_folded_model_matches_the_unfolded_one(arch: str, head: str, dcn: bool) -> None:
    model = seeded_model(arch, dcn=dcn, head=head, seed=1)
    folded = fold_linear_heads(model)
    assert _max_rel_diff(model, folded, 72, 104) < REL_TOL


def test_folding_removes_stitch_and_batchnorm_and_leaves_the_source_alone() -> None:
    model = seeded_model("mos-s", dcn=False, head="stitch", seed=1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    folded = fold_linear_heads(model)
    kinds = {type(m).__name__ for m in folded.modules()}
    assert "BatchNorm2d" not in kinds
    assert "CrossStitch" not in kinds
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_pose_fold_is_exact_on_the_border() -> None:
    """A 2 x 3 map: every output pixel of the 3x3 pose conv touches the zero padding."""
    model = seeded_model("mos-s", dcn=False, head="stitch", seed=2)
    folded = fold_linear_heads(model)
    head, folded_head = model.heads[0], folded.heads[0]
    x = torch.rand(1, 64, 2, 3, generator=torch.Generator().manual_seed(4)) * 3
    with torch.no_grad():
        expected, got = head(x), folded_head(x)
    for a, b in zip(expected[3:], got[3:]):
        assert float((a - b).abs().max()) < REL_TOL * float(a.abs().max())
