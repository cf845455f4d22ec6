"""The run summary: baseline / during fault / after fix, and every check with its verdict."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table

if TYPE_CHECKING:
    # Types only: `verify` prints its table from the lab API's JSON without loading the schema.
    from chaoslab.probes import Value
    from chaoslab.scenarios import Scenario
    from chaoslab.scenarios.observe import CheckResult, PhaseResult

COLUMN_TITLES = {"baseline": "baseline", "symptoms": "during fault"}


def format_value(value: Value, unit: str = "") -> str:
    """A probe value as people read it: 412 ms, 97 %, 3.1 req/s."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value if len(value) <= 60 else value[:57] + "…"
    if unit == "s":
        return f"{value * 1000:.0f} ms"
    if unit == "ratio":
        return f"{value * 100:.1f} %"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:.3g}" + (f" {unit}" if unit else "")


def calibration_note(calibration: list[dict]) -> str:
    """What this run sized from the machine's speed, in one line: "SHOP_DB_POOL_TIMEOUT=1.1 (…)"."""
    return "; ".join(
        f"{c['env']}={c['value']:g} for this machine ({c['probe']} {c['measured']:g}"
        f"{', ' + c['reading'] if c.get('reading') else ''}, against a reference of {c['reference']:g})"
        for c in calibration
    )


def summary_table(
    scenario: Scenario, phases: list[PhaseResult], calibration: list[dict] | None = None
) -> Table:
    """Key probes per phase, plus the alerts firing at the end of each phase."""
    table = Table(
        title=f"{scenario.id}: {scenario.title}",
        title_justify="left",
        caption=f"calibrated: {calibration_note(calibration)}" if calibration else None,
        caption_justify="left",
    )
    table.add_column("signal", overflow="fold")
    for phase in phases:
        title = COLUMN_TITLES.get(phase.name, "after fix" if phase.name == "recovery" else phase.name)
        table.add_column(title, justify="right", overflow="fold")
    chapter = bool(scenario.chapter_figures)
    if chapter:
        table.add_column("in the chapter", justify="right", overflow="fold")
    for probe in scenario.summary_probes:
        spec = scenario.probes[probe]
        row = [spec.description or probe]
        row += [format_value(p.summary.get(probe), spec.unit) for p in phases]
        if chapter:
            row.append(scenario.chapter_figures.get(probe, ""))
        table.add_row(*row)
    alerts = [", ".join(p.firing) or "none" for p in phases]
    table.add_row("alerts firing", *alerts, *([""] if chapter else []))
    return table


def checks_table(
    title: str, checks: Sequence[CheckResult] | Sequence[Mapping[str, Any]], units: Mapping[str, str]
) -> Table:
    """Every check of a phase: condition, this run's baseline, value seen, when it held, verdict.

    ``checks`` are a phase's results, or the same as the verdict document holds them (JSON).
    """
    table = Table(title=title, title_justify="left")
    for column in ("check", "expected", "baseline", "seen", "held at", "verdict"):
        # Cells fold rather than end in "…" (lab/chaoslab/output.py); check names stay whole while
        # others give way.
        table.add_column(column, overflow="fold", no_wrap=column == "check")
    for found in checks:
        check = dataclasses.asdict(found) if dataclasses.is_dataclass(found) else dict(found)
        unit = units.get(check["label"], "")
        seen = format_value(check["value"], unit)
        if check.get("error"):
            seen = f"error: {check['error']}"
        expected = check["condition"]
        if check.get("threshold") is not None:
            # A line moved by this run's baseline: say where it ended up.
            expected += f" ({expected[0]} {format_value(check['threshold'], unit)} here)"
        baseline = check.get("baseline")
        at_s = check.get("at_s")
        table.add_row(
            check["label"],
            expected,
            format_value(baseline, unit) if baseline is not None else "",
            seen,
            f"+{at_s:.0f}s" if at_s is not None else "",
            "[green]holds[/]" if check["held"] else "[red]does not hold[/]",
        )
    return table


def outcome_view(
    scenario: Scenario, phases: list[PhaseResult], calibration: list[dict] | None = None
) -> Group:
    """The summary table followed by one checks table per phase."""
    units = {name: probe.unit for name, probe in scenario.probes.items()}
    parts: list[Table] = [summary_table(scenario, phases, calibration)]
    for phase in phases:
        verdict = "ok" if phase.ok else "FAILED"
        parts.append(checks_table(f"{phase.name} ({phase.elapsed_s:.0f}s): {verdict}", phase.checks, units))
    return Group(*parts)
