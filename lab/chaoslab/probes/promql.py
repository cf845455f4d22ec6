"""PromQL probe: the value of a query against the lab's Prometheus."""

from __future__ import annotations

from typing import Literal

from chaoslab.lab_access import LabAccess
from chaoslab.probes.base import Probe, Value


class PromQLProbe(Probe):
    """A scalar from Prometheus (the first series of an instant query)."""

    kind: Literal["promql"] = "promql"
    query: str

    def measure(self, lab: LabAccess) -> Value:
        return lab.prometheus.scalar(self.query)
