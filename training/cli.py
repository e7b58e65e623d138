"""``mosface train | eval | import-official``: the torch-side subcommands.

The top-level ``mosface`` entry point forwards e.g. ``mosface train --config
X`` as ``main(["train", "--config", "X"])``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from ..files import sha256_of, write_atomically
from .checkpoint import load_model, model_payload, save_checkpoint
from .config import load_config
from .models import build_model
from .official import load_official

HELD_OUT_IMAGES = 24
HELD_OUT_SEED = 1000  # generated images are index-seeded: training's seed + 1000 never repeats them


def cmd_train(args: argparse.Namespace) -> int:
    from .engine import train

    overrides = list(args.set) + ([f"train.out_dir={args.out_dir}"] if args.out_dir else [])
    config = load_config(args.config, overrides)
    last = train(
        config,
        resume=args.resume,
        device=args.device,
        backbone_weights=args.backbone_weights,
        from_scratch=args.from_scratch,
    )
    print(f"last checkpoint: {last}")
    if config["data"]["kind"] == "synthetic":
        report_synthetic_ap(last, config)
    return 0


def report_synthetic_ap(checkpoint: Path, config: dict) -> None:
    """AP on generated images the run never saw, printed and written beside the checkpoint,
    with one of them as ``held_out_example.png`` to try ``mosface detect`` on."""
    from PIL import Image

    from .data.synthetic import SyntheticFaces
    from .evaluate.quick import dataset_ap

    data = config["data"]
    held_out = SyntheticFaces(
        HELD_OUT_IMAGES, size=data["synthetic_size"], seed=config["train"]["seed"] + HELD_OUT_SEED
    )
    ap = dataset_ap(load_model(checkpoint), held_out, data["image_size"])
    result = {"held_out_images": HELD_OUT_IMAGES, "ap": round(ap, 4)}
    write_atomically(
        checkpoint.parent / "held_out_ap.json", lambda tmp: tmp.write_text(json.dumps(result))
    )
    example = Image.fromarray(held_out.load(0)[0][:, :, ::-1])  # BGR -> RGB
    write_atomically(
        checkpoint.parent / "held_out_example.png", lambda tmp: example.save(tmp, "PNG")
    )
    print(f"AP on {HELD_OUT_IMAGES} held-out generated images: {ap:.3f}")


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
    """The release's protocol: stretched input, conf 0.4, NMS 0.4, largest detection."""
    from .evaluate.aflw2000 import evaluate_aflw2000

    model = load_model(args.checkpoint).to(args.device)
    result = evaluate_aflw2000(model, args.root, size=args.size, device=args.device)
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}))
    return 0


def cmd_eval_validation(args: argparse.Namespace) -> int:
    """The release's validation metric on a label.txt set."""
    from .data.widerface import WiderFaceDataset
    from .evaluate.validation import validate

    model = load_model(args.checkpoint).to(args.device)
    dataset = WiderFaceDataset(args.label_file, args.image_root)
    result = validate(
        model,
        dataset,
        args.size,
        conf_threshold=args.conf,
        nms_threshold=args.nms,
        device=args.device,
    )
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}))
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
        "--backbone-weights",
        type=Path,
        help="ImageNet trunk weights in torchvision's key layout (overrides model.backbone_weights)",
    )
    p.add_argument(
        "--from-scratch",
        action="store_true",
        help="train without the config's pretrained trunk (the paper trains from ImageNet weights)",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "import-official", help="convert the authors' MOS-S.pth / MOS-M.pth to our format"
    )
    p.add_argument("source", type=Path)
    p.add_argument("--arch", choices=("mos-s", "mos-m"), required=True)
    p.add_argument("-o", "--output", type=Path, required=True)
    p.set_defaults(func=cmd_import_official)

    ev = sub.add_parser("eval", help="evaluate a checkpoint").add_subparsers(
        dest="benchmark", required=True
    )
    p = ev.add_parser(
        "widerface", help="release protocol: multi-scale + flip, box voting, per-image files"
    )
    p.add_argument("--checkpoint", type=Path, required=True)
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
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_eval_widerface)
    p = ev.add_parser(
        "aflw2000",
        help="release protocol: image stretched to --size, conf 0.4, NMS 0.4, largest box; "
        "pose MAE per angle, images without a detection counted as skipped",
    )
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--root", type=Path, required=True, help="folder of imageXXXXX.jpg + .mat")
    p.add_argument("--size", type=int, default=300, help="stretched input side (release: 300)")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_eval_aflw2000)
    p = ev.add_parser(
        "validation",
        help="the release's validation metric: per-image recall/precision, top-detection pose",
    )
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--label-file", type=Path, required=True, help="label.txt of the validation set")
    p.add_argument("--image-root", type=Path, help="default: <label-file folder>/images")
    p.add_argument("--size", type=int, default=640, help="square input side (release: 640)")
    p.add_argument("--conf", type=float, default=0.5, help="score threshold (release: caller's)")
    p.add_argument("--nms", type=float, default=0.4, help="NMS IoU (release: caller's)")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_eval_validation)
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
