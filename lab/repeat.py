"""Repeating a scenario end to end: which seeds, the runs, and how much what they saw varies.

A scenario that passes once may still be flaky. `chaoslab repeat` runs it N times (on busy
cores if asked), keeps one typed record per run, and aggregates per variant: the pass rate
and, for every phase and summary probe, the median, the range and the relative spread.
The aggregation is a pure function of the records, so it is tested without a lab.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import socket
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lab.atomic import write_atomically
from lab.errors import EnvironmentProblem, LabError, UsageError
from lab.lifecycle import RunOutcome, run_scenario
from lab.load.busy import busy_cores as keep_cores_busy
from lab.load.busy import check_busy_cores
from lab.probes import Value
from lab.reports.summary import format_value
from lab.runs.run import state_home
from lab.scenarios import Scenario

DEFAULT_RUNS = 10
# A typo like 1-100000 would mean weeks of runs; a real repeat is tens of seeds.
MAX_RUNS = 1000
# Start-up (a database template may need building), metrics export and stop, on top of the
# scenario's own phase deadlines: the bound of one run for stress-ng's own timeout.
RUN_OVERHEAD_S = 300

Echo = Callable[[str], None]


# ----------------------------------------------------------------------------- seeds


def parse_seed_range(text: str) -> list[int]:
    """``A-B`` (inclusive) or a single ``A`` as a list of seeds; anything else is a UsageError."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if not match:
        raise UsageError(
            f"--seeds {text!r} is not a range of seeds.", hint="write it as A-B, e.g. --seeds 1-10."
        )
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        raise UsageError(
            f"--seeds {text!r} ends before it starts.", hint=f"write the smaller seed first: {last}-{first}."
        )
    if last - first + 1 > MAX_RUNS:
        raise UsageError(
            f"--seeds {text!r} is {last - first + 1} runs, more than {MAX_RUNS}.",
            hint="repeat on a smaller range.",
        )
    return list(range(first, last + 1))


def select_seeds(
    scenario: Scenario, *, runs: int | None = None, seeds: str | None = None, variant: str | None = None
) -> list[int]:
    """The seeds to run: 1..runs, or the ``seeds`` range; with ``variant``, only seeds that draw it.

    With a variant and no range, seeds are walked upward from 1 until ``runs`` of them
    draw it, so ``--runs 10 --variant X`` is ten runs of X.
    """
    if runs is not None and seeds is not None:
        raise UsageError(
            "Give --runs or --seeds, not both.", hint="--seeds A-B runs seeds A to B; --runs N runs 1 to N."
        )
    count = DEFAULT_RUNS if runs is None else runs
    if not 1 <= count <= MAX_RUNS:
        raise UsageError(f"--runs must be between 1 and {MAX_RUNS}.", hint="e.g. --runs 10.")
    known = [v.id for v in scenario.variants]
    if variant is not None and variant not in known:
        raise UsageError(
            f"Scenario {scenario.id} has no variant {variant!r}.", hint=f"known variants: {', '.join(known)}."
        )

    def draws(seed: int) -> bool:
        return variant is None or scenario.variant(seed).id == variant

    if seeds is not None:
        chosen = [s for s in parse_seed_range(seeds) if draws(s)]
        if not chosen:
            some = [s for s in range(1, 10 * len(known) + 1) if draws(s)][:5]
            raise UsageError(
                f"No seed in {seeds} draws variant {variant} of {scenario.id}.",
                hint=f"seeds that draw it: {', '.join(map(str, some))}, …; or drop --seeds.",
            )
        return chosen
    chosen = []
    seed = 1
    # Variants are drawn cyclically, so this finds `count` seeds long before the bound.
    while len(chosen) < count and seed <= count * len(known) * 10 + 100:
        if draws(seed):
            chosen.append(seed)
        seed += 1
    if len(chosen) < count:
        raise UsageError(f"Found only {len(chosen)} seeds drawing variant {variant} of {scenario.id}.")
    return chosen


# ----------------------------------------------------------------------------- records


def as_json_data(obj: Any) -> Any:
    """Dataclasses, pydantic models, mappings, sequences as plain JSON values (inf and nan as text)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: as_json_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, dict):
        return {str(k): as_json_data(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [as_json_data(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)  # JSON has no inf or nan
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    return str(obj)


def _fields(obj: object) -> dict[str, Any]:
    # Every field, including ones added after this module was written (a check's baseline…).
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    return dict(vars(obj))


@dataclass
class FailedCheck:
    """A check that did not hold, with the value seen."""

    phase: str
    label: str
    condition: str
    value: Value
    error: str | None = None
    # Fields of the check result beyond these (a baseline, say), carried along as they are.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PhaseRecord:
    """One phase of one run: verdict, duration, the summary probes' values, the failed checks."""

    name: str
    ok: bool
    elapsed_s: float
    summary: dict[str, Value] = field(default_factory=dict)
    failed_checks: list[FailedCheck] = field(default_factory=list)
    firing: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunRecord:
    """One run of the repeat."""

    seed: int
    variant: str
    ok: bool
    run_id: str | None
    error: str | None
    # Wall time of the whole run, start-up and stop included.
    seconds: float
    phases: list[PhaseRecord] = field(default_factory=list)
    # The settings the run sized from the machine's speed (RunOutcome.calibration).
    calibration: list[Any] = field(default_factory=list)
    # Whether stress-ng was still running when the run ended; None without busy cores.
    busy_load_held: bool | None = None

    def first_failure(self) -> FailedCheck | None:
        """The first check that did not hold, in phase order."""
        for phase in self.phases:
            if phase.failed_checks:
                return phase.failed_checks[0]
        return None


_CHECK_FIELDS = {"label", "condition", "value", "held", "error", "at_s"}
_PHASE_FIELDS = {"name", "ok", "elapsed_s", "checks", "summary", "firing"}


def record_of(outcome: RunOutcome, seconds: float, busy_load_held: bool | None = None) -> RunRecord:
    """A run's outcome as a record; fields the outcome gains later come along in ``extra``."""
    phases = []
    for phase in outcome.phases:
        failed = [
            FailedCheck(
                phase=phase.name,
                label=check.label,
                condition=check.condition,
                value=check.value,
                error=getattr(check, "error", None),
                extra={k: as_json_data(v) for k, v in _fields(check).items() if k not in _CHECK_FIELDS},
            )
            for check in phase.checks
            if not check.held
        ]
        phases.append(
            PhaseRecord(
                name=phase.name,
                ok=phase.ok,
                elapsed_s=round(phase.elapsed_s, 2),
                summary=dict(phase.summary),
                failed_checks=failed,
                firing=list(getattr(phase, "firing", [])),
                extra={k: as_json_data(v) for k, v in _fields(phase).items() if k not in _PHASE_FIELDS},
            )
        )
    return RunRecord(
        seed=outcome.seed,
        variant=outcome.variant,
        ok=outcome.ok,
        run_id=outcome.run_id,
        error=outcome.error,
        seconds=round(seconds, 2),
        phases=phases,
        calibration=as_json_data(outcome.calibration),
        busy_load_held=busy_load_held,
    )


# ----------------------------------------------------------------------------- aggregates


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
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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


# ----------------------------------------------------------------------------- the repeat


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


def _now() -> str:
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
        started=_now(),
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
    report.ended = _now()
    report.complete = True
    return report


# ----------------------------------------------------------------------------- for people


@dataclass
class TextTable:
    """A table of already formatted cells: the CLI lays it out with rich, or as tab-separated rows."""

    title: str
    columns: list[str]
    rows: list[list[str]]

    def tab_separated(self) -> str:
        """``# title``, then the header and the rows, cells separated by tabs (for pipes)."""
        lines = [f"# {self.title}"]
        for row in [self.columns, *self.rows]:
            lines.append("\t".join(" ".join(cell.split()) for cell in row))
        return "\n".join(lines) + "\n"


def report_tables(scenario: Scenario, report: RepeatReport) -> list[TextTable]:
    """Per variant: the spread of each phase's time and summary probes, then its failing runs."""
    units = units_of(scenario)
    busy = f", {_count(report.busy_cores, 'busy core')}" if report.busy_cores else ""
    tables = []
    for variant in report.variants:
        rows = []
        for phase in variant.phases:
            rows.append(
                [
                    phase.name,
                    f"time in phase ({phase.passed}/{phase.runs} ok)",
                    *_seconds_spread(phase.elapsed_s),
                    str(phase.elapsed_s.n),
                    "",
                ]
            )
            for probe in phase.probes:
                spec = scenario.probes.get(probe.probe)
                label = (spec.description if spec is not None else "") or probe.probe
                others = [f"{value} ×{count}" for value, count in probe.others.items()]
                if probe.missing:
                    others.append(f"no value ×{probe.missing}")
                rows.append(
                    [
                        phase.name,
                        label,
                        *format_spread(probe.numbers, probe.unit),
                        str(probe.numbers.n),
                        ", ".join(others),
                    ]
                )
        tables.append(
            TextTable(
                f"{scenario.id} · variant {variant.variant}: {variant.passed}/{variant.runs} passed "
                f"({variant.pass_rate * 100:.0f} %{busy}; seeds {', '.join(map(str, variant.seeds))})",
                ["phase", "signal", "median", "min", "max", "spread", "max dev", "n", "other values"],
                rows,
            )
        )
        if variant.failures:
            tables.append(
                TextTable(
                    f"{scenario.id} · variant {variant.variant}: failing runs and their first failed check",
                    ["seed", "run", "phase", "check", "expected", "seen"],
                    [
                        [
                            str(f.seed),
                            f.run_id or "—",
                            f.phase or "—",
                            f.label or "(no check)",
                            f.condition or "",
                            f"error: {f.error}"
                            if f.error
                            else format_value(f.value, units.get(f.label or "", "")),
                        ]
                        for f in variant.failures
                    ],
                )
            )
    return tables


def _seconds_spread(spread: Spread) -> tuple[str, str, str, str, str]:
    # Phase times read better in seconds than through format_value's "s" (milliseconds).
    median, low, high = (
        f"{v:.1f} s" if v is not None else "—" for v in (spread.median, spread.min, spread.max)
    )
    _, _, _, relative, deviation = format_spread(spread, "")
    return median, low, high, relative, deviation


def verdict_line(report: RepeatReport) -> str:
    """One line: how many runs, how many failed."""
    busy = f" on {_count(report.busy_cores, 'busy core')}" if report.busy_cores else ""
    failed = sum(not run.ok for run in report.runs)
    verdict = "every run passed" if not failed else f"{failed} of {len(report.runs)} failed"
    return f"{report.scenario}: {_count(len(report.runs), 'run')}{busy}, {verdict}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
