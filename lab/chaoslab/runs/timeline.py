"""The run timeline: timestamped events, one JSON object per line."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from chaoslab.atomic import CorruptStateFile


class Timeline:
    """Append-only event log of a run (lab up, fault injected, alert fired, fix applied…)."""

    def __init__(self, path: Path):
        self.path = path

    def record(self, event: str, **fields: Any) -> dict[str, Any]:
        """Append one event stamped with the current time."""
        entry = {"ts": time.time(), "event": event, **fields}
        with self.path.open("a") as out:
            out.write(json.dumps(entry, default=str) + "\n")
        return entry

    def events(self, event: str | None = None) -> list[dict[str, Any]]:
        """All events, or those of one kind, in time order.

        Alert events are derived from Prometheus when the lab goes down and are
        appended then, so file order is not time order.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            reason = "not a file" if isinstance(exc, IsADirectoryError) else exc.strerror or "unreadable"
            recover = f"delete it (`rm -r {self.path}`); the run's report loses its events."
            raise self._unreadable(reason, recover) from None
        lines = raw.split(b"\n")
        entries = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            entry = _event(line)
            if entry is None and number == len(lines):
                break  # a writer killed mid-append left its last line unfinished: never recorded
            if entry is None:
                raise self._unreadable(
                    f"line {number} is not an event",
                    f"delete line {number} (`sed -i '{number}d' {self.path}`); every line is one JSON event.",
                )
            entries.append(entry)
        entries.sort(key=lambda e: e["ts"])
        return [e for e in entries if event is None or e["event"] == event]

    def _unreadable(self, reason: str, recover: str) -> CorruptStateFile:
        return CorruptStateFile(f"The run timeline {self.path} is unreadable ({reason}).", hint=recover)


def _event(line: bytes) -> dict[str, Any] | None:
    """One timeline line as an event, or None when it is not one."""
    try:
        entry = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("ts"), int | float) or "event" not in entry:
        return None
    return entry
