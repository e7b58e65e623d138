"""The source checkout the developer tools read and write (README.md, docs/, build/, bench/results/).

`mosface.bench` is the checkout's bench/ folder installed as a subpackage. An
editable install (`pip install -e .`) imports it from the checkout itself; a
regular install (CI's) has no checkout around it, so the tools then use the
current directory when it is one (they are run from the checkout's root).
"""

from __future__ import annotations

from pathlib import Path


def is_checkout(folder: Path) -> bool:
    return (folder / "pyproject.toml").is_file() and (folder / "bench" / "checkout.py").is_file()


def checkout_path(*parts: str) -> Path:
    """A path inside the source checkout; a clear error when there is none."""
    for root in (Path(__file__).resolve().parents[1], Path.cwd()):
        if is_checkout(root):
            return root.joinpath(*parts)
    raise FileNotFoundError(
        f"{'/'.join(parts)} lives in the mosface source checkout: run this from the checkout's root "
        "(or install it editable, pip install -e .), or give the path explicitly"
    )
