"""The lab's Prometheus: generated config, and a small client for queries and alerts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from chaoslab.calls import HTTP_TIMEOUT_S, QUOTED_CHARS, http, json_body
from chaoslab.errors import BadAnswer, EnvironmentProblem
from chaoslab.observability.rules import rules_for
from chaoslab.runs.secrets import PROMETHEUS_USER, write_private

if TYPE_CHECKING:
    from chaoslab.runs.run import Run
    from chaoslab.specs.catalog.base import LabContext

SCRAPE_INTERVAL = "2s"

# Services that expose /metrics, and the port name they expose it on.
SCRAPED = {
    "shop": "shop",
    "profile": "profile",
    "frontend": "frontend-metrics",
    "toxiproxy": "toxiproxy",
    "exporter": "exporter-metrics",
    "recommender": "recommender",
    "checkout": "checkout",
}

# Jobs that do not use the global settings. The exporter's /metrics takes ~1.5 s to render
# (its queue gauge asks a broker), and its dashboard is judged in scrape intervals.
JOB_SETTINGS: dict[str, dict[str, str]] = {
    "exporter": {"scrape_interval": "5s", "scrape_timeout": "4s"},
}
# What a run may change in a job (the `scrape` fault): these settings, and `port`, the port name
# of its target.
JOB_CHANGES = ("scrape_interval", "scrape_timeout", "metrics_path", "port")


def scrape_job(ctx: LabContext, service: str, port_name: str) -> dict[str, Any] | None:
    """The scrape config of one service's job, with the run's changes; None when the run removed it."""
    change = ctx.scrape_overrides.get(service) or {}
    if change.get("removed"):
        return None
    job: dict[str, Any] = {"job_name": service, **JOB_SETTINGS.get(service, {})}
    job.update({k: v for k, v in change.items() if k in JOB_CHANGES and k != "port"})
    port = ctx.ports[str(change.get("port", port_name))]
    job["static_configs"] = [{"targets": [f"127.0.0.1:{port}"]}]
    return job


def write_config(ctx: LabContext) -> None:
    """Write prometheus.yml and rules.yml into the run's config folder."""
    jobs = [
        job
        for service, port_name in SCRAPED.items()
        if service in ctx.services and (job := scrape_job(ctx, service, port_name)) is not None
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
        yaml.safe_dump(rules_for(ctx.services), sort_keys=False, allow_unicode=True)
    )


def write_web_config(path: Path, password: str) -> None:
    """Prometheus' --web.config.file: basic auth for PROMETHEUS_USER, with a bcrypt hash of ``password``."""
    import bcrypt  # here: only starting a lab needs it

    # Cost 10 (bcrypt's usual minimum): Prometheus checks the hash on every request (it caches a
    # verified pair), and a lab's clients query every 2 s.
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()
    write_private(path, yaml.safe_dump({"basic_auth_users": {PROMETHEUS_USER: hashed}}))


class PrometheusClient:
    """Queries the lab's Prometheus over its HTTP API; every call is bounded by ``timeout_s``."""

    def __init__(self, url: str, password: str | None = None, timeout_s: float = HTTP_TIMEOUT_S):
        self.url = url.rstrip("/")
        # Every lab's Prometheus takes basic auth; None only for stand-ins in tests.
        self.auth = None if password is None else (PROMETHEUS_USER, password)
        self.timeout_s = timeout_s

    @classmethod
    def of_run(cls, run: Run) -> PrometheusClient:
        """The client of ``run``'s Prometheus: its port, its password."""
        from chaoslab.specs.ports import PortPlan

        return cls(f"http://127.0.0.1:{PortPlan(run.info.port_base)['prometheus']}", run.secrets.prometheus)

    def _get(self, path: str, **params: str) -> Any:
        response = http(
            "GET",
            f"{self.url}{path}",
            service="Prometheus",
            timeout_s=self.timeout_s,
            params=params,
            auth=self.auth,
        )
        if response.status_code == 401:
            raise EnvironmentProblem(
                f"Prometheus at {self.url} refused this lab's login (HTTP 401).",
                hint="another lab, or an older one, may listen on that port: `chaoslab status`; "
                "the password is CHAOSLAB_PROMETHEUS_PASSWORD in the run's secrets.env.",
            )
        body = json_body(response, service="Prometheus")
        if not isinstance(body, dict):
            raise BadAnswer(
                f"Prometheus answered GET {response.url} with HTTP {response.status_code} and JSON that is "
                f"not its API's envelope: {response.text[:QUOTED_CHARS]!r}.",
                hint="something other than the lab's Prometheus may answer on that port: `chaoslab status`.",
            )
        if body.get("status") != "success":
            raise EnvironmentProblem(
                f"Prometheus refused the request: {body.get('error', response.text)}",
                hint="check the PromQL syntax: https://prometheus.io/docs/prometheus/latest/querying/basics/",
            )
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query; the list of result series."""
        data = self._get("/api/v1/query", query=promql)
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        return data["result"]

    def scalar(self, promql: str) -> float | None:
        """The single value of a query, or None when it returns nothing (or NaN)."""
        result = self.query(promql)
        if not result:
            return None
        value = float(result[0]["value"][1])
        return None if value != value else value  # NaN: no traffic in the window

    def query_range(self, promql: str, start: float, end: float, step_s: float) -> list[dict[str, Any]]:
        """A range query; the list of series, each with ``values`` as [[ts, "value"], …]."""
        data = self._get(
            "/api/v1/query_range", query=promql, start=f"{start:.3f}", end=f"{end:.3f}", step=f"{step_s}"
        )
        return data["result"]

    def targets(self) -> list[dict[str, Any]]:
        """Active scrape targets: job (in labels), scrapeUrl, health, lastError, lastScrapeDuration."""
        return self._get("/api/v1/targets", state="active")["activeTargets"]

    def alerts(self) -> list[dict[str, Any]]:
        """Active alerts (pending and firing)."""
        return self._get("/api/v1/alerts")["alerts"]

    def firing(self) -> set[str]:
        """Names of the alerts firing now."""
        return {a["labels"]["alertname"] for a in self.alerts() if a["state"] == "firing"}

    def reload(self) -> None:
        """Ask Prometheus to reread its config and rules."""
        # A reload rereads every rule file: it may take longer than a query.
        response = http(
            "POST", f"{self.url}/-/reload", service="Prometheus", timeout_s=2 * self.timeout_s, auth=self.auth
        )
        if response.status_code != 200:
            raise EnvironmentProblem(
                f"Prometheus refused its new configuration: {response.text.strip()}",
                hint="fix prometheus.yml in the run's config folder, then reload again.",
            )
