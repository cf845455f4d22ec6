"""What a service's home declares: its ports, links, scrape job, rules, load, files and process spec.

A service is one home: a module here (`redis.py`), or a folder when it has more than code
(`shop/`: `__init__.py`, `rules.yml` with its Prometheus rules, `locustfile.py` with its load).
Its definition subclasses `ServiceDefinition`; one line in `__init__.py` registers it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from chaoslab.runs import Run
from chaoslab.runs.session import Session
from chaoslab.specs.load import LoadPlan
from chaoslab.specs.model import HealthCheck, Link, ServiceSpec


@dataclass
class LabContext:
    """Everything a definition may read to describe its service for one run."""

    run: Run
    # Name to port, from the run's port base (chaoslab.specs.ports.PortPlan).
    ports: Mapping[str, int]
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

    def app_env(self, service: str | None = None) -> dict[str, str]:
        """Environment every app service gets: its code comes from the run's working copy. With
        ``service``, the run's changes to its environment come last, so they win (`env` faults,
        a bigger pool)."""
        changes = self.env_overrides.get(service, {}) if service else {}
        return {"PYTHONPATH": str(self.run.source_dir), "PYTHONUNBUFFERED": "1", **changes}

    def traced(self, service: str) -> dict[str, str]:
        """Where ``service`` writes its spans (`chaoslab traces` reads them), and the name they carry."""
        return {
            "CHAOSLAB_TRACES_FILE": str(self.run.traces_dir / f"{service}.jsonl"),
            "OTEL_SERVICE_NAME": service,
        }

    def link(self, name: str, upstream: str) -> Link:
        """The Toxiproxy link ``name`` (a port of the caller's home) in front of ``upstream``'s port."""
        return Link(name=name, listen_port=self.ports[name], upstream_port=self.ports[upstream])

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


@dataclass(frozen=True)
class ScrapeJob:
    """How the lab's Prometheus scrapes a service: the name of the port serving /metrics, and
    settings of this job that differ from the global ones (scrape_interval, scrape_timeout)."""

    port: str
    settings: Mapping[str, str] = field(default_factory=dict)


class ServiceDefinition:
    """One kind of service. ``prepare`` writes config and data; ``spec`` describes the process.

    The class attributes are the rest of the service's home:
    ``ports``: offsets from the run's port base of every listener it brings, its own and those of
    its links (Toxiproxy listeners, at 20 and above); ``scrape``: its Prometheus job, if it has
    metrics; ``rules``: its Prometheus rule file; ``locustfile``: the load a scenario can aim at it
    (`load.locustfile: <service>`); ``web``: what a person finds at its own HTTP port, the one
    named as the service (`chaoslab open`, `chaoslab env`), None for what is no web service.
    """

    name: ClassVar[str]
    ports: ClassVar[Mapping[str, int]] = {}
    scrape: ClassVar[ScrapeJob | None] = None
    rules: ClassVar[Path | None] = None
    locustfile: ClassVar[Path | None] = None
    web: ClassVar[str | None] = None

    def prepare(self, ctx: LabContext) -> None:
        """Write the files the service needs before it starts (config, data); none by default."""
        return None

    def links(self, ctx: LabContext) -> list[Link]:
        """The Toxiproxy links between this service and what it calls; none by default."""
        return []

    def spec(self, ctx: LabContext) -> ServiceSpec:
        """The process (or container) that runs the service in this lab."""
        raise NotImplementedError


class GunicornApp(ServiceDefinition):
    """A Flask app, ``services/<name>/app.py``, under gunicorn: the shape every app service shares.

    One gthread worker of ``threads`` threads on the port named like the service, run from the
    run's working copy, healthy when GET ``health_path`` answers. Its settings come from ``env``,
    the run's changes to them last (`env` faults, a bigger pool). A home declares what differs:

        class Profile(GunicornApp):
            name = "profile"
            role = "user profiles API, Redis-cached (Flask + gunicorn)"
            threads = 16
            depends_on = ("postgres", "redis", "toxiproxy")

            def env(self, ctx: LabContext) -> dict[str, str]:
                return {"CHAOSLAB_REDIS_URL": ...}
    """

    role: ClassVar[str]
    threads: ClassVar[int]
    health_path: ClassVar[str] = "/readyz"
    depends_on: ClassVar[tuple[str, ...]] = ()
    gunicorn_options: ClassVar[tuple[str, ...]] = ("--timeout", "60")
    # Listeners beyond "http" (a metrics port of its own): spec port name -> port plan name.
    more_ports: ClassVar[Mapping[str, str]] = {}

    def env(self, ctx: LabContext) -> dict[str, str]:
        """The app's own settings (the run's changes are laid over them)."""
        return {}

    def spec(self, ctx: LabContext) -> ServiceSpec:
        port = ctx.ports[self.name]
        return ServiceSpec(
            name=self.name,
            role=self.role,
            command=gunicorn_command(
                f"services.{self.name}.app:app", port, self.threads, *self.gunicorn_options
            ),
            cwd=str(ctx.run.source_dir),
            env={**self.env(ctx), **ctx.app_env(self.name)},
            ports={"http": port, **{key: ctx.ports[name] for key, name in self.more_ports.items()}},
            depends_on=list(self.depends_on),
            health=HealthCheck(
                kind="http", target=f"http://127.0.0.1:{port}{self.health_path}", interval_s=1.0
            ),
        )
