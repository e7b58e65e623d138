"""Exceptions of the converter: each message says what failed and what to do."""

from __future__ import annotations


class ConversionError(RuntimeError):
    """A stage of the conversion failed (bad source, tool failure, unsupported layer)."""


class CheckpointError(ConversionError, ValueError):
    """The checkpoint cannot be read or does not fit the requested model."""


class ParityError(ConversionError):
    """A parity gate failed; ``report`` is the readable multi-line report."""

    def __init__(self, report: str) -> None:
        super().__init__(report)
        self.report = report
