"""Helpers for scripts/cross_aarch64.sh: the shared fixture, detection under the
aarch64 wheel, and the comparison of two detection files.

  fixture DIR                 tiny model (tests/tiny_model.py) + a 128x96 PPM image
  detect MODEL IMAGE OUT      mosface.Detector(MODEL).detect(IMAGE) -> OUT (run under qemu)
  compare REFERENCE CANDIDATE same faces within the tolerances below, or exit 1
  compare-text REFERENCE CANDIDATE  two outputs of the C example: same words, numbers within PIXEL_TOL

Detection files hold one face per line, 18 numbers (mosface-bench --detections
writes them): x1 y1 x2 y2 score, 10 landmark coordinates, yaw pitch roll.
Only numpy is needed for `detect` and `compare`, so they run in the arm64 sysroot.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

# Same bounds as tests/test_detector.py, for the same reason: both builds run
# fp32, but NEON and AVX2/FMA kernels (and the vectorised exp of the pose
# softmax) round differently, so logits differ in the last bits. That moves
# decoded pixels by well under 1e-3, scores by < 1e-5 and the pose expectation
# (66-bin softmax) by < 1e-3 degree. Measured: pixels 8e-6, scores equal, angles 3e-5.
PIXEL_TOL = 1e-3
SCORE_TOL = 1e-5
ANGLE_TOL = 1e-3
# Thresholds used by every run in the comparison (lower than the 0.5 default so
# the tiny random model yields a few dozen faces to compare, not two).
CONF_THRESHOLD = 0.3
NMS_THRESHOLD = 0.4

IMAGE_WIDTH, IMAGE_HEIGHT = 128, 96


def write_fixture(folder: Path) -> None:
    # Host-only, run from the checkout's root as a module (python -m scripts.cross_aarch64_check),
    # which puts the root, and so tests/, on the import path.
    from tests.tiny_model import write_model

    write_model(folder / "tiny", seed=0, size_policy="dynamic", height=64, width=64)
    rng = np.random.default_rng(3)
    bgr = rng.integers(0, 256, size=(IMAGE_HEIGHT, IMAGE_WIDTH, 3), dtype=np.uint8)
    header = f"P6\n{IMAGE_WIDTH} {IMAGE_HEIGHT}\n255\n".encode()
    (folder / "image.ppm").write_bytes(header + bgr[:, :, ::-1].tobytes())  # PPM stores RGB


def read_ppm(path: Path) -> np.ndarray:
    """The fixture's PPM (no comments) as HxWx3 BGR uint8."""
    data = path.read_bytes()
    magic, width, height, maxval, raster = data.split(maxsplit=4)
    if magic != b"P6" or maxval != b"255":
        raise ValueError(f"{path}: expected an 8-bit binary PPM")
    rgb = np.frombuffer(raster, dtype=np.uint8).reshape(int(height), int(width), 3)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def detect(model: Path, image: Path, out: Path) -> None:
    import mosface  # only this subcommand needs the extension

    detector = mosface.Detector(str(model), conf_threshold=CONF_THRESHOLD, nms_threshold=NMS_THRESHOLD)
    faces = detector.detect(read_ppm(image))
    if faces.dtype != np.float32 or faces.shape[1:] != (18,):
        raise SystemExit(f"Detector.detect returned {faces.dtype} {faces.shape}, expected float32 (K, 18)")
    np.savetxt(out, faces, fmt="%.9g")
    print(f"mosface {mosface.__version__} ({Path(mosface.__file__).parent}): "
          f"{faces.shape[0]} faces, threads {detector.num_threads}")


def load(path: Path) -> np.ndarray:
    return np.loadtxt(path, dtype=np.float64, ndmin=2).reshape(-1, 18)


def compare(reference_path: Path, candidate_path: Path) -> int:
    reference, candidate = load(reference_path), load(candidate_path)
    if reference.shape != candidate.shape:
        print(f"FAIL: {candidate_path} has {candidate.shape[0]} faces, {reference_path} has {reference.shape[0]}")
        return 1
    if reference.shape[0] == 0:
        print("FAIL: no faces to compare (the fixture should produce some)")
        return 1
    groups = {  # columns, tolerance
        "boxes px": (np.r_[0:4], PIXEL_TOL),
        "score": (np.r_[4:5], SCORE_TOL),
        "landmarks px": (np.r_[5:15], PIXEL_TOL),
        "angles deg": (np.r_[15:18], ANGLE_TOL),
    }
    failed = False
    report = []
    for name, (columns, tolerance) in groups.items():
        gap = float(np.abs(reference[:, columns] - candidate[:, columns]).max())
        failed |= gap > tolerance
        report.append(f"{name} max|d| {gap:.3g} (tol {tolerance:g})")
    verdict = "FAIL" if failed else "ok"
    print(f"{verdict}: {reference.shape[0]} faces; " + ", ".join(report))
    return 1 if failed else 0


def compare_text(reference_path: Path, candidate_path: Path) -> int:
    """Same lines and words; numbers (printed with 4-5 decimals) within PIXEL_TOL plus the last printed digit."""
    reference = reference_path.read_text().split()
    candidate = candidate_path.read_text().split()
    if len(reference) != len(candidate):
        print(f"FAIL: {candidate_path} has {len(candidate)} words, {reference_path} has {len(reference)}")
        return 1
    gap = 0.0
    for expected, got in zip(reference, candidate):
        try:
            gap = max(gap, abs(float(expected) - float(got)))
        except ValueError:
            if expected != got:
                print(f"FAIL: '{got}' where {reference_path} has '{expected}'")
                return 1
    failed = gap > PIXEL_TOL + 1e-4
    print(f"{'FAIL' if failed else 'ok'}: {len(reference)} words; numbers max|d| {gap:.3g} (tol {PIXEL_TOL + 1e-4:g})")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fixture").add_argument("folder", type=Path)
    detect_parser = commands.add_parser("detect")
    for name in ("model", "image", "out"):
        detect_parser.add_argument(name, type=Path)
    for name in ("compare", "compare-text"):
        compare_parser = commands.add_parser(name)
        compare_parser.add_argument("reference", type=Path)
        compare_parser.add_argument("candidate", type=Path)
    args = parser.parse_args(argv)
    if args.command == "fixture":
        write_fixture(args.folder)
        return 0
    if args.command == "detect":
        detect(args.model, args.image, args.out)
        return 0
    if args.command == "compare-text":
        return compare_text(args.reference, args.candidate)
    return compare(args.reference, args.candidate)


if __name__ == "__main__":
    sys.exit(main())
