"""Resident memory of a fresh process that loads one engine and detects, with an account.

Run as `python -m mosface.bench.memory ENGINE MODEL_FOLDER IMAGE.npy`; prints
one JSON line: the peak after one detect (`peak_rss_mb`, the process a user
starts: import, load, detect once) and after ten more (`peak_rss_10_mb`), and,
for mosface, where it went: resident memory after the imports and after
loading, the largest live sets of ncnn's feature maps, of its layer
workspaces and of both together, and the planned block that holds them
(mosface's FrameArena). A separate process per measurement, so nothing
another engine loaded counts; the image comes in as a uint8 .npy file, made
by the parent, so its making (float temporaries) is not counted either.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

MOSFACE_ENGINES = {"mosface": True, "mosface-malloc": False, "mosface-dense": True}  # engine -> memory_pool
LATER_CALLS = 10
MIB = 1024 * 1024


def status_mb(field: str = "VmHWM") -> float:
    """A field of /proc/self/status (Linux) in MiB: VmHWM peak resident, VmRSS resident now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found in /proc/self/status")


def measure(engine: str, folder: Path, height: int, width: int) -> dict:
    """Spawn the measuring process and return its JSON account (peak_rss_mb and, for mosface, the parts)."""
    import numpy as np

    from .models import benchmark_image

    with tempfile.TemporaryDirectory(prefix="mosface-memory-") as work:
        image = Path(work) / "image.npy"
        np.save(image, benchmark_image(height, width))
        command = [sys.executable, "-m", "mosface.bench.memory", engine, str(folder), str(image)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"memory measurement of {engine} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.splitlines()[-1])


def _main(engine: str, folder: str, image_path: str) -> None:
    import numpy as np

    from .engines import MosfaceEngine, NcnnWheelEngine, OnnxRuntimeEngine, TorchEngine
    from .models import read_io

    model_folder = Path(folder)
    image = np.load(image_path)
    height, width = image.shape[:2]
    dense = model_folder / "ncnn-dense"  # all six outputs, for the engines that read them
    mosface_folder = dense if engine == "mosface-dense" else model_folder / "ncnn"
    after_imports = status_mb("VmRSS")
    if engine in MOSFACE_ENGINES:
        runner = MosfaceEngine(mosface_folder, 1, height, width, memory_pool=MOSFACE_ENGINES[engine])
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
    peak_one_call = status_mb()
    for _ in range(LATER_CALLS):
        runner.run(image)
    account = {"engine": engine, "peak_rss_mb": round(peak_one_call, 1), "peak_rss_10_mb": round(status_mb(), 1),
               "after_imports_mb": round(after_imports, 1), "after_load_mb": round(after_load, 1)}
    if engine in MOSFACE_ENGINES:
        counts = runner.detector.memory_counts()
        account["activations_mb"] = round(counts["blobs"]["peak_requested"] / MIB, 1)
        account["workspace_mb"] = round(counts["workspace"]["peak_requested"] / MIB, 1)
        account["live_set_mb"] = round(counts["live_peak"] / MIB, 1)
        account["block_mb"] = round(counts["block_peak_bytes"] / MIB, 1)
        account["weights_file_mb"] = round((mosface_folder / "model.bin").stat().st_size / MIB, 1)
    print(json.dumps(account))


if __name__ == "__main__":
    _main(*sys.argv[1:])
