"""The README's two fresh-machine commands stay true: CI runs the test command word for word."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    lines = (ROOT / "README.md").read_text().splitlines()
    return [line.strip() for line in lines[:12] if line.startswith("    ")]


def test_readme_starts_with_main_job_and_test_commands() -> None:
    main_job, tests = readme_commands()
    assert main_job.startswith("pip install torch==2.13.0 && ")
    assert main_job.endswith("mosface bench")
    assert tests.startswith("pip install torch==2.13.0 && ")


def test_ci_runs_the_readme_install_and_test_command() -> None:
    install, test_command = readme_commands()[1].split(" && python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install in ci
    assert f"python -m pytest{test_command}" in ci


def test_ci_runs_ruff_on_the_whole_tree() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert "ruff check ." in ci
