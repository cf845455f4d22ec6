"""The past runs of a state home, one line each: what ran, how it ended, how fast it was detected and fixed.

Read from the run folders only (run.json and timeline.jsonl): `chaoslab runs` answers at once,
with or without a lab up. TTD / TTM / TTR are those of `chaoslab.reports.timings`.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaoslab.errors import UsageError
from chaoslab.homes import state_home
from chaoslab.reports.timings import compute_timings
from chaoslab.runs.run import Run, current_run
from chaoslab.runs.timeline import Timeline

# The verdicts, in the order they are decided.
VERIFIED = "verified"  # a verified recovery after the fault (`chaoslab verify`, or a `run`'s recovery)
RUNNING = "running"  # the lab is up, not verified yet
FAILED = "failed"  # a phase of an unattended `chaoslab run` did not hold
NOT_VERIFIED = "not verified"  # the fault went in, the lab went down, recovery was never verified
NO_FAULT = "no fault"  # a lab brought up without its fault (`start --no-fault`)


@dataclass
class RunSummary:
    """One past (or running) run of the state home."""

    id: str
    scenario: str
    seed: int
    variant: str
    runtime: str
    created_at: str
    verdict: str
    running: bool
    # Seconds from the injection: to detection (ack, else the first alert), mitigation, verified recovery.
    ttd_s: float | None
    ttm_s: float | None
    ttr_s: float | None
    hints: int
    # The phase of a `chaoslab run` that did not hold, when the verdict is "failed".
    failed_phase: str | None
    dir: str


def summarize(run: Run, *, running: bool) -> RunSummary:
    """A run's verdict and times, from its timeline."""
    events = Timeline(run.timeline_path).events()
    timings = compute_timings(events)
    failed = next(
        (e.get("phase") for e in events if e["event"] == "phase_measured" and not e.get("ok")), None
    )
    if timings.verified:
        verdict = VERIFIED
    elif running:
        verdict = RUNNING
    elif failed is not None:
        verdict = FAILED
    elif timings.injected_at is None:
        verdict = NO_FAULT
    else:
        verdict = NOT_VERIFIED
    info = run.info
    return RunSummary(
        id=info.id,
        scenario=info.scenario,
        seed=info.seed,
        variant=info.variant,
        runtime=info.runtime,
        created_at=info.created_at,
        verdict=verdict,
        running=running,
        ttd_s=_rounded(timings.ttd),
        ttm_s=_rounded(timings.ttm),
        ttr_s=_rounded(timings.ttr),
        hints=timings.hints_used,
        failed_phase=failed if verdict == FAILED else None,
        dir=str(run.dir),
    )


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def past_runs() -> list[RunSummary]:
    """Every run of the state home, oldest first; a garbled run.json or timeline is an error naming it.

    run.json is written whole (lab/chaoslab/atomic.py), so a broken one is damage to repair, not a run
    being created: the error says which folder to delete.
    """
    active = current_run()
    found = []
    for info_file in (state_home() / "runs").glob("*/run.json"):
        try:
            run = Run.at(info_file.parent)
            found.append(summarize(run, running=active is not None and active.id == run.id))
        except UsageError:
            continue  # a folder that is not a run folder (no run.json any more)
    return sorted(found, key=lambda r: (r.created_at, r.id))
