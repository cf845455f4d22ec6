"""What every gunicorn Flask app of the lab starts from: telemetry, JSON logs, /metrics and /healthz."""

from collections.abc import Callable

import flask
from opentelemetry import metrics

from services.common.telemetry import HTTP_DURATION_BUCKETS, setup_telemetry


def create_app(
    import_name: str,
    service: str,
    *,
    release: str | None = None,
    health_details: Callable[[], dict[str, object]] | None = None,
    duration_buckets: tuple[float, ...] = HTTP_DURATION_BUCKETS,
) -> tuple[flask.Flask, metrics.Meter]:
    """The service's Flask app with telemetry installed and /healthz answering; and the service's meter.

    Call it before any instrumentor: the telemetry module sets the semconv opt-in they read.
    `import_name` is the caller's ``__name__``: Flask finds its templates and static/ beside it.
    /healthz names the `release` when given, and adds what `health_details` returns on each call.
    """
    app = flask.Flask(import_name)
    meter = setup_telemetry(service, app, duration_buckets)

    def healthz() -> dict:
        """Liveness: the process answers, whatever its dependencies do."""
        answer: dict[str, object] = {"status": "ok"}
        if release is not None:
            answer["release"] = release
        if health_details is not None:
            answer.update(health_details())
        return answer

    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    return app, meter
