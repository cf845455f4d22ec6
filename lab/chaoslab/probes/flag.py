"""Flag probe: is a feature flag on?"""

from __future__ import annotations

from typing import Literal

from chaoslab.lab_access import LabAccess
from chaoslab.probes.base import Probe, Value


class FlagProbe(Probe):
    """True when ``flag`` is on in the lab's flag file."""

    kind: Literal["flag"] = "flag"
    flag: str

    def measure(self, lab: LabAccess) -> Value:
        return lab.flags.read().get(self.flag, False)
