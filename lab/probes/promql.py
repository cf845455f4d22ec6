"""PromQL probe: the value of a query against the lab's Prometheus."""

from __future__ import annotations

from typing import Literal

from lab.faults.base import LabAccess
from lab.probes.base import Probe, Value


class PromQLProbe(Probe):
    """A scalar from Prometheus (the first series of an instant query)."""

    kind: Literal["promql"] = "promql"
    query: str

    def measure(self, lab: LabAccess) -> Value:
        return lab.prometheus.scalar(self.query)
