"""MACs and parameters of every MOS architecture at 320x240, 640x480, 640x640.

Prints a summary table (and, with --per-layer, each layer of one model),
writes ``bench/results/macs.json`` with per-layer counts and a PNG bar chart.
Counting rules: ``mosface.training.complexity``. Sizes are WIDTHxHEIGHT.

    python bench/macs.py [--per-layer mos-tiny@320x240] [--out bench/results]
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

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


def parse_size(text: str) -> tuple[int, int]:
    """'WIDTHxHEIGHT' -> (height, width)."""
    width, height = (int(v) for v in text.lower().split("x"))
    return height, width


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
    fig.savefig(path, dpi=100)
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

    print(f"{'model':<14}{'params':>10}" + "".join(f"{'GMACs ' + s:>18}" for s in SIZES))
    for name, r in results.items():
        params = next(iter(r["sizes"].values()))["params"]
        row = "".join(f"{r['sizes'][s]['macs'] / 1e9:>18.3f}" for s in SIZES)
        print(f"{name:<14}{params / 1e6:>9.3f}M{row}")

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
    }
    (args.out / "macs.json").write_text(json.dumps({"meta": meta, "models": results}, indent=1))
    plot(results, args.out / "macs.png")
    print(f"\nwrote {args.out / 'macs.json'} and {args.out / 'macs.png'}")


if __name__ == "__main__":
    main()
