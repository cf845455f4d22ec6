"""Case study 2 end to end: every bad release serves stale profiles silently, and the fixes end it.

The expectations are the chapter's, written here again (not read from scenario.yaml)
so that loosening the scenario file cannot make this test pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from chaoslab.end_to_end import run_scenario
from chaoslab.observability.traces import Span, build_traces, read_spans
from chaoslab.runs import Run, Timeline
from chaoslab.scenarios import load_scenario
from chaoslab.scenarios.observe import PhaseResult
from tests import REPO_ROOT
from tests.scenarios.outcomes import VariantRun, check, failures, phase

SCENARIO = "stale-profile-cache"


def assert_silent(result: PhaseResult) -> None:
    silence = check(result, "alerts")
    assert silence.held and silence.value == "none" and result.firing == [], (result.name, silence)


def stale_read_traces(run: Run) -> list[list[Span]]:
    """Traces of reads served after a write of the same profile, with an older version than it wrote."""
    traces = build_traces(read_spans(sorted(run.traces_dir.glob("*.jsonl")), tail_bytes=2**40))
    writes: dict[str, list[tuple[float, int]]] = {}
    for trace in traces:
        root = trace.roots[0]
        if root.parent_id is None and root.attributes.get("http.request.method") == "PUT":
            path = root.attributes["url.path"]
            writes.setdefault(path, []).append((root.end.timestamp(), root.attributes["profile.version"]))
    found = []
    for trace in traces:
        root = trace.roots[0]
        if root.parent_id is not None or root.attributes.get("http.request.method") != "GET":
            continue
        written = [
            v
            for end, v in writes.get(root.attributes.get("url.path", ""), [])
            if end < root.start.timestamp()
        ]
        if written and root.attributes.get("profile.version", max(written)) < max(written):
            found.append(trace.spans)
    return found


def check_variant(run_of_variant: VariantRun) -> None:
    """Every bad release serves stale profiles silently, and the fix ends it."""
    variant, outcome = run_of_variant.variant, run_of_variant.outcome
    baseline, symptoms, recovery = outcome.phases

    assert check(baseline, "stale_read_fraction").value == 0
    # Users read old profiles after their own update, while the database holds the new one.
    assert check(symptoms, "stale_read_fraction").value > 0
    assert check(symptoms, "database_fresh_fraction").value == 1
    assert check(symptoms, "cache_mismatches").value > 0
    # And nothing pages: the whole phase, at least the 60 s the profile's alerts need to fire.
    for result in outcome.phases:
        assert_silent(result)
    assert symptoms.elapsed_s >= 60
    assert symptoms.summary["error_rate_5xx"] == 0
    # After the fix: exactly no stale read over 200 updates with concurrent readers.
    assert check(recovery, "stale_read_fraction").value == 0
    assert check(recovery, "cache_mismatches").value == 0

    run = Run.load(outcome.run_id)
    events = Timeline(run.timeline_path).events()
    injected = [e for e in events if e["event"] == "fault_injected"]
    assert [(e["kind"], e["variant"]) for e in injected] == [("release", variant)]
    assert [e["kind"] for e in events if e["event"] == "fix_applied"] == ["rollback", "release"]
    # The chapter's trace: the read that returned the old profile was a cache hit, and the
    # database was never queried for it.
    stale = stale_read_traces(run)
    assert stale, "no trace of a stale read"
    for spans in stale[:50]:
        assert spans[0].attributes["cache.hit"] is True
        assert not [s for s in spans if s.attributes.get("db.system") == "postgresql"]
        assert [s.attributes.get("redis.key") for s in spans if s.name == "GET"] == [
            spans[0].attributes["url.path"].replace("/profiles/", "user:profile:")
        ]


@pytest.mark.scenario
def test_rolling_back_the_release_mitigates(port_base: int) -> None:
    outcome = run_scenario(
        load_scenario(SCENARIO), seed=6, port_base=port_base, mitigation="rollback", echo=lambda _: None
    )
    assert outcome.variant == "delete-before-commit"
    assert outcome.ok, failures(outcome)
    mitigation = phase(outcome, "mitigation rollback")
    assert check(mitigation, "stale_read_fraction").value == 0
    assert check(mitigation, "cache_mismatches").value == 0


@pytest.mark.scenario
def test_a_shorter_ttl_only_partly_helps(port_base: int) -> None:
    outcome = run_scenario(
        load_scenario(SCENARIO), seed=5, port_base=port_base, mitigation="short-ttl", echo=lambda _: None
    )
    assert outcome.ok, failures(outcome)
    # Entries now expire within 5 s, but a read right after an update is still stale.
    assert check(phase(outcome, "mitigation short-ttl"), "stale_read_fraction").value > 0


def wait_for(
    what: str, attempt: Callable[[], subprocess.CompletedProcess[str]], ok: Callable, timeout_s: float
):
    """Repeat a CLI call until ``ok(result)``; spans and load take a few seconds to show up."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = attempt()
        if ok(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout_s}s waiting for {what}: {result.stdout}{result.stderr}"
            )
        time.sleep(1)


@pytest.mark.scenario
def test_learner_finds_the_stale_cache_and_their_own_fix_verifies(chaoslab, port_base: int) -> None:
    started = chaoslab("start", SCENARIO, "--seed", "4")  # 4 % 3: the wrong-key release
    assert started.returncode == 0, started.stderr
    assert "INCIDENT" in started.stdout and "(no alert is firing)" in started.stdout

    not_yet = chaoslab("verify")
    assert not_yet.returncode == 1, not_yet.stdout
    assert re.search(r"stale_read_fraction\s.*100\.0 %.*does not hold", not_yet.stdout), not_yet.stdout

    # The chapter's trace: a read answered by Redis alone, no database span.
    def traces() -> subprocess.CompletedProcess[str]:
        return chaoslab("traces", "--service", "profile", "--last", "20")

    shown = wait_for(
        "a cache hit in the traces", traces, lambda r: "cache hit · no database span" in r.stdout, 60
    )
    block = shown.stdout.split("cache hit · no database span", 1)[1].split("\ntrace ", 1)[0]
    assert "cache.hit=true" in block and "db.system=redis" in block and "postgresql" not in block

    inconsistent = wait_for(
        "a cached profile that differs",
        lambda: chaoslab("check", "consistency"),
        lambda r: r.returncode == 1,
        60,
    )
    assert "differ from the database" in inconsistent.stderr

    # Redis itself shows the learner which key the service deletes.
    monitor = subprocess.Popen(
        [sys.executable, "-m", "chaoslab.cli", "redis-cli", "MONITOR"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "CHAOSLAB_PORT_BASE": str(port_base)},
    )
    try:
        deadline = time.monotonic() + 60
        deleted = None
        assert monitor.stdout is not None
        while deleted is None and time.monotonic() < deadline:
            deleted = re.search(r'"DEL" "(user:[a-z]+:\d+)"', monitor.stdout.readline())
        assert deleted and deleted.group(1).startswith("user:profiles:"), "no DEL seen in MONITOR"
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)

    code_dir = Path(chaoslab("code", "profile").stdout.strip())
    assert 'PROFILE_CACHE_PREFIX = "user:profiles"' in chaoslab("code", "profile", "--diff").stdout
    app = code_dir / "app.py"
    app.write_text(
        app.read_text().replace(
            'PROFILE_CACHE_PREFIX = "user:profiles"', 'PROFILE_CACHE_PREFIX = "user:profile"'
        )
    )
    deployed = chaoslab("deploy", "profile")
    assert deployed.returncode == 0, deployed.stderr

    verified = chaoslab("verify", "--wait", "120")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert chaoslab("check", "consistency").returncode == 0

    stopped = chaoslab("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert chaoslab("status").returncode == 2
