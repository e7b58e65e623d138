"""bench/arm: the qemu instruction-counting plugin and the RK3399 estimates built on it.

- The plugin counts a hand-written aarch64 loop exactly, by class (needs
  qemu-user, libglib2.0-dev, the aarch64 compiler and Debian's qemu source
  header: bench/arm/build_plugin.sh installs them as root; skipped otherwise).
- The calibration arithmetic against numbers worked out by hand.
- The JSON that scripts/cross_aarch64.sh writes with
  ``python -m mosface.bench.arm.instructions --arch mos-tiny --size 320x240`` (skipped until
  the script has run).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mosface.bench.arm import calibration, counting

ROOT = Path(__file__).resolve().parents[2]
CI_JSON = ROOT / "build" / "cross-logs" / "arm-instructions-mos-tiny-320x240.json"

needs_plugin_tools = pytest.mark.skipif(
    shutil.which("qemu-aarch64") is None
    or shutil.which("aarch64-linux-gnu-gcc") is None
    or subprocess.run(["pkg-config", "--exists", "glib-2.0"], check=False).returncode != 0,
    reason="needs qemu-user, libglib2.0-dev and gcc-aarch64-linux-gnu (bench/arm/build_plugin.sh installs them)",
)

# Per iteration: one load, one FP add, two integer ops, one conditional branch.
LOOP = r"""
#include <stdlib.h>
int main(int argc, char** argv) {
    long n = atol(argv[1]);
    long scratch = 7;
    __asm__ volatile(
        "1:\n"
        "ldr x1, [%1]\n"
        "fadd d0, d0, d1\n"
        "add x2, x2, #1\n"
        "subs %0, %0, #1\n"
        "b.ne 1b\n"
        : "+r"(n) : "r"(&scratch) : "x1", "x2", "d0", "cc", "memory");
    return 0;
}
"""


@needs_plugin_tools
def test_plugin_counts_a_known_loop_exactly_by_class(tmp_path: Path) -> None:
    source = tmp_path / "loop.c"
    source.write_text(LOOP)
    program = tmp_path / "loop"
    subprocess.run(
        ["aarch64-linux-gnu-gcc", "-O1", "-static", str(source), "-o", str(program)], check=True
    )
    plugin = counting.build_plugin()
    small, large = (counting.count(plugin, [str(program), str(n)]) for n in (100000, 400000))
    # Same-length arguments: the startup code (atol, strlen) is identical; 300,000 more iterations.
    difference = {key: large[key] - small[key] for key in large}
    assert difference == {
        "total": 5 * 300_000,
        "load_store": 300_000,
        "simd_fp": 300_000,
        "integer": 2 * 300_000,
        "branch": 300_000,
    }


def test_parse_counts_refuses_a_line_whose_classes_do_not_add_up() -> None:
    good = "insn_count total=10 simd_fp=1 load_store=2 branch=3 integer=4\n"
    assert counting.parse_counts(good)["total"] == 10
    with pytest.raises(counting.CountingError):
        counting.parse_counts(good.replace("integer=4", "integer=5"))
    with pytest.raises(counting.CountingError):
        counting.parse_counts("no plugin output")


def test_calibration_constants_agreement_and_estimates() -> None:
    # Counts chosen so each network gives a round constant: 38.02 ms / 0.19 G = 200.1 ms per G,
    # 79.18 ms / 0.4 G = 197.95 ms per G.
    result = calibration.calibrate({"shufflenet_v2": 190_000_000, "mobilenet_v2": 400_000_000})
    assert result["networks"]["shufflenet_v2"]["ms_per_ginstr"] == pytest.approx(200.105, abs=1e-3)
    assert result["networks"]["mobilenet_v2"]["ms_per_ginstr"] == pytest.approx(197.95, abs=1e-3)
    assert result["ms_per_ginstr"] == pytest.approx((200.105 * 197.95) ** 0.5, abs=1e-3)
    assert result["agreement"] == pytest.approx(200.105 / 197.95, abs=1e-4)
    # 190 M instructions in 38.02 ms at 1.8 GHz: 190e6 / 68.436e6 cycles
    assert result["networks"]["shufflenet_v2"]["implied_ipc"] == pytest.approx(2.776, abs=1e-3)
    scaling = (25.55 / 38.02 + 51.75 / 79.18) / 2
    assert result["two_thread_scaling"] == pytest.approx(scaling, abs=1e-4)
    estimate = calibration.estimate_ms(1_000_000_000, result)
    assert estimate["rk3399_estimate_ms"] == pytest.approx(result["ms_per_ginstr"], abs=0.01)
    assert estimate["rk3399_estimate_range_ms"] == pytest.approx([197.95, 200.105], abs=0.006)
    assert estimate["rk3399_estimate_ms_2_threads"] == pytest.approx(
        result["ms_per_ginstr"] * scaling, abs=0.05
    )


@pytest.mark.skipif(
    not CI_JSON.is_file(), reason="run scripts/cross_aarch64.sh first (it writes this JSON)"
)
def test_ci_count_of_mos_tiny_is_sane() -> None:
    result = json.loads(CI_JSON.read_text())
    (row,) = result["rows"]
    assert (row["arch"], row["size"], row["fp16"], row["threads"]) == (
        "mos-tiny",
        "320x240",
        False,
        1,
    )
    assert isinstance(row["instructions"], int)
    assert row["instructions"] > 0
    assert row["rk3399_estimate_ms"] > 0
    assert row["rk3399_estimate_ms_2_threads"] > 0
    counts = row["counts"]
    first, second, third = counts["totals"]
    assert row["instructions"] == second - first
    # Loading (parsing, weight transforms) is counted in each run but not in the difference:
    # a run of N detects costs more than N detects' worth of instructions.
    assert first > counts["repetitions"][0] * row["instructions"]
    # Each further detect costs the same: the two differences agree within 1%.
    assert counts["difference_spread"] < 0.01
    assert abs((third - second) - (second - first)) / (second - first) < 0.01
    # A detect of mos-tiny at 320x240 is about 0.1 G MACs: far more than 1e7 instructions, far
    # fewer than 1e10.
    assert 1e7 < row["instructions"] < 1e10
    assert sum(row["instructions_by_class"].values()) == row["instructions"]
    calibration_result = result["calibration"]
    assert calibration_result["agreement"] >= 1.0
    assert set(calibration_result["networks"]) == {"shufflenet_v2", "mobilenet_v2"}


def test_readme_table_keeps_the_default_conversion_and_docs_every_row() -> None:
    from mosface.bench.arm.instructions import markdown_table

    result = json.loads(CI_JSON.read_text()) if CI_JSON.is_file() else None
    if result is None:
        pytest.skip("run scripts/cross_aarch64.sh first (it writes the JSON a row is copied from)")
    (template,) = result["rows"]
    result["rows"] = [{**template, "pose_heads": heads, "fp16": fp16} for heads in ("sparse", "dense")
                      for fp16 in (False, True)]
    every_row = markdown_table(result)
    readme = markdown_table(result, default_only=True)
    assert every_row.count("| mos-tiny | 320x240 |") == 4
    assert readme.count("| mos-tiny | 320x240 |") == 1
    assert "| mos-tiny | 320x240 | sparse | fp32 |" in readme
