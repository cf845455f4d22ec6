"""Service fault: crash or freeze one service, as a platform operator (or the kernel) would."""

from __future__ import annotations

from typing import Any, Literal

from chaoslab.faults.base import Fault
from chaoslab.lab_access import LabAccess


class ServiceFault(Fault):
    """``kill``: SIGKILL to the service's processes, and its restart policy brings it back (or not).

    ``pause``: frozen in place (the cgroup freezer for a container, SIGSTOP for a process group):
    its port still accepts connections and nothing answers. The revert thaws it.
    """

    kind: Literal["service"] = "service"
    service: str
    action: Literal["kill", "pause"]

    def describe(self) -> str:
        verb = "killed (SIGKILL)" if self.action == "kill" else "paused (frozen, connections hang)"
        return f"{self.service}: {verb}"

    def inject(self, lab: LabAccess) -> dict[str, Any]:
        lab.act_on(self.service, self.action)
        return {"action": self.action}

    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        if memento.get("action") == "pause":
            lab.act_on(self.service, "resume")
