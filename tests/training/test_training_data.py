"""label.txt parsing, AFLW2000 loading, augmentation (mirror consistency), stitching, sampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch
from PIL import Image, ImageDraw

from mosface.training.data.aflw2000 import list_aflw2000
from mosface.training.data.augment import TrainTransform, mirror, random_square_crop
from mosface.training.data.sampling import FeedbackRule, HardSampleSampler, stitch_batch
from mosface.training.data.synthetic import draw_face, synthetic_image
from mosface.training.data.widerface import LabelFormatError, WiderFaceDataset, parse_label_file

POSE_LINE = "10 20 40 50 15 30 0.0 35 30 0.0 25 40 0.0 18 55 0.0 33 55 0.0 1.0 5.5 -20.0 3.0"
NO_LANDMARK_LINE = "100 100 8 9 -1 -1 0.0 -1 -1 0.0 -1 -1 0.0 -1 -1 0.0 -1 -1 0.0 -1.0"


def test_parse_label_file(tmp_path: Path) -> None:
    label = tmp_path / "label.txt"
    small_pose = "0 0 20 20 " + " ".join(["5 5 0.0"] * 5) + " 1.0 1 2 3"
    label.write_text(
        f"# 0--Parade/a.jpg\n{POSE_LINE}\n{NO_LANDMARK_LINE}\n\n# 1--Handshaking/b.jpg\n{small_pose}\n# c.jpg\n"
    )
    items = parse_label_file(label)
    assert [i.path for i in items] == ["0--Parade/a.jpg", "1--Handshaking/b.jpg", "c.jpg"]
    a = items[0].faces
    np.testing.assert_allclose(a[0, :4], [10, 20, 50, 70])
    np.testing.assert_allclose(a[0, 4:6], [15, 30])
    np.testing.assert_allclose(a[0, 14:17], [-20.0, 5.5, 3.0])  # stored yaw, pitch, roll
    assert np.isnan(a[1, 4:17]).all()  # no landmarks, no pose
    assert np.isnan(items[1].faces[0, 14:17]).all()  # 20 px < 35 px: pose not used
    assert items[2].faces.shape == (0, 17)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("# a.jpg\n1 2 3\n", 2, "expected 20 or 23 numbers, got 3"),
        (f"# a.jpg\n{POSE_LINE.replace('5.5', 'x')}\n", 2, "not a number"),
        (f"{POSE_LINE}\n", 1, "before the first"),
        (f"# a.jpg\n{POSE_LINE}\n#\n", 3, "without an image path"),
        (f"# a.jpg\n{POSE_LINE.replace('10 20 40', '10 20 0', 1)}\n", 2, "positive"),
    ],
)
def test_malformed_lines_name_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    label = tmp_path / "label.txt"
    label.write_text(text)
    with pytest.raises(LabelFormatError, match=rf"label\.txt:{line}: .*{message}"):
        parse_label_file(label)


def test_dataset_reads_images(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    Image.new("RGB", (60, 80), (255, 0, 0)).save(tmp_path / "images" / "a.png")
    (tmp_path / "label.txt").write_text(f"# a.png\n{POSE_LINE}\n# missing.png\n")
    ds = WiderFaceDataset(tmp_path / "label.txt")
    image, _ = ds[0]
    assert image.shape == (80, 60, 3)
    assert tuple(image[0, 0]) == (0, 0, 255)  # BGR
    with pytest.raises(FileNotFoundError, match=r"missing\.png"):
        ds[1]


def test_aflw2000_hopenet_filter(tmp_path: Path) -> None:
    for name, degrees in (("image00002", (10.0, -30.0, 5.0)), ("image00004", (120.0, 0.0, 0.0))):
        pitch, yaw, roll = np.radians(degrees)
        scipy.io.savemat(
            tmp_path / f"{name}.mat", {"Pose_Para": np.array([[pitch, yaw, roll, 0, 0, 0, 1.0]])}
        )
    kept = list_aflw2000(tmp_path)
    assert [p.name for p, _ in kept] == ["image00002.jpg"]
    np.testing.assert_allclose(kept[0][1], (-30.0, 10.0, 5.0))  # yaw, pitch, roll


def test_mirror_matches_rendering_the_mirrored_pose() -> None:
    width = 200
    draw = ImageDraw.Draw(Image.new("RGB", (width, 100)))
    face = draw_face(draw, 60.0, 50.0, 20.0, (35.0, -12.0, 20.0), (200, 150, 120))
    # A mirrored face is the same face at x -> W - x with yaw and roll negated.
    want = draw_face(draw, width - 60.0, 50.0, 20.0, (-35.0, -12.0, -20.0), (200, 150, 120))
    image = np.arange(100 * width * 3, dtype=np.uint8).reshape(100, width, 3)
    flipped, got = mirror(image, face[None])
    np.testing.assert_array_equal(flipped, image[:, ::-1])
    np.testing.assert_allclose(got[0], want, atol=1e-4)
    _, back = mirror(flipped, got)
    np.testing.assert_allclose(back[0], face, atol=1e-4)


def test_crop_keeps_faces_consistent() -> None:
    rng = np.random.default_rng(3)
    image, faces = synthetic_image(rng, size=160, max_faces=3)
    for _ in range(20):
        crop, kept = random_square_crop(image, faces, rng)
        assert crop.shape[0] == crop.shape[1]
        assert (kept[:, 0:4] >= 0).all()
        assert (kept[:, 0:4] <= crop.shape[0]).all()
    x, out = TrainTransform(size=96, seed=0)(image, faces)
    assert x.shape == (3, 96, 96)
    assert x.dtype == np.float32
    assert out.shape[1] == 17


def test_stitch_batch_moves_faces_into_tiles() -> None:
    images = torch.arange(4, dtype=torch.float32).view(4, 1, 1, 1).expand(4, 3, 8, 8).clone()
    faces = [torch.tensor([[2.0, 2, 6, 6, *([4.0] * 10), 1, 2, 3]]) for _ in range(4)]
    out, out_faces = stitch_batch(images, faces)
    assert out.shape == images.shape
    assert [out[0, 0, r, c].item() for r, c in ((0, 0), (0, 4), (4, 0), (4, 4))] == [0, 1, 2, 3]
    np.testing.assert_allclose(out_faces[0][1, :4], [5, 1, 7, 3])  # tile (0, 1): x + 4, halved
    np.testing.assert_allclose(out_faces[0][3, 14:], [1, 2, 3])  # pose unchanged


def test_feedback_rule_and_hard_sampler() -> None:
    rule = FeedbackRule()
    assert rule.update(0.2)
    assert not rule.update(0.5)
    sampler = HardSampleSampler(10, seed=1)
    sampler.set_hard([3, 7])
    order = list(sampler)
    assert len(order) == len(sampler) == 12
    assert sorted(order) == sorted([*range(10), 3, 7])
    shards = [list(HardSampleSampler(5, num_replicas=2, rank=r)) for r in range(2)]
    assert len(shards[0]) == len(shards[1]) == 3
