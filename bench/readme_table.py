"""Regenerate the README's benchmark table from a `mosface bench` JSON report.

    python bench/readme_table.py mosface-results/bench.json

Replaces the text between the `<!-- bench-table:begin -->` and
`<!-- bench-table:end -->` markers of README.md; the table is never typed by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mosface.atomic import write_atomically
from mosface.benchmark.report import markdown_table

BEGIN = "<!-- bench-table:begin -->"
END = "<!-- bench-table:end -->"
README = Path(__file__).resolve().parents[1] / "README.md"


def replace_table(readme: str, table: str) -> str:
    if BEGIN not in readme or END not in readme:
        raise ValueError(f"README.md lacks the {BEGIN} / {END} markers")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="bench.json written by `mosface bench`")
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    table = markdown_table(json.loads(args.report.read_text()))
    updated = replace_table(args.readme.read_text(), table)
    write_atomically(args.readme, lambda tmp: tmp.write_text(updated))
    print(f"updated {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
