"""A run's key metrics and alert spans, exported from its Prometheus into the run folder.

Prometheus already samples every key signal each 2 s; exporting its range
queries before the lab's data is dropped gives reports the same numbers the
learner saw, without a sampler process of our own.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field

from chaoslab.errors import LabError
from chaoslab.observability.prometheus import PrometheusClient
from chaoslab.probes.promql import PromQLProbe
from chaoslab.runs.run import Run
from chaoslab.runs.timeline import Timeline
from chaoslab.scenarios.model import Scenario

STEP_S = 2.0


@dataclass
class Series:
    """One key signal over the run: a summary probe's query, sampled every STEP_S."""

    probe: str
    description: str
    unit: str
    query: str
    points: list[tuple[float, float | None]]


@dataclass
class RunMetrics:
    """What metrics.json holds: key signals and, per alert, its firing spans [start, end or None]."""

    step_s: float
    start: float
    end: float
    series: list[Series] = field(default_factory=list)
    alerts: dict[str, list[tuple[float, float | None]]] = field(default_factory=dict)


def _number(raw: str) -> float | None:
    value = float(raw)
    return None if value != value else value  # NaN: no traffic in the window


def firing_spans(
    samples: list[float], step_s: float, still_firing_after: float
) -> list[tuple[float, float | None]]:
    """Contiguous firing samples as (start, end) spans; a span still open at the end has no end."""
    runs: list[list[float]] = []
    for ts in sorted(samples):
        if runs and ts - runs[-1][1] <= step_s * 1.5:
            runs[-1][1] = ts
        else:
            runs.append([ts, ts])
    # The alert stopped firing somewhere within the step after its last firing sample.
    return [(first, None if last >= still_firing_after else last + step_s) for first, last in runs]


def export_metrics(run: Run, scenario: Scenario, prometheus: PrometheusClient) -> RunMetrics:
    """Query the run's key signals and ALERTS, write metrics.json, record alert events once each."""
    events = Timeline(run.timeline_path).events()
    end = time.time()
    first = events[0]["ts"] if events else end - 3600
    # The grid ends at `end` itself, so the last point is the state the run ended in: on a grid
    # from the first event, a recovery seen a moment before the export could fall between the
    # last step and the end, and the exported series would never show it (CI, missing-metrics).
    start = end - math.ceil((end - first) / STEP_S) * STEP_S
    metrics = RunMetrics(step_s=STEP_S, start=start, end=end)
    for name in scenario.summary_probes:
        probe = scenario.probes[name]
        if not isinstance(probe, PromQLProbe):
            continue
        result = prometheus.query_range(probe.query, start, end, STEP_S)
        points = [(float(ts), _number(v)) for ts, v in result[0]["values"]] if result else []
        metrics.series.append(Series(name, probe.description or name, probe.unit, probe.query, points))
    firing: dict[str, list[float]] = {}
    for series in prometheus.query_range('ALERTS{alertstate="firing"}', start, end, STEP_S):
        firing.setdefault(series["metric"]["alertname"], []).extend(float(ts) for ts, _ in series["values"])
    last_step = end - STEP_S
    metrics.alerts = {name: firing_spans(ts, STEP_S, last_step) for name, ts in sorted(firing.items())}
    run.metrics_path.write_text(json.dumps(_as_json(metrics), indent=1))
    _record_alert_events(run, metrics)
    return metrics


def _record_alert_events(run: Run, metrics: RunMetrics) -> None:
    # Exported again on every report of a live lab: record each transition once.
    timeline = Timeline(run.timeline_path)
    seen = {(e["event"], e.get("alert"), round(e["ts"], 3)) for e in timeline.events() if "alert" in e}
    with timeline.path.open("a") as out:
        for alert, spans in metrics.alerts.items():
            for start, end in spans:
                for event, ts in (("alert_fired", start), ("alert_resolved", end)):
                    if ts is not None and (event, alert, round(ts, 3)) not in seen:
                        entry = {"ts": ts, "event": event, "alert": alert, "source": "prometheus"}
                        out.write(json.dumps(entry) + "\n")


def _as_json(metrics: RunMetrics) -> dict:
    return {
        "step_s": metrics.step_s,
        "start": metrics.start,
        "end": metrics.end,
        "series": [s.__dict__ for s in metrics.series],
        "alerts": metrics.alerts,
    }


def read_metrics(run: Run) -> RunMetrics | None:
    """The exported metrics of a run, or None when it has none (no Prometheus, or never exported)."""
    try:
        raw = json.loads(run.metrics_path.read_text())
    except FileNotFoundError:
        return None
    return RunMetrics(
        step_s=raw["step_s"],
        start=raw["start"],
        end=raw["end"],
        series=[
            Series(s["probe"], s["description"], s["unit"], s["query"], [(p[0], p[1]) for p in s["points"]])
            for s in raw["series"]
        ],
        alerts={name: [(a, b) for a, b in spans] for name, spans in raw["alerts"].items()},
    )


def try_export(run: Run, scenario: Scenario, prometheus: PrometheusClient) -> str | None:
    """Export, or say why not: a lab whose Prometheus is gone still has to come down."""
    try:
        export_metrics(run, scenario, prometheus)
    except LabError as exc:
        return exc.message
    return None
