"""Unit tests for the services' shared database helper: no database, a fake pool where one is needed."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import flask
import psycopg
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from psycopg_pool import PoolTimeout
from werkzeug.test import TestResponse

from services.common.database import Database, handle_database_errors

POOL = {"db.client.connection.pool.name": "svc"}


class FakePool:
    """Stands in for the ConnectionPool: hands out `conn`, or raises `error`; remembers being opened."""

    max_size = 10
    closed = False

    def __init__(self, conn: object = None, error: Exception | None = None) -> None:
        self.conn, self.error, self.opened = conn, error, False
        self.timeouts: list[float | None] = []

    def open(self) -> None:
        self.opened = True

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[object]:
        self.timeouts.append(timeout)
        if self.error:
            raise self.error
        yield self.conn

    def get_stats(self) -> dict[str, int]:
        return {"pool_size": 10, "pool_available": 3, "requests_waiting": 5}


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer(spans: InMemorySpanExporter):
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return provider.get_tracer("test")


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def meter(reader: InMemoryMetricReader):
    return MeterProvider(metric_readers=[reader]).get_meter("test")


def points(reader: InMemoryMetricReader) -> dict[str, list]:
    """Each exported metric's data points, by metric name."""
    data = reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: list(metric.data.data_points)
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }


def test_the_pool_is_sized_named_and_closed_until_first_use(monkeypatch):
    monkeypatch.setenv("CHAOSLAB_DATABASE_URL", "host=db.example dbname=lab")
    database = Database("svc", size=7, timeout=0.5, autocommit=True)
    pool = database.pool
    assert (pool.min_size, pool.max_size, pool.timeout, pool.name) == (7, 7, 0.5, "svc")
    assert pool.conninfo == "host=db.example dbname=lab"
    assert pool.kwargs == {"application_name": "svc", "connect_timeout": 5, "autocommit": True}
    assert pool.closed


def test_an_unobserved_connection_opens_the_pool_and_makes_no_span(spans):
    database = Database("svc", size=1, timeout=1.0)
    database.pool = FakePool(conn="conn")  # type: ignore[assignment]
    with database.connection(timeout=0.25) as conn:
        assert conn == "conn"
    assert database.pool.opened and database.pool.timeouts == [0.25]  # type: ignore[attr-defined]
    assert not spans.get_finished_spans()


def test_an_observed_wait_is_a_span_and_a_timing(tracer, spans, meter, reader):
    database = Database("svc", size=1, timeout=1.0)
    database.observe(meter, tracer)
    database.pool = FakePool(conn="conn")  # type: ignore[assignment]
    with database.connection() as conn:
        assert conn == "conn"
    assert [span.name for span in spans.get_finished_spans()] == ["db.client.connection.acquire"]
    [wait] = points(reader)["db.client.connection.wait_time"]
    assert wait.count == 1 and dict(wait.attributes) == POOL
    [timeouts] = points(reader)["db.client.connection.timeouts"]
    assert timeouts.value == 0  # exported from the start, so increase() sees the first timeout


def test_an_observed_pool_timeout_is_counted_and_raised(tracer, meter, reader):
    database = Database("svc", size=1, timeout=1.0)
    database.observe(meter, tracer)
    database.pool = FakePool(error=PoolTimeout("no connection after 1.00 sec"))  # type: ignore[assignment]
    with pytest.raises(PoolTimeout), database.connection():
        pass
    [timeouts] = points(reader)["db.client.connection.timeouts"]
    assert timeouts.value == 1 and dict(timeouts.attributes) == POOL
    assert points(reader)["db.client.connection.wait_time"][0].count == 1


def test_pool_gauges_follow_the_pool_in_place_now(tracer, meter, reader):
    database = Database("svc", size=10, timeout=1.0)
    database.observe(meter, tracer)
    database.pool = FakePool()  # type: ignore[assignment]
    metrics = points(reader)
    by_state = {
        p.attributes["db.client.connection.state"]: p.value for p in metrics["db.client.connection.count"]
    }
    assert by_state == {"used": 7, "idle": 3}
    assert [(p.value, dict(p.attributes)) for p in metrics["db.client.connection.max"]] == [(10, POOL)]
    assert [p.value for p in metrics["db.client.connection.pending_requests"]] == [5]


def test_a_pool_not_opened_yet_has_no_connection_in_use(tracer, meter, reader):
    database = Database("svc", size=10, timeout=1.0)
    database.observe(meter, tracer)
    counts = points(reader)["db.client.connection.count"]
    assert {p.attributes["db.client.connection.state"]: p.value for p in counts}["used"] == 0


def failing_app(error: Exception, **options) -> flask.Flask:
    app = flask.Flask(__name__)

    @app.get("/")
    def fail() -> str:
        raise error

    handle_database_errors(app, logging.getLogger("svc"), **options)
    return app


def request_in_span(app: flask.Flask, tracer) -> tuple[TestResponse, list]:
    """GET / inside a span of our own, as the Flask instrumentation would; the span's events."""
    with tracer.start_as_current_span("request", record_exception=False) as span:
        response = app.test_client().get("/")
    return response, [(event.name, event.attributes["exception.type"]) for event in span.events]


def test_a_pool_timeout_is_a_503_with_details_logged_and_on_the_span(tracer, caplog):
    app = failing_app(PoolTimeout("no connection after 0.50 sec"))
    with caplog.at_level(logging.ERROR, logger="svc"):
        response, events = request_in_span(app, tracer)
    assert response.status_code == 503
    assert response.get_json() == {
        "error": "database connection pool exhausted",
        "detail": "no connection after 0.50 sec",
    }
    [record] = caplog.records
    assert (record.name, record.message, record.detail) == (
        "svc",
        "database connection pool exhausted",
        "no connection after 0.50 sec",
    )
    assert events == [("exception", "psycopg_pool.PoolTimeout")]


def test_a_database_error_is_a_500_naming_its_type(tracer, caplog):
    app = failing_app(psycopg.errors.UndefinedTable('relation "carts" does not exist'))
    with caplog.at_level(logging.ERROR, logger="svc"):
        response, events = request_in_span(app, tracer)
    assert response.status_code == 500
    assert response.get_json() == {
        "error": "database error",
        "type": "UndefinedTable",
        "detail": 'relation "carts" does not exist',
    }
    [record] = caplog.records
    assert (record.message, record.error_type) == ("database error", "UndefinedTable")
    assert events == [("exception", "psycopg.errors.UndefinedTable")]


def test_without_details_the_answers_name_the_error_only(tracer, caplog):
    options = {"error_status": 503, "details": False}
    with caplog.at_level(logging.ERROR, logger="svc"):
        timeout, timeout_events = request_in_span(failing_app(PoolTimeout("busy"), **options), tracer)
        error, error_events = request_in_span(
            failing_app(psycopg.OperationalError("gone"), **options), tracer
        )
    assert (timeout.status_code, timeout.get_json()) == (503, {"error": "database connection pool exhausted"})
    assert (error.status_code, error.get_json()) == (
        503,
        {"error": "database error", "type": "OperationalError"},
    )
    assert [r.detail for r in caplog.records] == ["busy", "gone"]
    assert timeout_events == error_events == []


def test_other_errors_are_not_the_database_handlers_business():
    app = failing_app(ValueError("not a database error"))
    app.testing = False
    assert app.test_client().get("/").status_code == 500
    assert app.test_client().get("/").get_json() is None  # Flask's own HTML page, not our JSON
