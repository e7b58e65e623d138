"""Box voting of the release's WIDER FACE protocol (replaces NMS there)."""

from __future__ import annotations

import numpy as np

from ...boxes import iou_plus_one

VOTE_IOU = 0.3
KEEP = 750


def box_vote(dets: np.ndarray, *, drop_singletons: bool = True, keep: int = KEEP) -> np.ndarray:
    """(K, 5) x1, y1, x2, y2, score -> merged (M, 5), sorted by the merge order.

    Take the top box, group every box with IoU >= 0.3 to it (+1 pixel
    convention), replace the group by its score-weighted mean box with the
    group's max score. The release skips groups of one box
    (``drop_singletons=True``), a quirk that costs a little recall.
    """
    dets = dets[np.argsort(-dets[:, 4], kind="stable")]
    merged = []
    while len(dets):
        group_mask = iou_plus_one(dets[:1, :4], dets[:, :4])[0] >= VOTE_IOU
        group, dets = dets[group_mask], dets[~group_mask]
        if len(group) <= 1 and drop_singletons:
            continue
        weights = group[:, 4:5]
        box = (group[:, :4] * weights).sum(axis=0) / weights.sum()
        merged.append(np.append(box, group[:, 4].max()))
    return np.asarray(merged, np.float64).reshape(-1, 5)[:keep]
