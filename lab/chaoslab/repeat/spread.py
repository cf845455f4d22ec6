"""How much what the runs saw varies: pass rates and spreads per variant, a pure function of the
records (tested without a lab)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from chaoslab.probes import Value, is_number
from chaoslab.repeat.records import RunRecord
from chaoslab.reports.summary import format_value


@dataclass
class Spread:
    """Median, range and relative spread of some numbers."""

    n: int
    median: float | None = None
    min: float | None = None
    max: float | None = None
    # (max - min) / |median|, in %; None when the median is 0 and the values differ.
    spread_pct: float | None = None
    # The largest distance from the median, relative to it, in %.
    max_deviation_pct: float | None = None


def spread_of(values: Iterable[float]) -> Spread:
    """The spread of ``values`` (an empty list gives n=0 and no figures)."""
    numbers = sorted(values)
    if not numbers:
        return Spread(0)
    median = statistics.median(numbers)
    low, high = numbers[0], numbers[-1]
    if high == low:
        spread_pct: float | None = 0.0
        deviation_pct: float | None = 0.0
    elif median == 0:
        spread_pct = deviation_pct = None  # relative to nothing
    else:
        spread_pct = (high - low) / abs(median) * 100
        deviation_pct = max(high - median, median - low) / abs(median) * 100
    return Spread(len(numbers), median, low, high, spread_pct, deviation_pct)


@dataclass
class ProbeSpread:
    """One summary probe in one phase, across the runs that reached the phase."""

    probe: str
    unit: str
    numbers: Spread
    # Values that are not finite numbers (yes/no, text, inf), counted: "yes" in 9 runs of 10.
    others: dict[str, int] = field(default_factory=dict)
    # Runs that reached the phase but have no value for the probe.
    missing: int = 0


@dataclass
class PhaseAggregate:
    """One phase across the runs of a variant that reached it."""

    name: str
    runs: int
    passed: int
    elapsed_s: Spread
    probes: list[ProbeSpread] = field(default_factory=list)


@dataclass
class Failure:
    """A failed run and the first thing that went wrong in it."""

    seed: int
    run_id: str | None
    phase: str | None
    label: str | None
    condition: str | None
    value: Value
    error: str | None


@dataclass
class VariantAggregate:
    """Every run of one variant: pass rate, spreads per phase and probe, the failures."""

    variant: str
    runs: int
    passed: int
    pass_rate: float
    seeds: list[int]
    seconds: Spread
    phases: list[PhaseAggregate] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def _is_number(value: Value) -> bool:
    return is_number(value) and math.isfinite(value)


def _probe_spread(probe: str, unit: str, values: list[Value]) -> ProbeSpread:
    others: dict[str, int] = {}
    numbers: list[float] = []
    missing = 0
    for value in values:
        if value is None:
            missing += 1
        elif _is_number(value):
            numbers.append(float(value))
        else:
            text = format_value(value, unit)
            others[text] = others.get(text, 0) + 1
    return ProbeSpread(probe, unit, spread_of(numbers), others, missing)


def _failure(run: RunRecord) -> Failure:
    check = run.first_failure()
    if check is not None:
        return Failure(
            run.seed, run.run_id, check.phase, check.label, check.condition, check.value, check.error
        )
    failed_phase = next((p.name for p in run.phases if not p.ok), None)
    return Failure(run.seed, run.run_id, failed_phase, None, None, None, run.error)


def aggregate(runs: list[RunRecord], units: dict[str, str] | None = None) -> list[VariantAggregate]:
    """Per variant (in order of first appearance): pass rate, per phase and probe the spread, failures.

    ``units`` maps probe names to their units (for the text of non-numeric values and for
    the readers of the JSON); pure: same records, same aggregate.
    """
    units = units or {}
    by_variant: dict[str, list[RunRecord]] = {}
    for run in runs:
        by_variant.setdefault(run.variant, []).append(run)
    result = []
    for variant, group in by_variant.items():
        phase_names: list[str] = []
        for run in group:
            phase_names += [p.name for p in run.phases if p.name not in phase_names]
        phases = []
        for name in phase_names:
            reached = [p for run in group for p in run.phases if p.name == name]
            probes: list[str] = []
            for phase in reached:
                probes += [probe for probe in phase.summary if probe not in probes]
            phases.append(
                PhaseAggregate(
                    name=name,
                    runs=len(reached),
                    passed=sum(p.ok for p in reached),
                    elapsed_s=spread_of(p.elapsed_s for p in reached),
                    probes=[
                        _probe_spread(probe, units.get(probe, ""), [p.summary.get(probe) for p in reached])
                        for probe in probes
                    ],
                )
            )
        passed = sum(run.ok for run in group)
        result.append(
            VariantAggregate(
                variant=variant,
                runs=len(group),
                passed=passed,
                pass_rate=passed / len(group),
                seeds=[run.seed for run in group],
                seconds=spread_of(run.seconds for run in group),
                phases=phases,
                failures=[_failure(run) for run in group if not run.ok],
            )
        )
    return result


def format_spread(spread: Spread, unit: str) -> tuple[str, str, str, str, str]:
    """Median, min, max (as people read them) and the relative spread and deviation, in %."""

    def percent(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f} %"

    return (
        format_value(spread.median, unit),
        format_value(spread.min, unit),
        format_value(spread.max, unit),
        percent(spread.spread_pct),
        "—" if spread.max_deviation_pct is None else f"±{spread.max_deviation_pct:.0f} %",
    )
