"""The `chaoslab` command line. Exit codes: 0 ok, 1 not healthy / not verified, 2 usage or environment.

The root command (`app`) and what its commands share are in `root.py`; each module listed in
`COMMAND_MODULES` adds the commands of one audience (its `PANEL` in `--help`). A new command goes
in the module of its audience, or in a new module plus one name in that list.
"""

from __future__ import annotations

import copy
import importlib
import os
import signal
import sys
from pathlib import Path

import typer

from chaoslab.cli.root import app, err
from chaoslab.errors import LabError
from chaoslab.output import escape

# The registry: importing a module adds its commands to the app; this order is `chaoslab --help`'s.
COMMAND_MODULES = ("incident", "session", "investigate", "change", "reports", "trainer", "machine", "disk")
for _module in COMMAND_MODULES:
    importlib.import_module(f"chaoslab.cli.{_module}")

__all__ = ["app", "main"]

# An unexpected exception exits 70 (sysexits' EX_SOFTWARE); CHAOSLAB_DEBUG=1 shows its traceback.
INTERNAL_ERROR_EXIT = 70
DEBUG_ENV = "CHAOSLAB_DEBUG"


def _usage_line(exc: typer.TyperException) -> str:
    """A parser's complaint as one line, with where to read the command's options."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    where = f" See `{ctx.command_path} --help`." if ctx is not None else ""
    if not message.endswith(("?", "!")):  # click's "Did you mean 'list'?" ends a sentence already
        message = message.rstrip(".") + "."
    return message + where


def app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command that `argv` names, when its first word names one.

    typer turns every registered command into a click command before it parses anything: ~70 ms
    of signature inspection for all ~40 commands, on every call. The one command asked for parses
    the same way alone (as click's lazily loaded subcommands do); anything else (no command,
    `--help`, `--version`, an unknown word, shell completion) gets the whole app.
    """
    if not argv or argv[0].startswith("-"):
        return app
    commands = [c for c in app.registered_commands if _command_name(c) == argv[0]]
    groups = [g for g in app.registered_groups if g.name == argv[0]]
    if not commands and not groups:
        return app
    narrowed = copy.copy(app)
    narrowed.registered_commands, narrowed.registered_groups = commands, groups
    return narrowed


def _command_name(command: typer.models.CommandInfo) -> str:
    if command.name:
        return command.name
    return typer.main.get_command_name(command.callback.__name__) if command.callback else ""


def _terminate(signum: int, _frame: object) -> None:
    # SystemExit unwinds through `finally`, so a `run` takes its lab down on SIGTERM too.
    raise SystemExit(128 + signum)


def main() -> None:
    """Entry point: turn LabErrors into one clear message and the right exit code."""
    # The lab uses no pydantic plugin; looking for them imports importlib.metadata (~20 ms a command).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app_for(sys.argv[1:])(standalone_mode=False)
    except LabError as exc:
        err.print(f"[red]error:[/] {escape(exc.render())}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        err.print(
            "interrupted; the lab of a `run` is taken down, a started lab keeps running (`chaoslab stop`)."
        )
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: unknown option, bad value, missing argument
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `chaoslab`: the help is the answer
            exc.show()  # type: ignore[attr-defined]
        else:
            err.print(f"[red]error:[/] {escape(_usage_line(exc))}", highlight=False)
        sys.exit(2)
    except OSError as exc:
        # A disk that filled up or went read-only under any write: the user's to fix, not a bug.
        from chaoslab.atomic import disk_problem
        from chaoslab.homes import state_home

        where = Path(exc.filename).parent if isinstance(exc.filename, str) else state_home()
        if (problem := disk_problem(exc, where)) is None:
            sys.exit(_internal_error(exc))
        err.print(f"[red]error:[/] {escape(problem.render())}", highlight=False)
        sys.exit(problem.exit_code)
    except Exception as exc:  # the last resort: a bug of ours, never a traceback on the user's screen
        sys.exit(_internal_error(exc))
    sys.exit(code if isinstance(code, int) else 0)


def _internal_error(exc: Exception) -> int:
    """Say in one line that chaoslab failed, keep the traceback in a file; exit 70 (EX_SOFTWARE)."""
    import tempfile
    import time
    import traceback

    from chaoslab.homes import state_home

    if os.environ.get(DEBUG_ENV) == "1":
        traceback.print_exc()
        return INTERNAL_ERROR_EXIT
    text = traceback.format_exc()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    saved: Path | None = None
    for folder in (state_home() / "crashes", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            saved = folder / f"chaoslab-{stamp}-{os.getpid()}.traceback.txt"
            saved.write_text(text)
            break
        except OSError:
            saved = None
    message = " ".join(str(exc).split())[:300]
    where = f"full traceback in {saved}" if saved else f"{DEBUG_ENV}=1 shows the traceback"
    err.print(f"internal error: {type(exc).__name__}: {message} ({where})", markup=False, highlight=False)
    err.print(
        f"Hint: this is a bug in chaoslab: please report it with that file (or rerun with {DEBUG_ENV}=1).",
        markup=False,
        highlight=False,
    )
    return INTERNAL_ERROR_EXIT
