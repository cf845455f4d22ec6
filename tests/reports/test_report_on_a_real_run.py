"""`chaoslab run --junit` then `chaoslab report` on a real run: JUnit that CI reads, a complete draft."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from chaoslab.reports.timings import compute_timings, format_duration
from chaoslab.runs import Run, Timeline
from tests.chaoslab_command import run_chaoslab

pytestmark = [pytest.mark.scenario]


def chaoslab(*args: str, port_base: int) -> subprocess.CompletedProcess[str]:
    return run_chaoslab(*args, port_base=port_base, timeout=400)


def test_a_run_ends_in_junit_and_a_post_mortem(port_base: int, tmp_path: Path) -> None:
    junit = tmp_path / "out" / "report.xml"
    result = chaoslab("run", "db-pool-exhaustion", "--seed", "2", "--junit", str(junit), port_base=port_base)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "post-mortem draft:" in result.stderr

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "0"
    (case,) = suite.findall("testcase")
    assert case.get("name") == "db-pool-exhaustion" and case.find("failure") is None
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["seed"] == "2"
    run = Run.load(properties["run_id"])

    # The run's key metrics and alerts were exported before its data was dropped.
    metrics = json.loads(run.metrics_path.read_text())
    assert {s["probe"] for s in metrics["series"]} >= {"p99_latency", "pool_usage"}
    assert "APIServiceP99Latency" in metrics["alerts"]
    events = Timeline(run.timeline_path).events()
    assert any(e["event"] == "alert_fired" and e["alert"] == "APIServiceP99Latency" for e in events)

    out = tmp_path / "report"
    report = chaoslab("report", run.id, "--out", str(out), port_base=port_base)
    assert report.returncode == 0, report.stderr
    text = (out / "postmortem.md").read_text()
    for section in ("Summary", "Impact", "Timeline", "Root cause", "Contributing factors", "Action items"):
        assert f"## {section}" in text
    timings = compute_timings(events)
    assert timings.detected_by == "alert" and timings.verified
    assert timings.ttd is not None and timings.ttd <= 30  # the chapter's alerts fire within 30 s
    assert timings.ttm is not None and timings.ttr is not None and timings.ttm < timings.ttr
    assert f"detected after **{format_duration(timings.ttd)}** (by the first alert)" in text
    assert f"resolved, verified, after **{format_duration(timings.ttr)}**" in text
    graphs = sorted((out / "graphs").glob("*.png"))
    assert {g.stem for g in graphs} >= {"p99_latency", "pool_usage", "alerts"}
    for graph in graphs:
        with Image.open(graph) as image:
            image.verify()
    page = (out / "postmortem.html").read_text()
    inlined = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(inlined) == len(graphs)
    for data in inlined:
        with Image.open(BytesIO(base64.b64decode(data))) as image:
            assert image.format == "PNG"
