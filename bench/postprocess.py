"""Benchmark: C++ ``mosface.postprocess`` against the numpy reference, side by side.

Both run in one process on the same planted head outputs (see
``mosface.bench.planted``) at 640x640 and 1280x720 with 0, 10 and 100 faces
(``--faces`` for another sweep, e.g. ``--faces 0 50 100 200 300 400 500``).
Each is warmed up, then timed call by call; the table gives median and p90.
Results go to ``bench/results/postprocess.json``, ``postprocess.png`` and, for
sweeps of more than two face counts, ``postprocess_scaling.png``.

With ``--sparse-model DIR`` (a ``mosface convert --pose-heads sparse``
folder, e.g. ``~/.cache/mosface/bench/mos-s-*/ncnn``) it also times the
sparse pose heads for the same face counts at 640x480 (seeded feature maps,
one anchor per face): what the Detector adds after NMS, per frame and per face.

    python -m mosface.bench.postprocess [--seconds 1.0] [--faces N ...] [--sparse-model DIR] [--out bench/results]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import mosface

from ..files import write_atomically
from .authors_numpy import ANCHORS, reference_postprocess
from .checkout import checkout_path
from .planted import planted_outputs
from .report import cpu_model, write_json

SIZES = [(640, 640), (720, 1280)]  # height, width
FACES = [0, 10, 100]
SEED = 0


def time_calls(call: Callable[[], object], seconds: float, min_reps: int) -> np.ndarray:
    """Per-call wall times in ms: a warm-up, then at least ``min_reps`` calls
    and at least ``seconds`` of calls."""
    for _ in range(3):
        call()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < seconds:
        t0 = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - t0)
    return np.array(times, dtype=np.float64) / 1e6


def same_detections(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two results agree to the tolerances of tests/test_postprocess.py."""
    if a.shape != b.shape:
        return False
    tol = np.array([1e-3] * 4 + [1e-5] + [1e-3] * 13, dtype=np.float32)
    return bool(np.all(np.abs(a - b) <= tol))


def run_case(height: int, width: int, n_faces: int, seconds: float) -> dict[str, object]:
    """Time both implementations on one planted image."""
    arrays = planted_outputs(height, width, n_faces, SEED)
    cpp = mosface.postprocess(*arrays, height=height, width=width, anchors=ANCHORS)
    ref = reference_postprocess(*arrays, height=height, width=width)
    cpp_ms = time_calls(
        lambda: mosface.postprocess(*arrays, height=height, width=width, anchors=ANCHORS), seconds, 200
    )
    ref_ms = time_calls(
        lambda: reference_postprocess(*arrays, height=height, width=width), seconds, 20
    )
    cpp_median, ref_median = float(np.median(cpp_ms)), float(np.median(ref_ms))
    return {
        "input": f"{width}x{height}",
        "height": height,
        "width": width,
        "anchors": int(arrays[0].shape[0]),
        "faces": n_faces,
        "detections": len(cpp),
        "results_agree": same_detections(cpp, ref),
        "cpp_ms": {
            "median": cpp_median,
            "p90": float(np.percentile(cpp_ms, 90)),
            "reps": len(cpp_ms),
        },
        "numpy_ms": {
            "median": ref_median,
            "p90": float(np.percentile(ref_ms, 90)),
            "reps": len(ref_ms),
        },
        "speedup_median": ref_median / cpp_median,
    }


def sparse_pose_cases(model_dir: Path, faces: list[int], seconds: float) -> list[dict[str, object]]:
    """Time the sparse pose heads at 640x480 for each face count (one thread)."""
    height, width = 480, 640
    manifest = json.loads((model_dir / "manifest.json").read_text())
    heads = mosface._core.SparsePoseHeads(str(model_dir))
    rng = np.random.default_rng(SEED)
    features = [
        rng.normal(0.0, 1.0, (manifest["sparse_pose"]["channels"], math.ceil(height / s), math.ceil(width / s)))
        .astype(np.float32)
        for s in manifest["anchors"]["steps"]
    ]
    anchors = len(mosface.priors(height, width, anchors=manifest["anchors"]))
    cases = []
    for count in faces:
        chosen = rng.choice(anchors, size=count, replace=False).astype(np.int64)
        times = time_calls(lambda chosen=chosen: heads.logits(features, height, width, chosen), seconds, 20)
        median = float(np.median(times))
        cases.append({"input": f"{width}x{height}", "faces": count, "median_ms": median,
                      "p90_ms": float(np.percentile(times, 90)),
                      "per_face_us": median / count * 1e3 if count else None})
    return cases


def plot(cases: list[dict[str, object]], path: Path) -> None:
    """Bar chart of median times, log scale, C++ beside numpy for each case."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{c['input']}\n{c['faces']} faces" for c in cases]
    x = np.arange(len(cases))
    fig, ax = plt.subplots(figsize=(8, 4))
    for offset, key, name in [
        (-0.2, "cpp_ms", "C++ (1 thread)"),
        (0.2, "numpy_ms", "numpy reference"),
    ]:
        ax.bar(x + offset, [c[key]["median"] for c in cases], width=0.4, label=name)
    ax.axhline(0.5, color="grey", linestyle="--", linewidth=1, label="0.5 ms target")
    ax.set_yscale("log")
    ax.set_ylabel("median time per image (ms)")
    ax.set_xticks(x, labels)
    ax.set_title("mosface.postprocess vs numpy reference")
    ax.legend()
    fig.tight_layout()
    write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
    plt.close(fig)


def plot_scaling(cases: list[dict[str, object]], path: Path) -> None:
    """Median time against the number of planted faces, one line per size and side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for size in sorted({c["input"] for c in cases}):
        rows = [c for c in cases if c["input"] == size]
        faces = [c["faces"] for c in rows]
        ax.plot(faces, [c["cpp_ms"]["median"] for c in rows], marker="o", label=f"C++ {size}")
        ax.plot(faces, [c["numpy_ms"]["median"] for c in rows], marker="s", linestyle="--",
                label=f"numpy {size}")
    ax.set_yscale("log")
    ax.set_xlabel("planted faces")
    ax.set_ylabel("median time per image (ms)")
    ax.set_title("post-processing against the number of faces")
    ax.legend(fontsize=7)
    fig.tight_layout()
    write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="timing time per case and side")
    parser.add_argument("--faces", type=int, nargs="+", default=FACES, help="planted face counts")
    parser.add_argument("--sparse-model", type=Path, help="also time this sparse-pose model's pose heads")
    parser.add_argument("--out", type=Path, help="results folder (default: bench/results in the checkout)")
    args = parser.parse_args()
    out = args.out or checkout_path("bench", "results")

    cases = [run_case(h, w, n, args.seconds) for h, w in SIZES for n in args.faces]

    header = f"{'input':>9} {'faces':>5} {'dets':>4} {'C++ med':>9} {'C++ p90':>9} {'numpy med':>10} {'numpy p90':>10} {'speedup':>8} agree"
    print(header)
    print("-" * len(header))
    for c in cases:
        cpp, ref = c["cpp_ms"], c["numpy_ms"]
        print(
            f"{c['input']:>9} {c['faces']:>5} {c['detections']:>4} "
            f"{cpp['median']:>7.3f}ms {cpp['p90']:>7.3f}ms {ref['median']:>8.2f}ms {ref['p90']:>8.2f}ms "
            f"{c['speedup_median']:>7.0f}x {'yes' if c['results_agree'] else 'NO'}"
        )
    print("targets (reported, not asserted): >= 150x faster than numpy, < 0.5 ms at 640x640")
    sparse = sparse_pose_cases(args.sparse_model, args.faces, args.seconds) if args.sparse_model else []
    for c in sparse:
        per_face = f"{c['per_face_us']:.1f} us/face" if c["per_face_us"] else ""
        print(f"sparse pose heads {c['input']} {c['faces']:>4} faces: {c['median_ms']:.3f} ms (p90 "
              f"{c['p90_ms']:.3f}) {per_face}")

    payload = {
        "benchmark": "postprocess",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "cpu_model": cpu_model(),
            "cores": os.cpu_count(),
            "platform": platform.platform(),
        },
        "threads": {"cpp": 1, "numpy": 1},
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "mosface": mosface.__version__,
        },
        "seed": SEED,
        "seconds_per_case": args.seconds,
        "targets": {"speedup_min": 150, "cpp_ms_640x640_max": 0.5},
        "cases": cases,
        "sparse_pose": {"model": str(args.sparse_model), "cases": sparse} if sparse else None,
    }
    write_json(out / "postprocess.json", payload)
    plot(cases, out / "postprocess.png")
    if len(args.faces) > 2:
        plot_scaling(cases, out / "postprocess_scaling.png")
    print(f"wrote {out / 'postprocess.json'} and {out / 'postprocess.png'}")


if __name__ == "__main__":
    main()
