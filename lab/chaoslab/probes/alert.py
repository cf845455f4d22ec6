"""Alert probe: is a Prometheus alert firing?"""

from __future__ import annotations

from typing import Literal

from chaoslab.lab_access import LabAccess
from chaoslab.probes.base import Probe, Value


class AlertProbe(Probe):
    """True while the alert ``alert`` is firing in the lab's Prometheus."""

    kind: Literal["alert"] = "alert"
    alert: str

    def measure(self, lab: LabAccess) -> Value:
        return self.alert in lab.prometheus.firing()
