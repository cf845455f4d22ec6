"""Graphs render for every kind of incident, silent ones included."""

from __future__ import annotations

from pathlib import Path

from chaoslab.reports.graphs import alerts_graph
from chaoslab.reports.metrics import RunMetrics


def test_alerts_graph_of_a_silent_incident(tmp_path: Path) -> None:
    # stale-profile-cache fires no alert at all: the report must still draw.
    metrics = RunMetrics(step_s=2, start=1000.0, end=1100.0)
    path = alerts_graph(metrics, 1000.0, [], tmp_path / "alerts.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_alerts_graph_with_a_firing_span(tmp_path: Path) -> None:
    alerts = {"APIServiceP99Latency": [(1020.0, None)]}
    metrics = RunMetrics(step_s=2, start=1000.0, end=1100.0, alerts=alerts)
    assert alerts_graph(metrics, 1000.0, [], tmp_path / "alerts.png").stat().st_size > 1000
