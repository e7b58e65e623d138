"""Training side of mosface (needs torch): models, official import, losses, data, training, evaluation.

>>> from mosface.training import build_model, load_official
"""

from .models import build_model
from .official import load_official

__all__ = ["build_model", "load_official"]
