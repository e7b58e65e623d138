"""Sizes on the command line are WIDTHxHEIGHT (`640x480`), as cameras and OpenCV write them."""

from __future__ import annotations

import argparse

MIN_SIDE = 32  # one cell of the coarsest (stride 32) feature map


def parse_size(text: str) -> tuple[int, int]:
    """'WIDTHxHEIGHT' -> (height, width); argparse.ArgumentTypeError otherwise (usable as an argparse type)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 640x480, got {text!r}") from None
    if width < MIN_SIDE or height < MIN_SIDE:
        raise argparse.ArgumentTypeError(f"input size must be at least {MIN_SIDE}x{MIN_SIDE}, got {text!r}")
    return height, width
