"""Per-layer multiply-accumulate (MAC) and parameter counts of a model.

Counted with forward hooks on one input: convolutions (``Conv2d``: output
elements x in/groups x kh x kw; DCNv2: its 3x3 conv the same way, plus
``conv_offset_mask`` as its own conv; the bilinear sampling is not counted),
linear layers, and the cross-stitch unit (T x T x C x H x W multiply-adds per
image). BN, activations and additions are not counted (BN folds into the
preceding conv at export).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .models.dcn import ModulatedDeformConv2d
from .models.heads import CrossStitch


@dataclass
class LayerCost:
    name: str
    kind: str
    output_shape: tuple[int, ...]
    macs: int
    params: int


def _macs(module: nn.Module, inputs: tuple, output: object) -> int:
    if isinstance(module, nn.Conv2d):
        k = module.kernel_size[0] * module.kernel_size[1]
        return output.numel() // output.shape[0] * (module.in_channels // module.groups) * k
    if isinstance(module, ModulatedDeformConv2d):
        return output.numel() // output.shape[0] * module.in_channels * 9
    if isinstance(module, nn.Linear):
        return output.numel() // output.shape[0] * module.in_features
    if isinstance(module, CrossStitch):
        tasks = module.weight.shape[0]
        return tasks * output[0].numel() // output[0].shape[0] * tasks
    return 0


COUNTED = (nn.Conv2d, ModulatedDeformConv2d, nn.Linear, CrossStitch)


def layer_costs(model: nn.Module, height: int, width: int) -> list[LayerCost]:
    """Per-layer costs for one (1, 3, height, width) input, in forward order."""
    costs: list[LayerCost] = []
    hooks = []
    for name, module in model.named_modules():
        if isinstance(module, COUNTED):

            def hook(mod: nn.Module, inputs: tuple, output: object, name: str = name) -> None:
                first = output[0] if isinstance(output, list) else output
                own = sum(p.numel() for p in mod.parameters(recurse=False))
                costs.append(
                    LayerCost(
                        name,
                        type(mod).__name__,
                        tuple(first.shape),
                        _macs(mod, inputs, output),
                        own,
                    )
                )

            hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, height, width))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return costs


def summarize(model: nn.Module, height: int, width: int) -> dict[str, object]:
    """Total MACs / parameters plus the per-layer list (JSON-ready)."""
    costs = layer_costs(model, height, width)
    return {
        "height": height,
        "width": width,
        "macs": sum(c.macs for c in costs),
        "params": sum(p.numel() for p in model.parameters()),
        "layers": [asdict(c) for c in costs],
    }
