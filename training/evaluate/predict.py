"""The release's WIDER FACE test protocol: multi-scale + flip, pooled, box-voted."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..data.images import read_bgr, resize, to_input
from ..detect import postprocess_outputs
from .voting import box_vote
from .widerface import write_prediction_file

BASE_SHORT_SIDE = 800
MAX_LONG_SIDE = 1200
PASS_SIDES = (500, 800, 1100, 1400, 1700)  # relative to BASE_SHORT_SIDE
CONF_THRESHOLD = 0.02


def pass_scales(height: int, width: int) -> list[float]:
    """Resize factors of the five passes for an image of this size."""
    base = BASE_SHORT_SIDE / min(height, width)
    base = min(base, MAX_LONG_SIDE / max(height, width))
    return [base * side / BASE_SHORT_SIDE for side in PASS_SIDES]


@torch.no_grad()
def detect_single_pass(
    model: torch.nn.Module, image: np.ndarray, scale: float, *, flip: bool, device: torch.device
) -> np.ndarray:
    """(K, 5) boxes with score > 0.02 in the original image's pixels."""
    h, w = image.shape[:2]
    sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
    img = resize(image, sh, sw)
    if flip:
        img = np.ascontiguousarray(img[:, ::-1])
    x = torch.from_numpy(to_input(img))[None].to(device)
    outputs = tuple(o[0] for o in model(x))
    anchors = outputs[0].shape[0]
    # Every box above 0.02, no suppression (IoU is never > 1): voting merges them later.
    rows = postprocess_outputs(
        outputs,
        sh,
        sw,
        conf_threshold=CONF_THRESHOLD,
        nms_threshold=1.0,
        top_k=anchors,
        keep_top_k=anchors,
    )[:, :5].astype(np.float64)
    rows[:, :4] /= (sw / w, sh / h, sw / w, sh / h)
    if flip:
        rows[:, :4] = unflip_boxes(rows[:, :4], w)
    return rows


def unflip_boxes(boxes: np.ndarray, width: int) -> np.ndarray:
    """Boxes found in the mirrored image -> original pixels, as released: x' = W - x - 1."""
    out = boxes.copy()
    out[:, 0], out[:, 2] = width - boxes[:, 2] - 1, width - boxes[:, 0] - 1
    return out


def release_xywh(dets: np.ndarray) -> np.ndarray:
    """(K, 5) x1, y1, x2, y2, score -> the release's result rows: int(x1), int(y1),
    w = int(x2) - int(x1), h = int(y2) - int(y1), score (``int`` truncates toward 0)."""
    corners = np.trunc(dets[:, :4])
    return np.concatenate((corners[:, :2], corners[:, 2:4] - corners[:, :2], dets[:, 4:5]), axis=1)


def detect_multiscale(
    model: torch.nn.Module,
    image: np.ndarray,
    *,
    drop_singletons: bool = True,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """All passes pooled, then box voting; (M, 5) x1, y1, x2, y2, score."""
    device = torch.device(device)
    h, w = image.shape[:2]
    passes = [
        detect_single_pass(model, image, s, flip=flip, device=device)
        for s in pass_scales(h, w)
        for flip in (False, True)
    ]
    return box_vote(np.concatenate(passes), drop_singletons=drop_singletons)


def predict_widerface(
    model: torch.nn.Module,
    images: Iterable[tuple[str, str, Path]],
    out_dir: str | Path,
    *,
    drop_singletons: bool = True,
    device: torch.device | str = "cpu",
) -> None:
    """Write ``<out_dir>/<event>/<name>.txt`` for each (event, name, path).

    Boxes are written as the release writes them (``release_xywh``).
    """
    model.eval()
    items = list(images)
    for event, name, path in tqdm(items, desc="widerface", unit="img"):
        dets = detect_multiscale(
            model, read_bgr(path), drop_singletons=drop_singletons, device=device
        )
        write_prediction_file(Path(out_dir) / event / f"{name}.txt", name, release_xywh(dets))


def list_widerface_images(image_root: str | Path) -> list[tuple[str, str, Path]]:
    """(event, image stem, path) for ``<image_root>/<event>/<name>.jpg``, sorted."""
    root = Path(image_root)
    found = sorted(root.glob("*/*.jpg"))
    if not found:
        raise FileNotFoundError(f"no <event>/<image>.jpg files under {root}")
    return [(p.parent.name, p.stem, p) for p in found]
