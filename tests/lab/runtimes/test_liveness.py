"""Liveness in the local runtime: a service whose liveness check keeps failing is killed and restarted."""

from __future__ import annotations

import pytest

from chaoslab.errors import NotHealthy
from chaoslab.runs import Timeline
from chaoslab.runtimes.core.health import LIVENESS_REASON
from chaoslab.runtimes.local.runtime import LocalRuntime
from chaoslab.waiting import wait_until
from tests.lab.conftest import web

pytestmark = pytest.mark.integration


def test_failing_liveness_kills_the_service_records_why_and_restarts_it(
    runtime: LocalRuntime, port_base: int
) -> None:
    # The liveness check asks a port nobody listens on: it fails every time.
    runtime.up([web(port_base, port_base + 1, threshold=3, restart="on-failure")], timeout_s=15)
    wait_until(lambda: runtime.status()["web"].restarts >= 1, 15, "the liveness kill")
    status = runtime.status()["web"]
    assert status.last_exit_reason == LIVENESS_REASON
    assert status.last_exit_at is not None
    failed = Timeline(runtime.run.timeline_path).events("service_liveness_failed")
    assert failed and failed[0]["failures"] == 3 and failed[0]["service"] == "web"
    # http.server exits 0 on SIGTERM, yet it comes back under on-failure: a liveness kill restarts.
    wait_until(lambda: runtime.status()["web"].state in ("healthy", "starting"), 15, "the restart")


def test_passing_liveness_leaves_the_service_alone(runtime: LocalRuntime, port_base: int) -> None:
    runtime.up([web(port_base, port_base, threshold=1)], timeout_s=15)
    pid = runtime.status()["web"].pid
    # Long enough for ~10 liveness probes after the start period.
    with pytest.raises(NotHealthy, match="Timed out"):
        wait_until(lambda: runtime.status()["web"].restarts > 0, 2.5, "a restart that must not happen")
    assert runtime.status()["web"].pid == pid
    assert not Timeline(runtime.run.timeline_path).events("service_liveness_failed")
