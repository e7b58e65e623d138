"""`mosface track`: faces of a video file or camera, tracked, with one best shot per person.

Needs the `video` extra (opencv-python-headless for VideoCapture/VideoWriter, tqdm).
Outputs are written atomically: the annotated video and the JSON lines file
appear complete when the run ends (also on Ctrl-C), each best shot when its
track ends.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from .cli import faces_to_json
from .files import atomic_path, write_atomically

MAX_FRAMES_DEFAULT = 10_000_000  # a bound for cameras that never end; Ctrl-C stops earlier


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mosface track", description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="video file, or a camera index such as 0")
    parser.add_argument(
        "--model", required=True, type=Path, help="converted model folder (manifest.json)"
    )
    parser.add_argument("--out", type=Path, help="annotated video (.mp4 or .avi)")
    parser.add_argument(
        "--best-shots", type=Path, help="folder for one aligned crop (+ JSON) per ended track"
    )
    parser.add_argument("--json", type=Path, help="JSON lines file: one line per frame")
    parser.add_argument(
        "--conf-threshold",
        type=float,
        default=0.3,
        help="detector threshold (<= tracker high score)",
    )
    parser.add_argument(
        "--lost-buffer-ms", type=float, default=1000.0, help="a track unseen this long ends"
    )
    parser.add_argument("--max-frames", type=int, default=MAX_FRAMES_DEFAULT)
    parser.add_argument(
        "--threads", type=int, default=None, help="ncnn threads (default: big cores)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def open_capture(source: str):
    import cv2

    capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not capture.isOpened():
        what = f"camera {source}" if source.isdigit() else f"video {source}"
        if not source.isdigit() and not Path(source).is_file():
            raise FileNotFoundError(f"video not found: {source}")
        raise ValueError(f"cannot open {what} (OpenCV has no backend that reads it)")
    return capture


def track_json(track) -> dict:
    entry = {"id": int(track.id), "age": int(track.age), "hits": int(track.hits)}
    entry["face"] = faces_to_json(track.face[None], track.pose_std[None])[0]
    entry["raw"] = faces_to_json(track.raw[None])[0]
    return entry


def save_best_shot(folder: Path, shot) -> None:
    import cv2

    stem = folder / f"track-{shot.track_id:06d}"

    def write_png(temporary: Path) -> None:
        if not cv2.imwrite(str(temporary), shot.crop):
            raise OSError(f"could not write {temporary}")

    write_atomically(stem.with_suffix(".png"), write_png)
    meta = {
        "track_id": int(shot.track_id),
        "timestamp_ms": shot.timestamp_ms,
        "quality": {k: round(float(v), 5) for k, v in shot.quality.items()},
        "face": faces_to_json(shot.face[None], shot.pose_std[None])[0],
        "matrix": [[round(float(v), 6) for v in row] for row in shot.matrix],
    }
    write_atomically(
        stem.with_suffix(".json"), lambda temporary: temporary.write_text(json.dumps(meta) + "\n")
    )


def annotate(frame: np.ndarray, tracks) -> np.ndarray:
    from PIL import Image, ImageDraw

    from .draw import draw_detections

    faces = np.stack([t.face for t in tracks]) if tracks else np.zeros((0, 18), np.float32)
    drawing = draw_detections(Image.fromarray(frame[:, :, ::-1]), faces)
    canvas = ImageDraw.Draw(drawing)
    for track in tracks:
        canvas.text(
            (float(track.face[0]) + 2, float(track.face[3]) + 2), f"#{track.id}", fill=(255, 255, 0)
        )
    return np.ascontiguousarray(np.asarray(drawing)[:, :, ::-1])


def run(args: argparse.Namespace) -> int:
    import cv2

    from . import BestShots, Detector, Tracker
    from .stream import track_frame

    if args.max_frames < 1:
        raise ValueError("--max-frames must be >= 1")
    if args.out is not None and args.out.suffix.lower() not in (".mp4", ".avi"):
        raise ValueError(f"--out must end in .mp4 or .avi, got {args.out}")
    capture = open_capture(args.input)
    camera = args.input.isdigit()
    fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
    fps = fps if fps > 0 else 30.0
    frames_total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if not camera else 0
    detector = Detector(args.model, conf_threshold=args.conf_threshold, num_threads=args.threads)
    tracker = Tracker(lost_buffer_ms=args.lost_buffer_ms)
    best_shots = BestShots() if args.best_shots is not None else None
    if args.best_shots is not None:
        args.best_shots.mkdir(parents=True, exist_ok=True)

    def flush_shots(ended) -> None:
        if best_shots is not None:
            for shot in best_shots.take(ended):
                save_best_shot(args.best_shots, shot)

    with ExitStack() as stack:
        json_file = None
        if args.json is not None:
            json_file = stack.enter_context(stack.enter_context(atomic_path(args.json)).open("w"))
        writer = None
        progress = None
        if not args.no_progress:
            from tqdm import tqdm

            progress = stack.enter_context(
                tqdm(total=frames_total or None, unit="frame", file=sys.stderr)
            )
        started = time.monotonic()
        frame_index = 0
        try:
            while frame_index < args.max_frames:
                ok, frame = capture.read()
                if not ok:
                    break
                # Files: the frame's place in the video; cameras: wall time since the start.
                timestamp_ms = (
                    (time.monotonic() - started) * 1000.0 if camera else frame_index * 1000.0 / fps
                )
                tracks = track_frame(detector, tracker, frame, timestamp_ms, best_shots)
                flush_shots(tracker.ended)
                if json_file is not None:
                    line = {
                        "frame": frame_index,
                        "timestamp_ms": round(timestamp_ms, 3),
                        "tracks": [track_json(t) for t in tracks],
                    }
                    json_file.write(json.dumps(line) + "\n")
                if args.out is not None:
                    if writer is None:
                        video_path = stack.enter_context(atomic_path(args.out))
                        fourcc = cv2.VideoWriter_fourcc(
                            *("mp4v" if args.out.suffix.lower() == ".mp4" else "MJPG")
                        )
                        writer = cv2.VideoWriter(
                            str(video_path), fourcc, fps, (frame.shape[1], frame.shape[0])
                        )
                        if not writer.isOpened():
                            raise OSError(f"OpenCV cannot write {args.out}")
                        stack.callback(writer.release)
                    writer.write(annotate(frame, tracks))
                if progress is not None:
                    progress.update(1)
                frame_index += 1
        except KeyboardInterrupt:
            print(f"mosface track: stopped after {frame_index} frames", file=sys.stderr)
        flush_shots(tracker.finish())
    capture.release()
    print(f"mosface track: {frame_index} frames", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "track":
        argv = argv[1:]
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except (OSError, ValueError, RuntimeError) as error:
        print(f"mosface track: error: {error}", file=sys.stderr)
        return 1
