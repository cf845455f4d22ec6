"""Settings sized from this machine's own speed, measured on the idle lab before the load.

A scenario's `calibration:` (docs/scenario-format.md, "Load that fits the machine") names a
probe, the value it read where the setting was chosen, and the setting: db-pool-exhaustion's
pool wait and its load's pace both follow the time of its unindexed scan.
"""

from __future__ import annotations

import statistics

from chaoslab.echo import Echo
from chaoslab.errors import EnvironmentProblem
from chaoslab.probes import Value, is_number
from chaoslab.running_lab import LiveLab
from chaoslab.runs import Timeline
from chaoslab.scenarios.observe import measure


def calibrate(live: LiveLab, echo: Echo = print) -> list[dict]:
    """Size the scenario's calibrated settings from this machine's speed, measured now.

    Measured on every start, before the load, so a slow, fast or busy machine each get the
    setting that puts the same relative stress on them; what was chosen is kept in the run
    state and the timeline, and shown in the run's summary.
    """
    chosen = []
    # Settings sized from one probe share its readings: one measure of the machine, taken once.
    read: dict[tuple[str, int], list[tuple[Value, str | None]]] = {}
    for calibration in live.scenario.calibration:
        key = (calibration.probe, calibration.samples)
        if key not in read:
            # One reading more than asked, the first dropped: it pays for cold caches (a table
            # read from disk after the template was copied), which is not the machine's speed.
            read[key] = [
                measure(live.scenario, live, calibration.probe) for _ in range(calibration.samples + 1)
            ]
        readings = read[key]
        numbers = [v for v, _ in readings[1:] if is_number(v)]
        if not numbers:
            problem = next((error for _, error in readings if error), "no value")
            raise EnvironmentProblem(
                f"Could not calibrate {calibration.env}: probe {calibration.probe} gave {problem}.",
                hint=f"`chaoslab logs {calibration.service}` and `chaoslab doctor`.",
            )
        # The fastest reading: a neighbour's burst or a cache still warming only ever slows one
        # down (CI: a median of 164 ms against the 121 ms the same lab scanned in under load).
        # The median where the setting must hold for minutes whatever the neighbours do (the
        # load's pace: sized from the fastest moment, a busy machine got more than it could take).
        measured = min(numbers) if calibration.reading == "fastest" else statistics.median(numbers)
        value = calibration.scaled(measured)
        live.set_env(calibration.service, {calibration.env: f"{value:g}"})
        record = {
            "service": calibration.service,
            "env": calibration.env,
            "value": value,
            "probe": calibration.probe,
            "measured": round(measured, 3),
            "reading": f"{calibration.reading} of {len(numbers)}",
            "reference": calibration.reference,
        }
        Timeline(live.run.timeline_path).record("calibrated", **record)
        echo(
            f"calibrated {calibration.env}={value:g} ({calibration.probe} {measured:.3g}, "
            f"{record['reading']}, against {calibration.reference:g} where {calibration.value:g} was chosen)"
        )
        chosen.append(record)
    if chosen:
        live.run.write_state(calibration=chosen)
    return chosen


def calibration_of(live: LiveLab) -> list[dict]:
    """The settings this run sized from the machine's speed (empty when the scenario has none)."""
    return list(live.run.read_state().calibration)
