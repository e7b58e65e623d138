"""widerface_ap on a hand-built .mat set, box voting, pose MAE, NME."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from mosface.training.evaluate import landmark_nme, pose_mae, widerface_ap
from mosface.training.evaluate.voting import box_vote
from mosface.training.evaluate.widerface import write_prediction_file


def cell(items: list) -> np.ndarray:
    out = np.empty((len(items), 1), dtype=object)
    for i, item in enumerate(items):
        out[i, 0] = item
    return out


def write_gt(gt_dir: Path) -> None:
    """One event, image a: faces f1, f2, f3; image b: f4 (x, y, w, h)."""
    boxes = [
        np.array([[0, 0, 10, 10], [20, 20, 10, 10], [50, 50, 10, 10]], float),
        np.array([[0, 0, 20, 20]], float),
    ]
    scipy.io.savemat(
        gt_dir / "wider_face_val.mat",
        {
            "event_list": cell(["0--Parade"]),
            "file_list": cell([cell(["a", "b"])]),
            "face_bbx_list": cell([cell(boxes)]),
        },
    )
    keeps = {"easy": ([1], []), "medium": ([1, 2], [1]), "hard": ([1, 2, 3], [1])}
    for setting, (a, b) in keeps.items():
        lists = cell([cell([np.array(a, float).reshape(-1, 1), np.array(b, float).reshape(-1, 1)])])
        scipy.io.savemat(gt_dir / f"wider_{setting}_val.mat", {"gt_list": lists})


def test_widerface_ap_by_hand(tmp_path: Path) -> None:
    write_gt(tmp_path)
    preds = np.array(
        [[0, 0, 10, 10, 0.9], [100, 100, 10, 10, 0.8], [20, 20, 10, 10, 0.7], [50, 50, 10, 10, 0.6]]
    )
    write_prediction_file(tmp_path / "pred" / "0--Parade" / "a.txt", "a", preds)
    write_prediction_file(tmp_path / "pred" / "0--Parade" / "b.txt", "b", np.zeros((0, 5)))
    ap = widerface_ap(tmp_path / "pred", tmp_path)
    # Normalised scores 1, 2/3, 1/3, 0 (min 0.6, max 0.9). Hand curves:
    # hard (4 faces): P/R = 1/.25, .5/.25, 2/3/.5, .75/.75 -> AP = .25 + .25*.75 + .25*.75
    # medium (3 faces, f3 ignored: p4 not a proposal): 1/(1/3), .5, 2/3/(2/3) -> 1/3 + 1/3 * 2/3
    # easy (1 face; f2, f3 ignored): 1/1 -> 1
    assert ap["hard"] == pytest.approx(0.625)
    assert ap["medium"] == pytest.approx(5 / 9)
    assert ap["easy"] == pytest.approx(1.0)


def test_widerface_missing_file_is_an_error(tmp_path: Path) -> None:
    write_gt(tmp_path)
    write_prediction_file(tmp_path / "pred" / "0--Parade" / "a.txt", "a", np.zeros((0, 5)))
    with pytest.raises(FileNotFoundError, match=r"0--Parade/b\.txt"):
        widerface_ap(tmp_path / "pred", tmp_path)


def test_box_vote_by_hand() -> None:
    dets = np.array([[0, 0, 10, 10, 0.9], [1, 1, 11, 11, 0.6], [50, 50, 60, 60, 0.8]])
    merged = box_vote(dets)  # the lone box at 50 is dropped, as released
    np.testing.assert_allclose(merged, [[0.4, 0.4, 10.4, 10.4, 0.9]])  # (0*.9 + 1*.6) / 1.5
    assert box_vote(dets, drop_singletons=False).shape == (2, 5)


def test_pose_mae_and_nme() -> None:
    mae = pose_mae(np.array([[10, 0, -5], [0, 4, 5]]), np.array([[8, 0, -5], [0, 0, 0]]))
    assert mae == pytest.approx({"yaw": 1.0, "pitch": 2.0, "roll": 2.5, "mean": 11 / 6})
    truth = np.zeros((1, 5, 2))
    pred = truth + np.array([3.0, 4.0])  # every point 5 px off
    assert landmark_nme(pred, truth, np.array([[0, 0, 10, 40]])) == pytest.approx(5 / 20)


def test_release_pass_scales() -> None:
    from mosface.training.evaluate.predict import pass_scales

    # 640x480: base = min(800 / 480, 1200 / 640) = 5/3; passes 500..1700 relative to 800.
    want = [5 / 3 * s / 800 for s in (500, 800, 1100, 1400, 1700)]
    assert pass_scales(480, 640) == pytest.approx(want)
    assert pass_scales(100, 1200)[1] == pytest.approx(1.0)  # capped by the 1200 px long side


def test_release_result_rows_and_unflip() -> None:
    from mosface.training.evaluate.predict import release_xywh, unflip_boxes

    dets = np.array([[10.7, 20.2, 50.9, 61.5, 0.9], [0.4, 3.99, 7.2, 9.0, 0.5]])
    # x = int(x1), w = int(x2) - int(x1): 10, 20, 50 - 10, 61 - 20.
    np.testing.assert_allclose(release_xywh(dets), [[10, 20, 40, 41, 0.9], [0, 3, 7, 6, 0.5]])
    # A box at x 10..30 in a mirrored 100 px image is at x 100 - 30 - 1 .. 100 - 10 - 1.
    np.testing.assert_allclose(unflip_boxes(np.array([[10.0, 5, 30, 25]]), 100), [[69, 5, 89, 25]])


def test_aflw2000_release_protocol() -> None:
    import torch

    from mosface.training.evaluate.aflw2000 import detect_stretched, pose_summary

    def row(x1, y1, x2, y2, yaw, pitch, roll):
        out = np.zeros(18, np.float32)
        out[:4], out[4], out[15:18] = (x1, y1, x2, y2), 0.9, (yaw, pitch, roll)
        return out

    images = [
        # Largest area wins, not the first (top-score) row: 30x30 beats 20x20.
        (
            np.stack([row(0, 0, 20, 20, 50, 50, 50), row(0, 0, 30, 30, 12, -4, 2)]),
            (10.0, -1.0, 0.0),
        ),
        (np.zeros((0, 18), np.float32), (0.0, 0.0, 0.0)),  # no detection: skipped, not in the MAE
        (np.stack([row(5, 5, 50, 50, -20, 6, 1)]), (-10.0, 0.0, 4.0)),
    ]
    got = pose_summary(images)
    # yaw |12-10|, |-20+10| -> 6; pitch |-4+1|, 6 -> 4.5; roll 2, 3 -> 2.5; mean 13/3.
    assert got == pytest.approx(
        {"yaw": 6.0, "pitch": 4.5, "roll": 2.5, "mean": 13 / 3, "faces": 2, "skipped": 1}
    )

    seen = []

    class Recorder(torch.nn.Module):
        def forward(self, x):
            seen.append(tuple(x.shape))
            n = 2 * sum(((300 + s - 1) // s) ** 2 for s in (8, 16, 32))
            cls = torch.tensor([4.0, -4.0]).repeat(1, n, 1)  # face probability 3e-4 < 0.4
            cls[0, 7] = torch.tensor([-4.0, 4.0])  # one anchor above 0.4
            return (torch.zeros(1, n, 4), cls, torch.zeros(1, n, 10),
                    *[torch.zeros(1, n, 66)] * 3)  # fmt: skip

    rows = detect_stretched(Recorder(), np.zeros((120, 450, 3), np.uint8), 300)
    assert seen == [(1, 3, 300, 300)]  # stretched, aspect not kept
    assert len(rows) == 1


def test_release_validation_metric_by_hand() -> None:
    from mosface.training.evaluate.validation import release_validation

    def det(x1, y1, x2, y2, angles=(0, 0, 0)):
        out = np.zeros(18, np.float32)
        out[:4], out[15:18] = (x1, y1, x2, y2), angles
        return out

    def gt(x1, y1, x2, y2, angles=(0, 0, 0)):
        out = np.full(17, np.nan, np.float32)
        out[:4], out[14:17] = (x1, y1, x2, y2), angles
        return out

    images = [
        # Image 1: 2 faces, 1 detection on face 0 (IoU 1): recall 1/2, precision 1;
        # one detection -> pose counted: |10 - 4|, |0 + 2|, |5 - 5|.
        (np.stack([det(0, 0, 10, 10, (10, 0, 5))]), np.stack([gt(0, 0, 10, 10, (4, -2, 5)), gt(50, 50, 60, 60)])),
        # Image 2: 2 detections (one IoU 100/110 = 0.91, one off), 2 faces: recall 1/2, precision
        # 1/2; both counts != 1 -> no pose.
        (np.stack([det(0, 0, 10, 11), det(30, 30, 40, 40)]), np.stack([gt(0, 0, 10, 10), gt(70, 70, 80, 80)])),
        (np.zeros((0, 18), np.float32), np.stack([gt(0, 0, 10, 10)])),  # no detection: 0 / 1
        (np.stack([det(0, 0, 10, 10)]), np.zeros((0, 17), np.float32)),  # no face: 1 / 0
    ]  # fmt: skip
    got = release_validation(images)
    assert got["recall"] == pytest.approx((0.5 + 0.5 + 0 + 1) / 4)
    assert got["precision"] == pytest.approx((1 + 0.5 + 1 + 0) / 4)
    assert got["pose_images"] == 1
    assert (got["yaw"], got["pitch"], got["roll"]) == pytest.approx((6, 2, 0))
