"""Health and liveness checks of a service, as both runtimes run them (local supervisor, docker watcher)."""

from __future__ import annotations

import socket
import subprocess

from chaoslab.calls import http
from chaoslab.errors import LabError
from chaoslab.specs.model import HealthCheck

# Between the stop signal and SIGKILL when liveness kills a service (terminationGracePeriodSeconds).
LIVENESS_GRACE_S = 5.0
LIVENESS_REASON = "Unhealthy: liveness probe failed"


def check_health(check: HealthCheck) -> bool:
    """One health probe: True when the service answers as ready (an HTTP status below 400)."""
    try:
        if check.kind == "http":
            assert isinstance(check.target, str)
            # A login in the target (Prometheus) and a Unix socket URL (Toxiproxy's admin API
            # in the docker runtime) are both understood by chaoslab.calls.http.
            return (
                http("GET", check.target, service="health check", timeout_s=check.timeout_s).status_code < 400
            )
        if check.kind == "tcp":
            assert isinstance(check.target, str)
            host, port = check.target.rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=check.timeout_s):
                return True
        argv = check.target if isinstance(check.target, list) else check.target.split()
        return subprocess.run(argv, capture_output=True, timeout=check.timeout_s, check=False).returncode == 0
    except (OSError, LabError, subprocess.TimeoutExpired):
        return False
