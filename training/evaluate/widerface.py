"""The official WIDER FACE evaluation, re-implemented exactly.

Follows the authors' MATLAB tool / its Python port (``widerface_evaluate/
evaluation.py``): scores normalised over the whole prediction set (running
max from 0, min from 1); per image, predictions in file order; IoU with the
+1 pixel convention; a prediction whose best face has IoU >= 0.5 recalls it,
or, when that face is outside the setting's ``gt_list`` ("ignored"), is
dropped from the proposal count; 1000 thresholds ``1 - (k+1)/1000``; VOC
all-points AP.

Prediction files: ``<pred_dir>/<event>/<image>.txt`` with the image name, the
count, then ``x y w h score`` lines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

from ...boxes import iou_plus_one
from ...files import write_atomically

THRESHOLDS = 1000
IOU_THRESHOLD = 0.5
SETTINGS = ("easy", "medium", "hard")


def write_prediction_file(path: str | Path, image_name: str, boxes_xywh_score: np.ndarray) -> None:
    """Write one image's predictions atomically (rows x, y, w, h, score)."""
    lines = [image_name, str(len(boxes_xywh_score))]
    lines += [
        " ".join(f"{v:.3f}" if k < 4 else f"{v:.6f}" for k, v in enumerate(row))
        for row in boxes_xywh_score
    ]
    text = "\n".join(lines) + "\n"
    write_atomically(Path(path), lambda tmp: tmp.write_text(text))


def read_prediction_file(path: str | Path) -> np.ndarray:
    """(K, 5) x, y, w, h, score in file order; the header's count is not trusted (as the tool)."""
    lines = Path(path).read_text().splitlines()[2:]
    rows = [[float(v) for v in line.split()[:5]] for line in lines if line.strip()]
    return np.asarray(rows, np.float64).reshape(-1, 5)


def image_pr(pred: np.ndarray, gt_xywh: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """(THRESHOLDS, 2) proposals and recalled kept faces for one image.

    pred (K, 5) x, y, w, h, normalised score (file order); keep (G,) bool.
    """
    to_xyxy = lambda b: np.concatenate((b[:, :2], b[:, :2] + b[:, 2:4]), axis=1)  # noqa: E731
    overlaps = iou_plus_one(to_xyxy(pred), to_xyxy(gt_xywh))
    recall = np.zeros(len(gt_xywh))  # 1 recalled, -1 matched but ignored
    proposal = np.ones(len(pred))
    pred_recall = np.zeros(len(pred))
    for h in range(len(pred)):
        best = int(overlaps[h].argmax())
        if overlaps[h, best] >= IOU_THRESHOLD:
            if not keep[best]:
                recall[best] = -1
                proposal[h] = -1
            elif recall[best] == 0:
                recall[best] = 1
        pred_recall[h] = np.count_nonzero(recall == 1)
    info = np.zeros((THRESHOLDS, 2))
    for t in range(THRESHOLDS):
        above = np.nonzero(pred[:, 4] >= 1 - (t + 1) / THRESHOLDS)[0]
        if len(above):
            last = above[-1]  # file order: the tool assumes sorted scores
            info[t] = np.count_nonzero(proposal[: last + 1] == 1), pred_recall[last]
    return info


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC all-points interpolated AP."""
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([0.0], precision, [0.0]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
    i = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def normalise_scores(preds: list[np.ndarray]) -> list[np.ndarray]:
    """(s - min) / (max - min) over the whole set; max starts at 0, min at 1."""
    lo, hi = 1.0, 0.0
    for p in preds:
        if len(p):
            lo, hi = min(lo, p[:, 4].min()), max(hi, p[:, 4].max())
    out = []
    for p in preds:
        q = p.copy()
        q[:, 4] = (q[:, 4] - lo) / (hi - lo)
        out.append(q)
    return out


def average_precision(
    preds: list[np.ndarray], gts: list[np.ndarray], keeps: list[np.ndarray]
) -> float:
    """AP over images: preds (K, 5) xywh+score, gts (G, 4) xywh, keeps (G,) bool.

    ``preds`` must already be score-normalised (``normalise_scores``).
    """
    curve = np.zeros((THRESHOLDS, 2))
    faces = 0
    for pred, gt, keep in zip(preds, gts, keeps):
        faces += int(np.count_nonzero(keep))
        if len(gt) == 0 or len(pred) == 0:
            continue
        curve += image_pr(pred, gt, keep)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 as in the tool
        precision = curve[:, 1] / curve[:, 0]
        recall = curve[:, 1] / faces
    return voc_ap(recall, precision)


def _strings(cell: np.ndarray) -> list[str]:
    return [str(np.asarray(c).reshape(-1)[0]) for c in np.asarray(cell, dtype=object).reshape(-1)]


def _cells(cell: np.ndarray) -> list:
    return list(np.asarray(cell, dtype=object).reshape(-1))


def widerface_ap(pred_dir: str | Path, gt_dir: str | Path) -> dict[str, float]:
    """{'easy', 'medium', 'hard'} AP of the predictions under ``pred_dir``.

    ``gt_dir`` holds ``wider_face_val.mat`` and ``wider_{easy,medium,hard}_val.mat``.
    A missing prediction file raises ``FileNotFoundError`` naming it.
    """
    gt_dir, pred_dir = Path(gt_dir), Path(pred_dir)
    val = scipy.io.loadmat(str(gt_dir / "wider_face_val.mat"))
    events = _strings(val["event_list"])
    files = [_strings(f) for f in _cells(val["file_list"])]
    boxes = [
        [np.asarray(b, np.float64).reshape(-1, 4) for b in _cells(f)]
        for f in _cells(val["face_bbx_list"])
    ]
    preds, gts, image_keys = [], [], []
    for event, names, event_boxes in zip(events, files, boxes):
        for name, gt in zip(names, event_boxes):
            path = pred_dir / event / f"{name}.txt"
            if not path.is_file():
                raise FileNotFoundError(f"missing prediction file {path}")
            preds.append(read_prediction_file(path))
            gts.append(gt)
            image_keys.append((event, name))
    preds = normalise_scores(preds)
    result = {}
    for setting in SETTINGS:
        gt_lists = scipy.io.loadmat(str(gt_dir / f"wider_{setting}_val.mat"))["gt_list"]
        keeps = []
        for e, event_lists in enumerate(_cells(gt_lists)):
            for k, idx in enumerate(_cells(event_lists)):
                keep = np.zeros(len(boxes[e][k]), bool)
                keep[np.asarray(idx, np.int64).reshape(-1) - 1] = True  # 1-based
                keeps.append(keep)
        result[setting] = average_precision(preds, gts, keeps)
    return result
