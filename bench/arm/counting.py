"""aarch64 instruction counts under qemu-user with our TCG plugin (bench/arm/insn_count.c).

A program runs under ``qemu-aarch64 -cpu cortex-a72`` (the RK3399's big core,
ARMv8.0: ncnn takes the same kernels it would on the board) with the plugin,
which prints the guest's executed instructions at exit, by encoding class.
Work done once per process (loading, weight transforms) cancels in the
difference between runs of N and N+1 repetitions.

Counts are cached by everything they depend on (binary, model files, plugin,
arguments): a rerun that changes nothing runs nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ...files import write_atomically

HERE = Path(__file__).resolve().parent
CACHE = Path.home() / ".cache" / "mosface" / "arm-instructions"
QEMU = "qemu-aarch64"  # Debian's dynamic build: the -static one cannot load plugins
QEMU_CPU = "cortex-a72"
CLASSES = ("simd_fp", "load_store", "branch", "integer")
RUN_TIMEOUT_S = 1800
_COUNT_LINE = re.compile(r"^insn_count (.*)$", re.MULTILINE)


class CountingError(RuntimeError):
    """A tool is missing or a counted run failed."""


def sha256_files(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _run(
    command: list[str], what: str, timeout: float = RUN_TIMEOUT_S
) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as error:
        raise CountingError(f"{what}: {command[0]} not found") from error
    except subprocess.TimeoutExpired as error:
        raise CountingError(f"{what}: no result after {timeout:.0f} s") from error
    if result.returncode != 0:
        raise CountingError(
            f"{what} failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-2000:]}"
        )
    return result


def build_plugin() -> Path:
    """bench/arm/build_plugin.sh: apt packages and qemu-plugin.h when missing, the cached plugin."""
    result = _run(["bash", str(HERE / "build_plugin.sh")], "building the qemu plugin", timeout=900)
    return Path(result.stdout.strip().splitlines()[-1])


def qemu_version() -> str:
    return _run([QEMU, "--version"], "qemu").stdout.splitlines()[0]


def arm_ncnn_prefix(cross_build: Path) -> Path:
    """The ARM ncnn the cross build linked (from its CMake cache): the calibration uses the same."""
    cache = cross_build / "CMakeCache.txt"
    if not cache.is_file():
        raise CountingError(
            f"{cross_build} is not configured; run scripts/cross_aarch64.sh --no-wheel first"
        )
    found = re.search(r"^ncnn_DIR:PATH=(.*)$", cache.read_text(), re.MULTILINE)
    if not found:
        raise CountingError(f"{cache} records no ncnn_DIR")
    return Path(found.group(1)).parents[2]  # <prefix>/lib/cmake/ncnn


def build_ncnn_forward(cross_build: Path) -> Path:
    """Cross-compile bench/arm/ncnn_forward.cpp, static, against the cross build's ARM ncnn."""
    prefix = arm_ncnn_prefix(cross_build)
    source = HERE / "ncnn_forward.cpp"
    library = prefix / "lib" / "libncnn.a"
    key = hashlib.sha256(
        source.read_bytes() + str(library.stat().st_mtime_ns).encode() + bytes(prefix)
    ).hexdigest()
    binary = cross_build / "bench-arm" / f"ncnn-forward-{key[:12]}"
    if not binary.exists():
        binary.parent.mkdir(parents=True, exist_ok=True)
        tmp = binary.with_suffix(".tmp")
        # Same target flags as the toolchain file: ARMv8.0, tuned for the A72.
        _run(
            [
                "aarch64-linux-gnu-g++",
                "-O2",
                "-std=c++17",
                "-march=armv8-a",
                "-mtune=cortex-a72.cortex-a53",
                "-fopenmp",
                "-static",
                f"-I{prefix / 'include' / 'ncnn'}",
                str(source),
                str(library),
                "-o",
                str(tmp),
            ],
            "compiling ncnn-forward",
            timeout=600,
        )
        tmp.replace(binary)
    return binary


def parse_counts(log: str) -> dict[str, int]:
    """The plugin's exit line -> {"total": N, "simd_fp": N, ...}."""
    found = _COUNT_LINE.findall(log)
    if len(found) != 1:
        raise CountingError(f"expected one insn_count line from the plugin, found {len(found)}")
    counts = {key: int(value) for key, value in (item.split("=") for item in found[0].split())}
    if set(counts) != {"total", *CLASSES} or sum(counts[c] for c in CLASSES) != counts["total"]:
        raise CountingError(f"malformed plugin line: {found[0]}")
    return counts


def count(plugin: Path, command: list[str]) -> dict[str, int]:
    """Instructions executed by one aarch64 program run (the plugin's log goes to a file)."""
    with tempfile.TemporaryDirectory(prefix="mosface-insn-") as work:
        log = Path(work) / "plugin.log"
        _run(
            [
                QEMU,
                "-cpu",
                QEMU_CPU,
                "-plugin",
                str(plugin),
                "-d",
                "plugin",
                "-D",
                str(log),
                *command,
            ],
            f"counting {Path(command[0]).name}",
        )
        return parse_counts(log.read_text())


def per_repetition(
    plugin: Path,
    command_for: Callable[[int], list[str]],
    first: int,
    inputs: list[Path],
    *,
    check_linearity: bool,
) -> dict:
    """Counts of ``command_for(first)`` and ``(first + 1)`` repetitions (and ``first + 2``).

    Returns the per-repetition instructions (N+1 minus N, by class) and the raw
    totals. With ``check_linearity`` a third run gives the second difference
    (N+2 minus N+1) and how far it is from the first: the evidence that one
    repetition costs the same each time (None without it).
    """
    repetitions = [first, first + 1, first + 2] if check_linearity else [first, first + 1]
    key_text = json.dumps(
        [QEMU_CPU, sha256_files(plugin, *inputs), command_for(first), repetitions], default=str
    )
    cache_file = CACHE / "counts" / f"{hashlib.sha256(key_text.encode()).hexdigest()[:24]}.json"
    if cache_file.is_file():
        return json.loads(cache_file.read_text())
    # Independent processes: run side by side (each counts only itself).
    with ThreadPoolExecutor(max_workers=len(repetitions)) as pool:
        runs = list(pool.map(lambda n: count(plugin, command_for(n)), repetitions))
    step = {c: runs[1][c] - runs[0][c] for c in ("total", *CLASSES)}
    second = runs[2]["total"] - runs[1]["total"] if check_linearity else None
    result = {
        "repetitions": repetitions,
        "totals": [r["total"] for r in runs],
        "per_repetition": step,
        "second_difference": second,
        "difference_spread": abs(second - step["total"]) / step["total"]
        if second is not None and step["total"] > 0
        else None,
    }
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(cache_file, lambda tmp: tmp.write_text(json.dumps(result)))
    return result
