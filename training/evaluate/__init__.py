"""Evaluation: the official WIDER FACE AP, the release's test protocol, pose MAE, landmark NME."""

from .metrics import landmark_nme, pose_mae
from .widerface import widerface_ap

__all__ = ["landmark_nme", "pose_mae", "widerface_ap"]
