"""The service spec: one declarative description per service, read by every runtime."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HealthCheck(BaseModel):
    """How a runtime knows a service is ready."""

    kind: Literal["http", "tcp", "command"]
    # http: a URL answered with 2xx; tcp: "host:port"; command: argv exiting 0.
    target: str | list[str]
    interval_s: float = 1.0
    timeout_s: float = 2.0
    # How long a fresh start may take before failures count.
    start_period_s: float = 60.0


class LivenessCheck(HealthCheck):
    """Whether a running service still lives: after ``failure_threshold`` failures in a row it is killed."""

    failure_threshold: int = Field(default=3, ge=1)
    # Probes begin this long after a start (Kubernetes' initialDelaySeconds).
    start_period_s: float = 10.0


class ServiceSpec(BaseModel):
    """One service of the lab: what to run, how to check it, what it depends on."""

    name: str
    command: list[str]
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    ports: dict[str, int] = Field(default_factory=dict)
    health: HealthCheck | None = None
    # Killed and restarted (restart policy applies) when this fails too often, as kubelet does.
    liveness: LivenessCheck | None = None
    depends_on: list[str] = Field(default_factory=list)
    restart: Literal["no", "on-failure", "always"] = "on-failure"
    # The delay before the first restart of a crash loop; it doubles per crash in a row, up to 10 s.
    restart_backoff_s: float = Field(default=0.5, gt=0)
    memory_limit_mb: int | None = None
    # Run as this OS user when we are root (PostgreSQL refuses to run as root).
    user: str | None = None
    stop_signal: Literal["SIGTERM", "SIGINT", "SIGQUIT"] = "SIGTERM"
    # Started with the lab (infrastructure, apps) or on demand (load generators).
    autostart: bool = True
    # Bumped to force a restart when nothing else in the spec changed.
    generation: int = 0
    # What the service is for, shown in `chaoslab status`.
    role: str = ""


class Link(BaseModel):
    """A dependency edge routed through a Toxiproxy proxy (so faults can sit on it)."""

    name: str
    listen_port: int
    upstream_port: int
    upstream_host: str = "127.0.0.1"

    def toxiproxy_config(self) -> dict[str, object]:
        """The entry for toxiproxy-server's -config file."""
        return {
            "name": self.name,
            "listen": f"127.0.0.1:{self.listen_port}",
            "upstream": f"{self.upstream_host}:{self.upstream_port}",
            "enabled": True,
        }
