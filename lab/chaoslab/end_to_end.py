"""A scenario end to end, unattended: up, baseline, fault, symptoms, fix or mitigation, recovery,
down. `chaoslab run`, `chaoslab repeat`, the scenario tests and bench/full_run.py use it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from chaoslab.calibration import calibration_of
from chaoslab.errors import LabError
from chaoslab.lifecycle import (
    Echo,
    apply_fix,
    apply_mitigation,
    find_mitigation,
    start_incident,
    start_lab,
    stop_lab,
)
from chaoslab.runs import Timeline
from chaoslab.scenarios import Scenario
from chaoslab.scenarios.model import Expectation
from chaoslab.scenarios.observe import PhaseResult, observe


@dataclass
class RunOutcome:
    """What `chaoslab run` saw, phase by phase."""

    scenario: str
    seed: int
    variant: str
    run_id: str
    phases: list[PhaseResult] = field(default_factory=list)
    error: str | None = None
    # The settings sized from this machine's speed (see `calibrate`).
    calibration: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.phases) and all(p.ok for p in self.phases)


def run_scenario(
    scenario: Scenario,
    *,
    seed: int,
    port_base: int | None = None,
    runtime: str = "local",
    mitigation: str | None = None,
    echo: Echo = print,
) -> RunOutcome:
    """Up, baseline, inject, symptoms, fix (or a mitigation), recovery, down."""
    if mitigation is not None:
        find_mitigation(scenario, mitigation)
    live = start_lab(
        scenario, seed=seed, port_base=port_base, runtime=runtime, owner_pid=os.getpid(), echo=echo
    )
    outcome = RunOutcome(
        scenario.id, seed, live.run.info.variant, live.run.id, calibration=calibration_of(live)
    )
    timeline = Timeline(live.run.timeline_path)

    def phase(name: str, expectation: Expectation, *, latch: bool, since: float) -> bool:
        echo(f"measuring {name} (up to {expectation.within_s}s)")
        result = observe(
            scenario,
            live,
            expectation,
            name=name,
            latch=latch,
            since=since,
            baseline=live.baseline_readings(),
        )
        timeline.record("phase_measured", phase=name, ok=result.ok, elapsed_s=round(result.elapsed_s, 1))
        outcome.phases.append(result)
        return result.ok

    try:
        baseline = start_incident(live, echo=echo)
        timeline.record(
            "phase_measured", phase="baseline", ok=baseline.ok, elapsed_s=round(baseline.elapsed_s, 1)
        )
        outcome.phases.append(baseline)
        if not baseline.ok:
            return outcome
        since = float(live.run.read_state().injected_at or time.time())
        if not phase("symptoms", scenario.symptoms, latch=True, since=since):
            return outcome
        since = time.time()
        if mitigation:
            chosen = find_mitigation(scenario, mitigation)
            echo(f"applying mitigation {mitigation}: {chosen.description}")
            apply_mitigation(live, mitigation, echo)
            phase(f"mitigation {mitigation}", chosen.checks, latch=False, since=since)
        else:
            echo(f"applying the reference fix: {scenario.fix_for(outcome.variant).description}")
            apply_fix(live, echo)
            if phase("recovery", scenario.recovery, latch=False, since=since):
                timeline.record("verified", ok=True, by="run")
        return outcome
    except LabError as exc:
        outcome.error = exc.render()
        return outcome
    finally:
        stop_lab(live.run)
