"""Flag fault: turn a feature flag on or off (a feature launch, or a kill switch)."""

from __future__ import annotations

from typing import Any, Literal

from chaoslab.faults.base import Fault
from chaoslab.lab_access import LabAccess


class FlagFault(Fault):
    """Set a flagd flag in the lab's flag file; services read it through OpenFeature."""

    kind: Literal["flag"] = "flag"
    flag: str
    enabled: bool

    def describe(self) -> str:
        return f"feature flag {self.flag!r} {'on' if self.enabled else 'off'}"

    def inject(self, lab: LabAccess) -> dict[str, Any]:
        return {"previous": lab.flags.set(self.flag, self.enabled)}

    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        lab.flags.set(self.flag, bool(memento.get("previous", False)))
