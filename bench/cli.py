"""`mosface bench`: per-stage latency of MOS engines side by side, memory, file sizes, scaling.

With no arguments: MOS-S (seeded, untrained unless --checkpoint), 640x480,
1 and 2 threads, every engine, 30 timed runs after 5 warm-up runs each.
`--full` runs the matrix: MOS-S, MOS-M, mos-tiny x 320x240, 640x480, 640x640,
1280x720 x 1 and 2 threads. Results: a printed table, JSON and PNG plots in --out.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
from pathlib import Path

import numpy as np

from .. import __version__
from ..sizes import parse_size
from .memory import measure
from .models import BenchModel, benchmark_image, prepare
from .report import cpu_model, plot_results, print_table, write_json
from .stream import time_stream

DEFAULT_SIZES = ["640x480"]
FULL_SIZES = ["320x240", "640x480", "640x640", "1280x720"]
FULL_ARCHS = ["mos-s", "mos-m", "mos-tiny"]
ENGINES = ["mosface", "mosface-dense", "ncnn-wheel", "onnxruntime", "torch"]
DENSE_NAME = "mosface (dense pose heads)"  # the same runtime on the --pose-heads dense conversion
PEERS = ["yuface", "dlib-hog"]
STREAM_FACES = 10  # faces tracked per frame in the stream row


def machine_info() -> dict:
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
            "mosface": __version__, "date": datetime.date.today().isoformat()}


def build_engine(name: str, model: BenchModel, threads: int, height: int, width: int):
    from . import engines

    if name == "mosface":
        return engines.MosfaceEngine(model.ncnn_dir, threads, height, width)
    if name == "mosface-dense":
        return engines.MosfaceEngine(model.dense_dir, threads, height, width, name=DENSE_NAME)
    if name == "ncnn-wheel":
        return engines.NcnnWheelEngine(model.dense_dir, threads, model.io())
    if name == "onnxruntime":
        return engines.OnnxRuntimeEngine(model.onnx_path, threads, model.io()["mean"])
    if name == "torch":
        return engines.TorchEngine(model.checkpoint, threads, model.io()["mean"])
    if name == "yuface":
        return engines.YuFaceEngine()
    if name == "dlib-hog":
        return engines.DlibHogEngine()
    raise ValueError(f"unknown engine {name!r}")


def time_engine(engine, image: np.ndarray, warmup: int, runs: int) -> dict:
    for _ in range(warmup):
        engine.run(image)
    samples = [engine.run(image) for _ in range(runs)]
    stats: dict[str, dict[str, float]] = {}
    for stage in samples[0]:
        values = np.array([sample[stage] for sample in samples])
        stats[stage] = {"median_ms": float(np.median(values)), "p90_ms": float(np.percentile(values, 90))}
    totals = np.array([sum(sample.values()) for sample in samples])
    stats["total"] = {"median_ms": float(np.median(totals)), "p90_ms": float(np.percentile(totals, 90))}
    return stats


def available_peers() -> list[str]:
    import importlib.util

    modules = {"yuface": "yuface", "dlib-hog": "dlib"}
    return [peer for peer in PEERS if importlib.util.find_spec(modules[peer]) is not None]


def run(args: argparse.Namespace) -> dict:
    from tqdm import tqdm

    archs = FULL_ARCHS if args.full else args.arch
    sizes = [parse_size(s) for s in FULL_SIZES] if args.full else args.sizes
    cache = Path(args.cache) if args.cache else Path.home() / ".cache" / "mosface" / "bench"
    models = {}
    for arch in tqdm(archs, desc="preparing models (convert once, cached)", unit="model"):
        models[arch] = prepare(arch, cache, args.checkpoint)

    peers = [] if args.no_peers else available_peers()
    cells = [(arch, size, threads, engine) for arch in archs for size in sizes for threads in args.threads
             for engine in args.engines]
    cells += [("peer", size, 1, peer) for size in sizes for peer in peers]
    results = []
    for arch, (height, width), threads, engine_name in tqdm(cells, desc="timing", unit="cell"):
        image = benchmark_image(height, width)
        engine = build_engine(engine_name, models.get(arch), threads, height, width)
        stats = time_engine(engine, image, args.warmup, args.runs)
        results.append({"arch": arch, "height": height, "width": width, "threads": threads,
                        "engine": engine.name, "gives": engine.gives, "stages": stats})
        del engine

    stream = []
    if not args.no_stream and "mosface" in args.engines:
        for arch, (height, width), threads in tqdm([(a, s, t) for a in archs for s in sizes for t in args.threads],
                                                   desc="stream (tracking + best shot)", unit="cell"):
            row = time_stream(models[arch].ncnn_dir, benchmark_image(height, width), threads, STREAM_FACES,
                              args.warmup, args.runs)
            stream.append({"arch": arch, "height": height, "width": width, "threads": threads, **row})

    memory = []
    if not args.no_memory:
        # mosface (with and without its pool) at every size, with the account of where the
        # memory goes; the other engines at 640x480 (the main configuration) when it is
        # measured, else at the first size.
        main_size = (480, 640) if (480, 640) in sizes else sizes[0]
        jobs = [(arch, engine_name, size) for arch in archs for size in sizes
                for engine_name in [*args.engines, *(["mosface-malloc"] if "mosface" in args.engines else [])]
                if engine_name.startswith("mosface") or size == main_size]
        for arch, engine_name, (height, width) in tqdm(jobs, desc="peak memory", unit="process"):
            folder = models[arch].checkpoint.parent
            memory.append({"arch": arch, "height": height, "width": width,
                           **measure(engine_name, folder, height, width)})
    files = [{"arch": arch, "file": name, "bytes": (model.ncnn_dir / name).stat().st_size}
             for arch, model in models.items() for name in ("model.param", "model.bin", "pose_heads.bin")]
    return {"machine": machine_info(), "weights": "trained checkpoint" if args.checkpoint else
            "seeded, untrained (latency does not depend on weights)",
            "runs": args.runs, "warmup": args.warmup, "results": results, "memory": memory, "files": files,
            "stream": stream}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mosface bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", nargs="+", default=["mos-s"], choices=FULL_ARCHS,
                        help="architectures to time (default: mos-s)")
    parser.add_argument("--sizes", nargs="+", type=parse_size, default=[parse_size(s) for s in DEFAULT_SIZES],
                        metavar="WxH", help=f"network input sizes (default: {' '.join(DEFAULT_SIZES)})")
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2],
                        help="thread counts, each timed separately (default: 1 2)")
    parser.add_argument("--engines", nargs="+", default=ENGINES, choices=ENGINES,
                        help="MOS engines to compare (default: all)")
    parser.add_argument("--full", action="store_true", help="every architecture and size")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per configuration (default: 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs before them (default: 5)")
    parser.add_argument("--checkpoint", type=Path, help="a trained checkpoint in mosface's format")
    parser.add_argument("--no-peers", action="store_true", help="skip yuface / dlib")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-RSS processes")
    parser.add_argument("--no-stream", action="store_true", help="skip the tracking + best-shot row")
    parser.add_argument("--cache", help="model cache folder (default ~/.cache/mosface/bench)")
    parser.add_argument("--out", type=Path, default=Path("mosface-results"), help="results folder")
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv[1:] if argv and argv[0] == "bench" else argv)
    if args.runs < 1 or args.warmup < 0 or min(args.threads) < 1:
        parser.error("--runs >= 1, --warmup >= 0 and --threads >= 1")

    report = run(args)
    print_table(report)
    write_json(args.out / "bench.json", report)
    plots = plot_results(report, args.out)
    print(f"wrote {args.out / 'bench.json'} and {', '.join(str(p) for p in plots)}")
    return 0
