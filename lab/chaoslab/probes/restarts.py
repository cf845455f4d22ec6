"""Restarts probe: what the runtime reports of one service's restarts and its last exit."""

from __future__ import annotations

import time
from typing import Literal

from chaoslab.errors import NotHealthy
from chaoslab.lab_access import LabAccess
from chaoslab.probes.base import Probe, Value


class RestartsProbe(Probe):
    """``restarts`` (since the lab started), ``last_exit`` ("137 OOMKilled"; None before any exit),
    or ``seconds_since_exit`` (since the last exit; since its last state change when it never exited)."""

    kind: Literal["restarts"] = "restarts"
    service: str
    output: Literal["restarts", "last_exit", "seconds_since_exit"] = "restarts"

    def measure(self, lab: LabAccess) -> Value:
        status = lab.service_status(self.service)
        if status is None:
            raise NotHealthy(
                f"The runtime reports no service {self.service!r}.",
                hint="check the probe's `service` against the scenario's services.",
            )
        if self.output == "restarts":
            return float(status.restarts)
        if self.output == "last_exit":
            if status.last_exit_code is None:
                return None
            return f"{status.last_exit_code} {status.last_exit_reason}"
        now = time.time()
        return now - (status.last_exit_at or status.since or now)
