"""HTTP probe: the status code, or latency, of one request to a lab service."""

from __future__ import annotations

import time
from typing import Literal

from chaoslab.lab_access import LabAccess
from chaoslab.probes.base import Probe, Value


class HttpProbe(Probe):
    """GET ``path`` on ``service``: its status code (0 when unreachable), latency in seconds, or body."""

    kind: Literal["http"] = "http"
    service: str
    path: str = "/"
    output: Literal["status", "latency_s", "body"] = "status"
    timeout_s: float = 10.0

    def measure(self, lab: LabAccess) -> Value:
        import requests  # here, not at import: loading a scenario must stay cheap

        started = time.monotonic()
        try:
            response = requests.get(lab.service_url(self.service) + self.path, timeout=self.timeout_s)
            status, body = response.status_code, response.text
        except requests.RequestException:
            status, body = 0, ""
        if self.output == "body":
            return body
        if self.output == "latency_s":
            return time.monotonic() - started
        return float(status)
