"""MACs and parameters of every MOS architecture at 320x240, 640x480, 640x640.

With sparse pose heads (``mosface convert --pose-heads sparse``, the default)
the graph drops every layer that only serves pose (the pose tasks' stitch
1x1 convs, their share of the cross-stitch, the pose trunk and heads): the
"sparse" column, plus the pose MACs per kept face (the same layers at one
cell: their MACs divided by the number of feature-map cells).

Prints a summary table (and, with --per-layer, each layer of one model),
writes ``bench/results/macs.json`` with per-layer counts and a PNG bar chart.
Counting rules: ``mosface.training.complexity``. Sizes are WIDTHxHEIGHT.

The RK3399 column is a rough ESTIMATE, not a measurement: MACs scaled by
ncnn's own RK3399 figure for shufflenet_v2 (146 M multiply-adds at 224x224,
25.55 ms on the two Cortex-A72 cores, ncnn's benchmark table), i.e. it
assumes MOS runs at shufflenet_v2's MACs per millisecond. The README's RK3399
table comes from counted aarch64 instructions instead (bench/arm/instructions.py,
which shows this figure beside its own); measure with bench/arm/run_on_board.sh.

    python -m mosface.bench.macs [--per-layer mos-tiny@320x240] [--out bench/results]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import re
from pathlib import Path

from ..files import write_atomically
from ..sizes import parse_size
from ..training import build_model
from ..training.complexity import summarize
from ..training.models import ARCHS
from ..training.priors import STEPS
from .checkout import checkout_path

SIZES = ("320x240", "640x480", "640x640")
VARIANTS = (
    ("mos-s", False),
    ("mos-s", True),
    ("mos-m", False),
    ("mos-m", True),
    ("mos-tiny", False),
)

# ncnn's benchmark table, RK3399, 2 big cores: shufflenet_v2 (146 MFLOPs counted as multiply-adds).
RK3399_REFERENCE = {"model": "shufflenet_v2", "macs": 146e6, "ms_2_big_cores": 25.55}


def rk3399_estimate_ms(macs: float) -> float:
    """Latency on 2 Cortex-A72 cores scaled from the reference by MACs (an estimate)."""
    return macs / RK3399_REFERENCE["macs"] * RK3399_REFERENCE["ms_2_big_cores"]


POSE_ONLY = re.compile(r"heads\.\d+\.(pose_heads|pose_trunk)\.")
POSE_STITCH = re.compile(r"heads\.\d+\.stitch_convs\.(\d+)$")
CROSS_STITCH = re.compile(r"heads\.\d+\.cross_stitch$")
DETECTION_TASKS = 3  # box, cls, landmark come first in a head's task list


def pose_only_macs(layers: list[dict], tasks: int) -> int:
    """MACs spent only on pose: pose layers, the pose tasks' stitch convs and cross-stitch outputs."""
    total = 0
    for layer in layers:
        stitch = POSE_STITCH.search(layer["name"])
        if POSE_ONLY.search(layer["name"]) or (stitch and int(stitch.group(1)) >= DETECTION_TASKS):
            total += layer["macs"]
        elif CROSS_STITCH.search(layer["name"]):
            total += layer["macs"] * (tasks - DETECTION_TASKS) // tasks
    return total


def sparse_figures(arch: str, summary: dict, height: int, width: int) -> dict:
    """GMACs of the sparse graph and pose MACs per kept face (one cell of one level)."""
    tasks = DETECTION_TASKS + (3 if ARCHS[arch].pose_mode == "per-angle" else 1)
    pose = pose_only_macs(summary["layers"], tasks)
    cells = sum(math.ceil(height / s) * math.ceil(width / s) for s in STEPS)
    return {"sparse_macs": summary["macs"] - pose, "pose_macs_per_face": pose // cells}


def variant_name(arch: str, dcn: bool) -> str:
    return f"{arch}{'+dcn' if dcn else ''}"


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    fig, ax = plt.subplots(figsize=(8, 4))
    bar = 0.8 / len(SIZES)
    for k, size in enumerate(SIZES):
        values = [results[n]["sizes"][size]["macs"] / 1e9 for n in names]
        ax.bar([i + k * bar for i in range(len(names))], values, bar, label=size)
    ax.set_xticks([i + bar for i in range(len(names))], names)
    ax.set_ylabel("GMACs")
    ax.set_title("MOS family: multiply-accumulates per image")
    ax.legend()
    fig.tight_layout()
    write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="results folder (default: bench/results in the checkout)")
    parser.add_argument(
        "--per-layer", metavar="ARCH[+dcn]@WxH", help="also print one model's per-layer table"
    )
    args = parser.parse_args()

    results = {}
    for arch, dcn in VARIANTS:
        model = build_model(arch, dcn=dcn)
        name = variant_name(arch, dcn)
        results[name] = {
            "arch": arch,
            "dcn": dcn,
            "sizes": {s: summarize(model, *parse_size(s)) for s in SIZES},
        }
        for size, summary in results[name]["sizes"].items():
            summary["rk3399_estimate_ms"] = round(rk3399_estimate_ms(summary["macs"]), 1)
            summary.update(sparse_figures(arch, summary, *parse_size(size)))

    header = "".join(f"{'GMACs ' + s:>17}{'RK3399 est.':>13}" for s in SIZES)
    print(f"{'model':<14}{'params':>10}{header}")
    for name, r in results.items():
        params = next(iter(r["sizes"].values()))["params"]
        row = "".join(
            f"{r['sizes'][s]['macs'] / 1e9:>17.3f}{r['sizes'][s]['rk3399_estimate_ms']:>10.0f} ms" for s in SIZES
        )
        print(f"{name:<14}{params / 1e6:>9.3f}M{row}")
    print("RK3399 est.: MACs scaled from ncnn's shufflenet_v2 figure (2 x A72), an estimate, not a measurement")
    print(f"\nsparse pose heads: {'model':<14}" + "".join(f"{'GMACs ' + s:>16}" for s in SIZES) + "  pose MACs/face")
    for name, r in results.items():
        sizes = r["sizes"]
        row = "".join(f"{sizes[s]['sparse_macs'] / 1e9:>8.3f} ({sizes[s]['sparse_macs'] / sizes[s]['macs']:.0%})"
                      for s in SIZES)
        print(f"{'':<19}{name:<14}{row}  {sizes[SIZES[0]]['pose_macs_per_face'] / 1e3:.0f} k")

    if args.per_layer:
        model_name, size = args.per_layer.split("@")
        layers = results[model_name]["sizes"][size]["layers"]
        total = sum(layer["macs"] for layer in layers)
        print(f"\n{model_name} at {size}: per layer")
        for layer in layers:
            share = 100 * layer["macs"] / total
            print(
                f"{layer['name']:<48}{layer['kind']:<24}{layer['macs'] / 1e6:>10.2f} M {share:5.1f}%"
            )

    out = args.out or checkout_path("bench", "results")
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "counting": "training/complexity.py",
        "rk3399_reference": RK3399_REFERENCE,
    }
    payload = json.dumps({"meta": meta, "models": results}, indent=1)
    write_atomically(out / "macs.json", lambda tmp: tmp.write_text(payload))
    plot(results, out / "macs.png")
    print(f"\nwrote {out / 'macs.json'} and {out / 'macs.png'}")


if __name__ == "__main__":
    main()
