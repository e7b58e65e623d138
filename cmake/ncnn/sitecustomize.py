"""Pin the date that ncnn's sdist stamps into its own version.

ncnn's ``setup.py`` builds its version from ``time.strftime("%Y%m%d")``, so
``pip download ncnn==1.0.20261020`` fails with "inconsistent version" on any
other day. ``build_ncnn.py`` puts this folder on ``PYTHONPATH`` and sets
``MOSFACE_PIN_STRFTIME_DATE``; the patch only answers the exact ``%Y%m%d``
format and leaves every other call alone. Afterwards it hands over to the next
``sitecustomize`` on the path (pip's build isolation installs one).
"""

import contextlib
import importlib
import os
import sys
import time

_pinned = os.environ.get("MOSFACE_PIN_STRFTIME_DATE")
if _pinned:
    _strftime = time.strftime

    def _pinned_strftime(fmt: str, *args: object) -> str:
        return _pinned if fmt == "%Y%m%d" else _strftime(fmt, *args)

    time.strftime = _pinned_strftime

_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
del sys.modules[__name__]
with contextlib.suppress(ImportError):
    importlib.import_module("sitecustomize")
