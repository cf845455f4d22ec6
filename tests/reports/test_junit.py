"""JUnit XML as CI systems read it: one testcase per scenario, failing checks in the failure."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from chaoslab.reports.junit import ScenarioCase, write_junit
from chaoslab.scenarios.observe import CheckResult, PhaseResult


def phase(name: str, *checks: CheckResult) -> PhaseResult:
    return PhaseResult(name=name, ok=all(c.held for c in checks), elapsed_s=12.0, checks=list(checks))


def test_passes_failures_and_errors_read_back(tmp_path: Path) -> None:
    held = CheckResult("p99_latency", "> 0.5", 2.4, True, at_s=8)
    missed = CheckResult("alert HTTP5xxErrorRate", "firing within 30s", "inactive", False)
    cases = [
        ScenarioCase(
            "db-pool-exhaustion",
            1,
            "feature-launch",
            "run-a",
            71.2,
            [phase("baseline"), phase("symptoms", held)],
        ),
        ScenarioCase("stale-profile-cache", 1, "wrong-key", "run-b", 80.0, [phase("symptoms", held, missed)]),
        ScenarioCase(
            "third-party-hang", 1, "hang", "run-c", 3.0, [], error="Port 15403 is in use.\nHint: --port-base"
        ),
    ]
    path = write_junit(tmp_path / "ci" / "report.xml", cases)

    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    by_name = {case.get("name"): case for case in suite.findall("testcase")}
    assert list(by_name) == ["db-pool-exhaustion", "stale-profile-cache", "third-party-hang"]
    assert by_name["db-pool-exhaustion"].find("failure") is None
    assert by_name["db-pool-exhaustion"].get("time") == "71.2"
    failure = by_name["stale-profile-cache"].find("failure")
    assert failure is not None and failure.get("message") == "1 check(s) did not hold"
    assert "symptoms: alert HTTP5xxErrorRate (expected firing within 30s, seen inactive)" in (
        failure.text or ""
    )
    assert "p99_latency" not in (failure.text or "")  # only the checks that failed
    error = by_name["third-party-hang"].find("error")
    assert error is not None and error.get("message") == "Port 15403 is in use."
    properties = {p.get("name"): p.get("value") for p in by_name["stale-profile-cache"].iter("property")}
    assert properties == {"seed": "1", "variant": "wrong-key", "run_id": "run-b"}
    # The verdict documents are `chaoslab verify --json`'s, baseline and threshold included.
    out = by_name["stale-profile-cache"].find("system-out")
    assert out is not None and out.text is not None
    [verdict] = json.loads(out.text.splitlines()[-1])
    assert verdict["verified"] is False and verdict["run"] == "run-b" and verdict["name"] == "symptoms"
    assert verdict["checks"][1]["label"] == "alert HTTP5xxErrorRate" and "baseline" in verdict["checks"][1]


def test_a_relative_check_names_its_baseline_in_the_failure(tmp_path: Path) -> None:
    slow = CheckResult("p99_latency", "> 0.5 and > 5x baseline", 0.45, False, baseline=0.08, threshold=0.5)
    path = write_junit(
        tmp_path / "r.xml", [ScenarioCase("db", 1, "v", "run", 1.0, [phase("symptoms", slow)])]
    )
    failure = ET.parse(path).getroot().find("testsuite/testcase/failure")
    assert failure is not None
    assert "symptoms: p99_latency (expected > 0.5 and > 5x baseline, baseline 0.08, seen 0.45)" in (
        failure.text or ""
    )
