"""`app_for`: a command parsed alone behaves as in the whole app (it only skips building the others)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from chaoslab.cli import app, app_for
from tests.lab.test_cli import chaoslab

NAMES = sorted(typer.main.get_group(app).commands)


def _help(of: typer.Typer, name: str) -> str:
    result = CliRunner().invoke(of, [name, "--help"], prog_name="chaoslab")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", NAMES)
def test_a_command_alone_has_the_same_help_as_in_the_whole_app(name: str) -> None:
    alone = app_for([name, "--help"])
    assert list(typer.main.get_group(alone).commands) == [name]
    assert _help(alone, name) == _help(app, name)


@pytest.mark.parametrize("argv", [[], ["--help"], ["--version"], ["no-such-command"], ["lis"]])
def test_anything_but_a_command_name_gets_the_whole_app(argv: list[str]) -> None:
    assert app_for(argv) is app


def test_a_mistyped_command_is_still_one_clear_line_with_a_suggestion() -> None:
    result = chaoslab("lis")
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("error: No such command 'lis'. Did you mean 'list'? See `")
