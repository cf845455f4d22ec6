"""Running the repeat: the scenario end to end once per seed, on busy cores if asked."""

from __future__ import annotations

import time
from collections.abc import Callable

from chaoslab.echo import Echo
from chaoslab.end_to_end import run_scenario
from chaoslab.errors import EnvironmentProblem, LabError, UsageError
from chaoslab.load.busy import busy_cores as keep_cores_busy
from chaoslab.load.busy import check_busy_cores
from chaoslab.repeat.records import RunRecord, record_of
from chaoslab.repeat.report import Machine, RepeatReport, now_iso, units_of
from chaoslab.repeat.spread import aggregate
from chaoslab.scenarios import Scenario

# Start-up (a database template may need building), metrics export and stop, on top of the
# scenario's own phase deadlines: the bound of one run for stress-ng's own timeout.
RUN_OVERHEAD_S = 300


def busy_bound_s(scenario: Scenario, runs: int) -> float:
    """An upper bound of the repeat's duration: stress-ng's own timeout, should its stop fail."""
    mitigations = max((m.checks.within_s for m in scenario.mitigations), default=0)
    per_run = (
        RUN_OVERHEAD_S
        + scenario.warmup_s
        + scenario.steady_state.within_s
        + scenario.symptoms.within_s
        + max(scenario.recovery.within_s, mitigations)
    )
    return per_run * runs


def repeat_scenario(
    scenario: Scenario,
    seeds: list[int],
    *,
    runtime: str = "local",
    port_base: int | None = None,
    busy_cores: int = 0,
    echo: Echo = print,
    on_run: Callable[[RepeatReport, RunRecord], None] | None = None,
) -> RepeatReport:
    """Run the scenario once per seed, end to end, with ``busy_cores`` kept busy throughout.

    A run that fails, or whose lab does not come up healthy, is a failed run and the repeat
    goes on; a usage or environment error (a port in use, a missing binary) stops it, since
    repeating would only repeat it. ``on_run`` sees the report after each run.
    """
    check_busy_cores(busy_cores)
    units = units_of(scenario)
    report = RepeatReport(
        scenario=scenario.id,
        runtime=runtime,
        busy_cores=busy_cores,
        port_base=port_base,
        machine=Machine.this(),
        seeds=list(seeds),
        started=now_iso(),
    )
    if busy_cores:
        echo(f"keeping {busy_cores} of {report.machine.cpu_count} cores busy (stress-ng)")
    with keep_cores_busy(busy_cores, busy_bound_s(scenario, len(seeds))) as load:
        for index, seed in enumerate(seeds, 1):
            tag = f"[{index}/{len(seeds)} seed {seed}]"

            def tagged(message: str, tag: str = tag) -> None:
                echo(f"{tag} {message}")

            started = time.monotonic()
            try:
                outcome = run_scenario(scenario, seed=seed, port_base=port_base, runtime=runtime, echo=tagged)
            except (UsageError, EnvironmentProblem):
                raise
            except LabError as exc:
                # The lab never came up healthy: that is a failed run too, and may be the flake.
                record = RunRecord(
                    seed,
                    scenario.variant(seed).id,
                    False,
                    None,
                    exc.render(),
                    round(time.monotonic() - started, 2),
                )
            else:
                record = record_of(outcome, time.monotonic() - started)
            if load is not None:
                record.busy_load_held = load.running()
            report.runs.append(record)
            report.variants = aggregate(report.runs, units)
            if on_run:
                on_run(report, record)
    report.ended = now_iso()
    report.complete = True
    return report
