"""Pure box functions (RetinaFace conventions, normalised coordinates).

Ported in spirit from biubug6/Pytorch_Retinaface ``utils/box_utils.py``
(itself from ssd.pytorch). Boxes are (x1, y1, x2, y2) unless named
``*_cxcywh``; priors are (cx, cy, w, h).
"""

from __future__ import annotations

import torch

from .priors import VARIANCES


def point_form(boxes_cxcywh: torch.Tensor) -> torch.Tensor:
    """(N, 4) cx, cy, w, h -> (N, 4) x1, y1, x2, y2."""
    half = boxes_cxcywh[:, 2:] / 2
    return torch.cat((boxes_cxcywh[:, :2] - half, boxes_cxcywh[:, :2] + half), dim=1)


def iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(A, 4) x (B, 4) -> (A, B) intersection over union (continuous coords)."""
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(dim=2)
    area_a = (a[:, 2:] - a[:, :2]).prod(dim=1)
    area_b = (b[:, 2:] - b[:, :2]).prod(dim=1)
    return inter / (area_a[:, None] + area_b[None, :] - inter)


def encode(boxes: torch.Tensor, priors: torch.Tensor) -> torch.Tensor:
    """(N, 4) xyxy boxes matched to (N, 4) priors -> (N, 4) regression targets."""
    centre = ((boxes[:, :2] + boxes[:, 2:]) / 2 - priors[:, :2]) / (VARIANCES[0] * priors[:, 2:])
    size = torch.log((boxes[:, 2:] - boxes[:, :2]) / priors[:, 2:]) / VARIANCES[1]
    return torch.cat((centre, size), dim=1)


def decode(loc: torch.Tensor, priors: torch.Tensor) -> torch.Tensor:
    """(N, 4) regression output -> (N, 4) xyxy boxes (inverse of ``encode``)."""
    centre = priors[:, :2] + loc[:, :2] * VARIANCES[0] * priors[:, 2:]
    size = priors[:, 2:] * torch.exp(loc[:, 2:] * VARIANCES[1])
    return torch.cat((centre - size / 2, centre + size / 2), dim=1)


def encode_landmarks(points: torch.Tensor, priors: torch.Tensor) -> torch.Tensor:
    """(N, 10) landmark x, y pairs -> (N, 10) targets."""
    pts = points.reshape(-1, 5, 2)
    return ((pts - priors[:, None, :2]) / (VARIANCES[0] * priors[:, None, 2:])).reshape(-1, 10)


def decode_landmarks(landm: torch.Tensor, priors: torch.Tensor) -> torch.Tensor:
    """(N, 10) landmark output -> (N, 10) x, y pairs."""
    pts = priors[:, None, :2] + landm.reshape(-1, 5, 2) * VARIANCES[0] * priors[:, None, 2:]
    return pts.reshape(-1, 10)
