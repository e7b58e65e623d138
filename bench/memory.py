"""Resident memory of a fresh process that loads one engine and detects once, with an account.

Run as `python -m mosface.bench.memory ENGINE MODEL_FOLDER HEIGHT WIDTH`;
prints one JSON line: the peak (`peak_rss_mb`) and, for mosface, where it
went: resident memory after the imports and after loading, and the largest
live set of ncnn's activations and layer workspaces (counted by mosface's
allocator). A separate process per measurement, so nothing another engine
loaded counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MOSFACE_ENGINES = {"mosface": False, "mosface-pool": True, "mosface-dense": False}  # engine -> memory_pool
MIB = 1024 * 1024


def status_mb(field: str = "VmHWM") -> float:
    """A field of /proc/self/status (Linux) in MiB: VmHWM peak resident, VmRSS resident now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found in /proc/self/status")


def measure(engine: str, folder: Path, height: int, width: int) -> dict:
    """Spawn the measuring process and return its JSON account (peak_rss_mb and, for mosface, the parts)."""
    command = [sys.executable, "-m", "mosface.bench.memory", engine, str(folder), str(height), str(width)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"memory measurement of {engine} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.splitlines()[-1])


def _main(engine: str, folder: str, height: str, width: str) -> None:
    from .engines import MosfaceEngine, NcnnWheelEngine, OnnxRuntimeEngine, TorchEngine
    from .models import benchmark_image, read_io

    model_folder = Path(folder)
    image = benchmark_image(int(height), int(width))
    dense = model_folder / "ncnn-dense"  # all six outputs, for the engines that read them
    mosface_folder = dense if engine == "mosface-dense" else model_folder / "ncnn"
    after_imports = status_mb("VmRSS")
    if engine in MOSFACE_ENGINES:
        runner = MosfaceEngine(mosface_folder, 1, int(height), int(width), memory_pool=MOSFACE_ENGINES[engine])
    elif engine == "ncnn-wheel":
        runner = NcnnWheelEngine(dense, 1, read_io(dense))
    elif engine == "onnxruntime":
        runner = OnnxRuntimeEngine(model_folder / "model.onnx", 1, read_io(dense)["mean"])
    elif engine == "torch":
        runner = TorchEngine(model_folder / "checkpoint.pt", 1, read_io(dense)["mean"])
    else:
        raise SystemExit(f"unknown engine {engine}")
    after_load = status_mb("VmRSS")
    runner.run(image)
    account = {"engine": engine, "peak_rss_mb": round(status_mb(), 1),
               "after_imports_mb": round(after_imports, 1), "after_load_mb": round(after_load, 1)}
    if engine in MOSFACE_ENGINES:
        counts = runner.detector.memory_counts()
        account["activations_mb"] = round(counts["blobs"]["peak_requested"] / MIB, 1)
        account["workspace_mb"] = round(counts["workspace"]["peak_requested"] / MIB, 1)
        account["pool_held_mb"] = round((counts["blobs"]["peak_held"] + counts["workspace"]["peak_held"]) / MIB, 1)
        account["weights_file_mb"] = round((mosface_folder / "model.bin").stat().st_size / MIB, 1)
    print(json.dumps(account))


if __name__ == "__main__":
    _main(*sys.argv[1:])
