"""``mosface.postprocess`` against the numpy reference of the authors' steps."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import mosface
from mosface.bench.authors_numpy import ANCHORS, reference_postprocess
from mosface.bench.planted import planted_outputs

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]

SIZES = [(320, 320), (480, 640)]  # height, width
DEFAULTS = {"conf_threshold": 0.5, "nms_threshold": 0.4, "top_k": 5000, "keep_top_k": 750}


def nms_margin(
    arrays: Arrays, height: int, width: int, conf_threshold: float, nms_threshold: float
) -> float:
    """Smallest distance between ``nms_threshold`` and the +1-pixel IoU of any
    two overlapping candidates, in float64. A tiny margin would make the keep /
    suppress decision depend on float rounding, so the data would not tell a
    bug from a legitimate difference."""
    # nms_threshold=1.0 keeps every candidate: all overlaps are <= 1.
    boxes = reference_postprocess(
        *arrays, height=height, width=width, conf_threshold=conf_threshold, nms_threshold=1.0
    )[:, :4].astype(np.float64)
    if len(boxes) < 2:
        return math.inf
    lo = np.maximum(boxes[:, None, :2], boxes[None, :, :2])
    hi = np.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
    inter = np.prod(np.maximum(0.0, hi - lo + 1), axis=-1)
    area = np.prod(boxes[:, 2:] - boxes[:, :2] + 1, axis=-1)
    iou = inter / (area[:, None] + area[None, :] - inter)
    pairs = np.triu(inter > 0, k=1)
    return float(np.abs(iou[pairs] - nms_threshold).min()) if pairs.any() else math.inf


def assert_same_detections(got: np.ndarray, expected: np.ndarray) -> None:
    """Same count, same order, and every column within its tolerance."""
    assert got.dtype == np.float32
    assert got.shape == expected.shape, f"{len(got)} detections, reference has {len(expected)}"
    # Pixel coordinates below ~2000 decoded in float32 by either side: the
    # rounding is ~1e-4 px, far inside 1e-3 px.
    np.testing.assert_allclose(got[:, :4], expected[:, :4], rtol=0, atol=1e-3, err_msg="boxes")
    # Probabilities in [0, 1] in float32 (eps 6e-8), from logits or softmax.
    np.testing.assert_allclose(got[:, 4], expected[:, 4], rtol=0, atol=1e-5, err_msg="scores")
    np.testing.assert_allclose(
        got[:, 5:15], expected[:, 5:15], rtol=0, atol=1e-3, err_msg="landmarks"
    )
    # Angles up to 99 degrees: float32 expectation over 66 bins, error ~1e-5.
    np.testing.assert_allclose(got[:, 15:], expected[:, 15:], rtol=0, atol=1e-3, err_msg="angles")


def both(arrays: Arrays, height: int, width: int, **params: float) -> tuple[np.ndarray, np.ndarray]:
    """C++ and reference results for the same inputs and parameters."""
    got = mosface.postprocess(*arrays, height=height, width=width, anchors=ANCHORS, **params)
    return got, reference_postprocess(*arrays, height=height, width=width, **params)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_faces", [0, 1, 10, 50])
@pytest.mark.parametrize(("height", "width"), SIZES)
def test_matches_reference(height: int, width: int, n_faces: int, seed: int) -> None:
    arrays = planted_outputs(height, width, n_faces, seed)
    # planted_outputs keeps IoUs >= 1e-3 from round thresholds; float32 decode
    # moves an IoU by ~1e-6. Checked so a near-tie is blamed on the data.
    assert nms_margin(arrays, height, width, 0.5, 0.4) > 1e-4
    before = [a.copy() for a in arrays]
    got, expected = both(arrays, height, width)
    assert_same_detections(got, expected)
    assert n_faces == 0 or len(got) >= n_faces  # each face's best anchor is above 0.6
    assert np.all(np.diff(got[:, 4]) < 0), "scores must be strictly descending"
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b, err_msg="inputs must not be modified")


def test_empty_result_shape_and_dtype() -> None:
    got = mosface.postprocess(*planted_outputs(320, 320, 0, seed=5), height=320, width=320, anchors=ANCHORS)
    assert got.shape == (0, 18)
    assert got.dtype == np.float32


@pytest.mark.parametrize(
    "params",
    [
        {"conf_threshold": 0.9},
        {"conf_threshold": 0.3},
        {"conf_threshold": 1.0},
        {"nms_threshold": 0.9},
        {"nms_threshold": 0.2},
        {"top_k": 3},
        {"keep_top_k": 2},
        {"top_k": 3, "keep_top_k": 2, "nms_threshold": 0.9},
        {"top_k": 40, "nms_threshold": 0.0},
    ],
)
def test_parameters_change_results_like_reference(params: dict[str, float]) -> None:
    height, width = 480, 640
    arrays = planted_outputs(height, width, 50, seed=9)
    conf = params.get("conf_threshold", 0.5)
    # As in test_matches_reference: the data must be unambiguous for NMS.
    assert nms_margin(arrays, height, width, conf, params.get("nms_threshold", 0.4)) > 1e-4
    got, expected = both(arrays, height, width, **params)
    default = reference_postprocess(*arrays, height=height, width=width)
    # The parameter must matter on this data, or the comparison proves nothing.
    assert expected.shape != default.shape or not np.array_equal(expected, default)
    assert_same_detections(got, expected)


def test_explicit_defaults_equal_implicit() -> None:
    arrays = planted_outputs(320, 320, 10, seed=4)
    implicit = mosface.postprocess(*arrays, height=320, width=320, anchors=ANCHORS)
    # Bitwise: the same call, only spelled out.
    np.testing.assert_array_equal(
        mosface.postprocess(*arrays, height=320, width=320, anchors=ANCHORS, **DEFAULTS), implicit
    )


LAYOUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "fortran": lambda a: a.T.copy().T,
    "column_slice": lambda a: np.concatenate([a, a], axis=1)[:, : a.shape[1]],
    "row_step": lambda a: np.repeat(a, 2, axis=0)[::2],
    "negative_stride": lambda a: a[::-1].copy()[::-1],
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_non_contiguous_inputs_give_same_result(layout: str) -> None:
    arrays = planted_outputs(320, 320, 10, seed=8)
    strided = tuple(LAYOUTS[layout](a) for a in arrays)
    assert not any(a.flags.c_contiguous for a in strided)
    # Bitwise: same numbers, only the memory layout differs.
    np.testing.assert_array_equal(
        mosface.postprocess(*strided, height=320, width=320, anchors=ANCHORS),
        mosface.postprocess(*arrays, height=320, width=320, anchors=ANCHORS),
    )


def test_float64_inputs_are_converted() -> None:
    arrays = planted_outputs(320, 320, 10, seed=9)
    wide = tuple(a.astype(np.float64) for a in arrays)
    # Bitwise: the float64 values are exactly the float32 ones.
    np.testing.assert_array_equal(
        mosface.postprocess(*wide, height=320, width=320, anchors=ANCHORS),
        mosface.postprocess(*arrays, height=320, width=320, anchors=ANCHORS),
    )


def replaced(arrays: Arrays, index: int, new: np.ndarray) -> list[np.ndarray]:
    """``arrays`` with the one at ``index`` swapped for ``new``."""
    out = list(arrays)
    out[index] = new
    return out


def test_rejects_row_count_of_another_size() -> None:
    arrays = planted_outputs(320, 320, 1, seed=0)
    # 480x640 has 2 * (60*80 + 30*40 + 15*20) = 12600 anchors; 320x320 has 4200.
    with pytest.raises(ValueError, match="12600"):
        mosface.postprocess(*arrays, height=480, width=640, anchors=ANCHORS)


@pytest.mark.parametrize("index", [0, 1, 2, 5])
def test_rejects_one_array_with_missing_row(index: int) -> None:
    arrays = planted_outputs(320, 320, 1, seed=0)
    # The message must state the offending row count.
    with pytest.raises(ValueError, match="4199"):
        mosface.postprocess(*replaced(arrays, index, arrays[index][:-1]), height=320, width=320, anchors=ANCHORS)


@pytest.mark.parametrize(
    ("index", "cols", "name"),
    [(0, 5, "loc"), (1, 3, "cls"), (2, 8, "landm"), (3, 65, "yaw"), (4, 67, "pitch")],
)
def test_rejects_wrong_second_dimension(index: int, cols: int, name: str) -> None:
    arrays = planted_outputs(320, 320, 1, seed=0)
    bad = np.zeros((arrays[0].shape[0], cols), dtype=np.float32)
    with pytest.raises(ValueError, match=name):
        mosface.postprocess(*replaced(arrays, index, bad), height=320, width=320, anchors=ANCHORS)


@pytest.mark.parametrize(
    ("index", "reshape", "name"),
    [(0, np.ravel, "loc"), (1, lambda a: a[None], "cls"), (3, lambda a: a[:, :, None], "yaw")],
)
def test_rejects_wrong_number_of_dimensions(
    index: int, reshape: Callable[[np.ndarray], np.ndarray], name: str
) -> None:
    arrays = planted_outputs(320, 320, 1, seed=0)
    with pytest.raises(ValueError, match=name):
        mosface.postprocess(*replaced(arrays, index, reshape(arrays[index])), height=320, width=320, anchors=ANCHORS)


@pytest.mark.parametrize("where", ["background", "face"])
def test_rejects_nan_class_logits(where: str) -> None:
    arrays = planted_outputs(320, 320, 1, seed=0)
    cls = arrays[1].copy()
    logit = cls[:, 1] - cls[:, 0]
    anchor = int(np.argmin(logit) if where == "background" else np.argmax(logit))
    cls[anchor, 0] = np.nan
    with pytest.raises(ValueError, match=r"(?i)nan"):
        mosface.postprocess(*replaced(arrays, 1, cls), height=320, width=320, anchors=ANCHORS)


@pytest.mark.parametrize("index", [0, 2, 3, 4, 5])
def test_rejects_nan_in_rows_of_a_kept_anchor(index: int) -> None:
    arrays = planted_outputs(320, 320, 1, seed=0)
    best = int(np.argmax(arrays[1][:, 1] - arrays[1][:, 0]))
    bad = arrays[index].copy()
    bad[best, -1] = np.nan
    with pytest.raises(ValueError, match=r"(?i)nan"):
        mosface.postprocess(*replaced(arrays, index, bad), height=320, width=320, anchors=ANCHORS)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"conf_threshold": -0.01}, "conf_threshold"),
        ({"conf_threshold": 1.01}, "conf_threshold"),
        ({"conf_threshold": math.nan}, "conf_threshold"),
        ({"nms_threshold": -0.01}, "nms_threshold"),
        ({"nms_threshold": 1.5}, "nms_threshold"),
        ({"top_k": 0}, "top_k"),
        ({"top_k": -1}, "top_k"),
        ({"keep_top_k": 0}, "keep_top_k"),
        ({"height": 0}, "height"),
        ({"width": 0}, "width"),
    ],
)
def test_rejects_invalid_parameters(params: dict[str, float], name: str) -> None:
    arrays = planted_outputs(320, 320, 1, seed=0)
    kwargs = {"height": 320, "width": 320, "anchors": ANCHORS, **params}
    with pytest.raises(ValueError, match=name):
        mosface.postprocess(*arrays, **kwargs)


def test_height_and_width_are_keyword_only() -> None:
    arrays = planted_outputs(320, 320, 1, seed=0)
    with pytest.raises(TypeError):
        mosface.postprocess(*arrays, 320, 320, anchors=ANCHORS)
