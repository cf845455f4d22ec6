"""A repeat's report: the machine, the seeds, the records and the aggregates, written as JSON."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaoslab.atomic import write_atomically
from chaoslab.homes import state_home
from chaoslab.repeat.records import RunRecord, as_json_data
from chaoslab.repeat.spread import VariantAggregate
from chaoslab.scenarios import Scenario


@dataclass
class Machine:
    """What the runs ran on: the spread depends on it."""

    cpu_count: int
    cpu_model: str
    hostname: str

    @classmethod
    def this(cls) -> Machine:
        """This machine."""
        model = "unknown"
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "cpu model"):
                    model = value.strip()
                    break
        except OSError:
            pass  # not Linux: the model stays unknown, the count is still right
        return cls(os.cpu_count() or 1, model, socket.gethostname())


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class RepeatReport:
    """A repeat: where it ran, every run, and the aggregate per variant (what the JSON holds)."""

    scenario: str
    runtime: str
    busy_cores: int
    port_base: int | None
    machine: Machine
    seeds: list[int]
    started: str
    ended: str | None = None
    # False while runs are still going: the file is rewritten after each run, so an
    # interrupted repeat keeps what it measured.
    complete: bool = False
    runs: list[RunRecord] = field(default_factory=list)
    variants: list[VariantAggregate] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every run passed (and there was at least one)."""
        return bool(self.runs) and all(run.ok for run in self.runs)

    def document(self) -> dict[str, Any]:
        """The report as JSON data."""
        return as_json_data(self)

    def write(self, path: Path) -> Path:
        """Write the JSON document to ``path`` (atomically: a reader never sees half of it)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(self.document(), indent=2) + "\n")
        return path


def default_report_path(scenario_id: str) -> Path:
    """``<state home>/repeats/<timestamp>-<scenario>.json``."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return state_home() / "repeats" / f"{stamp}-{scenario_id}.json"


def units_of(scenario: Scenario) -> dict[str, str]:
    """Each probe's unit, by probe name."""
    return {name: probe.unit for name, probe in scenario.probes.items()}
