"""The aarch64 (RK3399) cross build, checked under qemu-user.

- The toolchain file builds any CMake project for ARMv8.0 and ctest runs it
  through qemu (needs g++-aarch64-linux-gnu and qemu-user-static; skipped
  without them).
- mosface-bench, the C API example and the aarch64 wheel built by
  scripts/cross_aarch64.sh give the same results as the x86_64 build (skipped until that script has run:
  the ncnn cross build takes minutes, which the main suite does not spend).
- mosface-bench's command line on this machine (builds build/x86_64-bench from
  the cached host ncnn, about a minute on 2 cores the first time).

Nothing here times anything: under qemu there is no latency worth a number.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLCHAIN = ROOT / "cmake" / "toolchains" / "aarch64-linux-gnu.cmake"
CROSS_BENCH = ROOT / "build" / "aarch64" / "cpp" / "mosface-bench"
CROSS_C_EXAMPLE = ROOT / "build" / "aarch64" / "cpp" / "mosface-c-example"
HOST_BUILD = ROOT / "build" / "x86_64-bench"
HOST_BENCH = HOST_BUILD / "cpp" / "mosface-bench"
SYSROOT = ROOT / "build" / "aarch64-sysroot"
SYSROOT_MOSFACE = SYSROOT / "usr" / "local" / "lib" / "python3.11" / "dist-packages" / "mosface"
QEMU = ["qemu-aarch64-static", "-cpu", "cortex-a72"]
RUN_SCRIPT_FIRST = "run scripts/cross_aarch64.sh first (cross builds take minutes)"

needs_cross_tools = pytest.mark.skipif(
    shutil.which("aarch64-linux-gnu-g++") is None or shutil.which("qemu-aarch64-static") is None
    or shutil.which("cmake") is None,
    reason="needs g++-aarch64-linux-gnu, qemu-user-static and cmake (apt-get install them)",
)


# What the cross outputs are built from: an output older than any of these is left by an earlier run.
SOURCES = ("CMakeLists.txt", "cmake", "cpp", "python/mosface")


def newest_source(root: Path = ROOT) -> tuple[float, Path]:
    files = [path for name in SOURCES for path in ([root / name] if (root / name).is_file()
                                                   else (root / name).rglob("*"))
             if path.is_file() and "__pycache__" not in path.parts]
    return max((path.stat().st_mtime, path) for path in files)


def require_built_after_sources(output: Path, root: Path = ROOT) -> None:
    """Fail (not skip) when `output` predates the sources: it would test code that is gone."""
    newest, source = newest_source(root)
    if output.stat().st_mtime < newest:
        pytest.fail(f"{output} is older than {source}: it was left by an earlier run; {RUN_SCRIPT_FIRST}")


def load_check_module():
    """scripts/cross_aarch64_check.py: fixture writer and detection comparison (tolerances live there)."""
    spec = importlib.util.spec_from_file_location("cross_aarch64_check", ROOT / "scripts" / "cross_aarch64_check.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(command: list[str | Path], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)


def check(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{' '.join(result.args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


@needs_cross_tools
def test_toolchain_builds_an_armv8_0_program_that_ctest_runs_under_qemu(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    # The program fails (exit 1) unless it was compiled for aarch64 with NEON and
    # without the ARMv8.2 fp16 arithmetic the RK3399 lacks.
    (source / "probe.cpp").write_text(
        "#include <cstdio>\n"
        "int main() {\n"
        "#if defined(__aarch64__) && defined(__ARM_NEON) && !defined(__ARM_FEATURE_FP16_VECTOR_ARITHMETIC)\n"
        "    std::puts(\"armv8.0-a neon\");\n"
        "    return 0;\n"
        "#else\n"
        "    return 1;\n"
        "#endif\n"
        "}\n"
    )
    (source / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.18)\n"
        "project(probe CXX)\n"
        "enable_testing()\n"
        "add_executable(probe probe.cpp)\n"
        "add_test(NAME probe COMMAND probe)\n"
        "set_tests_properties(probe PROPERTIES PASS_REGULAR_EXPRESSION \"armv8.0-a neon\")\n"
    )
    build = tmp_path / "build"
    check(run(["cmake", "-S", source, "-B", build, f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}"]))
    check(run(["cmake", "--build", build]))
    elf = (build / "probe").read_bytes()[:20]
    assert elf[:4] == b"\x7fELF"
    assert int.from_bytes(elf[18:20], "little") == 183, "not an aarch64 executable (ELF e_machine EM_AARCH64 = 183)"
    result = run(["ctest", "--output-on-failure"], cwd=build)
    check(result)
    assert "100% tests passed" in result.stdout


@pytest.fixture(scope="module")
def host_bench() -> Path:
    """build/x86_64-bench/cpp/mosface-bench, configured and built if needed (host ncnn from the cache)."""
    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed")
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    if not (HOST_BUILD / "CMakeCache.txt").exists():
        check(run(["cmake", "-S", ROOT, "-B", HOST_BUILD, *generator, "-DMOSFACE_BUILD_BENCH=ON",
                   "-DMOSFACE_BUILD_PYTHON=OFF", "-DMOSFACE_INSTALL_SDK=OFF", "-DCMAKE_BUILD_TYPE=Release"]))
    check(run(["cmake", "--build", HOST_BUILD, "--target", "mosface-bench", "mosface-c-example", "-j2"]))
    return HOST_BENCH


@pytest.fixture(scope="module")
def fixture_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cross-fixture")
    load_check_module().write_fixture(folder)
    return folder


def bench_detections(command_prefix: list[str], bench: Path, fixture: Path, out: Path, *extra: str) -> None:
    check_module = load_check_module()
    result = run([*command_prefix, bench, fixture / "tiny", "--image", fixture / "image.ppm",
                  "--conf-threshold", str(check_module.CONF_THRESHOLD),
                  "--nms-threshold", str(check_module.NMS_THRESHOLD),
                  "--iterations", "2", "--warmup", "0", "--detections", out, *extra])
    check(result)


def test_mosface_bench_reports_stages_and_json(host_bench: Path, fixture_folder: Path, tmp_path: Path) -> None:
    json_path = tmp_path / "bench.json"
    result = run([host_bench, fixture_folder / "tiny", "--size", "96x80", "--iterations", "3",
                  "--warmup", "1", "--json", json_path])
    check(result)
    for stage in ("preprocess", "inference", "postprocess", "total"):
        assert stage in result.stdout
    summary = json.loads(json_path.read_text())
    assert summary == json.loads(result.stdout.strip().splitlines()[-1])  # the last stdout line is the same JSON
    assert (summary["width"], summary["height"], summary["iterations"], summary["warmup"]) == (96, 80, 3, 1)
    for stage in ("preprocess", "inference", "postprocess", "total"):
        assert 0 <= summary[f"{stage}_median_ms"] <= summary[f"{stage}_p90_ms"]
    # The memory account: resident memory only grows to its peak; the activations'
    # live set holds at least the float32 input blob (3 x 96 x 80 x 4 bytes), and
    # the block the calls after the first replay in holds the whole live set.
    assert 0 < summary["rss_start_mib"] <= summary["rss_after_load_mib"] <= summary["peak_rss_mib"]
    assert summary["activations_peak_mib"] * 2**20 >= 3 * 96 * 80 * 4
    assert summary["live_peak_mib"] >= summary["activations_peak_mib"]
    assert summary["block_peak_mib"] >= summary["live_peak_mib"]
    assert (summary["memory_pool"], summary["plans"], summary["misses"]) == (True, 1, 0)
    assert summary["vary_size"] is False


def test_mosface_bench_input_box_and_malloc(host_bench: Path, fixture_folder: Path) -> None:
    # (--vary-size is not run here: the tiny fixture's pooling matches the anchor grid
    # only at multiples of 32, and random sizes would hit the anchor-count check.)
    result = run([host_bench, fixture_folder / "tiny", "--size", "128x128", "--input-size", "96x96",
                  "--no-memory-pool", "--iterations", "5", "--warmup", "1"])
    check(result)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["net_width"], summary["net_height"]) == (96, 96)  # the image, fitted into the box
    assert (summary["memory_pool"], summary["plans"], summary["block_peak_mib"]) == (False, 0, 0)


def test_mosface_bench_input_size_sets_the_network_input(host_bench: Path, fixture_folder: Path,
                                                         tmp_path: Path) -> None:
    # The tiny fixture is dynamic with a 64x64 box: a 96x80 image is fitted to 64x53 by default.
    sizes = {}
    for extra in ([], ["--input-size", "96x80"]):
        json_path = tmp_path / "bench.json"
        check(run([host_bench, fixture_folder / "tiny", "--size", "96x80", "--iterations", "1",
                   "--warmup", "0", "--json", json_path, *extra]))
        summary = json.loads(json_path.read_text())
        sizes[len(extra)] = (summary["net_width"], summary["net_height"])
    assert sizes == {0: (64, 53), 2: (96, 80)}


@pytest.mark.parametrize(
    ("arguments", "status", "message"),
    [
        ([], 2, "MODEL is missing"),
        (["{model}", "--size", "640"], 2, "WIDTHxHEIGHT"),
        (["{model}", "--input-size", "0x480"], 2, "--input-size width expects an integer >= 1"),
        (["{model}", "--threads", "-1"], 2, "--threads expects an integer >= 0"),
        (["{model}", "--powersave", "medium"], 2, "all, little or big"),
        (["{model}", "--frobnicate"], 2, "unknown option --frobnicate"),
        (["/nonexistent/model"], 1, "model not found"),
        (["{model}", "--image", "/nonexistent.ppm"], 1, "image not found"),
        (["{model}", "--image", "{model}/manifest.json"], 1, "not a binary PPM"),
    ],
)
def test_mosface_bench_errors_are_clear(host_bench: Path, fixture_folder: Path, arguments: list[str],
                                        status: int, message: str) -> None:
    model = str(fixture_folder / "tiny")
    result = run([host_bench, *(argument.format(model=model) for argument in arguments)])
    assert result.returncode == status, result.stderr
    assert message in result.stderr


@needs_cross_tools
@pytest.mark.skipif(not CROSS_BENCH.exists(), reason=f"no build/aarch64 mosface-bench: {RUN_SCRIPT_FIRST}")
def test_mosface_bench_under_qemu_matches_x86(host_bench: Path, fixture_folder: Path, tmp_path: Path) -> None:
    require_built_after_sources(CROSS_BENCH)
    bench_detections([], host_bench, fixture_folder, tmp_path / "x86_64.txt")
    # No -L: the aarch64 binary is static.
    bench_detections(QEMU, CROSS_BENCH, fixture_folder, tmp_path / "aarch64.txt", "--threads", "2")
    check_module = load_check_module()
    assert check_module.compare(tmp_path / "x86_64.txt", tmp_path / "aarch64.txt") == 0


@needs_cross_tools
@pytest.mark.skipif(not CROSS_C_EXAMPLE.exists(), reason=f"no build/aarch64 C example: {RUN_SCRIPT_FIRST}")
def test_c_api_example_under_qemu_matches_x86(host_bench: Path, fixture_folder: Path, tmp_path: Path) -> None:
    host_output, cross_output = tmp_path / "x86_64.txt", tmp_path / "aarch64.txt"
    host = run([host_bench.parent / "mosface-c-example", fixture_folder / "tiny"])
    check(host)
    cross = run([*QEMU, CROSS_C_EXAMPLE, fixture_folder / "tiny"])
    check(cross)
    host_output.write_text(host.stdout)
    cross_output.write_text(cross.stdout)
    assert "faces" in host.stdout
    assert load_check_module().compare_text(host_output, cross_output) == 0


@needs_cross_tools
@pytest.mark.skipif(not SYSROOT_MOSFACE.exists(), reason=f"no aarch64 wheel in build/aarch64-sysroot: {RUN_SCRIPT_FIRST}")
def test_aarch64_wheel_detects_like_x86_under_qemu(host_bench: Path, fixture_folder: Path, tmp_path: Path) -> None:
    require_built_after_sources(SYSROOT_MOSFACE / "_core.cpython-311-aarch64-linux-gnu.so")
    bench_detections([], host_bench, fixture_folder, tmp_path / "x86_64.txt")
    result = run([*QEMU, "-L", SYSROOT, SYSROOT / "usr" / "bin" / "python3.11",
                  ROOT / "scripts" / "cross_aarch64_check.py", "detect",
                  fixture_folder / "tiny", fixture_folder / "image.ppm", tmp_path / "wheel.txt"])
    check(result)
    assert "dist-packages/mosface" in result.stdout  # the installed wheel, not the source tree
    assert load_check_module().compare(tmp_path / "x86_64.txt", tmp_path / "wheel.txt") == 0


def test_outputs_older_than_the_sources_are_refused(tmp_path: Path) -> None:
    (tmp_path / "cpp").mkdir()
    (tmp_path / "cpp" / "detector.cpp").write_text("// changed after the build")
    output = tmp_path / "mosface-bench"
    output.write_text("built before")
    os.utime(output, (0, 0))
    with pytest.raises(pytest.fail.Exception, match="left by an earlier run"):
        require_built_after_sources(output, tmp_path)
    os.utime(output)  # rebuilt now
    require_built_after_sources(output, tmp_path)
