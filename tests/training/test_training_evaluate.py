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
