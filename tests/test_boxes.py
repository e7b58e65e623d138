"""mosface.boxes.iou_plus_one, the Python home of the +1 pixel IoU, against hand-computed values."""

from __future__ import annotations

import numpy as np

from mosface.boxes import iou_plus_one


def test_iou_plus_one_counts_both_end_pixels() -> None:
    a = np.array([[0.0, 0.0, 9.0, 9.0]])  # 10 x 10 pixels
    b = np.array([[5.0, 5.0, 14.0, 14.0], [10.0, 0.0, 19.0, 9.0], [9.0, 9.0, 9.0, 9.0], [0.0, 0.0, 9.0, 9.0]])
    # 5x5 shared of 100 + 100; touching at x = 10: nothing shared; one shared pixel of a 1x1 box; itself.
    expected = [[25 / 175, 0.0, 1 / 100, 1.0]]
    np.testing.assert_allclose(iou_plus_one(a, b), expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(iou_plus_one(b, a), np.transpose(expected), rtol=1e-12, atol=0)
