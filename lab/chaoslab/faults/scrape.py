"""Scrape fault: change one job of the lab's Prometheus scrape config, then reload Prometheus.

The last hop between a service's /metrics and a dashboard: the job can be missing,
point at the wrong port or path, or give up before the endpoint answers.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from chaoslab.faults.base import Fault
from chaoslab.lab_access import LabAccess

Setting = Literal["scrape_interval", "scrape_timeout", "metrics_path", "port"]


class ScrapeFault(Fault):
    """Exactly one of: ``remove`` the job, ``set`` some of its settings, ``restore`` it as shipped.

    ``set.port`` names a port of the lab (e.g. ``exporter-metrics-alt``), not a number:
    the same scenario runs on any port base.
    """

    kind: Literal["scrape"] = "scrape"
    job: str
    remove: bool = False
    set: dict[Setting, str] = Field(default_factory=dict)
    restore: bool = False

    @model_validator(mode="after")
    def _one_change(self) -> ScrapeFault:
        chosen = [n for n in ("remove", "set", "restore") if getattr(self, n)]
        if len(chosen) != 1:
            raise ValueError(
                f"a scrape step needs exactly one of remove / set / restore, got {chosen or 'none'}"
            )
        return self  # `set.port` names a port of the lab: the scenario checks it against the homes

    def describe(self) -> str:
        if self.remove:
            return f"Prometheus: remove the {self.job} scrape job, reload"
        if self.restore:
            return f"Prometheus: restore the {self.job} scrape job as shipped, reload"
        pairs = ", ".join(f"{k}={v}" for k, v in self.set.items())
        return f"Prometheus: {self.job} scrape job with {pairs}, reload"

    def inject(self, lab: LabAccess) -> dict[str, Any]:
        change: dict[str, object] | None = None
        if self.remove:
            change = {"removed": True}
        elif self.set:
            change = {str(k): v for k, v in self.set.items()}
        return {"previous": lab.set_scrape(self.job, change)}

    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        lab.set_scrape(self.job, memento.get("previous"))
