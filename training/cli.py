"""``mosface train | eval | import-official``: the torch-side subcommands.

The top-level ``mosface`` entry point forwards e.g. ``mosface train --config
X`` as ``main(["train", "--config", "X"])``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from ..files import sha256_of
from .checkpoint import load_model, model_payload, save_checkpoint
from .config import load_config
from .models import build_model
from .official import load_official


def cmd_train(args: argparse.Namespace) -> int:
    from .engine import train

    overrides = list(args.set) + ([f"train.out_dir={args.out_dir}"] if args.out_dir else [])
    config = load_config(args.config, overrides)
    last = train(
        config, resume=args.resume, device=args.device, backbone_weights=args.backbone_weights
    )
    print(f"last checkpoint: {last}")
    return 0


def cmd_import_official(args: argparse.Namespace) -> int:
    model = build_model(args.arch, dcn=True)  # the release uses DCN and the stitch head
    ignored = load_official(model, args.source)
    source = {"file": Path(args.source).name, "sha256": sha256_of(Path(args.source))}
    save_checkpoint(args.output, model_payload(model, source=source))
    print(
        f"wrote {args.output} ({args.arch}, dcn); ignored unused release tensors: {', '.join(ignored) or 'none'}"
    )
    return 0


def cmd_eval_widerface(args: argparse.Namespace) -> int:
    from .evaluate.predict import list_widerface_images, predict_widerface
    from .evaluate.widerface import widerface_ap

    model = load_model(args.checkpoint).to(args.device)
    predict_widerface(
        model,
        list_widerface_images(args.images),
        args.out,
        drop_singletons=not args.keep_singletons,
        device=args.device,
    )
    if args.gt_dir:
        aps = widerface_ap(args.out, args.gt_dir)
        print(json.dumps({k: round(v, 4) for k, v in aps.items()}))
    return 0


def cmd_eval_aflw2000(args: argparse.Namespace) -> int:
    """Hopenet protocol on whole images: the top-scoring detection's angles vs ground truth."""
    from .data.aflw2000 import list_aflw2000
    from .data.images import read_bgr
    from .detect import detect_square
    from .evaluate.metrics import pose_mae

    model = load_model(args.checkpoint).to(args.device).eval()
    preds, truths, missed = [], [], 0
    for path, angles in list_aflw2000(args.root):
        rows = detect_square(
            model, read_bgr(path), args.size, device=args.device, conf_threshold=0.02
        )
        if len(rows) == 0:
            missed += 1
            continue
        preds.append(rows[0, 15:18])
        truths.append(angles)
    result = pose_mae(np.asarray(preds), np.asarray(truths))
    print(
        json.dumps(
            {
                **{k: round(v, 3) for k, v in result.items()},
                "faces": len(preds),
                "no_detection": missed,
            }
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mosface", description="MOS training, evaluation and checkpoint import"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model from a YAML config")
    p.add_argument("--config", type=Path, required=True, help="training/configs/<name>.yaml")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override, e.g. optim.lr=0.01",
    )
    p.add_argument("--out-dir", help="run folder (overrides train.out_dir)")
    p.add_argument(
        "--resume", type=Path, help="continue from a checkpoint of this run (e.g. last.pt)"
    )
    p.add_argument("--device", help="cpu, cuda, cuda:1 (default: cuda when available)")
    p.add_argument(
        "--backbone-weights", type=Path, help="ImageNet weights in torchvision's key layout"
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "import-official", help="convert the authors' MOS-S.pth / MOS-M.pth to our format"
    )
    p.add_argument("source", type=Path, help="the release's MOS-S.pth or MOS-M.pth")
    p.add_argument("--arch", choices=("mos-s", "mos-m"), required=True, help="architecture of that file")
    p.add_argument("-o", "--output", type=Path, required=True, help="checkpoint to write (.pt)")
    p.set_defaults(func=cmd_import_official)

    ev = sub.add_parser("eval", help="evaluate a checkpoint").add_subparsers(
        dest="benchmark", required=True
    )
    p = ev.add_parser(
        "widerface", help="release protocol: multi-scale + flip, box voting, per-image files"
    )
    p.add_argument("--checkpoint", type=Path, required=True, help="checkpoint to evaluate (.pt)")
    p.add_argument(
        "--images", type=Path, required=True, help="WIDER_val/images (<event>/<name>.jpg)"
    )
    p.add_argument("--out", type=Path, required=True, help="prediction folder")
    p.add_argument("--gt-dir", type=Path, help="folder with wider_face_val.mat etc.: also print AP")
    p.add_argument(
        "--keep-singletons",
        action="store_true",
        help="keep one-box voting groups (the release drops them)",
    )
    p.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    p.set_defaults(func=cmd_eval_widerface)
    p = ev.add_parser("aflw2000", help="pose MAE per angle (Hopenet filtering)")
    p.add_argument("--checkpoint", type=Path, required=True, help="checkpoint to evaluate (.pt)")
    p.add_argument("--root", type=Path, required=True, help="folder of imageXXXXX.jpg + .mat")
    p.add_argument("--size", type=int, default=640, help="square network input side (default: 640)")
    p.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    p.set_defaults(func=cmd_eval_aflw2000)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    torch.set_grad_enabled(args.command == "train")
    try:
        return args.func(args)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        print(f"mosface {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
