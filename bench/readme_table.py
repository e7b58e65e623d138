"""Regenerate the benchmark tables of docs/benchmarks.md and README.md from a `mosface bench` JSON report.

    python -m mosface.bench.readme_table mosface-results/full/bench.json

Replaces the text between the `<!-- bench-table:begin -->` and
`<!-- bench-table:end -->` markers of docs/benchmarks.md (every model: the
comparison per cell, memory, then every engine's stages) and between the
`<!-- bench-summary:... -->` markers of README.md (MOS-S only); the tables are
never typed by hand. `replace_block` serves other generated blocks too
(mosface.bench.arm.instructions writes one into README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..files import write_atomically
from .checkout import checkout_path
from .report import machine_line, markdown_table, memory_summary, summary_table

README_ARCHS = ("mos-s",)


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def replace_block(readme: str, name: str, content: str) -> str:
    """Put `content` between the `name` markers of `readme`."""
    begin, end = markers(name)
    if begin not in readme or end not in readme:
        raise ValueError(f"README.md lacks the {begin} / {end} markers")
    head, rest = readme.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{content}\n{end}{tail}"


def update_readme(path: Path, name: str, content: str) -> None:
    updated = replace_block(path.read_text(), name, content)
    write_atomically(path, lambda tmp: tmp.write_text(updated))
    print(f"updated {path} ({name})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="bench.json written by `mosface bench`")
    parser.add_argument("--doc", type=Path, help="file with the bench-table markers (default: docs/benchmarks.md)")
    parser.add_argument("--readme", type=Path, help="file with the bench-summary markers (default: README.md)")
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text())
    doc = args.doc or checkout_path("docs", "benchmarks.md")
    full = "\n\n".join([machine_line(report), summary_table(report), memory_summary(report), markdown_table(report)])
    update_readme(doc, "bench-table", full)
    readme = args.readme or checkout_path("README.md")
    summary = "\n\n".join([machine_line(report), summary_table(report, README_ARCHS),
                            memory_summary(report, README_ARCHS, short=True)])
    update_readme(readme, "bench-summary", summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
