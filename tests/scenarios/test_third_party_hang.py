"""Case study 3 end to end, seen in Chromium: the vendor hangs, the page freezes; the fixes make it usable.

The thresholds are the chapter's (and the brief's), written here again rather than read from
scenario.yaml, so that loosening the scenario file cannot make this test pass.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import requests

from chaoslab.runs import Run, Timeline
from tests import REPO_ROOT
from tests.scenarios.outcomes import VariantRun, fault_window, latency_between

pytestmark = [pytest.mark.scenario, pytest.mark.browser]

SCENARIO = "third-party-hang"
FIX_PATCH = REPO_ROOT / "scenarios" / SCENARIO / "patches" / "frontend-resilient-share.patch"


def seen(phase_result, label):
    return next(c for c in phase_result.checks if c.label == label).value


# Its variants' runs (tests/scenarios/test_variants.py) drive Chromium.
VARIANT_MARKS = (pytest.mark.browser,)


def check_variant(run_of_variant: VariantRun) -> None:
    """Every variant freezes the page, and the fix makes it usable."""
    outcome = run_of_variant.outcome
    baseline, symptoms, recovery = outcome.phases
    assert seen(baseline, "share_pending") < 2
    assert seen(baseline, "like_responds") is True

    # In the browser: Share pending 30 s and more, the console's error, the page frozen.
    assert seen(symptoms, "share_pending") >= 30
    assert seen(symptoms, "console_errors") >= 1
    assert seen(symptoms, "uncaught_errors") >= 1
    assert seen(symptoms, "like_responds") is False
    assert seen(symptoms, "share_feedback") is False
    # On the server: every request thread blocked on the vendor, the backend's own timings normal.
    assert seen(symptoms, "busy_workers_peak") >= 0.99
    assert symptoms.summary["share_p99"] >= 30
    # The backend's own timings normal: the other routes' requests between fault and fix, as the
    # server timed them, under the scenario's 250 ms line for them. Not the 20 s P99 window at the
    # phase's end: at a few requests a second one slow request is that window's P99, and in a CI
    # run, with a second lab and Chromium on the same 2 cores, it read 0.47 s there.
    run = Run.load(outcome.run_id)
    events = Timeline(run.timeline_path).events()
    injected_at, fixed_at = fault_window(events)
    during = latency_between(run, "frontend", injected_at, fixed_at, but_route="/api/share").p99
    print(f"{run_of_variant.variant}: other routes' P99 between fault and fix: {during * 1000:.0f} ms")
    assert during <= 0.25, during
    assert "Sharing API degraded" in str(seen(symptoms, "status_page"))
    fired = next(c for c in symptoms.checks if c.label == "alert FrontendJSErrorRate")
    assert fired.at_s is not None and fired.at_s <= 90

    # With the vendor still down: Share fails within 5 s with a message, Like works, threads free.
    assert seen(recovery, "share_pending") < 5
    assert seen(recovery, "share_feedback") is True
    message = str(seen(recovery, "share_message"))
    assert message and "Shared!" not in message
    assert seen(recovery, "like_responds") is True
    assert seen(recovery, "uncaught_errors") == 0
    assert seen(recovery, "busy_workers") < 0.5
    assert seen(recovery, "api_p99") <= 0.25
    assert recovery.firing == []

    recorded = {e["event"] for e in events}
    for expected in ("lab_up", "load_started", "fault_injected", "fix_applied", "verified", "lab_down"):
        assert expected in recorded


def test_learner_mitigates_with_the_flag_then_fixes_and_verifies(chaoslab) -> None:
    started = chaoslab("start", SCENARIO, "--seed", "5")
    assert started.returncode == 0, started.stderr
    assert "INCIDENT" in started.stdout and "FrontendJSErrorRate" in started.stdout
    assert "Nothing happens when I click the 'Share' button." in started.stdout

    status = chaoslab("status")
    assert status.returncode in (0, 1), status.stderr  # 1 while the starved frontend fails its checks
    assert re.search(r"frontend\s", status.stdout) and re.search(r"visitors\s.*running", status.stdout)

    # The chapter's investigation: the vendor's status page, and what the real browsers saw.
    exports = dict(line.removeprefix("export ").split("=", 1) for line in chaoslab("env").stdout.splitlines())
    social = exports["CHAOSLAB_SOCIAL_URL"].strip("'")
    assert exports["CHAOSLAB_FRONTEND_URL"].strip("'").startswith("http://127.0.0.1:")
    assert requests.get(f"{social}/status?format=json", timeout=5).json()["status"] == "Sharing API degraded"
    visits = [json.loads(line) for line in chaoslab("logs", "visitors", "-n", "200").stdout.splitlines()]
    assert any(v.get("share_http_status") == 500 and v["page_errors"] for v in visits), visits

    assert chaoslab("verify").returncode == 1

    # Stop the bleeding: the kill switch alone makes the page usable.
    assert chaoslab("flags", "social-share", "off").returncode == 0
    mitigated = chaoslab("verify", "--wait", "180")
    assert mitigated.returncode == 0, mitigated.stdout + mitigated.stderr

    # The fix, then sharing back on with the vendor still down: Share fails fast, the page works.
    fixed = chaoslab("fix")
    assert fixed.returncode == 0, fixed.stderr
    assert chaoslab("flags", "social-share", "on").returncode == 0
    verified = chaoslab("verify", "--wait", "180")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # A learner's own change works the same: back to the shipped code, edit it, deploy it.
    assert chaoslab("rollback", "frontend").returncode == 0
    source = chaoslab("code", "frontend").stdout.strip()
    work_copy = source.removesuffix("/services/frontend")
    subprocess.run(["git", "apply", str(FIX_PATCH)], cwd=work_copy, check=True)
    assert chaoslab("deploy", "frontend").returncode == 0
    redeployed = chaoslab("verify", "--wait", "180")
    assert redeployed.returncode == 0, redeployed.stdout + redeployed.stderr

    assert chaoslab("stop").returncode == 0
    assert chaoslab("status").returncode == 2
