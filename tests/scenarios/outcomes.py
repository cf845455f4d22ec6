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


@dataclass(frozen=True)
class Latency:
    """Median and P99 (s) of a set of requests, as the service timed them."""

    median: float
    p99: float

    def __str__(self) -> str:
        return f"median {self.median * 1000:.0f} ms, P99 {self.p99 * 1000:.0f} ms"


def latency_between(run: Run, service: str, start: float, end: float, *, but_route: str) -> Latency:
    """Median and P99 of the service's requests that arrived in [start, end], routes under
    ``but_route`` left out, from its access log: the requests of the window itself, where a
    20-30 s Prometheus window at a phase's end also holds whatever stall of the host came before it."""
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
    assert len(durations) >= 100, f"only {len(durations)} {service} requests in {end - start:.0f} s"
    return Latency(median=statistics.median(durations), p99=statistics.quantiles(durations, n=100)[98])


def series(run: Run, probe: str) -> list[tuple[float, float]]:
    """The probe's values over the run, as Prometheus recorded them (exported at lab down)."""
    exported = json.loads((run.dir / "metrics.json").read_text())
    found = next(s for s in exported["series"] if s["probe"] == probe)
    return [(t, v) for t, v in found["points"] if v is not None]
