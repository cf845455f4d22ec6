"""How the exporter's metrics get out: OpenTelemetry → Prometheus exporter → /metrics listener.

This is the chapter's Go setup, step for step:

    exporter, _ := prometheus.New()                                    // the reader
    provider := metric.NewMeterProvider(metric.WithReader(exporter))
    otel.SetMeterProvider(provider)                                    // global: otel.Meter() uses it
    go http.ListenAndServe(":2112", promhttp.Handler())                // its own listener
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from prometheus_client import make_wsgi_app

from services.exporter.runtime_metrics import install_go_runtime_metrics

log = logging.getLogger("exporter.metrics")


def setup_metrics(service_name: str, version: str) -> None:
    """Install the global meter provider with its Prometheus reader, and serve /metrics on its own port."""
    install_go_runtime_metrics()
    reader = PrometheusMetricReader()
    resource = Resource.create({SERVICE_NAME: service_name, SERVICE_VERSION: version})
    provider = MeterProvider(resource=resource, metric_readers=[reader])
    metrics.set_meter_provider(provider)

    host = os.environ.get("EXPORTER_METRICS_HOST", "127.0.0.1")
    port = int(os.environ.get("EXPORTER_METRICS_PORT", "2112"))
    serve_metrics(host, port)
    shown = f"[{host}]" if ":" in host else host
    log.info("serving Prometheus metrics", extra={"address": f"{shown}:{port}", "path": "/metrics"})


class MetricsServer(ThreadingMixIn, WSGIServer):
    """One thread per scrape, as Go's net/http serves them."""

    daemon_threads = True


class MetricsServerV6(MetricsServer):
    """The same on an IPv6 address."""

    address_family = socket.AF_INET6


class QuietHandler(WSGIRequestHandler):
    """No access line per scrape on stderr: the service's log is JSON."""

    def log_message(self, format: str, *args: object) -> None:
        return None


def serve_metrics(host: str, port: int) -> None:
    """Serve the default registry on http://host:port/metrics from a thread (promhttp.Handler on its mux)."""
    registry_app = make_wsgi_app()

    def metrics_only(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"404 page not found\n"]
        return registry_app(environ, start_response)

    server_class = MetricsServerV6 if ":" in host else MetricsServer
    server = make_server(host, port, metrics_only, server_class=server_class, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-listener", daemon=True).start()
