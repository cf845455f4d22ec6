"""Prometheus: scrapes every service with metrics and evaluates the chapter's alerts.

Its config is made from the other services' homes: each one's `scrape` job and `rules.yml`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaoslab.observability.prometheus import PrometheusClient
from chaoslab.runs.secrets import PROMETHEUS_USER, write_private
from chaoslab.setup import find_binary
from chaoslab.specs.catalog.base import LabContext, ScrapeJob, ServiceDefinition
from chaoslab.specs.model import HealthCheck, ServiceSpec

if TYPE_CHECKING:
    from chaoslab.runs import Run

SCRAPE_INTERVAL = "2s"

# What a run may change in a job (the `scrape` fault): these settings, and `port`, the port name
# of its target.
JOB_CHANGES = ("scrape_interval", "scrape_timeout", "metrics_path", "port")


def scrape_job(ctx: LabContext, service: str, scrape: ScrapeJob) -> dict[str, Any] | None:
    """The scrape config of one service's job, with the run's changes; None when the run removed it."""
    change = ctx.scrape_overrides.get(service) or {}
    if change.get("removed"):
        return None
    job: dict[str, Any] = {"job_name": service, **scrape.settings}
    job.update({k: v for k, v in change.items() if k in JOB_CHANGES and k != "port"})
    port = ctx.ports[str(change.get("port", scrape.port))]
    job["static_configs"] = [{"targets": [f"127.0.0.1:{port}"]}]
    return job


def write_config(ctx: LabContext) -> None:
    """Write prometheus.yml and rules.yml into the run's config folder."""
    import yaml  # here: `alerts` and `query` import this module, and only a start writes YAML

    jobs = [
        job
        for d in _definitions(ctx.services)
        if d.scrape is not None and (job := scrape_job(ctx, d.name, d.scrape)) is not None
    ]
    secrets = ctx.run.secrets
    jobs.append(
        {
            "job_name": "prometheus",
            # Its own endpoints take basic auth like everybody's.
            "basic_auth": {"username": PROMETHEUS_USER, "password": secrets.prometheus},
            "static_configs": [{"targets": [f"127.0.0.1:{ctx.ports['prometheus']}"]}],
        }
    )
    config = {
        "global": {
            "scrape_interval": SCRAPE_INTERVAL,
            "scrape_timeout": "1s",
            "evaluation_interval": SCRAPE_INTERVAL,
            "external_labels": {"lab_run": ctx.run.id},
        },
        "rule_files": [str(ctx.run.config_dir / "rules.yml")],
        "scrape_configs": jobs,
    }
    # 0600: it holds the password of the self-scrape.
    write_private(ctx.run.config_dir / "prometheus.yml", yaml.safe_dump(config, sort_keys=False))
    write_web_config(ctx.run.config_dir / "prometheus-web.yml", secrets.prometheus)
    (ctx.run.config_dir / "rules.yml").write_text(
        yaml.safe_dump(rules_for(ctx.services), sort_keys=False, allow_unicode=True, width=200)
    )


def write_web_config(path: Path, password: str) -> None:
    """Prometheus' --web.config.file: basic auth for PROMETHEUS_USER, with a bcrypt hash of ``password``."""
    import bcrypt  # here: only starting a lab needs it
    import yaml

    # Cost 10 (bcrypt's usual minimum): Prometheus checks the hash on every request (it caches a
    # verified pair), and a lab's clients query every 2 s.
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()
    write_private(path, yaml.safe_dump({"basic_auth_users": {PROMETHEUS_USER: hashed}}))


def _definitions(services: Iterable[str]) -> list[ServiceDefinition]:
    # The registry imports this module: it is looked up when a lab is made, not at import.
    from chaoslab.specs.catalog import DEFINITIONS

    return [DEFINITIONS[name] for name in services if name in DEFINITIONS]


@cache
def _rule_groups(path: Path) -> tuple[dict[str, Any], ...]:
    import yaml

    return tuple(yaml.safe_load(path.read_text())["groups"])


def rules_for(services: Iterable[str]) -> dict[str, Any]:
    """The Prometheus rules file for a lab made of ``services``: the groups of each one's rules.yml."""
    return {"groups": [g for d in _definitions(services) if d.rules for g in _rule_groups(d.rules)]}


def alert_rules(services: Iterable[str]) -> list[dict[str, Any]]:
    """Every alerting rule a lab of ``services`` has (name, expr, labels, annotations)."""
    return [r for g in rules_for(services)["groups"] for r in g["rules"] if "alert" in r]


def alert_names(services: Iterable[str]) -> list[str]:
    """Every alert a lab of ``services`` can fire."""
    return [rule["alert"] for rule in alert_rules(services)]


def client_of(run: Run) -> PrometheusClient:
    """The client of ``run``'s Prometheus: its port, its password."""
    port = run.info.port_base + Prometheus.ports["prometheus"]
    return PrometheusClient(f"http://127.0.0.1:{port}", run.secrets.prometheus)


class Prometheus(ServiceDefinition):
    """A private Prometheus with generated scrape config and alerting rules."""

    name = "prometheus"
    ports = {"prometheus": 3}

    def prepare(self, ctx: LabContext) -> None:
        write_config(ctx)

    def spec(self, ctx: LabContext) -> ServiceSpec:
        port = ctx.ports["prometheus"]
        return ServiceSpec(
            name=self.name,
            role="metrics and alerts (Prometheus)",
            command=[
                find_binary("prometheus"),
                f"--config.file={ctx.run.config_dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={ctx.run.data_dir / 'prometheus'}",
                f"--web.listen-address=127.0.0.1:{port}",
                # Basic auth on every endpoint (API, UI, /-/reload): other users share 127.0.0.1.
                f"--web.config.file={ctx.run.config_dir / 'prometheus-web.yml'}",
                "--web.enable-lifecycle",
                "--storage.tsdb.retention.time=2d",
                "--log.level=warn",
            ],
            ports={"prometheus": port},
            health=HealthCheck(
                kind="http",
                target=f"http://{PROMETHEUS_USER}:{ctx.run.secrets.prometheus}@127.0.0.1:{port}/-/ready",
                interval_s=0.5,
            ),
        )
