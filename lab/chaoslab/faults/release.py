"""Release fault: deploy a patched version of a service (the realistic bad deploy); revert rolls it back."""

from __future__ import annotations

from typing import Any, Literal

from chaoslab.faults.base import Fault
from chaoslab.lab_access import LabAccess
from chaoslab.releases import apply_patch


class ReleaseFault(Fault):
    """Apply ``patch`` (relative to the scenario folder) to the service's working copy, then restart it."""

    kind: Literal["release"] = "release"
    service: str
    patch: str
    version: str = ""

    def describe(self) -> str:
        return f"deploy {self.service} {self.version or self.patch}".strip()

    def inject(self, lab: LabAccess) -> dict[str, Any]:
        apply_patch(lab.source_dir, lab.scenario_dir / self.patch)
        lab.restart(self.service)
        return {}

    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        apply_patch(lab.source_dir, lab.scenario_dir / self.patch, reverse=True)
        lab.restart(self.service)
