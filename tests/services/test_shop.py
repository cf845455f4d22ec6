"""Unit tests for the shop and its shared telemetry/flags: no database, Redis or server."""

import json
import logging
import os
import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import redis
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext
from psycopg_pool import ConnectionPool, PoolTimeout

from services.common import flags
from services.common.telemetry import JsonLogFormatter
from services.shop import app as shop
from services.shop.catalog import DEPARTMENTS, category_names

SEED_SQL = Path(shop.__file__).with_name("seed.sql")


class FakeConnection:
    """Records statements and answers each with `rows`."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows
        self.statements: list[tuple[str, tuple | None]] = []

    def execute(self, sql: str, params: tuple | None = None) -> "FakeConnection":
        self.statements.append((sql, params))
        return self

    def fetchall(self) -> list[dict]:
        return self.rows

    def fetchone(self) -> dict | None:
        return self.rows[0] if self.rows else None


class FakePool:
    """Stands in for the ConnectionPool: hands out `conn`, or raises `error`."""

    max_size = 10
    closed = False

    def __init__(self, conn: FakeConnection | None = None, error: Exception | None = None):
        self.conn, self.error = conn, error

    def open(self) -> None:
        pass

    @contextmanager
    def connection(self, timeout: float | None = None):
        if self.error:
            raise self.error
        yield self.conn

    def get_stats(self) -> dict[str, int]:
        return {"pool_size": 10, "pool_available": 3, "requests_waiting": 5}


class DownRedis:
    def ping(self) -> None:
        raise redis.ConnectionError("connection refused")


@pytest.fixture
def client():
    return shop.app.test_client()


def write_flags(path: Path, variant: str, mtime: float) -> None:
    flag = {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": variant}
    doc = {"$schema": "https://flagd.dev/schema/v0/flags.json", "flags": {"browse-by-category": flag}}
    path.write_text(json.dumps(doc))
    # flagd reloads on a newer mtime; set it explicitly so two quick writes still differ.
    os.utime(path, (mtime, mtime))


def timeouts_total(client) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    match = re.search(r"^db_client_connection_timeouts_total\{[^}]*\} (\S+)$", text, re.M)
    assert match, "timeouts counter not exported"
    return float(match.group(1))


def test_json_log_line_carries_trace_ids_and_extra_fields():
    formatter = JsonLogFormatter("shop")
    record = logging.LogRecord("shop", logging.ERROR, __file__, 1, "pool %s", ("exhausted",), None)
    record.detail = "after 2.00 sec"
    context = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=False)
    with trace.use_span(NonRecordingSpan(context)):
        entry = json.loads(formatter.format(record))
    assert entry["level"] == "ERROR" and entry["service"] == "shop" and entry["logger"] == "shop"
    assert entry["message"] == "pool exhausted" and entry["detail"] == "after 2.00 sec"
    assert entry["trace_id"] == f"{0xABC:032x}" and entry["span_id"] == f"{0xDEF:016x}"
    assert entry["ts"].endswith("+00:00")


def test_json_log_line_without_span_has_no_trace_ids():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    entry = json.loads(JsonLogFormatter("shop").format(record))
    assert "trace_id" not in entry and entry["message"] == "hello"


@pytest.fixture
def flag_provider():
    """Unbinds flagd after the test and waits its file watcher out.

    The watcher thread checks `active` only before its sleep, so after shutdown it polls once
    more; left running, it logs into a closed capture stream after the test has ended.
    """
    yield
    flags.use_flags_file(None)
    for thread in threading.enumerate():
        if thread.name == "FlagdFileWatcherWorkerThread":
            thread.join(timeout=5)
            assert not thread.is_alive(), "flagd's file watcher did not stop after its provider shut down"


def test_flag_follows_rewrites_of_the_flag_file(tmp_path, flag_provider):
    path = tmp_path / "flags.json"
    write_flags(path, "off", mtime=1_000_000)
    flags.use_flags_file(str(path), poll_ms=20)
    assert flags.flag_enabled("browse-by-category") is False
    assert flags.flag_enabled("no-such-flag", default=True) is True
    write_flags(path, "on", mtime=2_000_000)
    deadline = time.monotonic() + 2
    while not flags.flag_enabled("browse-by-category") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert flags.flag_enabled("browse-by-category") is True


def test_missing_flag_file_means_defaults(tmp_path, flag_provider):
    flags.use_flags_file(str(tmp_path / "absent.json"), poll_ms=50)
    assert flags.flag_enabled("browse-by-category") is False
    assert flags.flag_enabled("browse-by-category", default=True) is True


def test_routes_exist():
    rules = {(r.rule, m) for r in shop.app.url_map.iter_rules() for m in r.methods or ()}
    for route in [
        ("/healthz", "GET"),
        ("/readyz", "GET"),
        ("/metrics", "GET"),
        ("/products", "GET"),
        ("/products/<int:product_id>", "GET"),
        ("/cart/<int:user_id>", "GET"),
        ("/cart/<int:user_id>", "POST"),
        ("/checkout/<int:user_id>", "POST"),
    ]:
        assert route in rules


def test_pool_timeout_is_a_503_and_counted(client, monkeypatch):
    monkeypatch.setattr(shop.database, "pool", FakePool(error=PoolTimeout("no connection after 2.00 sec")))
    before = timeouts_total(client)
    response = client.get("/products")
    assert response.status_code == 503
    assert response.get_json()["error"] == "database connection pool exhausted"
    assert timeouts_total(client) == before + 1
    metrics_text = client.get("/metrics").get_data(as_text=True)
    assert re.search(
        r'^http_server_request_duration_seconds_count\{http_request_method="GET",'
        r'http_response_status_code="503",http_route="/products",[^}]*\} \d',
        metrics_text,
        re.M,
    )
    assert "error_type" not in metrics_text


def test_database_error_is_a_500_with_json(client, monkeypatch):
    monkeypatch.setattr(shop.database, "pool", FakePool(error=psycopg.OperationalError("server closed")))
    response = client.get("/cart/3")
    assert response.status_code == 500
    assert response.get_json()["type"] == "OperationalError"


def test_readyz_names_each_failed_dependency(client, monkeypatch):
    monkeypatch.setattr(shop.database, "pool", FakePool(error=PoolTimeout("busy")))
    monkeypatch.setattr(shop, "cache", DownRedis())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert set(response.get_json()["failed"]) == {"database", "redis"}
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("enabled", [True, False])
def test_category_query_runs_only_while_the_flag_is_on(client, monkeypatch, enabled):
    conn = FakeConnection([{"id": 1, "category": "books-0007", "total": 1}])
    monkeypatch.setattr(shop.database, "pool", FakePool(conn))
    monkeypatch.setattr(shop, "flag_enabled", lambda name, default=False: enabled)
    body = client.get("/products?category=books-0007").get_json()
    assert body["feature"] == ("on" if enabled else "off")
    if enabled:
        # The listing and its "N products" count both filter on the unindexed column.
        expected = [(shop.CATEGORY_SQL, ("books-0007",)), (shop.CATEGORY_COUNT_SQL, ("books-0007",))]
    else:
        expected = [(shop.FEATURED_SQL, None)]
    assert conn.statements == expected


def test_checkout_of_an_empty_cart_is_a_conflict(client, monkeypatch):
    monkeypatch.setattr(shop.database, "pool", FakePool(FakeConnection([])))
    assert client.post("/checkout/9").status_code == 409


def test_pool_gauges_come_from_pool_stats(client, monkeypatch):
    monkeypatch.setattr(shop.database, "pool", FakePool())
    text = client.get("/metrics").get_data(as_text=True)
    assert re.search(r'^db_client_connection_count\{[^}]*state="used"[^}]*\} 7\.0$', text, re.M)
    assert re.search(r"^db_client_connection_pending_requests\{[^}]*\} 5\.0$", text, re.M)
    assert re.search(r"^db_client_connection_max\{[^}]*\} 10\.0$", text, re.M)


def test_a_pool_not_opened_yet_reports_no_connection_in_use(client, monkeypatch):
    # A lab whose load never touches the database (recommendations) must not read as a full pool.
    monkeypatch.setattr(
        shop.database, "pool", ConnectionPool("dbname=none", min_size=10, max_size=10, open=False)
    )
    text = client.get("/metrics").get_data(as_text=True)
    assert re.search(r'^db_client_connection_count\{[^}]*state="used"[^}]*\} 0\.0$', text, re.M)


def test_catalog_matches_the_departments_seed_sql_generates():
    departments = re.search(r"ARRAY\[('electronics'.*?)\]", SEED_SQL.read_text(), re.S)
    assert departments
    assert tuple(re.findall(r"'([a-z-]+)'", departments.group(1))) == DEPARTMENTS
    assert len(category_names()) == 1000 and "electronics-0042" in category_names()
