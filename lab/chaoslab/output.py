"""How the `chaoslab` command writes: one console factory, tables that never cut a value, and JSON.

One rule for every table and line the CLI prints:

- **In a pipe** (stdout not a terminal) the console has no width to fit: lines are as long as
  they need to be and nothing wraps or is cut, so `chaoslab list | grep db-pool-exhaustion`
  finds it whatever $COLUMNS says, and `awk`/`cut` see whole cells.
- **In a terminal** tables fit its width by wrapping, never by cutting: every column folds
  (`overflow="fold"`) instead of ending in "…", and the columns that hold ids and names are
  kept whole (`no_wrap`) for as long as the other columns can give way.

JSON (`--json`) goes to stdout alone; progress and warnings go to stderr.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# A console in a pipe is "this wide": wider than any line the CLI prints, so nothing wraps.
PIPE_WIDTH = 100_000


def _open_console(stderr: bool) -> Console:
    from rich.console import Console

    console = Console(stderr=stderr)
    if console.is_terminal:
        return console
    return Console(stderr=stderr, width=PIPE_WIDTH)


class _ConsoleOnFirstUse:
    """Stands in for a rich Console until something is printed: importing rich costs ~50 ms,
    which `chaoslab --help` (plain click text) and a command that fails early need not pay."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            self._console = _open_console(self._stderr)
        return getattr(self._console, name)


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr): the terminal's width in a terminal, unbounded in a pipe."""
    return cast("Console", _ConsoleOnFirstUse(stderr))


def escape(text: str) -> str:
    """`text` with rich's markup escaped, so `[`…`]` in a value prints as written."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def new_table(
    title: str | None,
    columns: Iterable[str],
    *,
    whole: Iterable[str] = (),
    right: Iterable[str] = (),
) -> Table:
    """A table whose cells fold rather than get cut; ``whole`` columns (ids, names) stay unwrapped
    while the others can shrink, ``right`` ones are right-aligned (numbers)."""
    from rich.table import Table

    keep, align_right = set(whole), set(right)
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(
            column,
            overflow="fold",
            no_wrap=column in keep,
            justify="right" if column in align_right else "left",
        )
    return table


def to_jsonable(value: Any) -> Any:
    """Plain JSON values: dataclasses through `dataclasses.asdict` (so fields added later come
    along), pydantic models through `model_dump`, paths and times as strings, NaN and ±inf as null."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(to_jsonable(item) for item in value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def emit_json(document: Any) -> None:
    """Write one JSON document to stdout, and nothing else."""
    sys.stdout.write(json.dumps(to_jsonable(document), indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def format_length(seconds: float) -> str:
    """``1h 05m``, ``42m 10s`` or ``50s``: a length for people."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"
