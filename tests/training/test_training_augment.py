"""The release's augmentation rules on hand-computed cases: crop, size filter, colour, pad, resize."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mosface.training.data.augment import (
    any_face_fully_inside,
    augment,
    crop_faces,
    random_square_crop,
    resize_square,
)
from mosface.training.data.colour import (
    bgr_to_hsv,
    hsv_to_bgr,
    photometric_distort,
    scale_shift,
    shift_hue,
)

NAN = float("nan")


class ScriptedRng:
    """Stands in for ``np.random.Generator``: returns scripted draws and records the ranges asked."""

    def __init__(self, random=(), uniform=(), integers=()) -> None:
        self.draws = {"random": list(random), "uniform": list(uniform), "integers": list(integers)}
        self.calls: list[tuple] = []

    def random(self) -> float:
        return self.draws["random"].pop(0)

    def uniform(self, low: float, high: float) -> float:
        self.calls.append(("uniform", low, high))
        return self.draws["uniform"].pop(0)

    def integers(self, low: int, high: int) -> int:
        self.calls.append(("integers", low, high))
        return self.draws["integers"].pop(0)


def face(x1: float, y1: float, x2: float, y2: float, points=None) -> np.ndarray:
    row = np.full(17, NAN, np.float32)
    row[:4] = (x1, y1, x2, y2)
    if points is not None:
        row[4:14] = np.asarray(points, np.float32).reshape(-1)
    row[14:17] = (10.0, 20.0, 30.0)
    return row


def test_crop_keeps_centres_strictly_inside_and_clips() -> None:
    # Square x0 = 10, y0 = 20, side 100 (covers x 10..110, y 20..120); output 640.
    points = [(35, 50), (55, 50), (45, 60), (38, 70), (52, 70)]
    faces = np.stack(
        [
            face(30, 40, 60, 80, points),  # centre (45, 60): kept, shifted by (10, 20)
            face(100, 110, 130, 140),  # centre (115, 125): outside
            face(0, 40, 20, 60),  # centre x = 10 = x0: not strictly inside
            face(100, 30, 116, 50, [(114, 35), (112, 35), (108, 40), (105, 45), (111, 45)]),
        ]
    )
    kept = crop_faces(faces, 10, 20, 100, 640)
    assert len(kept) == 2
    np.testing.assert_allclose(kept[0, :4], [20, 20, 50, 60])
    np.testing.assert_allclose(kept[0, 4:6], [25, 30])
    # Centre (108, 40) inside; x2 116 -> clipped to 110 -> 100; landmark x 114 -> 104 -> 100.
    np.testing.assert_allclose(kept[1, :4], [90, 10, 100, 30])
    np.testing.assert_allclose(kept[1, 4:14], [100, 15, 100, 15, 98, 20, 95, 25, 100, 25])
    np.testing.assert_allclose(kept[:, 14:17], [[10, 20, 30]] * 2)  # pose only filtered


def test_size_filter_counts_plus_one_pixel_at_the_output_size() -> None:
    # Side 100 -> output 320: a face is kept when min(w + 1, h + 1) * 3.2 > 5.
    faces = np.stack([face(50, 50, 50.5, 60), face(60, 50, 60.6, 60), face(70, 50, 90, 60)])
    kept = crop_faces(faces, 0, 0, 100, 320)  # widths + 1: 1.5 -> 4.8 (out), 1.6 -> 5.12, 21
    np.testing.assert_allclose(kept[:, 0], [60, 70])
    assert len(crop_faces(faces, 0, 0, 100, 640)) == 3  # 1.5 * 6.4 = 9.6 > 5


def test_crop_acceptance_needs_one_face_fully_inside() -> None:
    faces = np.stack([face(10, 20, 110, 120)])
    assert any_face_fully_inside(faces, 10, 20, 100)  # the square itself: intersection = area
    assert not any_face_fully_inside(np.stack([face(9, 20, 50, 60)]), 10, 20, 100)  # 1600/1640


def test_crop_draws_as_released() -> None:
    image = np.zeros((200, 300, 3), np.uint8)  # h 200, w 300
    faces = np.stack([face(150, 50, 170, 80)])
    # Try 1: scale U -> 0.5, side 100, offsets (20, 10): the face (x 150..170) is outside.
    # Try 2: scale 1.0 (p 0.9), side 200 = h, so y0 = 0 without a draw; x0 = 60.
    rng = ScriptedRng(random=[0.95, 0.3], uniform=[0.5], integers=[20, 10, 60])
    crop, kept, cropped = random_square_crop(image, faces, rng, 640)
    assert cropped
    assert crop.shape == (200, 200, 3)
    # Offsets are drawn from [0, dim - side - 1] (numpy's high is exclusive).
    assert rng.calls == [
        ("uniform", 0.3, 1.0),
        ("integers", 0, 200),
        ("integers", 0, 100),
        ("integers", 0, 100),
    ]
    np.testing.assert_allclose(kept[0, :4], [90, 50, 110, 80])


def test_failed_crop_is_padded_after_the_colour_distortion() -> None:
    # A face wider than the shorter side never fits a square: every try fails.
    image = np.full((60, 120, 3), 200, np.uint8)
    faces = np.stack([face(0, 0, 100, 60)])
    _, _, cropped = random_square_crop(image, faces, np.random.default_rng(0), 64)
    assert not cropped
    for seed in range(6):
        x, out = augment(image, faces, 64, np.random.default_rng(seed))
        assert x.shape == (3, 64, 64)
        # Bottom half is padding: exactly the mean (0 after subtraction) whatever the colour ops did.
        assert np.abs(x[:, 40:, :]).max() == 0
        np.testing.assert_allclose(out[0, [1, 3]], [0, 32])  # y scaled by 64 / 120


def test_hsv_matches_opencv_hand_values() -> None:
    # BGR (64, 128, 192): V = 192, diff 128, H = round(30 * 64 / 128) = 15, S = round(255 * 128 / 192) = 170.
    pixels = np.array(
        [[[64, 128, 192], [0, 0, 255], [0, 255, 0], [255, 0, 0], [10, 10, 10]]], np.uint8
    )
    hsv = bgr_to_hsv(pixels)
    np.testing.assert_array_equal(
        hsv[0], [[15, 170, 192], [0, 255, 255], [60, 255, 255], [120, 255, 255], [0, 0, 10]]
    )
    np.testing.assert_array_equal(hsv_to_bgr(hsv), pixels)
    # Hue 15 + 18 = 33 units = sector 1, fraction 0.1: B = v(1-s) = 64, G = v = 192,
    # R = v(1 - s * 0.1) = 192 * (1 - 2/30) = 179.2 -> 179.
    np.testing.assert_array_equal(hsv_to_bgr(shift_hue(hsv, 18))[0, 0], [64, 192, 179])
    np.testing.assert_array_equal(shift_hue(hsv, -18)[0, :2, 0], [177, 162])  # modulo 180


def test_scale_shift_clips_and_truncates() -> None:
    pixels = np.array([100, 200, 10], np.uint8)
    np.testing.assert_array_equal(scale_shift(pixels, 1.5, 0.7), [150, 255, 15])
    np.testing.assert_array_equal(scale_shift(pixels, beta=-32.0), [68, 168, 0])


@pytest.mark.parametrize("contrast_first", [True, False])
def test_distortion_orders(contrast_first: bool) -> None:
    image = np.array([[[64, 128, 192], [30, 240, 120]]], np.uint8)
    # random(): order, brightness, [contrast], saturation (no), hue (yes), [contrast]
    draws = [0.1 if contrast_first else 0.9, 0.1]
    draws += [0.1, 0.9, 0.1] if contrast_first else [0.9, 0.1, 0.1]
    rng = ScriptedRng(random=draws, uniform=[20.0, 1.4], integers=[5])
    got = photometric_distort(image, rng)
    bright = scale_shift(image, beta=20.0)
    if contrast_first:
        want = hsv_to_bgr(shift_hue(bgr_to_hsv(scale_shift(bright, 1.4)), 5))
    else:
        want = scale_shift(hsv_to_bgr(shift_hue(bgr_to_hsv(bright), 5)), 1.4)
    np.testing.assert_array_equal(got, want)
    assert ("integers", -18, 19) in rng.calls  # hue shift in [-18, 18] OpenCV units


def test_resize_interpolation_is_drawn() -> None:
    image = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3) * 5
    faces = np.stack([face(1, 1, 3, 3)])
    out, scaled = resize_square(image, faces, 8, Image.Resampling.NEAREST)
    np.testing.assert_array_equal(out, image.repeat(2, axis=0).repeat(2, axis=1))
    np.testing.assert_allclose(scaled[0, :4], [2, 2, 6, 6])


def test_augment_draws_all_five_interpolations(monkeypatch) -> None:
    import mosface.training.data.augment as augment_module

    used = []
    real = augment_module.resize_square

    def spy(image, faces, size, interpolation):
        used.append(interpolation)
        return real(image, faces, size, interpolation)

    monkeypatch.setattr(augment_module, "resize_square", spy)
    image, faces = np.full((32, 32, 3), 90, np.uint8), np.stack([face(8, 8, 20, 20)])
    for seed in range(60):
        augment(image, faces, 16, np.random.default_rng(seed))
    assert set(used) == set(augment_module.INTERPOLATIONS)  # 60 draws: all 5 seen (p miss < 1e-4)
