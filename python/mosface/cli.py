"""The `mosface` command line: one entry point, one subcommand per job.

Runtime subcommands (detect) need only the runtime. Torch subcommands (train,
eval, import-official, convert) import their package lazily and say how to
install it when it is missing.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

import numpy as np

from .columns import BOX, LANDMARKS, PITCH, ROLL, SCORE, YAW
from .files import write_atomically
from .images import read_bgr

# subcommand -> (module with `main(argv) -> int`, pip extra(s) that provide it, help)
DELEGATED: dict[str, tuple[str, str, str]] = {
    "train": ("mosface.training.cli", "train", "train a MOS model from a config"),
    "eval": ("mosface.training.cli", "train", "evaluate a checkpoint (WIDER FACE, AFLW2000)"),
    "import-official": ("mosface.training.cli", "train", "import the authors' MOS-S.pth / MOS-M.pth"),
    "convert": ("mosface.convert.cli", "convert", "checkpoint -> ncnn model folder, parity-checked"),
    # bench converts its models first: the converter's dependencies too.
    "bench": ("mosface.bench.cli", "convert,bench", "side-by-side latency, memory and size of MOS engines"),
    "track": ("mosface.track_cli", "video", "track faces in a video or camera, one best shot per person"),
}
# Extras whose install needs the pinned CPU torch first.
TORCH_EXTRAS = ("train", "convert", "bench")


def faces_to_json(faces: np.ndarray, pose_std: np.ndarray | None = None) -> list[dict]:
    """JSON rows of (K, 18) faces; pose_std (K, 3) adds each angle's uncertainty in degrees."""
    rows = [
        {
            "box": [round(float(v), 2) for v in face[BOX]],
            "score": round(float(face[SCORE]), 5),
            "landmarks": [[round(float(x), 2), round(float(y), 2)] for x, y in face[LANDMARKS].reshape(5, 2)],
            "yaw": round(float(face[YAW]), 2),
            "pitch": round(float(face[PITCH]), 2),
            "roll": round(float(face[ROLL]), 2),
        }
        for face in faces
    ]
    if pose_std is not None:
        for row, spread in zip(rows, pose_std):
            row["pose_std"] = [round(float(v), 2) for v in spread]
    return rows


def image_format(path: Path) -> str:
    """Pillow's format name for a file suffix; PNG when there is none."""
    from PIL import Image

    if not path.suffix:
        return "PNG"
    formats = Image.registered_extensions()
    if path.suffix.lower() not in formats:
        raise ValueError(f"cannot write {path}: unknown image suffix {path.suffix!r} (use .png or .jpg)")
    return formats[path.suffix.lower()]


def annotated_path(image: Path, out: Path | None, several: bool) -> Path | None:
    """--out is a file for one image, a folder for several (or when it is an existing folder)."""
    if out is None:
        return None
    return out / f"{image.stem}.detections.png" if several or out.is_dir() else out


def check_targets(images: list[Path], out: Path | None, several: bool) -> None:
    """Refuse, before any work, drawings that would overwrite an input or each other."""
    seen: dict[Path, Path] = {}
    for image in images:
        target = annotated_path(image, out, several)
        if target is None:
            continue
        resolved = target.resolve()
        if resolved == image.resolve():
            raise ValueError(f"--out {target} is the input image itself; choose another file")
        if resolved in seen:
            raise ValueError(f"{seen[resolved]} and {image} would both be drawn to {target}; "
                             "rename one or run them separately")
        seen[resolved] = image


def detect_one(detector, image_path: Path, target: Path | None) -> dict:
    from PIL import Image

    from .draw import draw_detections

    bgr = read_bgr(image_path)
    faces, pose_std = detector.detect(bgr, return_uncertainty=True)
    entry = {"image": str(image_path), "height": bgr.shape[0], "width": bgr.shape[1],
             "faces": faces_to_json(faces, pose_std)}
    if target is not None:
        drawing = draw_detections(Image.fromarray(bgr[:, :, ::-1]), faces)
        write_atomically(target, lambda tmp: drawing.save(tmp, format=image_format(target)))
        entry["annotated"] = str(target)
    return entry


def run_detect(args: argparse.Namespace) -> int:
    from . import Detector

    several = len(args.images) > 1
    if args.out is not None and several and args.out.suffix:
        raise SystemExit("mosface detect: with several images, --out must be a folder")
    if args.out is not None and not several and not args.out.is_dir():
        image_format(args.out)  # an unknown suffix fails before any work
    check_targets(args.images, args.out, several)
    detector = Detector(args.model, conf_threshold=args.conf_threshold, nms_threshold=args.nms_threshold,
                        num_threads=args.threads)
    report = []
    failed = 0
    for image_path in args.images:
        # One unreadable image must not lose the others' results.
        try:
            entry = detect_one(detector, image_path, annotated_path(image_path, args.out, several))
        except (OSError, ValueError) as error:
            print(f"mosface detect: error: {error}", file=sys.stderr)
            report.append({"image": str(image_path), "error": str(error)})
            failed += 1
            continue
        report.append(entry)
        if not args.json:
            print(f"{image_path}: {len(entry['faces'])} face(s)")
            for face in entry["faces"]:
                print(f"  score {face['score']:.3f} box {face['box']} "
                      f"yaw {face['yaw']:+.1f} pitch {face['pitch']:+.1f} roll {face['roll']:+.1f}")
    if args.json:
        json.dump(report if several else report[0], sys.stdout, indent=2)
        print()
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="mosface", description="MOS face detection: boxes, landmarks, head pose.")
    parser.add_argument("--version", action="version", version=f"mosface {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    detect = commands.add_parser("detect", help="detect faces in images and draw them")
    detect.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="images to read (PNG, JPEG...)")
    detect.add_argument("--model", required=True, type=Path, help="converted model folder (manifest.json)")
    detect.add_argument("--out", type=Path, help="annotated image (one input) or folder (several inputs)")
    detect.add_argument("--json", action="store_true", help="print detections as JSON")
    detect.add_argument("--conf-threshold", type=float, default=0.5,
                        help="face probability to keep a detection (default: 0.5)")
    detect.add_argument("--nms-threshold", type=float, default=0.4,
                        help="IoU above which a weaker overlapping box is dropped (default: 0.4)")
    detect.add_argument("--threads", type=int, default=None, help="ncnn threads (default: big cores)")
    detect.set_defaults(handler=run_detect)

    for name, (_, extra, summary) in DELEGATED.items():
        commands.add_parser(name, help=f"{summary} [extra: {extra}]", add_help=False)
    return parser


def run_delegated(command: str, argv: list[str]) -> int:
    module_name, extra, _ = DELEGATED[command]
    try:
        # Imports inside the subcommand count too (the bench imports its engines lazily).
        return int(importlib.import_module(module_name).main([command, *argv]) or 0)
    except ModuleNotFoundError as error:
        if error.name and not error.name.startswith("mosface"):
            needs_torch = any(name in TORCH_EXTRAS for name in extra.split(","))
            torch_first = "pip install torch==2.13.0 && " if needs_torch else ""
            print(f"mosface {command}: needs the '{extra}' extra ({error.name} is missing): "
                  f"{torch_first}pip install 'mosface[{extra}]'", file=sys.stderr)
            return 2
        raise


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        return run_delegated(argv[0], argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except (OSError, ValueError, RuntimeError) as error:  # OSError: missing, unreadable or not an image
        print(f"mosface {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
