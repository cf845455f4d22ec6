"""A small client for the lab's Prometheus: queries, targets, alerts, reload (its config is made by
specs/catalog/prometheus.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chaoslab.calls import HTTP_TIMEOUT_S, QUOTED_CHARS, http, json_body
from chaoslab.errors import BadAnswer, EnvironmentProblem
from chaoslab.runs.secrets import PROMETHEUS_USER

if TYPE_CHECKING:
    pass


class PrometheusClient:
    """Queries the lab's Prometheus over its HTTP API; every call is bounded by ``timeout_s``."""

    def __init__(self, url: str, password: str | None = None, timeout_s: float = HTTP_TIMEOUT_S):
        self.url = url.rstrip("/")
        # Every lab's Prometheus takes basic auth; None only for stand-ins in tests.
        self.auth = None if password is None else (PROMETHEUS_USER, password)
        self.timeout_s = timeout_s

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
