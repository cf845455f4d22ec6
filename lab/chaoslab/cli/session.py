"""The session's length: `extend` moves the end of a running lab (and its load's) later."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from chaoslab.cli.incident import PANEL
from chaoslab.cli.root import Json, app, console, session_length
from chaoslab.output import emit_json

# lab/chaoslab/runs/session.py's DEFAULT_EXTENSION, spelled here so that `--help` imports no lab module.
EXTENSION_DEFAULT = "30m"


@app.command(rich_help_panel=PANEL)
def extend(
    length_s: Annotated[
        int | None,
        typer.Argument(
            metavar="[LENGTH]",
            parser=session_length,
            show_default=EXTENSION_DEFAULT,
            help="Time to add: 90s, 45m, 2h (a session lasts 8h at most in all).",
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Give the running lab more time: its session, and the load with it, end later."""
    from chaoslab import lifecycle
    from chaoslab.output import format_length
    from chaoslab.runs.session import DEFAULT_EXTENSION, parse_length

    live = lifecycle.open_lab()
    added_s = length_s if length_s is not None else parse_length(DEFAULT_EXTENSION)
    session = lifecycle.extend_session(live, added_s)
    if as_json:
        emit_json({"added_s": added_s, "session": session.summary()})
        return
    ends = time.strftime("%H:%M", time.localtime(session.ends_at))
    console.print(
        f"session extended by {format_length(added_s)}: the lab stays up until {ends} "
        f"({format_length(session.left_s())} left)."
    )
