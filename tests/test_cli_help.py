"""Every option of every command line (`mosface detect`, `bench`, `convert`, `train`, `eval`,
`import-official`) has a help line."""

from __future__ import annotations

import argparse

import pytest

from mosface import cli
from mosface.bench import cli as bench_cli


def parsers_below(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:  # argparse keeps subcommands here only
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.extend(parsers_below(child))
    return found


def undocumented(parser: argparse.ArgumentParser) -> list[str]:
    return [
        f"{sub.prog}: {'/'.join(action.option_strings) or action.dest}"
        for sub in parsers_below(parser)
        for action in sub._actions
        if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)) and not action.help
    ]


def torch_side_parsers() -> list[argparse.ArgumentParser]:
    pytest.importorskip("torch")
    from mosface.convert import cli as convert_cli
    from mosface.training import cli as training_cli

    return [convert_cli.build_parser(), training_cli.build_parser()]


@pytest.mark.parametrize("name", ["mosface", "bench", "torch side"])
def test_every_option_has_help(name: str) -> None:
    parsers = {"mosface": lambda: [cli.build_parser()], "bench": lambda: [bench_cli.build_parser()],
               "torch side": torch_side_parsers}[name]()
    assert [line for parser in parsers for line in undocumented(parser)] == []
