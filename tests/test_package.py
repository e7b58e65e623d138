"""The runtime package stays lean and the data path one-directional.

`import mosface` loads neither torch, Pillow nor the optional subpackages
(training, convert, bench: installed beside the runtime from the checkout's
top-level folders); no runtime module imports them or the benchmark's numpy
reference; `mosface bench` without its dependencies says which extras to install.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import mosface

OPTIONAL = ("training", "convert", "bench")  # mosface.<name>: never imported by the runtime


def test_import_mosface_loads_only_the_runtime() -> None:
    unwanted = ["torch", "PIL", *(f"mosface.{name}" for name in OPTIONAL)]
    code = f"import sys, mosface; print([name for name in {unwanted!r} if name in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def imported_names(path: Path, package: str) -> set[str]:
    """Absolute names of every module (and from-imported name) that `path` imports, anywhere in it."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def runtime_modules() -> list[tuple[Path, str]]:
    """(file, its package) for every module of the runtime: the package minus the optional subpackages."""
    root = Path(mosface.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] not in OPTIONAL:
            found.append((path, ".".join(("mosface", *parts[:-1]))))
    return found


def test_no_runtime_module_imports_the_optional_subpackages_or_the_reference() -> None:
    modules = runtime_modules()
    assert len(modules) >= 8, [str(path) for path, _ in modules]  # __init__, cli, files, images...
    forbidden = tuple(f"mosface.{name}" for name in OPTIONAL)
    offending = {
        f"{path.name}: {name}"
        for path, package in modules
        for name in imported_names(path, package)
        if name.startswith(forbidden)
        or name.split(".")[-1] == "authors_numpy"
        or name.startswith("tests")
    }
    assert offending == set()


def test_bench_without_its_dependencies_names_the_extras(tmp_path: Path) -> None:
    # torch stands for any of the converter's dependencies: the bench converts its models first.
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from mosface.cli import main\n"
        f"sys.exit(main(['bench', '--arch', 'mos-tiny', '--cache', {str(tmp_path)!r}, '--out', {str(tmp_path)!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2, result.stderr
    assert (
        "(torch is missing): pip install torch==2.13.0 && pip install 'mosface[convert,bench]'"
        in result.stderr
    )
