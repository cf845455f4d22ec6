"""Redis: a private, memory-only server per run."""

from __future__ import annotations

from lab.setup import find_binary
from lab.specs.catalog.base import LabContext, NoPreparation
from lab.specs.model import HealthCheck, ServiceSpec


class Redis(NoPreparation):
    """Cache and small state for the app services."""

    name = "redis"

    def spec(self, ctx: LabContext) -> ServiceSpec:
        port = ctx.ports["redis"]
        data = ctx.run.data_dir / "redis"
        data.mkdir(exist_ok=True)
        return ServiceSpec(
            name=self.name,
            role="cache (Redis)",
            command=[
                find_binary("redis-server"),
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(data),
                "--protected-mode",
                "no",
                "--daemonize",
                "no",
            ],
            ports={"redis": port},
            health=HealthCheck(kind="tcp", target=f"127.0.0.1:{port}", interval_s=0.5),
        )
