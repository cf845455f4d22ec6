"""The root `chaoslab` command (`app`) and what its commands share: consoles, options, run pickers.

Commands live in modules by audience (lab/chaoslab/cli/__init__.py lists them). Answering at once is part
of the interface: `chaoslab --help` and `chaoslab list` take a few tenths of a second, so these
modules import only typer, rich and light lab modules at the top; whatever pulls HTTP clients,
database drivers, runtimes or plotting is imported inside the command that uses it. Check with
`python -X importtime -c 'import chaoslab.cli'`; `bench/cli_speed.py` times every command.

Output rules (lab/chaoslab/output.py): in a pipe nothing is cut or wrapped; in a terminal tables wrap,
never cut; `--json` writes one JSON document to stdout (shapes: docs/cli-json.md), and progress
goes to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from chaoslab import __version__
from chaoslab.errors import LabError, UsageError
from chaoslab.output import make_console

if TYPE_CHECKING:
    # typer 0.28 carries its own click; these are the types its help methods take.
    from typer._click import Context as ClickContext
    from typer._click import HelpFormatter

    from chaoslab.runs import Run


class PanelledGroup(typer.core.TyperGroup):
    """Plain-text help, with the commands listed under their audience's heading (`PANEL`).

    typer's boxed help costs ~0.1 s a call (rich's markdown parser is imported to draw it), a third
    of what `chaoslab --help` may take; plain text answers at once, survives a pipe and still
    groups the commands as the boxes did.
    """

    def format_commands(self, ctx: ClickContext, formatter: HelpFormatter) -> None:
        panels: dict[str, list[tuple[str, str]]] = {}
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            panel = getattr(cmd, "rich_help_panel", None) or "Commands"
            # The whole first sentence, wrapped: in 80 columns click would cut it at `limit`.
            panels.setdefault(panel, []).append((name, cmd.get_short_help_str(limit=10_000)))
        for panel, rows in panels.items():
            with formatter.section(panel):
                formatter.write_dl(rows)


app = typer.Typer(
    cls=PanelledGroup,
    rich_markup_mode=None,
    help="chaoslab: real incidents on a small, real system. Start with `chaoslab list`.",
    epilog="Environment: CHAOSLAB_HOME (where runs live), CHAOSLAB_CACHE (database templates, "
    "Toxiproxy), CHAOSLAB_PORT_BASE (the lab's first port); every CHAOSLAB_* variable is in "
    "docs/environment.md. JSON shapes of --json: docs/cli-json.md.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
console = make_console()
err = make_console(stderr=True)

# The lab uses base…base+30 (the homes' `ports`, lab/chaoslab/specs/catalog/): the block must end below 65536.
PORT_BASE_MIN, PORT_BASE_MAX = 1024, 65535 - 40
# Seeds reach numpy and every service's random generator: 32 bits.
SEED_MAX = 2**32 - 1
# `--wait`: an hour is longer than any recovery the lab measures.
WAIT_MAX_S = 3600

Seed = Annotated[
    int,
    typer.Option("--seed", min=0, max=SEED_MAX, help="Same seed, same variant, data and load mix."),
]
PortBase = Annotated[
    int | None,
    typer.Option(
        "--port-base",
        min=PORT_BASE_MIN,
        max=PORT_BASE_MAX,
        envvar="CHAOSLAB_PORT_BASE",
        help="First of the ~30 ports the lab uses (default 15400).",
    ),
]
# A game day's plan may set its port base, and the plan wins over $CHAOSLAB_PORT_BASE there.
GameDayPortBase = Annotated[
    int | None,
    typer.Option(
        "--port-base",
        min=PORT_BASE_MIN,
        max=PORT_BASE_MAX,
        help="First port of the first team's lab (default: the plan's, else $CHAOSLAB_PORT_BASE, "
        "else 15400).",
    ),
]
RuntimeName = Literal["local", "docker"]
RuntimeOpt = Annotated[
    RuntimeName,
    typer.Option(
        "--runtime", help="Where services run: local (processes) or docker (containers, `chaoslab images`)."
    ),
]
Json = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout (shapes: docs/cli-json.md).")
]
Wait = Annotated[
    int,
    typer.Option("--wait", min=0, max=WAIT_MAX_S, help="Seconds to keep trying before saying no."),
]
# lab/chaoslab/runs/session.py's DEFAULT_SESSION, spelled here so that `--help` imports no lab module.
SESSION_DEFAULT = "60m"


def session_length(text: str) -> int:
    """A session length in seconds; a bad one is the parser's one-line error (exit 2)."""
    from chaoslab.runs.session import parse_length

    try:
        return parse_length(text)
    except UsageError as exc:
        raise typer.BadParameter(f"{exc.message} Hint: {exc.hint}") from None


SessionLength = Annotated[
    int | None,
    typer.Option(
        "--for",
        parser=session_length,
        metavar="LENGTH",
        envvar="CHAOSLAB_SESSION",
        show_default=SESSION_DEFAULT,
        help="How long the lab stays up (90s, 45m, 2h; 1m to 8h): then it takes itself down, "
        "warning 5 minutes before. `chaoslab extend` adds time.",
    ),
]


def _print_version(value: bool) -> None:
    if value:
        print(f"chaoslab {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """chaoslab: real incidents on a small, real system. Start with `chaoslab list`."""
    ctx.call_on_close(warn_if_session_ending)


def warn_if_session_ending() -> None:
    """After a command on a lab in its last minutes: one yellow line on stderr saying when it ends."""
    # A command the lab API answered got the warning with its answer (lab/chaoslab/lab_api/).
    lab_api = sys.modules.get("chaoslab.lab_api.client")
    if lab_api is not None and (warning := lab_api.session_warning()):
        err.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
        return
    # A command that never looked at the state home (help, setup) has not imported the run
    # module, and need not pay for it here.
    if "chaoslab.runs.run" not in sys.modules:
        return
    from chaoslab.runs import current_run
    from chaoslab.runs.session import warning_line

    try:
        run = current_run()
        line = warning_line(session) if run and (session := run.read_state().session) else None
    except (LabError, ValueError):  # a broken state file is the command's to report, not ours
        return
    if line:
        err.print(f"[yellow]warning:[/] {line}", highlight=False, soft_wrap=True)


def echo(message: str) -> None:
    err.print(f"[dim]·[/] {message}")


Note = Annotated[str | None, typer.Argument(help="What you saw or did, in a few words, for the post-mortem.")]


def last_run() -> Run:
    """The run of this state home that changed last (`logs`, `traces`, `open` with no lab up)."""
    from chaoslab.homes import state_home
    from chaoslab.runs import Run

    runs = sorted((state_home() / "runs").glob("*/run.json"), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise UsageError("No lab has run yet.", hint="chaoslab start db-pool-exhaustion")
    return Run.load(runs[-1].parent.name)


def pick_run(ref: str | None) -> Run:
    """A run by id or folder; without one, the current run, else the last."""
    from chaoslab.runs import Run, current_run

    if ref is None:
        return current_run() or last_run()
    try:
        is_folder = Path(ref).is_dir()
    except OSError:  # a name too long to be a path is no folder: it is judged as an id
        is_folder = False
    if is_folder:
        return Run.at(Path(ref).resolve())
    return Run.load(ref)


def write_postmortem_draft(run: Run) -> None:
    """Write a run's post-mortem draft and say where; a failure is a warning (`stop`, `run`)."""
    from chaoslab.reports.postmortem import write_postmortem

    try:
        files = write_postmortem(run)
    except LabError as exc:
        err.print(f"[yellow]no post-mortem draft:[/] {exc.render()}")
        return
    echo(f"post-mortem draft: {files.markdown} (and {files.html.name}, graphs/)")
    if notice := files.notice():
        err.print(notice, markup=False)
