"""``mosface.priors`` against the numpy reference of the authors' PriorBox."""

from __future__ import annotations

import numpy as np
import pytest

import mosface
from mosface.bench.authors_numpy import ANCHORS, reference_priors


@pytest.mark.parametrize(
    ("height", "width"), [(320, 320), (480, 640), (97, 131), (1, 1), (720, 1280)]
)
def test_priors_match_reference(height: int, width: int) -> None:
    got = mosface.priors(height, width, anchors=ANCHORS)
    expected = reference_priors(height, width)
    assert got.dtype == np.float32
    assert got.shape == expected.shape
    assert got.flags.c_contiguous
    # Same rows in the same order; values are <= ~5.3 here (512 / 97), so
    # float32 rounding of a different but equivalent formula stays < 1e-6.
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_priors_count_at_640() -> None:
    # 2 x (80^2 + 40^2 + 20^2) anchors.
    assert mosface.priors(640, 640, anchors=ANCHORS).shape == (16800, 4)


def test_priors_height_and_width_are_not_swapped() -> None:
    # 97 x 131: 13 x 17 cells at stride 8, so the first row holds 17 cells.
    got = mosface.priors(97, 131, anchors=ANCHORS)
    second_cell = got[2]
    # Exact: both are (1 + 0.5) * 8 / 131 and 0.5 * 8 / 97 rounded once.
    assert second_cell[0] == np.float32(12 / 131)
    assert second_cell[1] == np.float32(4 / 97)


@pytest.mark.parametrize(
    ("height", "width", "name"), [(0, 10, "height"), (10, 0, "width"), (-5, 10, "height")]
)
def test_priors_rejects_empty_size(height: int, width: int, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        mosface.priors(height, width, anchors=ANCHORS)
