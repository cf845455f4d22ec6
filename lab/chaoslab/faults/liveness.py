"""Liveness fault: redeploy a service with another liveness check (a probe too strict, or relaxed)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from chaoslab.faults.base import Fault
from chaoslab.lab_access import LabAccess


class LivenessFault(Fault):
    """Change the liveness check of ``service`` (unset fields keep the shipped values), then redeploy it.

    ``shipped: true`` puts the shipped check back, the way a fix reverts the probe change.
    """

    kind: Literal["liveness"] = "liveness"
    service: str
    timeout_s: float | None = Field(default=None, gt=0)
    interval_s: float | None = Field(default=None, gt=0)
    failure_threshold: int | None = Field(default=None, ge=1)
    start_period_s: float | None = Field(default=None, ge=0)
    shipped: bool = False

    def change(self) -> dict[str, float] | None:
        """The fields this step sets; None to restore the shipped check."""
        if self.shipped:
            return None
        fields = ("timeout_s", "interval_s", "failure_threshold", "start_period_s")
        return {name: getattr(self, name) for name in fields if getattr(self, name) is not None}

    def describe(self) -> str:
        change = self.change()
        if change is None:
            return f"{self.service}: liveness probe back to the shipped settings"
        return f"{self.service}: liveness probe " + ", ".join(f"{k}={v}" for k, v in change.items())

    def inject(self, lab: LabAccess) -> dict[str, Any]:
        return {"previous": lab.set_liveness(self.service, self.change())}

    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        lab.set_liveness(self.service, memento.get("previous"))
