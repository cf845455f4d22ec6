"""The services' PostgreSQL: a connection pool, its metrics and wait spans, and its HTTP errors."""

import logging
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from typing import Any

import flask
import psycopg
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.metrics import CallbackOptions, Observation
from psycopg_pool import ConnectionPool, PoolTimeout

from services.common.telemetry import HTTP_DURATION_BUCKETS

# psycopg's connect_timeout, in seconds: the same for every service.
CONNECT_TIMEOUT_S = 5


class Database:
    """A service's pool of PostgreSQL connections (`CHAOSLAB_DATABASE_URL`), opened on first use."""

    def __init__(self, service: str, *, size: int, timeout: float, **connection: Any) -> None:
        """A fixed-size pool named after the service; `connection` adds to each connection's settings."""
        # Opened on first use, without waiting: importing the app never blocks on, or fails
        # for, a database that is still starting.
        self.pool = ConnectionPool(
            os.environ.get("CHAOSLAB_DATABASE_URL", ""),
            min_size=size,
            max_size=size,
            timeout=timeout,
            name=service,
            open=False,
            kwargs={"application_name": service, "connect_timeout": CONNECT_TIMEOUT_S, **connection},
        )
        self.attributes = {"db.client.connection.pool.name": service}
        self._observed: _PoolInstruments | None = None

    def observe(self, meter: metrics.Meter, tracer: trace.Tracer) -> None:
        """Export the pool's `db.client.connection.*` metrics and give each wait for a connection a span."""
        self._observed = _PoolInstruments(self, meter, tracer)

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection, committed on success unless in autocommit; `timeout` overrides the pool's."""
        with ExitStack() as stack:
            self.pool.open()
            if self._observed is None:
                conn = stack.enter_context(self.pool.connection(timeout=timeout))
            else:
                conn = self._observed.wait(stack, timeout)
            yield conn


class _PoolInstruments:
    """The pool's OpenTelemetry instruments (semantic conventions' db.client.connection.*)."""

    def __init__(self, database: Database, meter: metrics.Meter, tracer: trace.Tracer) -> None:
        self.database, self.tracer = database, tracer
        attributes = database.attributes
        self.timeouts = meter.create_counter(
            "db.client.connection.timeouts",
            unit="{timeout}",
            description="Connection requests that timed out waiting for the pool.",
        )
        self.timeouts.add(0, attributes)  # export 0 from the start so increase() sees the first timeout
        self.wait_time = meter.create_histogram(
            "db.client.connection.wait_time",
            unit="s",
            description="Time spent waiting for a pooled connection.",
            explicit_bucket_boundaries_advisory=HTTP_DURATION_BUCKETS,
        )
        meter.create_observable_up_down_counter(
            "db.client.connection.count",
            [self._connections],
            unit="{connection}",
            description="Pooled connections by state.",
        )
        # The callbacks read database.pool when called, not the pool of now: tests put a fake in.
        meter.create_observable_up_down_counter(
            "db.client.connection.max",
            [lambda _: [Observation(database.pool.max_size, attributes)]],
            unit="{connection}",
            description="Most connections the pool may open.",
        )
        meter.create_observable_up_down_counter(
            "db.client.connection.pending_requests",
            [lambda _: [Observation(database.pool.get_stats().get("requests_waiting", 0), attributes)]],
            unit="{request}",
            description="Requests waiting for a pooled connection.",
        )

    def _connections(self, _: CallbackOptions) -> list[Observation]:
        pool, attributes = self.database.pool, self.database.attributes
        stats = pool.get_stats()
        idle = stats["pool_available"]
        state = "db.client.connection.state"
        # A pool not opened yet (no database request so far) counts its min_size as pool_size with
        # none available: that is no connection at all, not a full pool.
        used = stats["pool_size"] - idle if not pool.closed else 0
        return [
            Observation(used, {**attributes, state: "used"}),
            Observation(idle, {**attributes, state: "idle"}),
        ]

    def wait(self, stack: ExitStack, timeout: float | None) -> psycopg.Connection[Any]:
        """Take a connection from the pool into `stack`, timing the wait and counting a timeout."""
        attributes = self.database.attributes
        started = time.monotonic()
        waiting = (
            self.tracer.start_as_current_span("db.client.connection.acquire")
            if is_instrumentation_enabled()
            else nullcontext()
        )
        with waiting:
            try:
                return stack.enter_context(self.database.pool.connection(timeout=timeout))
            except PoolTimeout:
                self.timeouts.add(1, attributes)
                raise
            finally:
                self.wait_time.record(time.monotonic() - started, attributes)


def handle_database_errors(
    app: flask.Flask, log: logging.Logger, *, error_status: int = 500, details: bool = True
) -> None:
    """Answer a pool timeout with a 503 and any other database error with `error_status`, in JSON.

    With `details`, the error's text goes into the answer and onto the request's span as an
    exception; without, only into the log line.
    """

    def pool_exhausted(err: PoolTimeout) -> tuple[dict, int]:
        # Waiting for a pooled connection timed out: the service is saturated, so 503.
        if details:
            trace.get_current_span().record_exception(err)
        log.error("database connection pool exhausted", extra={"detail": str(err)})
        body = {"error": "database connection pool exhausted"}
        return ({**body, "detail": str(err)} if details else body), 503

    def database_error(err: psycopg.Error) -> tuple[dict, int]:
        if details:
            trace.get_current_span().record_exception(err)
        log.error("database error", extra={"error_type": type(err).__name__, "detail": str(err)})
        body = {"error": "database error", "type": type(err).__name__}
        return ({**body, "detail": str(err)} if details else body), error_status

    app.register_error_handler(PoolTimeout, pool_exhausted)
    app.register_error_handler(psycopg.Error, database_error)
