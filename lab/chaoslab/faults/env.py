"""Env fault: change a service's configuration and restart it (pool size, timeouts…)."""

from __future__ import annotations

from typing import Any, Literal

from chaoslab.faults.base import Fault
from chaoslab.lab_access import LabAccess


class EnvFault(Fault):
    """Set environment variables of ``service``, then restart it as a redeploy would."""

    kind: Literal["env"] = "env"
    service: str
    set: dict[str, str]

    def describe(self) -> str:
        pairs = ", ".join(f"{k}={v}" for k, v in self.set.items())
        return f"{self.service}: restart with {pairs}"

    def inject(self, lab: LabAccess) -> dict[str, Any]:
        return {"previous": lab.set_env(self.service, dict(self.set))}

    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        lab.set_env(self.service, memento.get("previous", {}))
