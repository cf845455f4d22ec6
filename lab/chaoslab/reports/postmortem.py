"""The blameless post-mortem draft of a run: Markdown, a self-contained HTML page, PNG graphs.

Its sections are the chapter's: summary, impact, timeline, root cause,
contributing factors, action items, what went well and badly. Everything is
read from the run folder (timeline, metrics.json) and the scenario's
`postmortem:` material; nothing here talks to a running lab.

The draft (``postmortem.draft.md``), the page and the graphs are generated only, and
rewritten on every report. ``postmortem.md`` is the team's copy, never overwritten once a
person edited it (lab/chaoslab/reports/team_copy.py).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaoslab import __version__
from chaoslab.atomic import check_writable, make_folder, write_atomically
from chaoslab.reports.document import Block, Bullets, Heading, Image, Paragraph, Table, to_html, to_markdown
from chaoslab.reports.graphs import Threshold, alerts_graph, moments, signal_graph
from chaoslab.reports.metrics import RunMetrics, Series, read_metrics
from chaoslab.reports.summary import format_value
from chaoslab.reports.team_copy import DRAFT_NAME, TEAM_COPY_NAME, ReportFiles, refresh_team_copy
from chaoslab.reports.timings import Timings, compute_timings, format_duration
from chaoslab.runs import Run, Timeline
from chaoslab.scenarios import Scenario, load_scenario
from chaoslab.specs.catalog import DEFINITIONS
from chaoslab.specs.catalog.prometheus import alert_rules

# A draft, its page and a few PNG graphs: a report needs about a megabyte.
MIN_REPORT_BYTES = 2 * 1024 * 1024

# Supervisor chatter that says nothing about the incident.
QUIET_EVENTS = {
    "service_started",
    "service_healthy",
    "service_stopped",
    "supervisor_started",
    "supervisor_stopped",
}


def _clock(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S")


def _relative(timings: Timings, ts: float) -> str:
    offset = timings.since_injection(ts)
    if offset is None:
        return ""
    sign = "-" if round(offset) < 0 else "+"
    minutes, seconds = divmod(abs(round(offset)), 60)
    return f"{sign}{minutes}:{seconds:02d}"


DECLARED = {
    "ack": "team acknowledged the incident (`chaoslab ack`)",
    "mitigated": "team declared the impact mitigated (`chaoslab mitigated`)",
    "resolved": "team declared the incident resolved (`chaoslab resolved`)",
}
CHAPTER_NAMES = {r["alert"]: r["annotations"]["chapter_name"] for r in alert_rules(DEFINITIONS)}
EVENT_LINES: dict[str, Callable[[dict[str, Any]], str]] = {
    "lab_starting": lambda e: (
        f"lab starting: scenario {e.get('scenario')}, seed {e.get('seed')}, variant {e.get('variant')}"
    ),
    "lab_up": lambda e: f"all services healthy ({e.get('after_s')} s)",
    "load_started": lambda e: f"load on: {e.get('users')} simulated users",
    "fault_injected": lambda e: f"**fault injected**: {e.get('what')}",
    "fault_reverted": lambda e: f"fault reverted: {e.get('what')}",
    "alert_fired": lambda e: f"alert `{e['alert']}` ({CHAPTER_NAMES.get(e['alert'], '')}) started firing",
    "alert_resolved": lambda e: f"alert `{e['alert']}` resolved",
    "hint_shown": lambda e: (
        f"hint {e.get('number')} shown"
        + (" (released by the game-day schedule)" if e.get("by") == "schedule" else " (asked for)")
    ),
    "flag_changed": lambda e: f"flag `{e.get('flag')}` turned {'on' if e.get('enabled') else 'off'}",
    "fix_applied": lambda e: f"reference fix applied: {e.get('what')}",
    "mitigation_applied": lambda e: f"mitigation {e.get('mitigation')} applied: {e.get('what')}",
    "rolled_back": lambda e: (
        f"{e.get('service')} rolled back to the shipped release"
        + (f" (the edited code saved as `{Path(e['edits_saved']).name}`)" if e.get("edits_saved") else "")
    ),
    "deployed": lambda e: f"{e.get('service')} redeployed from its working copy",
    "verified": lambda e: (
        "recovery checks "
        + ("**held**" if e.get("ok") else "did not hold")
        + f" (`chaoslab verify`, by {e.get('by')})"
    ),
    "phase_measured": lambda e: f"phase {e.get('phase')} measured: {'ok' if e.get('ok') else 'FAILED'}",
    "service_exited": lambda e: f"{e.get('service')} exited with {e.get('code')} ({e.get('reason')})",
    "service_restarted": lambda e: f"{e.get('service')} restarted (restart #{e.get('restarts')})",
    "service_oom_killed": lambda e: f"{e.get('service')} OOM-killed at {e.get('rss_mb')} MiB",
    "service_unhealthy": lambda e: f"{e.get('service')} became unhealthy",
    "metrics_not_exported": lambda e: f"metrics could not be exported: {e.get('reason')}",
    "lab_down": lambda e: "lab down",
    "session_ending": lambda e: f"the session ends in {format_duration(e.get('left_s'))} (warning)",
    "session_extended": lambda e: f"session extended by {format_duration(e.get('by_s'))}",
    "session_ended": lambda e: (
        f"**session over** after {format_duration(e.get('length_s'))}: the lab took itself down"
    ),
}


def describe_event(event: dict[str, Any]) -> str | None:
    """One timeline line as people read it; None for chatter the report leaves out."""
    kind = event["event"]
    if kind in DECLARED:
        return DECLARED[kind] + (f" — “{event['note']}”" if event.get("note") else "")
    if kind in QUIET_EVENTS:
        return None
    if kind in EVENT_LINES:
        return EVENT_LINES[kind](event)
    details = ", ".join(f"{k}={v}" for k, v in event.items() if k not in ("ts", "event"))
    return f"{kind}" + (f" ({details})" if details else "")


def _values(series: Series, start: float, end: float) -> list[float]:
    return [v for ts, v in series.points if start <= ts <= end and v is not None]


def _worst_is_low(scenario: Scenario, probe: str) -> bool:
    definition = scenario.probes.get(probe)
    return definition is not None and definition.worse == "lower"


def _impact(scenario: Scenario, metrics: RunMetrics | None, timings: Timings) -> list[Block]:
    blocks: list[Block] = [
        Paragraph("What users said:"),
        Bullets([f"“{report}”" for report in scenario.story.user_reports]),
    ]
    if timings.injected_at is None:
        return [*blocks, Paragraph("No fault was injected in this run.")]
    end = timings.resolved_at or timings.ended_at or (metrics.end if metrics else timings.injected_at)
    lasted = format_duration(end - timings.injected_at)
    until = "the verified recovery" if timings.verified else "the end of the run, unresolved"
    blocks.append(Paragraph(f"The impact lasted **{lasted}**, from the injection to {until}."))
    if metrics is None or not metrics.series:
        return [*blocks, Paragraph("No metrics were exported for this run (no Prometheus, or it was gone).")]
    rows = []
    t0 = timings.injected_at
    for series in metrics.series:
        before = _values(series, t0 - 60, t0)
        during = _values(series, t0, end)
        last = _values(series, metrics.end - 10, metrics.end)
        low = _worst_is_low(scenario, series.probe)
        peak = format_value((min if low else max)(during), series.unit) if during else "—"
        rows.append(
            [
                series.description,
                format_value(statistics.median(before) if before else None, series.unit),
                peak + (" (low)" if low and during else ""),
                format_value(statistics.median(last) if last else None, series.unit),
            ]
        )
    header = ["signal", "before (median of 60 s)", "peak during the incident", "at the end of the run"]
    blocks.append(Table(header, rows))
    fired = [
        f"`{name}` fired {len(spans)} time(s), for "
        + format_duration(sum((e if e is not None else metrics.end) - s for s, e in spans))
        for name, spans in metrics.alerts.items()
    ]
    blocks.append(Paragraph("Alerts: " + ("; ".join(fired) + "." if fired else "none fired.")))
    return blocks


def _response_table(timings: Timings, events: list[dict[str, Any]], first_alert: str | None) -> Table:
    rows = []

    def row(what: str, ts: float | None, how: str) -> None:
        if ts is not None:
            rows.append([what, _clock(ts), format_duration(timings.since_injection(ts)), how])

    row("fault injected", timings.injected_at, "the incident starts: every time below is measured from here")
    row("first alert", timings.first_alert_at, f"`{first_alert}`" if first_alert else "")
    detected_how = {"ack": "acknowledged by the team", "alert": "first alert (nobody acknowledged)"}
    row("detected (TTD)", timings.detected_at, detected_how.get(timings.detected_by or "", ""))
    row("mitigated (TTM)", timings.mitigated_at, timings.mitigated_by or "")
    row("resolution declared", timings.declared_resolved_at, "`chaoslab resolved`")
    row("resolved (TTR)", timings.resolved_at, "the recovery checks held")
    if timings.resolved_at is None:
        rows.append(["resolved (TTR)", "—", "—", "not verified before the lab went down"])
    return Table(["moment", "at (UTC)", "since injection", "how"], rows)


def _went_well_and_badly(
    scenario: Scenario, timings: Timings, events: list[dict[str, Any]]
) -> tuple[list[str], list[str]]:
    well: list[str] = []
    badly: list[str] = []
    expected_within = scenario.symptoms.alerts_within_s
    if timings.time_to_alert is not None:
        line = f"The first alert fired {format_duration(timings.time_to_alert)} after the change"
        if expected_within and timings.time_to_alert > expected_within:
            badly.append(line + f", later than the {expected_within} s the alert rules promise. Why?")
        else:
            well.append(line + ".")
    elif timings.injected_at is not None:
        badly.append("No alert fired: nothing told us; users would have. Which signal would have?")
    if timings.acked_at is not None and timings.first_alert_at is not None:
        gap = timings.acked_at - timings.first_alert_at
        if gap < 0:
            well.append(f"The team saw it {format_duration(-gap)} before the first alert fired.")
        elif gap > 60:
            badly.append(
                f"The page went unacknowledged for {format_duration(gap)}: was it seen, and by whom?"
            )
    elif timings.acked_at is None and timings.injected_at is not None:
        badly.append("Nobody declared the incident (`chaoslab ack`): the clock relied on alerts alone.")
    if timings.mitigated_at and timings.resolved_at and timings.resolved_at - timings.mitigated_at > 5:
        well.append(
            f"Impact was stopped first ({timings.mitigated_by}), "
            f"{format_duration(timings.resolved_at - timings.mitigated_at)} before the fix was verified."
        )
    if timings.verified:
        well.append(
            f"The fix was verified by the recovery checks {format_duration(timings.ttr)} after the change."
        )
    else:
        badly.append("Resolution was not verified before the lab went down: what was missing?")
    if timings.hints_used:
        released = sum(1 for e in events if e["event"] == "hint_shown" and e.get("by") == "schedule")
        badly.append(
            f"{timings.hints_used} hint(s) were needed ({released} released by the schedule): "
            "which dashboard, runbook or query would have pointed there?"
        )
    elif timings.verified:
        well.append("No hints were needed.")
    if any(e["event"] == "fix_applied" for e in events):
        badly.append(
            "The reference fix was applied with `chaoslab fix` rather than found and made by the team."
        )
    failed = sum(1 for e in events if e["event"] == "verified" and not e.get("ok"))
    if failed:
        badly.append(f"{failed} verification(s) failed before recovery held: what did we try first, and why?")
    return well, badly


def _thresholds(scenario: Scenario, probe: str) -> list[Threshold]:
    unit = scenario.probes[probe].unit
    return [
        Threshold(
            float(limit),
            f"recovery: {'<' if c.below is not None else '>'} {format_value(float(limit), unit)}",
        )
        for c in scenario.recovery.checks
        if c.probe == probe and (limit := c.below if c.below is not None else c.above) is not None
    ]


def build_postmortem(run: Run, scenario: Scenario, out_dir: Path) -> tuple[list[Block], list[Path]]:
    """The post-mortem's blocks, and the graphs drawn for it into ``out_dir / 'graphs'``."""
    events = Timeline(run.timeline_path).events()
    timings = compute_timings(events)
    metrics = read_metrics(run)
    variant = next((v for v in scenario.variants if v.id == run.info.variant), None)
    first_alert = next((e["alert"] for e in events if e["event"] == "alert_fired"), None)
    started = datetime.fromisoformat(run.info.created_at)

    summary = " ".join(scenario.summary.split())
    if timings.injected_at is not None:
        summary += (
            f" The change went out on {started:%Y-%m-%d} at {_clock(timings.injected_at)} UTC. "
            f"It was detected after **{format_duration(timings.ttd)}** "
            f"({'acknowledged by the team' if timings.detected_by == 'ack' else 'by the first alert'}), "
            f"mitigated after **{format_duration(timings.ttm)}**"
            + (f" ({timings.mitigated_by})" if timings.mitigated_by else "")
            + (
                f", and resolved, verified, after **{format_duration(timings.ttr)}**."
                if timings.verified
                else ", and was **not** verified resolved before the lab went down."
            )
        )
    blocks: list[Block] = [
        Heading(1, f"Post-mortem (draft): {scenario.title}"),
        Paragraph(
            f"Blameless draft written by chaoslab from run `{run.id}` (scenario `{scenario.id}`, "
            f"{scenario.chapter}, seed {run.info.seed}, variant `{run.info.variant}`). It describes what the "
            "system and the process did, not who did what wrong: edit it, argue with it, then file the "
            "action items."
        ),
        Heading(2, "Summary"),
        Paragraph(summary),
        Heading(2, "Impact"),
        *_impact(scenario, metrics, timings),
        Heading(2, "Detection, response and resolution"),
        _response_table(timings, events, first_alert),
        Paragraph(
            f"Hints used: {timings.hints_used}. Times run from the injection; TTD, TTM and TTR are "
            "defined in docs/gameday.md."
        ),
        Heading(2, "Timeline"),
        Table(
            ["time (UTC)", "since injection", "what happened"],
            [
                [_clock(e["ts"]), _relative(timings, e["ts"]), line]
                for e in events
                if (line := describe_event(e)) is not None
            ],
        ),
        Heading(2, "Root cause"),
        Paragraph(" ".join(scenario.postmortem.root_cause.split())),
    ]
    if variant is not None:
        blocks.append(Paragraph(f"This run's variant: {variant.title}."))
    well, badly = _went_well_and_badly(scenario, timings, events)
    blocks += [
        Heading(2, "Contributing factors"),
        Bullets(scenario.postmortem.contributing_factors),
        Heading(2, "Action items"),
        Table(["action", "owner", "due"], [[item, "", ""] for item in scenario.postmortem.action_items]),
        Heading(2, "What went well"),
        Bullets(well or ["(nothing stood out: add your own)"]),
        Heading(2, "What went badly"),
        Bullets(badly or ["(nothing stood out: add your own)"]),
        Heading(2, "Where we got lucky"),
        Paragraph("(for the team to fill in: what would have made this worse?)"),
    ]
    notes = [
        f"{_clock(e['ts'])} ({_relative(timings, e['ts'])}) {e['event']}: {e['note']}"
        for e in events
        if e.get("note")
    ]
    if notes:
        blocks += [Heading(2, "Notes from the team"), Bullets(notes)]
    graphs = _graphs(scenario, metrics, timings, out_dir / "graphs")
    if graphs:
        blocks.append(Heading(2, "Graphs"))
        blocks += [Image(str(path.relative_to(out_dir)), path.stem) for path in graphs]
    blocks.append(Paragraph(f"Generated by chaoslab {__version__} from {run.dir}."))
    return blocks, graphs


def _graphs(scenario: Scenario, metrics: RunMetrics | None, timings: Timings, out: Path) -> list[Path]:
    if metrics is None:
        return []
    out.mkdir(parents=True, exist_ok=True)
    origin = timings.injected_at if timings.injected_at is not None else metrics.start
    marks = moments(timings)
    paths = [
        signal_graph(
            series,
            (metrics.start, metrics.end),
            origin,
            marks,
            _thresholds(scenario, series.probe),
            out / f"{series.probe}.png",
        )
        for series in metrics.series
        if series.points
    ]
    paths.append(alerts_graph(metrics, origin, marks, out / "alerts.png"))
    return paths


def write_postmortem(run: Run, out_dir: Path | None = None, *, force: bool = False) -> ReportFiles:
    """Write the draft, the page and the graphs for ``run`` (default: into its report/ folder).

    ``postmortem.draft.md``, ``postmortem.html`` and ``graphs/*.png`` are rewritten every time.
    ``postmortem.md``, the team's copy, gets the draft only while nobody edited it; an edited
    copy is kept (``ReportFiles.notice`` says so), or with ``force`` moved to
    ``postmortem.md.<timestamp>.bak`` before the draft takes its place.
    """
    scenario = load_scenario(run.info.scenario)
    out = out_dir or run.dir / "report"
    # Checked before any file is written: a full or read-only disk leaves no half a report.
    check_writable(make_folder(out, "the report folder"), needed=MIN_REPORT_BYTES)
    blocks, graphs = build_postmortem(run, scenario, out)
    draft = out / DRAFT_NAME
    write_atomically(draft, to_markdown(blocks))
    copy = out / TEAM_COPY_NAME
    kept, backup = refresh_team_copy(draft, copy, force=force)
    page = out / "postmortem.html"
    write_atomically(page, to_html(blocks, title=f"Post-mortem: {scenario.title}", base_dir=out))
    return ReportFiles(draft, page, graphs, copy, team_copy_kept=kept, backup=backup)
