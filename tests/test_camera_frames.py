"""Camera frames: pixel formats with strides, rotation and a region of interest.

Reference: the BGR path on the upright region (numpy rotates, crops and
converts it; NV12/NV21 with ncnn's documented integer YUV formula), with the
faces mapped back to the frame by an affine map fitted to numpy's own
rotation of pixel-index grids, independent of the C++ mapping under test.
"""

from __future__ import annotations

import numpy as np
import pytest

import mosface
from tests import tiny_model

PIXEL_TOL = 1e-3  # same faces, only mapped: float32 rounding of coordinates < 1e3
UPRIGHT_H, UPRIGHT_W = 48, 64
FRAME_H, FRAME_W = 100, 90
ROI_X, ROI_Y = 10, 6  # even, for the 4:2:0 formats


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> mosface.Detector:
    folder = tmp_path_factory.mktemp("frames") / "model"
    tiny_model.write_model(folder, seed=3, size_policy="dynamic", height=64, width=64)
    return mosface.Detector(
        folder, num_threads=1, conf_threshold=0.3, input_height=64, input_width=64
    )


def region_to_frame_map(rotation: int, region_h: int, region_w: int) -> np.ndarray:
    """2x3 affine map from upright continuous pixels to the frame's, fitted to numpy's rotation."""
    rows, cols = np.mgrid[0:region_h, 0:region_w]
    k = (
        rotation // 90
    )  # turning the upright image k quarter turns counter-clockwise gives the region
    upright_rows = np.rot90(rows, -k)  # region row of each upright pixel
    upright_cols = np.rot90(cols, -k)
    a, b = np.mgrid[0 : upright_rows.shape[0], 0 : upright_rows.shape[1]]
    source = np.stack([b.ravel() + 0.5, a.ravel() + 0.5, np.ones(a.size)], axis=1)
    target = np.stack(
        [upright_cols.ravel() + 0.5 + ROI_X, upright_rows.ravel() + 0.5 + ROI_Y], axis=1
    )
    solution, *_ = np.linalg.lstsq(source, target, rcond=None)
    return solution.T


def map_faces(faces: np.ndarray, affine: np.ndarray) -> np.ndarray:
    out = faces.astype(np.float64).copy()
    points = out[:, list(range(0, 4)) + list(range(5, 15))].reshape(len(out), 7, 2)
    mapped = points @ affine[:, :2].T + affine[:, 2]
    corners = mapped[:, :2]
    out[:, 0:2] = corners.min(axis=1)
    out[:, 2:4] = corners.max(axis=1)
    out[:, 5:15] = mapped[:, 2:].reshape(len(out), 10)
    return out


def yuv_to_bgr(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """ncnn's yuv420sp2rgb: full-range integer BT.601, chroma shared by 2x2 pixels."""
    yy = y.astype(np.int32) << 6
    uu = np.repeat(np.repeat(u.astype(np.int32) - 128, 2, 0), 2, 1)
    vv = np.repeat(np.repeat(v.astype(np.int32) - 128, 2, 0), 2, 1)
    r = (yy + 90 * vv) >> 6
    g = (yy - 46 * vv - 22 * uu) >> 6
    b = (yy + 113 * uu) >> 6
    return np.clip(np.stack([b, g, r], axis=2), 0, 255).astype(np.uint8)


def padded(array: np.ndarray, extra_columns: int = 7) -> np.ndarray:
    """The same pixels with longer rows (a row stride beyond the width)."""
    wide = np.zeros((array.shape[0], array.shape[1] + extra_columns, *array.shape[2:]), np.uint8)
    wide[:, : array.shape[1]] = array
    return wide[:, : array.shape[1]]


def make_frame(fmt: str, rotation: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(frame in `fmt`, upright BGR region the BGR path sees)."""
    k = rotation // 90
    region_h, region_w = (UPRIGHT_H, UPRIGHT_W) if k % 2 == 0 else (UPRIGHT_W, UPRIGHT_H)
    if fmt in ("nv12", "nv21"):
        y = rng.integers(0, 256, (FRAME_H, FRAME_W), dtype=np.uint8)
        u = rng.integers(0, 256, (FRAME_H // 2, FRAME_W // 2), dtype=np.uint8)
        v = rng.integers(0, 256, (FRAME_H // 2, FRAME_W // 2), dtype=np.uint8)
        pairs = np.stack([u, v] if fmt == "nv12" else [v, u], axis=2).reshape(FRAME_H // 2, FRAME_W)
        frame = padded(np.concatenate([y, pairs]))
        rows, cols = slice(ROI_Y, ROI_Y + region_h), slice(ROI_X, ROI_X + region_w)
        half_rows, half_cols = (
            slice(ROI_Y // 2, (ROI_Y + region_h) // 2),
            slice(ROI_X // 2, (ROI_X + region_w) // 2),
        )
        region_bgr = yuv_to_bgr(y[rows, cols], u[half_rows, half_cols], v[half_rows, half_cols])
    else:
        frame_bgr = rng.integers(0, 256, (FRAME_H, FRAME_W, 3), dtype=np.uint8)
        if fmt == "gray":
            frame_bgr[:] = frame_bgr[:, :, :1]
        region_bgr = frame_bgr[ROI_Y : ROI_Y + region_h, ROI_X : ROI_X + region_w]
        alpha = rng.integers(0, 256, (FRAME_H, FRAME_W, 1), dtype=np.uint8)
        frame = {
            "bgr": frame_bgr,
            "rgb": frame_bgr[:, :, ::-1],
            "bgra": np.concatenate([frame_bgr, alpha], axis=2),
            "rgba": np.concatenate([frame_bgr[:, :, ::-1], alpha], axis=2),
            "gray": frame_bgr[:, :, 0],
        }[fmt]
        frame = padded(np.ascontiguousarray(frame))
    upright = np.ascontiguousarray(np.rot90(region_bgr, -k))  # turned clockwise by `rotation`
    assert upright.shape[:2] == (UPRIGHT_H, UPRIGHT_W)
    return frame, upright


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("fmt", ["bgr", "rgb", "bgra", "rgba", "gray", "nv12", "nv21"])
def test_every_format_and_rotation_gives_the_bgr_faces(detector, fmt: str, rotation: int) -> None:
    frame, upright = make_frame(fmt, rotation, np.random.default_rng(rotation + len(fmt)))
    expected = detector.detect(upright)
    assert len(expected) > 0, "fixture should produce faces"
    region_h, region_w = upright.shape[:2] if rotation in (0, 180) else upright.shape[1::-1]
    roi = (ROI_X, ROI_Y, region_w, region_h)
    got = detector.detect(frame, format=fmt, rotation=rotation, roi=roi)
    mapped = map_faces(expected, region_to_frame_map(rotation, region_h, region_w))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got[:, 0:4], mapped[:, 0:4], atol=PIXEL_TOL, rtol=0)
    np.testing.assert_allclose(got[:, 5:15], mapped[:, 5:15], atol=PIXEL_TOL, rtol=0)
    np.testing.assert_array_equal(got[:, 4], expected[:, 4])  # same network input, same scores
    np.testing.assert_array_equal(got[:, 15:18], expected[:, 15:18])  # angles as seen upright


def test_whole_frame_without_roi_matches_bgr(detector) -> None:
    rng = np.random.default_rng(9)
    bgr = rng.integers(0, 256, (UPRIGHT_H, UPRIGHT_W, 3), dtype=np.uint8)
    np.testing.assert_array_equal(
        detector.detect(bgr[:, :, ::-1], format="rgb"), detector.detect(bgr)
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"format": "yuyv"}, ValueError, "format must be one of"),
        ({"rotation": 45}, ValueError, "rotation must be 0, 90, 180 or 270"),
        ({"roi": (80, 0, 20, 20)}, ValueError, "must lie inside"),
        ({"roi": (1, 2, 10, 10), "format": "nv12"}, ValueError, "even"),
        ({"roi": "all"}, TypeError, "roi must be"),
        ({"format": "bgra"}, ValueError, r"shape \(height, width, 4\)"),
    ],
)
def test_bad_frames_raise(detector, kwargs, error, message) -> None:
    frame = (
        np.zeros((90, 90, 3), np.uint8)
        if kwargs.get("format") != "nv12"
        else np.zeros((90, 90), np.uint8)
    )
    with pytest.raises(error, match=message):
        detector.detect(frame, **kwargs)
