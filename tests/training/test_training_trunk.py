"""The ImageNet trunk: torchvision-layout state dicts load into the backbone; configs require it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mosface.training import build_model
from mosface.training.cli import main
from mosface.training.config import load_config
from mosface.training.trunk import load_backbone_weights, resolve_trunk_weights

# Keys and shapes of torchvision's shufflenet_v2_x1_0 / mobilenet_v2 state dicts (written from
# torchvision's model definitions), and the head layers a detector leaves unused.
TORCHVISION_KEYS = {
    "mos-s": {
        "conv1.0.weight": (24, 3, 3, 3),
        "stage2.0.branch1.0.weight": (24, 1, 3, 3),
        "stage2.0.branch2.0.weight": (58, 24, 1, 1),
        "stage3.0.branch1.2.weight": (116, 116, 1, 1),
        "stage4.3.branch2.6.running_var": (232,),
    },
    "mos-m": {
        "features.0.0.weight": (32, 3, 3, 3),
        "features.1.conv.0.0.weight": (32, 1, 3, 3),
        "features.1.conv.1.weight": (16, 32, 1, 1),
        "features.17.conv.2.weight": (320, 960, 1, 1),
        "features.17.conv.3.running_mean": (320,),
    },
}
UNUSED = {
    "mos-s": {"conv5.0.weight": (1024, 464, 1, 1), "conv5.1.weight": (1024,), "fc.weight": (1000, 1024), "fc.bias": (1000,)},
    "mos-m": {"features.18.0.weight": (1280, 320, 1, 1), "features.18.1.weight": (1280,), "classifier.1.weight": (1000, 1280), "classifier.1.bias": (1000,)},
}  # fmt: skip


@pytest.mark.parametrize("arch", ["mos-s", "mos-m"])
def test_torchvision_layout_loads_into_the_trunk(arch: str, tmp_path: Path) -> None:
    model = build_model(arch, dcn=False)
    body = model.body.state_dict()
    for key, shape in TORCHVISION_KEYS[arch].items():
        assert tuple(body[key].shape) == shape, key
    gen = torch.Generator().manual_seed(0)
    state = {
        k: torch.randn(v.shape, generator=gen) if v.is_floating_point() else v
        for k, v in body.items()
    }
    state.update({k: torch.randn(s, generator=gen) for k, s in UNUSED[arch].items()})
    path = tmp_path / "imagenet.pth"
    torch.save({f"module.{k}": v for k, v in state.items()}, path)  # DataParallel prefix too
    unused = load_backbone_weights(model, path)
    assert unused == sorted(UNUSED[arch])
    for key, value in model.body.state_dict().items():
        torch.testing.assert_close(value, state[key], rtol=0, atol=0)

    bad = dict(state)
    del bad[next(iter(TORCHVISION_KEYS[arch]))]
    torch.save(bad, path)
    with pytest.raises(ValueError, match="backbone tensors missing"):
        load_backbone_weights(build_model(arch, dcn=False), path)


def test_paper_configs_name_a_trunk_and_stop_without_it(tmp_path: Path, capsys) -> None:
    for name in ("mos-s", "mos-m", "ablation-1-baseline", "ablation-4-feedback"):
        assert load_config(f"training/configs/{name}.yaml")["model"]["backbone_weights"]
    missing = tmp_path / "absent.pth"
    args = ["train", "--config", "training/configs/mos-s.yaml", "--out-dir", str(tmp_path / "run"),
            "--set", f"model.backbone_weights={missing}", "--device", "cpu"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    for needed in (str(missing), "--from-scratch", "--backbone-weights"):
        assert needed in err
    assert not (tmp_path / "run").exists()
    assert resolve_trunk_weights(missing, from_scratch=True) is None
    assert resolve_trunk_weights(None, from_scratch=False) is None  # mos-tiny: no trunk named
