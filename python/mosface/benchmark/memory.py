"""Peak resident memory of a fresh process that loads one engine and detects once.

Run as `python -m mosface.benchmark.memory ENGINE MODEL_FOLDER HEIGHT WIDTH`;
prints {"engine", "peak_rss_mb"} as JSON. A separate process per measurement,
so nothing another engine loaded counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """VmHWM of this process (Linux), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found in /proc/self/status")


def measure(engine: str, folder: Path, height: int, width: int) -> float:
    """Spawn the measuring process and return its peak RSS in MiB."""
    command = [sys.executable, "-m", "mosface.benchmark.memory", engine, str(folder), str(height), str(width)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"memory measurement of {engine} failed:\n{result.stderr[-2000:]}")
    return float(json.loads(result.stdout.splitlines()[-1])["peak_rss_mb"])


def _main(engine: str, folder: str, height: str, width: str) -> None:
    from .engines import MosfaceEngine, NcnnWheelEngine, OnnxRuntimeEngine, TorchEngine
    from .models import benchmark_image, read_io

    model_folder = Path(folder)
    image = benchmark_image(int(height), int(width))
    dense = model_folder / "ncnn-dense"  # all six outputs, for the engines that read them
    if engine in ("mosface", "mosface-no-pool"):
        runner = MosfaceEngine(model_folder / "ncnn", 1, int(height), int(width), memory_pool=engine == "mosface")
    elif engine == "mosface-dense":
        runner = MosfaceEngine(dense, 1, int(height), int(width))
    elif engine == "ncnn-wheel":
        runner = NcnnWheelEngine(dense, 1, read_io(dense))
    elif engine == "onnxruntime":
        runner = OnnxRuntimeEngine(model_folder / "model.onnx", 1, read_io(dense)["mean"])
    elif engine == "torch":
        runner = TorchEngine(model_folder / "checkpoint.pt", 1, read_io(dense)["mean"])
    else:
        raise SystemExit(f"unknown engine {engine}")
    runner.run(image)
    print(json.dumps({"engine": engine, "peak_rss_mb": round(peak_rss_mb(), 1)}))


if __name__ == "__main__":
    _main(*sys.argv[1:])
