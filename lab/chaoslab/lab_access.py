"""LabAccess: what faults and probes may touch of a running lab.

Both the fault kinds (`faults/`) and the probe kinds (`probes/`) take one; `running_lab.py`'s `LiveLab`
is the implementation, the same on every runtime. It sits below all three so that none reaches
up: only annotations are imported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: loading a scenario must not pull HTTP clients or runtimes
    from chaoslab.flags import FlagStore
    from chaoslab.observability.prometheus import PrometheusClient
    from chaoslab.service_status import ServiceAction, ServiceStatus


class LabAccess(Protocol):
    """What faults and probes may touch of a running lab."""

    @property
    def prometheus(self) -> PrometheusClient: ...

    @property
    def flags(self) -> FlagStore: ...

    @property
    def admin_dsn(self) -> str: ...

    @property
    def toxiproxy_url(self) -> str: ...

    @property
    def redis_url(self) -> str:
        """Straight to Redis, not through Toxiproxy."""
        ...

    @property
    def source_dir(self) -> Path:
        """The run's working copy of the services' code (what is deployed)."""
        ...

    @property
    def scenario_dir(self) -> Path:
        """The scenario's folder (patches, notes)."""
        ...

    def service_url(self, service: str) -> str: ...

    def restart(self, service: str) -> None:
        """Restart a service from its working copy, as a deploy would."""
        ...

    def set_env(self, service: str, env: dict[str, str | None]) -> dict[str, str | None]:
        """Change a service's environment and restart it; returns the previous values."""
        ...

    def set_liveness(self, service: str, change: dict[str, float] | None) -> dict[str, float] | None:
        """Change a service's liveness check (None: as shipped) and redeploy it; returns the last change."""
        ...

    def service_status(self, service: str) -> ServiceStatus | None:
        """What the runtime reports of a service now (restarts, last exit), read-only."""
        ...

    def act_on(self, service: str, action: ServiceAction) -> None:
        """Kill, pause or resume one service, as the platform would (process or container)."""
        ...

    def set_scrape(self, job: str, change: dict[str, object] | None) -> dict[str, object] | None:
        """Change one scrape job (None: as shipped), rewrite the config, reload; returns the last change."""
        ...
