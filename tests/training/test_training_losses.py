"""Matching, box coding and every loss term on hand-computed cases."""

from __future__ import annotations

import math

import pytest
import torch

from mosface.training.box_utils import decode, decode_landmarks, encode, encode_landmarks
from mosface.training.losses import (
    FixedWeighting,
    LossTerms,
    MultiTaskLoss,
    UncertaintyWeighting,
    angle_to_bin,
    expected_angle,
    ohem_cls_loss,
    pose_loss,
)
from mosface.training.priors import priors
from mosface.training.targets import build_targets, match

NAN = float("nan")


def test_match_threshold_and_forced_best_anchor() -> None:
    anchors = torch.tensor([[0.25, 0.25, 0.5, 0.5], [0.75, 0.75, 0.5, 0.5], [0.5, 0.5, 0.2, 0.2]])
    faces = torch.tensor(
        [
            [0.0, 0.0, 0.5, 0.5],  # anchor 0 exactly (IoU 1)
            [0.5, 0.5, 0.8, 0.8],  # IoU with anchor 1 = 0.09 / 0.25 = 0.36 >= 0.35
        ]
    )
    idx, pos = match(faces, anchors)
    assert pos.tolist() == [True, True, False]
    assert idx[:2].tolist() == [0, 1]
    # A face whose best IoU (0.25) is below 0.35 still gets that anchor ...
    idx, pos = match(torch.tensor([[0.5, 0.5, 1.0, 0.75]]), anchors[1:2])
    assert pos.tolist() == [True]
    # ... unless that best IoU is below 0.2 (RetinaFace).
    _, pos = match(torch.tensor([[0.5, 0.5, 0.6, 0.6]]), anchors[1:2])
    assert pos.tolist() == [False]
    _, pos = match(torch.zeros(0, 4), anchors)
    assert not pos.any()


def test_encode_decode_round_trip() -> None:
    p = priors(64, 96)[:50]
    boxes = torch.cat((p[:, :2] - 0.03, p[:, :2] + 0.05), dim=1)
    torch.testing.assert_close(decode(encode(boxes, p), p), boxes)
    pts = p[:, :2].repeat(1, 5) + torch.linspace(-0.02, 0.02, 10)
    torch.testing.assert_close(decode_landmarks(encode_landmarks(pts, p), p), pts)
    # Hand value: a box equal to its prior encodes to zeros.
    torch.testing.assert_close(encode(decode(torch.zeros(1, 4), p[:1]), p[:1]), torch.zeros(1, 4))


def test_targets_flags() -> None:
    p = priors(64, 64)
    faces = torch.tensor(
        [
            [8, 8, 24, 24, *([16.0] * 10), 10.0, -5.0, 3.0],  # 16 px: small, with landmarks + pose
            [0, 0, 64, 64, *([NAN] * 10), NAN, NAN, NAN],  # 64 px: no landmarks, no pose
        ]
    )
    t = build_targets([faces], p, 64, 64)
    pos = t.labels[0] > 0
    assert pos.sum() >= 2
    assert (t.small[0] & pos).any()
    assert not (t.small[0] & ~pos).any()
    assert t.landmarks_valid[0].sum() < pos.sum()  # the big face has none
    assert torch.allclose(t.pose[0][t.pose_valid[0]], torch.tensor([10.0, -5.0, 3.0]))


def test_pose_bins_and_expectation() -> None:
    assert angle_to_bin(torch.tensor([-99.0, -0.5, 0.0, 98.9, 120.0])).tolist() == [
        0,
        32,
        33,
        65,
        65,
    ]
    assert float(expected_angle(torch.zeros(66))) == pytest.approx(3 * 32.5 - 99)  # uniform
    one_hot = torch.full((66,), -1e4)
    one_hot[40] = 0.0
    assert float(expected_angle(one_hot)) == pytest.approx(3 * 40 - 99)


def test_pose_loss_hand_case() -> None:
    # Uniform logits, label 0 deg: CE = log 66; expected angle -1.5 -> MSE 2.25.
    got = pose_loss(torch.zeros(2, 66), torch.zeros(2))
    assert float(got) == pytest.approx(math.log(66) + 0.001 * 2.25, rel=1e-6)
    assert float(pose_loss(torch.zeros(0, 66), torch.zeros(0))) == 0.0


def test_ohem_picks_three_hardest_negatives() -> None:
    # One positive with logits (0, 0): CE = log 2. Negatives' CE = softplus(z1 - z0).
    z = torch.tensor([[0.0, 0.0], [0.0, 3.0], [0.0, 1.0], [0.0, -2.0], [0.0, 2.0], [0.0, 0.5]])
    labels = torch.tensor([[1, 0, 0, 0, 0, 0]])
    softplus = [math.log1p(math.exp(v)) for v in (3.0, 2.0, 1.0)]  # the three hardest negatives
    want = (math.log(2) + sum(softplus)) / 1
    assert float(ohem_cls_loss(z[None], labels)) == pytest.approx(want, rel=1e-6)


def test_multitask_loss_zero_for_perfect_regression() -> None:
    p = priors(64, 64)
    faces = torch.tensor([[8, 8, 40, 40, *([20.0] * 10), 0.0, 0.0, 0.0]])
    t = build_targets([faces], p, 64, 64)
    n = p.shape[0]
    cls = torch.stack((1 - t.labels[0].float(), t.labels[0].float()), dim=1)[None] * 20
    pose = torch.full((1, n, 66), -30.0)
    pose[..., 33] = 30.0  # 0 deg
    terms = MultiTaskLoss()((t.loc, cls, t.landmarks, pose, pose, pose), t)
    assert terms.box.item() == 0.0
    assert terms.landmarks.item() == 0.0
    assert terms.cls.item() < 1e-6
    assert terms.pose.item() < 1e-3
    assert terms.small_box_ratio == 1.0  # zero box loss: no evidence that small faces need help


def test_weightings() -> None:
    terms = LossTerms(
        torch.tensor(1.0), torch.tensor(2.0), torch.tensor(3.0), torch.tensor(4.0), 0.5
    )
    assert float(FixedWeighting()(terms)) == pytest.approx(2 * 1 + 2 + 3 + 0.25 * 4)
    unc = UncertaintyWeighting()
    assert unc(terms).item() == pytest.approx(1 + 0.5 * (2 + 3 + 4))
    with torch.no_grad():
        unc.log_sigma.copy_(torch.log(torch.tensor([2.0, 1.0, 0.5, 1.0])))
    want = 1 / 4 + 2 / 2 + 3 / (2 * 0.25) + 4 / 2 + math.log(2 * 1 * 0.5 * 1)
    assert unc(terms).item() == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize(("size", "tall", "short"), [(320, 18, 17), (640, 36, 35)])
def test_pose_gated_by_matched_height_after_augmentation(size: int, tall: int, short: int) -> None:
    # The release's mask: height / input >= 0.055: 17.6 px at 320, 35.2 px at 640.
    # Square faces centred on an anchor of their scale, so each is positive.
    anchors = priors(size, size)
    for height, want in ((tall, True), (short, False)):
        centre = 4.0 + 8 * 10  # a stride-8 cell centre
        half = height / 2
        row = [
            centre - half,
            centre - half,
            centre + half,
            centre + half,
            *([centre] * 10),
            5.0,
            6.0,
            7.0,
        ]
        t = build_targets([torch.tensor([row])], anchors, size, size)
        assert t.labels.any()
        assert bool(t.pose_valid.any()) is want, (size, height)
        assert bool(t.landmarks_valid.any())
