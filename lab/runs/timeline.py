"""The run timeline: timestamped events, one JSON object per line."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


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
        if not self.path.exists():
            return []
        entries = [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]
        entries.sort(key=lambda e: e["ts"])
        return [e for e in entries if event is None or e["event"] == event]
