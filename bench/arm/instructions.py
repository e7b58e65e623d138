"""RK3399 latency estimates from counted aarch64 instructions (qemu TCG plugin), not MAC ratios.

For one model and size: the seeded benchmark model (converted once, cached in
~/.cache/mosface/bench), the static aarch64 ``mosface-bench`` from
scripts/cross_aarch64.sh run under ``qemu-aarch64 -cpu cortex-a72`` on one
thread with bench/arm/insn_count.c, and the instructions of one detect()
(preprocess + ncnn + post-processing) taken as count(N+1 detects) minus
count(N detects), so loading the model is not counted. Milliseconds come from
ncnn's published RK3399 figures for shufflenet_v2 and mobilenet_v2, counted
here the same way (bench/arm/calibration.py). Estimates, not measurements.

    python -m mosface.bench.arm.instructions --arch mos-tiny --size 320x240 --out row.json
    python -m mosface.bench.arm.instructions --sweep --out bench/results/arm/instructions.json --readme

Needs scripts/cross_aarch64.sh --no-wheel to have run (the aarch64 binary and
ARM ncnn); installs qemu-user and builds the plugin on first use (root).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ...files import write_atomically
from ...sizes import parse_size
from ..checkout import checkout_path
from . import calibration, counting

ARCHS = ("mos-s", "mos-m", "mos-tiny")
SWEEP_SIZES = ("320x240", "640x480")
DEFAULT_BENCH = ("build", "aarch64", "cpp", "mosface-bench")  # in the checkout
MAX_SIDE = 2048
MODEL_CACHE = Path.home() / ".cache" / "mosface" / "bench"
# Priority order of the sweep (cheap and most asked-for first): on a busy 2-core machine the
# 640x480 rows of MOS-S/MOS-M take many minutes each, and the JSON is written after every row.
POSE_HEADS = ("sparse", "dense")  # mosface convert --pose-heads: sparse is the default
SWEEP = [
    (arch, size, fp16, pose_heads)
    for size in SWEEP_SIZES
    for pose_heads in POSE_HEADS
    for fp16 in (False, True)
    for arch in ("mos-tiny", "mos-s", "mos-m")
]
METHOD = (
    "aarch64 instructions of one detect() (preprocess, ncnn inference, post-processing) of the "
    "seeded model on a synthetic image, one thread, counted by a qemu TCG plugin under "
    "qemu-aarch64 -cpu cortex-a72 as count(N+1 detects) - count(N detects); milliseconds from "
    "instructions at the rate ncnn's shufflenet_v2 and mobilenet_v2 reach on a real RK3399"
)


class Tools:
    """The plugin, the aarch64 binaries and the calibration, prepared once per process."""

    def __init__(self, bench: Path) -> None:
        if not bench.is_file():
            raise counting.CountingError(
                f"{bench} not found: run scripts/cross_aarch64.sh --no-wheel first"
            )
        self.bench = bench
        self.plugin = counting.build_plugin()
        self.ncnn_forward = counting.build_ncnn_forward(bench.parents[1])
        self._calibration: dict | None = None

    def calibration(self) -> dict:
        if self._calibration is None:
            self._calibration = calibration.calibrate(
                {name: self._count_classifier(name) for name in calibration.PUBLISHED_MS}
            )
        return self._calibration

    def _count_classifier(self, name: str) -> int:
        from ...training.models import backbones

        sources = [Path(calibration.__file__), Path(backbones.__file__)]
        fingerprint = counting.sha256_files(*sources)[:10]
        param, weights = calibration.convert_classifier(
            name, counting.CACHE / "calibration" / f"{name}-{fingerprint}"
        )
        size = str(calibration.INPUT_SIZE)
        counted = counting.per_repetition(
            self.plugin,
            lambda n: [
                str(self.ncnn_forward),
                str(param),
                str(weights),
                size,
                size,
                str(n),
            ],
            1,
            [self.ncnn_forward, param, weights],
            check_linearity=True,
        )
        return counted["per_repetition"]["total"]


def mac_ratio_estimate(arch: str, width: int, height: int, pose_heads: str) -> dict:
    """mosface.bench.macs's figure (MACs scaled by shufflenet_v2's, two A72 cores) for comparison.

    Sparse pose heads: the graph's MACs without the pose heads (a kept face's are not counted)."""
    from ...training import build_model
    from ...training.complexity import summarize
    from ..macs import rk3399_estimate_ms, sparse_figures

    summary = summarize(build_model(arch, dcn=False), height, width)
    macs = sparse_figures(arch, summary, height, width)["sparse_macs"] if pose_heads == "sparse" else summary["macs"]
    return {"macs": macs, "mac_ratio_estimate_ms_2_threads": round(rk3399_estimate_ms(macs), 2)}


def count_row(
    tools: Tools,
    arch: str,
    size: str,
    *,
    fp16: bool,
    pose_heads: str,
    runs: int,
    check_linearity: bool,
) -> dict:
    """One JSON row: instructions of one detect, by class, and the estimates."""
    from ..models import prepare

    height, width = parse_size(size)
    prepared = prepare(arch, MODEL_CACHE)
    model = prepared.ncnn_dir if pose_heads == "sparse" else prepared.dense_dir
    extra = ["--fp16"] if fp16 else []

    def command(n: int) -> list[str]:
        return [
            str(tools.bench),
            str(model),
            "--size",
            size,
            "--input-size",  # the network runs at the image's size (else fitted into 640x640)
            size,
            "--threads",
            "1",
            "--warmup",
            # Both counts hold the first two detects: the first at a size records ncnn's
            # buffers, the second plans the block; the difference is a steady detect.
            "2",
            "--iterations",
            str(n),
            *extra,
        ]

    files = [tools.bench, model / "model.param", model / "model.bin", model / "manifest.json"]
    counted = counting.per_repetition(
        tools.plugin, command, runs, files, check_linearity=check_linearity
    )
    step = counted["per_repetition"]
    row = {
        "arch": arch,
        "size": size,
        "fp16": fp16,
        "pose_heads": pose_heads,
        "threads": 1,
        "instructions": step["total"],
        "instructions_by_class": {c: step[c] for c in counting.CLASSES},
        "counts": counted,
        **calibration.estimate_ms(step["total"], tools.calibration()),
        **mac_ratio_estimate(arch, width, height, pose_heads),
    }
    row["instruction_to_mac_estimate"] = round(
        row["rk3399_estimate_ms_2_threads"] / row["mac_ratio_estimate_ms_2_threads"], 3
    )
    return row


def report(tools: Tools, rows: list[dict]) -> dict:
    return {
        "tool": "mosface.bench.arm.instructions",
        "method": METHOD,
        "qemu": counting.qemu_version(),
        "qemu_cpu": counting.QEMU_CPU,
        "bench_binary_sha256": hashlib.sha256(tools.bench.read_bytes()).hexdigest(),
        "models": "seeded, untrained (mosface.bench.models: class bias shifted to ~30 candidates "
        "per 640x480 frame), converted with --dynamic",
        "calibration": tools.calibration(),
        "rows": rows,
    }


def markdown_table(result: dict, *, default_only: bool = False) -> str:
    """The README / docs/arm.md table: instruction-based estimates with the MAC-ratio ones beside.

    default_only: the rows of what `mosface convert` writes by default (sparse pose heads, fp32)."""
    lines = [
        "| model | size | pose heads | storage | G instructions | NEON/FP | load/store | 1 x A72 (ms) | 2 x A72 (ms) "
        "| MAC-ratio 2 x A72 (ms) | instructions ÷ MAC-ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        if default_only and (row["pose_heads"] != "sparse" or row["fp16"]):
            continue
        total = row["instructions"]
        by_class = row["instructions_by_class"]
        low, high = row["rk3399_estimate_range_ms"]
        lines.append(
            f"| {row['arch']} | {row['size']} | {row['pose_heads']} | {'fp16' if row['fp16'] else 'fp32'} "
            f"| {total / 1e9:.3f} "
            f"| {100 * by_class['simd_fp'] / total:.0f}% | {100 * by_class['load_store'] / total:.0f}% "
            f"| ~{row['rk3399_estimate_ms']:.0f} ({low:.0f}-{high:.0f}) | ~{row['rk3399_estimate_ms_2_threads']:.0f} "
            f"| ~{row['mac_ratio_estimate_ms_2_threads']:.0f} | {row['instruction_to_mac_estimate']:.2f} |"
        )
    cal = result["calibration"]
    nets = "; ".join(
        f"{name} {n['instructions'] / 1e6:.0f} M instructions, {n['published_ms_1_thread']} ms "
        f"-> {n['ms_per_ginstr']:.1f} ms per G instructions (IPC {n['implied_ipc']:.2f} at 1.8 GHz)"
        for name, n in cal["networks"].items()
    )
    lines += [
        "",
        f"Calibration (one A72): {nets}; used: {cal['ms_per_ginstr']:.1f} ms per G instructions "
        f"(geometric mean; the two networks differ by a factor {cal['agreement']:.2f}, the range in "
        f"brackets). 2 x A72 = 1 x A72 x {cal['two_thread_scaling']:.3f}, the published two-thread / "
        "one-thread ratio of the same networks.",
    ]
    return "\n".join(lines)


def canonical_order(row: dict) -> tuple:
    return (
        ARCHS.index(row["arch"]),
        SWEEP_SIZES.index(row["size"]),
        POSE_HEADS.index(row["pose_heads"]),
        row["fp16"],
    )


def sweep(tools: Tools, runs: int, save: Callable[[list[dict]], None]) -> list[dict]:
    """The sweep, two rows at a time, saved after every row (a long sweep keeps what it did)."""
    rows: list[dict] = []

    def one(case: tuple[str, str, bool, str]) -> dict:
        arch, size, fp16, pose_heads = case
        row = count_row(
            tools, arch, size, fp16=fp16, pose_heads=pose_heads, runs=runs, check_linearity=False
        )
        print(f"counted {arch} {size} {pose_heads} {'fp16' if fp16 else 'fp32'}", flush=True)
        return row

    tools.calibration()  # once, before the threads
    with ThreadPoolExecutor(max_workers=2) as pool:
        for row in pool.map(one, SWEEP):
            rows.append(row)
            save(sorted(rows, key=canonical_order))
    return sorted(rows, key=canonical_order)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=ARCHS, help="one model (with --size)")
    parser.add_argument("--size", help="WIDTHxHEIGHT of the synthetic image, e.g. 320x240")
    parser.add_argument("--fp16", action="store_true", help="fp16 storage (mosface-bench --fp16)")
    parser.add_argument(
        "--pose-heads",
        choices=POSE_HEADS,
        default="sparse",
        help="the model's pose heads (mosface convert --pose-heads; default sparse)",
    )
    parser.add_argument(
        "--sweep",
        action="store_true",
        help=f"{', '.join(ARCHS)} x {', '.join(SWEEP_SIZES)} x sparse/dense x fp32/fp16",
    )
    parser.add_argument(
        "--runs", type=int, default=1, help="N: count N, N+1 and N+2 timed detects (default 1)"
    )
    parser.add_argument(
        "--bench",
        type=Path,
        help=f"the aarch64 mosface-bench (default: {'/'.join(DEFAULT_BENCH)} in the checkout)",
    )
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument(
        "--readme",
        action="store_true",
        help="with --sweep: write the table into README.md and docs/arm.md",
    )
    args = parser.parse_args(argv)
    if args.sweep == bool(args.arch or args.size):
        parser.error("give --arch and --size, or --sweep")
    if args.arch and not args.size:
        parser.error("--arch needs --size")
    if args.readme and not args.sweep:
        parser.error("--readme needs --sweep (the tables hold the whole sweep)")
    if not 1 <= args.runs <= 100:
        parser.error("--runs must be in 1..100")
    if args.size:
        try:
            height, width = parse_size(args.size)
        except argparse.ArgumentTypeError as error:
            parser.error(str(error))
        if max(height, width) > MAX_SIDE:  # qemu runs for hours beyond that
            parser.error(f"--size: at most {MAX_SIDE} pixels a side, got {args.size}")

    def save(rows: list[dict]) -> None:
        result = report(tools, rows)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(args.out, lambda tmp: tmp.write_text(json.dumps(result, indent=1) + "\n"))
        if args.readme:
            from ..readme_table import update_readme

            update_readme(checkout_path("README.md"), "rk3399-estimate", markdown_table(result, default_only=True))
            update_readme(checkout_path("docs", "arm.md"), "rk3399-instructions", markdown_table(result))

    try:
        tools = Tools(args.bench or checkout_path(*DEFAULT_BENCH))
        if args.sweep:
            rows = sweep(tools, args.runs, save)
        else:
            rows = [
                count_row(
                    tools,
                    args.arch,
                    args.size,
                    fp16=args.fp16,
                    pose_heads=args.pose_heads,
                    runs=args.runs,
                    check_linearity=True,
                )
            ]
            save(rows)
    except counting.CountingError as error:
        print(f"instructions: {error}", file=sys.stderr)
        return 1
    for row in rows:
        print(
            f"{row['arch']:<9} {row['size']:>8} {'fp16' if row['fp16'] else 'fp32'}  "
            f"{row['instructions']:>14,d} instructions  ~{row['rk3399_estimate_ms']:.1f} ms on one A72, "
            f"~{row['rk3399_estimate_ms_2_threads']:.1f} ms on two (MAC ratio: ~{row['mac_ratio_estimate_ms_2_threads']:.1f})"
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
