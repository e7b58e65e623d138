"""Instructions -> RK3399 milliseconds, calibrated on ncnn's own published RK3399 figures.

ncnn's benchmark/README.md (Tencent/ncnn), section "Rockchip RK3399
(Cortex-A72 1.8GHz x 2 + Cortex-A53 1.5GHz x 4)", a NanoPC-T4 running
``benchncnn 8 1 2 -1 1`` (one thread on a big core) and ``benchncnn 8 2 2 -1 1``
(both big cores). We convert the same two networks here (ShuffleNetV2 x1.0 and
MobileNetV2 x1.0 at 224x224, our backbones plus ImageNet classifier heads),
count one forward pass each under qemu, and get milliseconds per instruction
on one A72 from each. Two networks of different shape give two constants: how
far they agree is the error bar of the method.

How our calibration graphs may differ from benchncnn's .param files: ours come
from pnnx (BN folded, channel shuffle as one ShuffleChannel, chunk as Slice),
theirs from older converters; ours load real (seeded) weights where benchncnn
generates them; the ncnn version is ours, not the one the README measured.
"""

from __future__ import annotations

import statistics
from pathlib import Path

SOURCE = (
    "Tencent/ncnn benchmark/README.md, Rockchip RK3399 (Cortex-A72 1.8GHz x 2 + Cortex-A53 "
    "1.5GHz x 4), nanopc-t4, benchncnn 8 1 2 -1 1 and benchncnn 8 2 2 -1 1 (avg of 8 runs)"
)
A72_GHZ = 1.8
# name -> published average latency (ms) on one A72 thread and on the two A72 cores.
PUBLISHED_MS = {
    "shufflenet_v2": {"threads_1": 38.02, "threads_2": 25.55},
    "mobilenet_v2": {"threads_1": 79.18, "threads_2": 51.75},
}
INPUT_SIZE = 224
ASSUMPTIONS = [
    "milliseconds are proportional to aarch64 instructions executed, at the rate ncnn's "
    "shufflenet_v2 and mobilenet_v2 reach on one Cortex-A72 (the geometric mean of the two)",
    "no memory-stall model: cache misses and DRAM bandwidth are whatever those two networks had",
    "issue width, in-order vs out-of-order effects and instruction mix are ignored "
    "(every instruction costs the same)",
    "one core, one thread counted; the two-core figure scales by the published two-thread / "
    "one-thread ratio of the same two networks",
    "the A72 runs at 1.8 GHz with the performance governor and no thermal throttling",
]


def classifier(name: str):
    """Our backbone plus the ImageNet head ncnn's benchmark network has (torch module, eval)."""
    import torch
    from torch import nn

    from ...training.models.backbones import ConvBNReLU6, MobileNetV2, ShuffleNetV2

    class Classifier(nn.Module):
        def __init__(self, backbone: nn.Module, last: nn.Module, features: int) -> None:
            super().__init__()
            self.backbone, self.last = backbone, last
            self.fc = nn.Linear(features, 1000)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            # adaptive_avg_pool2d becomes ncnn's global Pooling, as in benchncnn's networks
            pooled = torch.flatten(
                nn.functional.adaptive_avg_pool2d(self.last(self.backbone(x)[2]), 1), 1
            )
            return torch.softmax(self.fc(pooled), dim=1)

    with torch.random.fork_rng():
        torch.manual_seed(0)
        if name == "shufflenet_v2":  # torchvision's conv5 (464 -> 1024) + fc
            last = nn.Sequential(
                nn.Conv2d(464, 1024, 1, bias=False), nn.BatchNorm2d(1024), nn.ReLU()
            )
            return Classifier(ShuffleNetV2(1.0), last, 1024).eval()
        if name == "mobilenet_v2":  # torchvision's features.18 (320 -> 1280) + classifier
            return Classifier(MobileNetV2(), ConvBNReLU6(320, 1280, kernel=1), 1280).eval()
    raise ValueError(
        f"unknown calibration network {name!r}; expected one of {sorted(PUBLISHED_MS)}"
    )


def convert_classifier(name: str, folder: Path) -> tuple[Path, Path]:
    """TorchScript trace + pnnx at 224x224, as mosface convert does (fusable channel shuffle)."""
    from ...convert.export import trace_torchscript
    from ...convert.ncnn_files import to_ncnn
    from ...convert.shuffle import use_fusable_shuffle

    param, weights = folder / "model.param", folder / "model.bin"
    if param.is_file() and weights.is_file():
        return param, weights
    work = folder.with_name(folder.name + ".partial")
    work.mkdir(parents=True, exist_ok=True)
    model = use_fusable_shuffle(classifier(name), torchscript=True)
    traced = trace_torchscript(model, work / "model.pt", height=INPUT_SIZE, width=INPUT_SIZE)
    to_ncnn(traced, work, shapes=[(INPUT_SIZE, INPUT_SIZE)], fp16=False)
    folder.mkdir(parents=True, exist_ok=True)
    (work / "model.bin").replace(weights)
    (work / "model.param").replace(param)  # last: its presence means the folder is complete
    return param, weights


def calibrate(instructions: dict[str, int]) -> dict:
    """Per-network and combined milliseconds per instruction from the published figures."""
    nets = {}
    for name, count in instructions.items():
        published = PUBLISHED_MS[name]
        ms_per_ginstr = published["threads_1"] / count * 1e9
        nets[name] = {
            "input": f"{INPUT_SIZE}x{INPUT_SIZE}",
            "instructions": count,
            "published_ms_1_thread": published["threads_1"],
            "published_ms_2_threads": published["threads_2"],
            "ms_per_ginstr": round(ms_per_ginstr, 3),
            # instructions per cycle the published time implies at 1.8 GHz: a plausibility check
            "implied_ipc": round(count / (published["threads_1"] * 1e-3 * A72_GHZ * 1e9), 3),
            "two_thread_scaling": round(published["threads_2"] / published["threads_1"], 4),
        }
    rates = [n["ms_per_ginstr"] for n in nets.values()]
    return {
        "source": SOURCE,
        "networks": nets,
        "ms_per_ginstr": round(statistics.geometric_mean(rates), 3),
        "ms_per_ginstr_range": [min(rates), max(rates)],
        "agreement": round(max(rates) / min(rates), 4),  # 1.0: both networks give the same constant
        "two_thread_scaling": round(
            statistics.fmean(n["two_thread_scaling"] for n in nets.values()), 4
        ),
        "assumptions": ASSUMPTIONS,
    }


def estimate_ms(instructions: int, calibration: dict) -> dict:
    """One-A72 estimate, its range over the two calibration networks, and the two-core estimate."""
    one = instructions * calibration["ms_per_ginstr"] * 1e-9
    low, high = (instructions * r * 1e-9 for r in calibration["ms_per_ginstr_range"])
    return {
        "rk3399_estimate_ms": round(one, 2),
        "rk3399_estimate_range_ms": [round(low, 2), round(high, 2)],
        "rk3399_estimate_ms_2_threads": round(one * calibration["two_thread_scaling"], 2),
    }
