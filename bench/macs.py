"""MACs and parameters of every MOS architecture at 320x240, 640x480, 640x640.

Prints a summary table (and, with --per-layer, each layer of one model),
writes ``bench/results/macs.json`` with per-layer counts and a PNG bar chart.
Counting rules: ``mosface.training.complexity``. Sizes are WIDTHxHEIGHT.

The RK3399 column is a rough ESTIMATE, not a measurement: MACs scaled by
ncnn's own RK3399 figure for shufflenet_v2 (146 M multiply-adds at 224x224,
25.55 ms on the two Cortex-A72 cores, ncnn's benchmark table), i.e. it
assumes MOS runs at shufflenet_v2's MACs per millisecond. The README's RK3399
table comes from counted aarch64 instructions instead (bench/arm/instructions.py,
which shows this figure beside its own); measure with bench/arm/run_on_board.sh.

    python bench/macs.py [--per-layer mos-tiny@320x240] [--out bench/results]
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from mosface.files import write_atomically
from mosface.sizes import parse_size
from mosface.training import build_model
from mosface.training.complexity import summarize

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
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
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
        for summary in results[name]["sizes"].values():
            summary["rk3399_estimate_ms"] = round(rk3399_estimate_ms(summary["macs"]), 1)

    header = "".join(f"{'GMACs ' + s:>17}{'RK3399 est.':>13}" for s in SIZES)
    print(f"{'model':<14}{'params':>10}{header}")
    for name, r in results.items():
        params = next(iter(r["sizes"].values()))["params"]
        row = "".join(
            f"{r['sizes'][s]['macs'] / 1e9:>17.3f}{r['sizes'][s]['rk3399_estimate_ms']:>10.0f} ms" for s in SIZES
        )
        print(f"{name:<14}{params / 1e6:>9.3f}M{row}")
    print("RK3399 est.: MACs scaled from ncnn's shufflenet_v2 figure (2 x A72), an estimate, not a measurement")

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

    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "counting": "training/complexity.py",
        "rk3399_reference": RK3399_REFERENCE,
    }
    payload = json.dumps({"meta": meta, "models": results}, indent=1)
    write_atomically(args.out / "macs.json", lambda tmp: tmp.write_text(payload))
    plot(results, args.out / "macs.png")
    print(f"\nwrote {args.out / 'macs.json'} and {args.out / 'macs.png'}")


if __name__ == "__main__":
    main()
