"""The exporter: the "Go-style" job service of Mini-Challenge 3, its metrics on a listener of their own."""

from __future__ import annotations

from chaoslab.specs.catalog.base import LabContext, NoPreparation, gunicorn_command
from chaoslab.specs.model import HealthCheck, ServiceSpec

GUNICORN_THREADS = 8


class Exporter(NoPreparation):
    """Jobs API on `exporter`; Prometheus metrics on `exporter-metrics` (Go's promhttp on :2112)."""

    name = "exporter"

    def spec(self, ctx: LabContext) -> ServiceSpec:
        port = ctx.ports["exporter"]
        return ServiceSpec(
            name=self.name,
            role="job processing API, OpenTelemetry → Prometheus metrics (Go-style)",
            command=gunicorn_command("services.exporter.app:app", port, GUNICORN_THREADS),
            cwd=str(ctx.run.source_dir),
            env={
                "EXPORTER_METRICS_HOST": "127.0.0.1",
                "EXPORTER_METRICS_PORT": str(ctx.ports["exporter-metrics"]),
                **ctx.app_env(),
                **ctx.env_overrides.get(self.name, {}),
            },
            ports={"http": port, "metrics": ctx.ports["exporter-metrics"]},
            # The service's own health says nothing about its metrics: that is the incident.
            health=HealthCheck(kind="http", target=f"http://127.0.0.1:{port}/readyz", interval_s=1.0),
        )
