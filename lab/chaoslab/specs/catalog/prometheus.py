"""Prometheus: scrapes every service with metrics and evaluates the chapter's alerts."""

from __future__ import annotations

from chaoslab.runs.secrets import PROMETHEUS_USER
from chaoslab.setup import find_binary
from chaoslab.specs.catalog.base import LabContext
from chaoslab.specs.model import HealthCheck, Link, ServiceSpec


class Prometheus:
    """A private Prometheus with generated scrape config and alerting rules."""

    name = "prometheus"

    def prepare(self, ctx: LabContext) -> None:
        # Here, not at import: scenario validation reads this catalog, and must not pull an HTTP client.
        # Up a layer, on purpose: the scrape jobs and rules it writes are observability's, which
        # reads every other service's spec to make them.
        from chaoslab.observability.prometheus import write_config

        write_config(ctx)

    def links(self, ctx: LabContext) -> list[Link]:
        return []

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
