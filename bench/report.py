"""Tables, JSON and plots of a `mosface bench` report."""

from __future__ import annotations

import json
from pathlib import Path

from ..files import write_atomically

STAGES = ("preprocess", "inference", "postprocess")
MEMORY_PARTS = ("peak_rss_10_mb", "after_imports_mb", "after_load_mb", "activations_mb", "workspace_mb",
                "live_set_mb", "block_mb")


def cpu_model() -> str:
    """The CPU's model name as /proc/cpuinfo gives it, else platform's guess."""
    import platform

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mb(row: dict, key: str) -> str:
    return f"{row[key]:.1f}" if key in row else "-"


def _cell(stats: dict, stage: str) -> str:
    return f"{stats[stage]['median_ms']:.2f}" if stage in stats else "-"


def machine_line(report: dict) -> str:
    machine = report["machine"]
    return (f"Machine: {machine['cpu']}, {machine['cores']} cores; {machine['date']}; mosface {machine['mosface']}; "
            f"weights: {report['weights']}; median of {report['runs']} runs after {report['warmup']} warm-up.")


def markdown_table(report: dict) -> str:
    """One row per (model, size, threads, engine): stage medians, total median and p90, in ms."""
    lines = [
        machine_line(report),
        "",
        "| model | input (WxH) | threads | engine | preprocess | inference | postprocess | total median | "
        "total p90 | outputs |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["results"]:
        stats = row["stages"]
        lines.append(
            f"| {row['arch']} | {row['width']}x{row['height']} | {row['threads']} | {row['engine']} | "
            + " | ".join(_cell(stats, stage) for stage in STAGES)
            + f" | {stats['total']['median_ms']:.2f} | {stats['total']['p90_ms']:.2f} | {row['gives']} |"
        )
    if report["memory"]:
        lines += ["", "Peak RSS of a process that imports, loads and detects once (1 thread), after ten more "
                  "detects, and where it goes (MiB): after the imports, after loading (weights as ncnn keeps "
                  "them), the largest live sets of feature maps, of layer workspaces and of both together, and "
                  "the block mosface plans for them.", "",
                  "| model | input (WxH) | engine | peak RSS | after 10 more | after imports | after load | "
                  "feature maps | workspaces | live set | block |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        lines += [f"| {m['arch']} | {m['width']}x{m['height']} | {m['engine']} | {m['peak_rss_mb']:.1f} | "
                  + " | ".join(_mb(m, key) for key in MEMORY_PARTS) + " |" for m in report["memory"]]
    if report.get("stream"):
        lines += ["", "| model | input (WxH) | threads | faces | detect | tracker update | best-shot update | "
                  "overhead (% of detect) |", "|---|---|---|---|---|---|---|---|"]
        lines += [f"| {r['arch']} | {r['width']}x{r['height']} | {r['threads']} | {r['faces']} | "
                  f"{r['detect_ms']:.2f} | {r['track_ms']:.3f} | {r['best_shot_ms']:.3f} | {r['overhead_pct']:.2f} |"
                  for r in report["stream"]]
    if report["files"]:
        lines += ["", "| model | file (fp32 weights) | bytes |", "|---|---|---|"]
        lines += [f"| {f['arch']} | {f['file']} | {f['bytes']:,} |" for f in report["files"]]
    return "\n".join(lines)


MOSFACE = "mosface"
DENSE = "mosface (dense pose heads)"
PEER_ENGINES = ("ncnn-wheel+numpy", "onnxruntime+numpy")  # the same model through other runtimes


def cells(report: dict) -> dict[tuple, dict[str, dict]]:
    """(arch, width, height, threads) -> engine name -> stage statistics."""
    grouped: dict[tuple, dict[str, dict]] = {}
    for row in report["results"]:
        key = (row["arch"], row["width"], row["height"], row["threads"])
        grouped.setdefault(key, {})[row["engine"]] = row["stages"]
    return grouped


def _median(stats: dict | None, stage: str) -> float | None:
    return stats[stage]["median_ms"] if stats and stage in stats else None


def behind(report: dict) -> list[str]:
    """Cells where another runtime's inference or end-to-end time beats mosface's."""
    losses = []
    for (arch, width, height, threads), engines in cells(report).items():
        for peer in PEER_ENGINES:
            for stage in ("inference", "total"):
                ours, theirs = _median(engines.get(MOSFACE), stage), _median(engines.get(peer), stage)
                if ours is not None and theirs is not None and theirs < ours:
                    losses.append(f"{arch} {width}x{height} {threads} thread(s): {peer} {stage} "
                                  f"{theirs:.2f} vs {ours:.2f} ms")
    return losses


def summary_table(report: dict, archs: tuple[str, ...] | None = None) -> str:
    """Per model, size and threads: mosface against its dense-pose graph and the other runtimes (ms)."""
    lines = ["| model | input (WxH) | threads | mosface total (inference) | dense pose heads | speed-up | "
             "ncnn wheel + numpy | onnxruntime + numpy |", "|---|---|---|---|---|---|---|---|"]
    for (arch, width, height, threads), engines in cells(report).items():
        ours = engines.get(MOSFACE)
        if ours is None or (archs is not None and arch not in archs):
            continue

        def both(stats: dict | None) -> str:
            if stats is None:
                return "-"
            return f"{stats['total']['median_ms']:.1f} ({stats['inference']['median_ms']:.1f})"

        dense = engines.get(DENSE)
        speedup = f"{dense['inference']['median_ms'] / ours['inference']['median_ms']:.2f}x" if dense else "-"
        lines.append(f"| {arch} | {width}x{height} | {threads} | {both(ours)} | {both(dense)} | {speedup} | "
                     + " | ".join(both(engines.get(peer)) for peer in PEER_ENGINES) + " |")
    losses = behind(report)
    verdict = ("mosface's inference and end-to-end medians are ahead of both other runtimes in every cell of this "
               "run (every model, size and thread count)." if not losses else
               "Cells of this run where another runtime is ahead: " + "; ".join(losses) + ".")
    return "\n".join([*lines, "", verdict])


def memory_summary(report: dict, archs: tuple[str, ...] | None = None, *, short: bool = False) -> str:
    """Peak resident memory per model and size: mosface's account, and the other engines where measured (MiB).

    short: mosface at every size, the other engines only at 640x480."""
    lines = ["| model | input (WxH) | engine | peak: import, load, 1 detect | after 10 more | live set | block |",
             "|---|---|---|---|---|---|---|"]
    for m in report["memory"]:
        main_row = m["engine"] == MOSFACE or (m["width"], m["height"]) == (640, 480)
        if (archs is None or m["arch"] in archs) and (main_row or not short):
            lines.append(f"| {m['arch']} | {m['width']}x{m['height']} | {m['engine']} | {m['peak_rss_mb']:.1f} | "
                         f"{_mb(m, 'peak_rss_10_mb')} | {_mb(m, 'live_set_mb')} | {_mb(m, 'block_mb')} |")
    return "\n".join(lines)


def print_table(report: dict) -> None:
    print(markdown_table(report))


def write_json(path: Path, report: dict) -> None:
    write_atomically(path, lambda tmp: tmp.write_text(json.dumps(report, indent=2) + "\n"))


def plot_results(report: dict, folder: Path) -> list[Path]:
    """Stacked stage bars per configuration, and latency against input pixels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    rows = report["results"]
    labels = [f"{r['arch']} {r['width']}x{r['height']} t{r['threads']}\n{r['engine']}" for r in rows]
    figure, axes = plt.subplots(figsize=(max(8, 0.6 * len(rows)), 6))
    bottom = [0.0] * len(rows)
    for stage in (*STAGES, "total"):
        values = [_bar_value(r["stages"], stage) for r in rows]
        axes.bar(range(len(rows)), values, bottom=bottom, label="whole call (peers)" if stage == "total" else stage)
        bottom = [b + v for b, v in zip(bottom, values)]
    axes.set_xticks(range(len(rows)), labels, rotation=90, fontsize=7)
    axes.set_ylabel("median latency (ms)")
    axes.set_title(f"mosface bench — {report['machine']['cpu']}")
    axes.legend()
    figure.tight_layout()
    stages_png = folder / "bench_stages.png"
    _save(figure, stages_png)

    figure, axes = plt.subplots(figsize=(7, 5))
    series: dict[str, list[tuple[int, float]]] = {}
    for r in rows:
        key = f"{r['arch']} {r['engine']} t{r['threads']}"
        series.setdefault(key, []).append((r["width"] * r["height"], r["stages"]["total"]["median_ms"]))
    for key, points in series.items():
        if len(points) > 1:
            points.sort()
            axes.plot([p[0] / 1e6 for p in points], [p[1] for p in points], marker="o", label=key)
    axes.set_xlabel("input megapixels")
    axes.set_ylabel("median end-to-end latency (ms)")
    axes.set_title("latency against input size")
    if series and any(len(points) > 1 for points in series.values()):
        axes.legend(fontsize=6)
    figure.tight_layout()
    scaling_png = folder / "bench_scaling.png"
    _save(figure, scaling_png)
    return [stages_png, scaling_png]


def _bar_value(stats: dict, stage: str) -> float:
    """Stage median; a peer timed only as a whole call shows as one 'total' bar."""
    if stage == "total":
        return 0.0 if any(s in stats for s in STAGES) else stats["total"]["median_ms"]
    return stats[stage]["median_ms"] if stage in stats else 0.0


def _save(figure, path: Path) -> None:
    import matplotlib.pyplot as plt

    write_atomically(path, lambda tmp: figure.savefig(tmp, dpi=110, format="png"))
    plt.close(figure)
