"""label.txt parsing, AFLW2000 loading, augmentation (mirror consistency), stitching, sampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch
from PIL import Image, ImageDraw

from mosface.training.data.aflw2000 import list_aflw2000
from mosface.training.data.augment import augment, mirror, random_square_crop
from mosface.training.data.sampling import FeedbackBatchSampler, FeedbackRule, HardSampleSampler
from mosface.training.data.synthetic import draw_face, synthetic_image
from mosface.training.data.training_set import TrainingSet
from mosface.training.data.widerface import LabelFormatError, WiderFaceDataset, parse_label_file
from mosface.training.losses import angle_to_bin

POSE_LINE = "10 20 40 50 15 30 0.0 35 30 0.0 25 40 0.0 18 55 0.0 33 55 0.0 1.0 5.5 -20.0 3.0"
NO_LANDMARK_LINE = "100 100 8 9 -1 -1 0.0 -1 -1 0.0 -1 -1 0.0 -1 -1 0.0 -1 -1 0.0 -1.0"


def test_parse_label_file(tmp_path: Path) -> None:
    label = tmp_path / "label.txt"
    small_pose = "0 0 20 20 " + " ".join(["5 5 0.0"] * 5) + " 1.0 1 2 3"
    # The release's landmark flag reads only the first x: -1 there means no landmarks.
    first_x_negative = "0 0 20 20 -1 5 0.0 " + " ".join(["5 5 0.0"] * 4) + " 1.0 1 2 3"
    label.write_text(
        f"# 0--Parade/a.jpg\n{POSE_LINE}\n{NO_LANDMARK_LINE}\n\n# 1--Handshaking/b.jpg\n"
        f"{small_pose}\n{first_x_negative}\n# c.jpg\n"
    )
    items = parse_label_file(label)
    assert [i.path for i in items] == ["0--Parade/a.jpg", "1--Handshaking/b.jpg", "c.jpg"]
    a = items[0].faces
    np.testing.assert_allclose(a[0, :4], [10, 20, 50, 70])
    np.testing.assert_allclose(a[0, 4:6], [15, 30])
    np.testing.assert_allclose(a[0, 14:17], [-20.0, 5.5, 3.0])  # stored yaw, pitch, roll
    assert np.isnan(a[1, 4:17]).all()  # no landmarks, no pose
    # Pose is kept at any size: the release gates it after augmentation, when matching.
    np.testing.assert_allclose(items[1].faces[0, 14:17], [2, 1, 3])
    np.testing.assert_allclose(items[1].faces[0, 4:6], [5, 5])
    assert np.isnan(items[1].faces[1, 4:14]).all()
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


def test_mirror_bins() -> None:
    # Bins are floor((a + 99) / 3): yaw 10 -> 36, mirrored -10 -> 29; roll 98.5 -> 65, -98.5 -> 0;
    # pitch 4 -> 34 both ways.
    row = np.zeros((1, 17), np.float32)
    row[0, 14:17] = (10.0, 4.0, 98.5)
    _, flipped = mirror(np.zeros((4, 8, 3), np.uint8), row)
    assert angle_to_bin(torch.from_numpy(row[0, 14:17])).tolist() == [36, 34, 65]
    assert angle_to_bin(torch.from_numpy(flipped[0, 14:17])).tolist() == [29, 34, 0]


def test_crop_keeps_faces_consistent() -> None:
    rng = np.random.default_rng(3)
    image, faces = synthetic_image(rng, size=160, max_faces=3)
    for _ in range(20):
        crop, kept, _ = random_square_crop(image, faces, rng, 96)
        assert crop.shape[0] == crop.shape[1]
        assert (kept[:, 0:4] >= 0).all()
        assert (kept[:, 0:4] <= crop.shape[0]).all()
    x, out = augment(image, faces, 96, rng)
    assert x.shape == (3, 96, 96)
    assert x.dtype == np.float32
    assert out.shape[1] == 17


class OneFaceSource:
    """Four 64x64 images whose single face (pixel value = index) marks where a tile came from."""

    def __len__(self) -> int:
        return 4

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        image = np.full((64, 64, 3), 10 * index, np.uint8)
        faces = np.zeros((1, 17), np.float32)
        faces[0, :4] = (16, 16, 48, 48)
        faces[0, 4:14] = 32
        faces[0, 14:17] = (1, 2, 3)
        return image, faces


def test_stitched_sample_tiles_four_images_augmented_at_half_size() -> None:
    ds = TrainingSet(OneFaceSource(), 64, seed=0)
    x, faces, stitched = ds[(2, True)]
    assert stitched
    assert x.shape == (3, 64, 64)
    assert faces.shape == (4, 17)
    # Each tile's face lies in its own 32x32 quadrant: TL, TR, BL, BR.
    centres = (faces[:, 0:2] + faces[:, 2:4]) / 2
    quadrants = (centres // 32).astype(int).tolist()
    assert quadrants == [[0, 0], [1, 0], [0, 1], [1, 1]]
    np.testing.assert_allclose(np.abs(faces[:, 14:17]), [[1, 2, 3]] * 4)  # pose moves with tiles
    _, plain, stitched = ds[2]
    assert not stitched
    assert plain.shape == (1, 17)


def test_feedback_rule_and_hard_sampler() -> None:
    rule = FeedbackRule()
    assert rule.update(0.2)
    assert not rule.update(0.5)
    sampler = HardSampleSampler(10, seed=1)
    sampler.set_hard({3: 2, 7: 1})  # image 3 had two false detections
    order = list(sampler)
    assert len(order) == len(sampler) == 13
    assert sorted(order) == sorted([*range(10), 3, 3, 7])
    shards = [list(HardSampleSampler(5, num_replicas=2, rank=r)) for r in range(2)]
    assert len(shards[0]) == len(shards[1]) == 3
    batches = FeedbackBatchSampler(HardSampleSampler(10), 4, rule)
    got = []
    for batch in batches:  # the rule's state when a batch is drawn tags that batch
        got.append({stitch for _, stitch in batch})
        rule.update(0.1 if len(got) == 1 else 0.9)
    assert got == [{False}, {True}]  # 10 // 4 = 2 full batches
