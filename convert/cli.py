"""``mosface convert``: checkpoint -> ncnn folder (model.param, model.bin, manifest.json).

    mosface convert [CHECKPOINT | --official MOS-S.pth --arch mos-s] --out DIR
                    [--input-size 640x640 | --dynamic] [--pose-heads sparse|dense]
                    [--fp16] [--no-fold] [--overwrite]
    mosface convert --check DIR

No checkpoint and no --official: a seeded untrained model of --arch (the
manifest says so). Exit status: 0 converted / all gates passed, 1 a gate
failed (the report names output and size), 2 bad arguments or input.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..sizes import parse_size
from .errors import ConversionError, ParityError
from .pipeline import check, convert
from .source import load_source
from .sparse_pose import MODES

EXIT_GATE_FAILED = 1
EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mosface convert", description="Convert a MOS checkpoint to ncnn, with parity gates."
    )
    parser.add_argument("checkpoint", nargs="?", help="our training checkpoint (.pt)")
    parser.add_argument("--official", metavar="PTH", help="the authors' MOS-S.pth / MOS-M.pth")
    parser.add_argument(
        "--arch",
        choices=("mos-s", "mos-m", "mos-tiny"),
        help="model (no checkpoint, or --official)",
    )
    parser.add_argument("--dcn", action="store_true", help="seeded model with DCN convs")
    parser.add_argument(
        "--head", choices=("stitch", "hard"), default="stitch", help="seeded model's head"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of an untrained model")
    parser.add_argument("--out", metavar="DIR", help="output folder")
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--input-size",
        type=parse_size,
        default=(640, 640),
        metavar="WxH",
        help="fixed network input (default 640x640)",
    )
    size.add_argument("--dynamic", action="store_true", help="one graph for any input size")
    parser.add_argument(
        "--pose-heads",
        choices=MODES,
        default="sparse",
        help="sparse (default): pose computed for the kept faces only; dense: pose logits at every anchor",
    )
    parser.add_argument("--fp16", action="store_true", help="store weights as fp16 (default fp32)")
    parser.add_argument(
        "--no-fold", action="store_true", help="keep stitch/cross-stitch unfolded (comparison only)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    parser.add_argument(
        "--check", metavar="DIR", help="re-run the parity gates on an existing conversion"
    )
    return parser


def _convert(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.out is None:
        parser.error("--out DIR is required")
    if args.checkpoint is None and args.arch is None:
        parser.error("give a CHECKPOINT, --official with --arch, or --arch for an untrained model")
    source = load_source(
        args.checkpoint,
        official=args.official,
        arch=args.arch,
        dcn=args.dcn,
        head=args.head,
        seed=args.seed,
    )
    if source.provenance["kind"] == "untrained seeded":
        print(
            f"note: no checkpoint given, converting an untrained {args.arch} (seed {args.seed})",
            file=sys.stderr,
        )
    height, width = args.input_size
    start = time.perf_counter()
    manifest = convert(
        source,
        args.out,
        height=height,
        width=width,
        dynamic=args.dynamic,
        fp16=args.fp16,
        fold=not args.no_fold,
        pose_heads=args.pose_heads,
        overwrite=args.overwrite,
        log=lambda message: print(message, file=sys.stderr),
    )
    for note in manifest["parity"]["notes"]:
        print(f"note: {note}", file=sys.stderr)
    layers = manifest["conversion"]["ncnn_layers"]
    print(
        f"wrote {args.out} ({layers} ncnn layers, all gates passed) in {time.perf_counter() - start:.1f} s"
    )
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "convert":
        print("usage: mosface convert ... (see --help)", file=sys.stderr)
        return EXIT_BAD_INPUT
    parser = build_parser()
    args = parser.parse_args(argv[1:])
    try:
        if args.check is not None:
            report = check(args.check)
            print(report.text())
            return 0 if report.passed else EXIT_GATE_FAILED
        return _convert(args, parser)
    except ParityError as error:
        print(error.report, file=sys.stderr)
        return EXIT_GATE_FAILED
    except ConversionError as error:
        print(f"mosface convert: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
