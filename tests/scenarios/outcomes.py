"""What scenario tests read from a run's outcome: a phase, a check, the failures to show, a service's log."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from datetime import datetime

from chaoslab.end_to_end import RunOutcome
from chaoslab.runs import Run
from chaoslab.scenarios.observe import CheckResult, PhaseResult


@dataclass(frozen=True)
class VariantRun:
    """One unattended run of a scenario variant, as `test_variants.py` hands it to a scenario's checks."""

    variant: str
    seed: int
    outcome: RunOutcome
    took_s: float


def phase(outcome: RunOutcome, name: str) -> PhaseResult:
    return next(p for p in outcome.phases if p.name == name)


def check(result: PhaseResult, label: str) -> CheckResult:
    return next(c for c in result.checks if c.label == label)


def failures(outcome: RunOutcome) -> object:
    """The run's error, or each phase with the checks that did not hold (label, value, when, error)."""
    return outcome.error or [
        (result.name, [(c.label, c.value, c.at_s, c.error) for c in result.checks if not c.held])
        for result in outcome.phases
    ]


def json_log(run: Run, service: str) -> list[dict]:
    """The service's JSON log lines (gunicorn's own plain lines left out)."""
    lines = run.log_path(service).read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def fault_window(events: list[dict]) -> tuple[float, float]:
    """When the run's fault went in and when its fix was applied, from its timeline events."""
    injected_at = next(e["ts"] for e in events if e["event"] == "fault_injected")
    fixed_at = next(e["ts"] for e in events if e["event"] == "fix_applied")
    return injected_at, fixed_at


def p99_between(run: Run, service: str, start: float, end: float, *, but_route: str) -> float:
    """P99 (s) of the service's requests that arrived in [start, end], routes under ``but_route`` left
    out, from its access log: the requests of the fault itself, where a 20-30 s window at a phase's
    end also holds whatever stall of the host came before it."""
    durations = []
    for entry in json_log(run, service):
        if (
            entry.get("logger") != "access"
            or entry.get("duration_ms") is None
            or str(entry.get("route")).startswith(but_route)
        ):
            continue
        arrived = datetime.fromisoformat(entry["ts"]).timestamp() - entry["duration_ms"] / 1000
        if start <= arrived <= end:
            durations.append(entry["duration_ms"] / 1000)
    assert len(durations) >= 100, f"only {len(durations)} {service} requests between the fault and the fix"
    return statistics.quantiles(durations, n=100)[98]
