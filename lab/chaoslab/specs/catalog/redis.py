"""Redis: a private, memory-only server per run, with this run's password."""

from __future__ import annotations

from chaoslab.runs.secrets import write_private
from chaoslab.setup import find_binary
from chaoslab.specs.catalog.base import LabContext, ServiceDefinition
from chaoslab.specs.model import HealthCheck, ServiceSpec


def redis_url(port: int, password: str | None = None, *, host: str = "127.0.0.1") -> str:
    """A redis-py URL for database 0 on ``port``; with ``password``, one that authenticates."""
    login = "" if password is None else f":{password}@"
    return f"redis://{login}{host}:{port}/0"


class Redis(ServiceDefinition):
    """Cache and small state for the app services."""

    name = "redis"
    ports = {"redis": 1}

    def prepare(self, ctx: LabContext) -> None:
        # The password lives in a 0600 file, not on the command line, where `ps` would show it.
        write_private(ctx.run.config_dir / "redis.conf", f"requirepass {ctx.run.secrets.redis}\n")

    def spec(self, ctx: LabContext) -> ServiceSpec:
        port = ctx.ports["redis"]
        data = ctx.run.data_dir / "redis"
        data.mkdir(exist_ok=True)
        return ServiceSpec(
            name=self.name,
            role="cache (Redis)",
            command=[
                find_binary("redis-server"),
                str(ctx.run.config_dir / "redis.conf"),
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
