"""MOS model family: ``build_model("mos-s" | "mos-m" | "mos-tiny", dcn=..., head=...)``."""

from .mos import ARCHS, MOS, ArchSpec, build_model

__all__ = ["ARCHS", "MOS", "ArchSpec", "build_model"]
