"""Metrics (Prometheus), traces (JSON lines file) and JSON logs for a lab service."""

import json
import logging
import os
import sys
import threading
import time
from datetime import UTC, datetime

# The Flask instrumentation latches this on first use: it must be set before any instrumentor
# runs, so that the histogram is the stable `http.server.request.duration` in seconds.
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")

import flask
from opentelemetry import metrics, trace
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from services.common.rotating_file import SizeCappedFile, traces_cap_bytes

# Semconv-recommended boundaries: they resolve both a 5 ms baseline and a 500 ms+ incident.
HTTP_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
HTTP_DURATION_LABELS = {"http.request.method", "http.response.status_code", "http.route", "url.scheme"}
UNINSTRUMENTED_PATHS = "healthz,readyz,metrics"

_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_install_lock = threading.Lock()
access_log = logging.getLogger("access")
_installed_service: str | None = None


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, stamped with the service and the current trace."""

    def __init__(self, service_name: str) -> None:
        super().__init__()
        self.service_name = service_name

    def format(self, record: logging.LogRecord) -> str:
        """Render the record, its `extra` fields and the active span ids as JSON."""
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service_name,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            entry["trace_id"] = format(span_context.trace_id, "032x")
            entry["span_id"] = format(span_context.span_id, "016x")
        entry.update({k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _install_providers(service_name: str, duration_buckets: tuple[float, ...]) -> None:
    # Global providers can be set once per process; a second Prometheus reader would also
    # duplicate every series in the shared REGISTRY.
    global _installed_service
    with _install_lock:
        if _installed_service is not None:
            return
        _installed_service = service_name
        resource = Resource.create({SERVICE_NAME: service_name})

        duration_view = View(
            instrument_name="http.server.request.duration",
            aggregation=ExplicitBucketHistogramAggregation(duration_buckets),
            # error.type only repeats the 5xx status, and appearing with the first error it
            # would add a label to every series mid-run (new series in Prometheus).
            attribute_keys=HTTP_DURATION_LABELS,
        )
        metrics.set_meter_provider(
            MeterProvider(resource=resource, metric_readers=[PrometheusMetricReader()], views=[duration_view])
        )

        ratio = float(os.environ.get("CHAOSLAB_TRACE_SAMPLE_RATIO", "1.0"))
        tracer_provider = TracerProvider(resource=resource, sampler=ParentBased(TraceIdRatioBased(ratio)))
        traces_path = os.environ.get("CHAOSLAB_TRACES_FILE")
        if traces_path:
            exporter = ConsoleSpanExporter(
                # Capped: under load spans grow 7-40 MB a minute (services/common/rotating_file.py).
                out=SizeCappedFile(traces_path, traces_cap_bytes()),  # type: ignore[arg-type]
                formatter=lambda span: span.to_json(indent=None) + "\n",
            )
            tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(tracer_provider)

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLogFormatter(service_name))
        root = logging.getLogger()
        root.handlers = [handler]
        root.setLevel(os.environ.get("CHAOSLAB_LOG_LEVEL", "INFO").upper())


def _metrics_view() -> flask.Response:
    return flask.Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)


def _log_request(response: flask.Response) -> flask.Response:
    # One JSON access-log line per request, inside the request's span so it carries the trace id.
    request = flask.request
    if request.path.strip("/") not in UNINSTRUMENTED_PATHS.split(","):
        started = flask.g.get("chaoslab_started")
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.full_path.rstrip("?"),
                "route": request.url_rule.rule if request.url_rule else None,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            },
        )
    return response


def setup_telemetry(
    service_name: str, app: flask.Flask, duration_buckets: tuple[float, ...] = HTTP_DURATION_BUCKETS
) -> metrics.Meter:
    """Install process-wide telemetry, instrument `app`, add `/metrics` and access logs; return a meter."""
    _install_providers(service_name, duration_buckets)
    FlaskInstrumentor().instrument_app(app, excluded_urls=UNINSTRUMENTED_PATHS)
    app.add_url_rule("/metrics", "metrics", _metrics_view)
    app.before_request(lambda: setattr(flask.g, "chaoslab_started", time.perf_counter()))
    app.after_request(_log_request)
    return metrics.get_meter(service_name)
