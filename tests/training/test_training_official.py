"""``load_official`` on state dicts built from the release's key lists (tests/training/data)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from mosface.training import build_model, load_official
from mosface.training.checkpoint import load_checkpoint, load_model
from mosface.training.cli import main
from mosface.training.official import SLOTS, OfficialCheckpointError

DATA = Path(__file__).parent / "data"


def official_state_dict(arch: str, *, prefix: str = "", seed: int = 0) -> dict[str, torch.Tensor]:
    """Random tensors under every key/shape of the release's key list."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for line in (DATA / f"official-keys-{arch}.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, shape, dtype = line.split("\t")
        dims = tuple(int(d) for d in shape.strip("()").split(",") if d.strip())
        if dtype == "int64":
            state[prefix + key] = torch.tensor(7)
        elif "running_var" in key:
            state[prefix + key] = torch.rand(dims, generator=gen) + 0.5  # variances are positive
        else:
            state[prefix + key] = torch.randn(dims, generator=gen) * 0.1
    return state


def official_head_reference(
    sd: dict[str, torch.Tensor], level: int, x: torch.Tensor
) -> list[torch.Tensor]:
    """The release's multi-task head at one level, written from the spec's wiring."""

    def conv(name: str, inp: torch.Tensor, padding: int = 0) -> torch.Tensor:
        return F.conv2d(inp, sd[f"{name}.weight"], sd.get(f"{name}.bias"), padding=padding)

    def bn(name: str, inp: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(
            inp,
            sd[f"{name}.running_mean"],
            sd[f"{name}.running_var"],
            sd[f"{name}.weight"],
            sd[f"{name}.bias"],
            eps=1e-5,
        )

    stitch = [
        "stitch_BboxHead",
        "stitch_classhead",
        "stitch_LandmarkHead",
        "stitch_PoseHead_y",
        "stitch_PoseHead_p",
        "stitch_PoseHead_r",
    ]
    inputs = dict(
        zip(SLOTS, [conv(f"{s}.{level}.conv1x1", x) for s in stitch])
    )  # box -> "classhead" slot
    unit = f"cross_stitch.fpn{level + 1}.cross_stitch_unit"
    out = {
        t: sum(sd[f"{unit}.{t}.{s}.param"].view(1, -1, 1, 1) * inputs[s] for s in SLOTS)
        for t in SLOTS
    }

    def flat(y: torch.Tensor, k: int) -> torch.Tensor:
        return y.permute(0, 2, 3, 1).reshape(y.shape[0], -1, k)

    result = [
        flat(conv(f"BboxHead.{level}.conv1x1", out["bboxhead"]), 4),
        flat(conv(f"ClassHead.{level}.conv1x1", out["classhead"]), 2),
        flat(conv(f"LandmarkHead.{level}.conv1x1", out["landmarkhead"]), 10),
    ]
    for angle in "ypr":
        name = f"PoseHead_{angle}.{level}"
        trunk = F.relu(
            bn(f"{name}.Conv_pose.1", conv(f"{name}.Conv_pose.0", out[f"pose_{angle}"], padding=1))
        )
        result.append(flat(conv(f"{name}.conv1x1", trunk), 66))
    return result


@pytest.mark.parametrize("arch", ["mos-s", "mos-m"])
def test_round_trip_places_every_tensor(arch: str) -> None:
    sd = official_state_dict(arch)
    model = build_model(arch, dcn=True)
    ignored = load_official(model, {"module." + k: v for k, v in sd.items()})
    assert ignored
    assert all(k.startswith("Conv_pose.") for k in ignored)
    ours = model.state_dict()
    torch.testing.assert_close(
        ours["fpn.merges.0.conv.conv_offset_mask.weight"],
        sd["fpn.merge1.conv.conv_offset_mask.weight"],
    )
    torch.testing.assert_close(
        ours["ssh.2.branch_c2.bn.running_var"], sd["ssh3.conv7x7_3.actf.0.running_var"]
    )
    torch.testing.assert_close(
        ours["heads.1.stitch_convs.0.weight"], sd["stitch_BboxHead.1.conv1x1.weight"]
    )
    # weight[box (out), cls (in)]: box reads slot "bboxhead", cls features sit in slot "bboxhead".
    torch.testing.assert_close(
        ours["heads.0.cross_stitch.weight"][0, 1],
        sd["cross_stitch.fpn1.cross_stitch_unit.bboxhead.bboxhead.param"],
    )
    torch.testing.assert_close(
        ours["heads.0.cross_stitch.weight"][1, 0],
        sd["cross_stitch.fpn1.cross_stitch_unit.classhead.classhead.param"],
    )
    first_body = (
        "body.feature_4.0.conv.0.0.weight" if arch == "mos-m" else "body.stage3.0.branch1.0.weight"
    )
    our_body = "body.features.7.conv.0.0.weight" if arch == "mos-m" else first_body
    torch.testing.assert_close(ours[our_body], sd[first_body])

    model.eval()
    x = torch.randn(1, 64, 5, 7)
    with torch.no_grad():
        got = model.heads[2](x)
        want = official_head_reference(sd, 2, x)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)  # float32, different summation order


def test_loads_from_file_without_num_batches_tracked(tmp_path: Path) -> None:
    sd = {k: v for k, v in official_state_dict("mos-s").items() if "num_batches_tracked" not in k}
    torch.save(sd, tmp_path / "MOS-S.pth")
    load_official(build_model("mos-s", dcn=True), tmp_path / "MOS-S.pth")


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda sd: sd.pop("ssh2.conv5X5_2.conv.bias"), "ssh.1.branch_b2.conv.bias"),
        (
            lambda sd: sd.pop("cross_stitch.fpn3.cross_stitch_unit.pose_r.landmarkhead.param"),
            "fpn3.cross_stitch_unit.pose_r.landmarkhead",
        ),
        (
            lambda sd: sd.update({"LandmarkHead.3.conv1x1.weight": torch.zeros(20, 64, 1, 1)}),
            "LandmarkHead.3.conv1x1.weight",
        ),
        (
            lambda sd: sd.update({"ClassHead.0.conv1x1.weight": torch.zeros(6, 64, 1, 1)}),
            "ClassHead.0.conv1x1.weight",
        ),
        (
            lambda sd: sd.update(
                {"cross_stitch.fpn2.cross_stitch_unit.pose_y.pose_p.param": torch.zeros(32)}
            ),
            "fpn2.cross_stitch_unit.pose_y.pose_p",
        ),
    ],
)
def test_broken_checkpoints_raise_naming_the_tensor(edit, named: str) -> None:
    sd = official_state_dict("mos-s")
    edit(sd)
    with pytest.raises(OfficialCheckpointError, match=named.replace(".", r"\.")):
        load_official(build_model("mos-s", dcn=True), sd)


def test_wrong_model_raises() -> None:
    with pytest.raises(OfficialCheckpointError, match="conv_offset_mask"):
        load_official(build_model("mos-s", dcn=False), official_state_dict("mos-s"))
    with pytest.raises(OfficialCheckpointError, match=r"unexpected.*body\.stage"):
        load_official(build_model("mos-m", dcn=True), official_state_dict("mos-s"))


def test_import_official_writes_our_format(tmp_path: Path) -> None:
    torch.save(official_state_dict("mos-s"), tmp_path / "MOS-S.pth")
    assert (
        main(
            [
                "import-official",
                str(tmp_path / "MOS-S.pth"),
                "--arch",
                "mos-s",
                "-o",
                str(tmp_path / "mos-s.pt"),
            ]
        )
        == 0
    )
    imported = load_model(tmp_path / "mos-s.pt").eval()
    reference = build_model("mos-s", dcn=True).eval()
    load_official(reference, tmp_path / "MOS-S.pth")
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(imported(x), reference(x)):
            torch.testing.assert_close(a, b)
    assert len(load_checkpoint(tmp_path / "mos-s.pt")["source"]["sha256"]) == 64
