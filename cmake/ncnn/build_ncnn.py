#!/usr/bin/env python3
"""Fetch, verify, build and cache the ncnn C++ library from its pinned PyPI sdist.

mosface links ncnn statically. The library comes from the PyPI source package
``ncnn==1.0.20261020`` (reached by package name through pip, checksum
verified), is built once per (variant, target) and installed into a cache
folder outside the source tree, so a second ``pip install .`` or test run
reuses it. The last line printed on stdout is the install prefix; CMake passes
``<prefix>/lib/cmake/ncnn`` to ``find_package(ncnn)``.

Variants:
  native    only the SIMD level of this machine's CPU (x86: AVX2/FMA/F16C when
            present), no runtime dispatch. ~200 units, ~5 min on 2 cores. The
            library runs only on CPUs with the same features: a local install.
  portable  ncnn's runtime CPU dispatch (SSE2 ... AVX-512 kernels chosen at run
            time). ~500 units, ~20 min on 2 cores. For wheels given to others.
  arm       a cross build for ARMv8.0 (RK3399: Cortex-A72 + A53); needs
            ``--toolchain``. ARMv8.2+ extensions are off: the RK3399 lacks them.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

NCNN_PACKAGE_VERSION = "1.0.20261020"
NCNN_DATE = "20261020"
NCNN_SDIST_SHA256 = "ad8cdd63e9755cfa8e23b9b6d9ce46156077d80298a89e7c3ba325ffccfca200"
NCNN_SDIST_NAME = f"ncnn-{NCNN_PACKAGE_VERSION}.tar.gz"

HERE = Path(__file__).resolve().parent

# Only the library: the sdist has no tools/, examples/, benchmark/ or tests/.
COMMON_OPTIONS = {
    "CMAKE_BUILD_TYPE": "Release",
    "CMAKE_POSITION_INDEPENDENT_CODE": "ON",
    "NCNN_VERSION": NCNN_DATE,
    "NCNN_SHARED_LIB": "OFF",
    "NCNN_VULKAN": "OFF",
    "NCNN_OPENMP": "ON",
    "NCNN_PYTHON": "OFF",
    "NCNN_BUILD_TOOLS": "OFF",
    "NCNN_BUILD_EXAMPLES": "OFF",
    "NCNN_BUILD_BENCHMARK": "OFF",
    "NCNN_BUILD_TESTS": "OFF",
}

# ARMv8.2+ paths: an RK3399 (ARMv8.0-A) would die with SIGILL in them.
ARM_V80_OPTIONS = {
    "NCNN_ARM82": "OFF",
    "NCNN_ARM82DOT": "OFF",
    "NCNN_ARM82FP16FML": "OFF",
    "NCNN_ARM84BF16": "OFF",
    "NCNN_ARM84I8MM": "OFF",
    "NCNN_ARM86SVE": "OFF",
    "NCNN_ARM86SVE2": "OFF",
}


def default_cache_root() -> Path:
    explicit = os.environ.get("MOSFACE_NCNN_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "mosface"


def x86_cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def native_x86_options() -> dict[str, str]:
    """Compile for this CPU's SIMD level, with dispatch off.

    XOP/FMA4 and AVX-512 stay off: with dispatch off, leaving them on made
    ncnn die with "Illegal instruction" on an AMD host without them.
    """
    flags = x86_cpu_flags()
    has_avx = "avx" in flags
    has_avx2 = has_avx and "avx2" in flags and "fma" in flags and "f16c" in flags
    return {
        "NCNN_RUNTIME_CPU": "OFF",
        "NCNN_AVX": "ON" if has_avx else "OFF",
        "NCNN_F16C": "ON" if has_avx2 else "OFF",
        "NCNN_FMA": "ON" if has_avx2 else "OFF",
        "NCNN_AVX2": "ON" if has_avx2 else "OFF",
        "NCNN_AVX512": "OFF",
        "NCNN_AVXVNNI": "OFF",
        "NCNN_AVXVNNIINT8": "OFF",
        "NCNN_AVXVNNIINT16": "OFF",
        "NCNN_AVXNECONVERT": "OFF",
        "NCNN_XOP": "OFF",
        "NCNN_FMA4": "OFF",
    }


def variant_options(variant: str, toolchain: Path | None) -> dict[str, str]:
    options = dict(COMMON_OPTIONS)
    if variant == "native":
        if platform.machine() in ("x86_64", "AMD64", "i686"):
            options.update(native_x86_options())
        elif platform.machine() in ("aarch64", "arm64"):
            options["NCNN_RUNTIME_CPU"] = "OFF"
    elif variant == "arm":
        if toolchain is None:
            raise SystemExit("build_ncnn: --variant arm needs --toolchain FILE")
        options.update(ARM_V80_OPTIONS)
    if toolchain is not None:
        options["CMAKE_TOOLCHAIN_FILE"] = str(toolchain)
    return options


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_sdist(cache_root: Path) -> Path:
    """Return the verified sdist, downloading it by package name if needed."""
    sdist_dir = cache_root / "sdist"
    sdist = sdist_dir / NCNN_SDIST_NAME
    if not sdist.exists():
        sdist_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=sdist_dir) as staging:
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(HERE), env.get("PYTHONPATH", "")) if p
            )
            env["MOSFACE_PIN_STRFTIME_DATE"] = NCNN_DATE
            command = [
                sys.executable, "-m", "pip", "download", f"ncnn=={NCNN_PACKAGE_VERSION}",
                "--no-deps", "--no-binary", ":all:", "--no-build-isolation",
                "--disable-pip-version-check", "-d", staging,
            ]
            log(f"downloading ncnn {NCNN_PACKAGE_VERSION} source package with pip")
            subprocess.run(command, check=True, env=env, stdout=sys.stderr)
            os.replace(Path(staging) / NCNN_SDIST_NAME, sdist)
    actual = sha256_of(sdist)
    if actual != NCNN_SDIST_SHA256:
        sdist.unlink()
        raise SystemExit(
            f"build_ncnn: checksum mismatch for {NCNN_SDIST_NAME}: "
            f"expected {NCNN_SDIST_SHA256}, got {actual}; the file was removed, run again"
        )
    return sdist


def cache_key(options: dict[str, str], toolchain: Path | None) -> str:
    # The toolchain file counts by content, not by path: every clone shares one build.
    material = {k: v for k, v in options.items() if k != "CMAKE_TOOLCHAIN_FILE"}
    if toolchain is not None:
        material["toolchain_sha256"] = sha256_of(toolchain)
    blob = json.dumps(material, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def log(message: str) -> None:
    print(f"-- mosface/ncnn: {message}", file=sys.stderr, flush=True)


def build(sdist: Path, prefix: Path, options: dict[str, str], jobs: int) -> None:
    """Configure, build and install into a staging folder, then rename it into place."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=prefix.parent, prefix=".build-") as work:
        work_dir = Path(work)
        with tarfile.open(sdist) as archive:
            archive.extractall(work_dir, filter="data")
        source = work_dir / f"ncnn-{NCNN_PACKAGE_VERSION}"
        staging = work_dir / "install"
        configure = ["cmake", "-S", str(source), "-B", str(work_dir / "build"),
                     f"-DCMAKE_INSTALL_PREFIX={staging}"]
        configure += [f"-D{key}={value}" for key, value in sorted(options.items())]
        log(f"building ncnn ({jobs} jobs) into {prefix}; this takes minutes, once")
        subprocess.run(configure, check=True, stdout=sys.stderr)
        subprocess.run(["cmake", "--build", str(work_dir / "build"), "-j", str(jobs)],
                       check=True, stdout=sys.stderr)
        subprocess.run(["cmake", "--install", str(work_dir / "build")],
                       check=True, stdout=sys.stderr)
        (staging / "mosface-ncnn-options.json").write_text(
            json.dumps(options, indent=2, sort_keys=True) + "\n")
        os.replace(staging, prefix)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=("native", "portable", "arm"), default="native")
    parser.add_argument("--toolchain", type=Path, help="CMake toolchain file (cross builds)")
    parser.add_argument("--cache-root", type=Path, default=default_cache_root())
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    toolchain = args.toolchain.resolve() if args.toolchain else None
    options = variant_options(args.variant, toolchain)
    target = "cross" if toolchain else platform.machine()
    prefix = args.cache_root / f"ncnn-{NCNN_DATE}-{target}-{args.variant}-{cache_key(options, toolchain)}"

    config = prefix / "lib" / "cmake" / "ncnn" / "ncnnConfig.cmake"
    if not config.exists():
        args.cache_root.mkdir(parents=True, exist_ok=True)
        # One build per prefix at a time: a parallel install of the same variant
        # waits, then reuses it; other variants are not held up.
        with (args.cache_root / f".{prefix.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not config.exists():
                with (args.cache_root / ".sdist.lock").open("w") as sdist_lock:
                    fcntl.flock(sdist_lock, fcntl.LOCK_EX)
                    sdist = fetch_sdist(args.cache_root)
                build(sdist, prefix, options, args.jobs)
    log(f"using {prefix}")
    print(prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
