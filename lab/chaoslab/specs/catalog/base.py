"""What a service definition provides: files it needs before start, and its spec."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Protocol

from chaoslab.runs import Run
from chaoslab.runs.session import Session
from chaoslab.specs.load import LoadPlan
from chaoslab.specs.model import Link, ServiceSpec
from chaoslab.specs.ports import PortPlan


@dataclass
class LabContext:
    """Everything a definition may read to describe its service for one run."""

    run: Run
    ports: PortPlan
    services: list[str]
    seed: int
    product_rows: int = 1_000_000
    load: LoadPlan | None = None
    # Per-service environment changes made at run time (e.g. a bigger pool).
    env_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    # Per-job changes to Prometheus' scrape config made at run time (the `scrape` fault).
    scrape_overrides: dict[str, dict[str, object]] = field(default_factory=dict)
    # How long the lab stays up: the load ends with it (None: a run from before sessions).
    session: Session | None = None

    def app_env(self) -> dict[str, str]:
        """Environment every app service gets: its code comes from the run's working copy."""
        return {"PYTHONPATH": str(self.run.source_dir), "PYTHONUNBUFFERED": "1"}

    @property
    def links(self) -> list[Link]:
        """Every Toxiproxy link of the lab's services."""
        from chaoslab.specs.catalog import DEFINITIONS

        found: list[Link] = []
        for name in self.services:
            found += DEFINITIONS[name].links(self)
        return found


def gunicorn_command(app: str, port: int, threads: int, *options: str) -> list[str]:
    """gunicorn with ONE gthread worker: that one process's /metrics sees every request."""
    return [
        sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "gthread",
        "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5",
        *options,
        # gunicorn 27 would share one control socket in $HOME between labs.
        "--no-control-socket", app,
    ]  # fmt: skip


class ServiceDefinition(Protocol):
    """One kind of service. ``prepare`` writes config and data; ``spec`` describes the process."""

    name: str

    def prepare(self, ctx: LabContext) -> None: ...

    def spec(self, ctx: LabContext) -> ServiceSpec: ...

    def links(self, ctx: LabContext) -> list[Link]: ...


class NoPreparation:
    """Mixin for services that need neither files nor links."""

    def prepare(self, ctx: LabContext) -> None:
        return None

    def links(self, ctx: LabContext) -> list[Link]:
        return []
