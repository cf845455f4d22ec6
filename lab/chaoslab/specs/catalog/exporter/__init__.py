"""The exporter: the "Go-style" job service of Mini-Challenge 3, its metrics on a listener of their own."""

from __future__ import annotations

from pathlib import Path

from chaoslab.specs.catalog.base import GunicornApp, LabContext, ScrapeJob

# This service's home: its rules and its load live beside this file.
HOME = Path(__file__).resolve().parent

GUNICORN_THREADS = 8


class Exporter(GunicornApp):
    """Jobs API on `exporter`; Prometheus metrics on `exporter-metrics` (Go's promhttp on :2112)."""

    name = "exporter"
    role = "job processing API, OpenTelemetry → Prometheus metrics (Go-style)"
    threads = GUNICORN_THREADS
    gunicorn_options = ()
    # The service's own health says nothing about its metrics: that is the incident.
    more_ports = {"metrics": "exporter-metrics"}
    web = "the exporter service"
    # Its metrics listener, and the port a misconfigured release puts it on.
    ports = {"exporter": 17, "exporter-metrics": 18, "exporter-metrics-alt": 19}
    # Its /metrics takes ~1.5 s to render (its queue gauge asks a broker), and its dashboard is
    # judged in scrape intervals.
    scrape = ScrapeJob("exporter-metrics", {"scrape_interval": "5s", "scrape_timeout": "4s"})
    locustfile = HOME / "locustfile.py"

    def env(self, ctx: LabContext) -> dict[str, str]:
        return {
            "EXPORTER_METRICS_HOST": "127.0.0.1",
            "EXPORTER_METRICS_PORT": str(ctx.ports["exporter-metrics"]),
        }
