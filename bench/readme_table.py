"""Regenerate the full benchmark tables (docs/benchmarks.md) from a `mosface bench` JSON report.

    python -m mosface.bench.readme_table mosface-results/full/bench.json

Replaces the text between the `<!-- bench-table:begin -->` and
`<!-- bench-table:end -->` markers of docs/benchmarks.md; the tables are never
typed by hand, and the README keeps only the headline figures. `replace_block`
serves other generated blocks too (mosface.bench.arm.instructions writes one into README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..files import write_atomically
from .checkout import checkout_path
from .report import markdown_table


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
    args = parser.parse_args(argv)
    doc = args.doc or checkout_path("docs", "benchmarks.md")
    update_readme(doc, "bench-table", markdown_table(json.loads(args.report.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
