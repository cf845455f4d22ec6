"""A repeat's report as text tables (a terminal, or tab-separated rows in a pipe) and one verdict line."""

from __future__ import annotations

from dataclasses import dataclass

from chaoslab.repeat.report import RepeatReport, units_of
from chaoslab.repeat.spread import Spread, format_spread
from chaoslab.reports.summary import format_value
from chaoslab.scenarios import Scenario


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
