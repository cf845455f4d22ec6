"""Calls to the lab's PostgreSQL and Redis are bounded: a hang is a named error within the timeout."""

from __future__ import annotations

import base64
import json
import re
import socketserver
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from chaoslab.calls import (
    CONNECT_TIMEOUT_S,
    PROBE_STATEMENT_TIMEOUT_S,
    http,
    postgres,
    redis_client,
    unix_socket_address,
    unix_socket_url,
)
from chaoslab.errors import EnvironmentProblem, NoAnswer
from chaoslab.faults.redis_config import RedisConfigFault
from chaoslab.probes.sql import SqlProbe
from chaoslab.running_lab import LiveLab
from tests.stub_servers import hung_server


class HungLab:
    """A lab whose PostgreSQL and Redis accept connections and never answer."""

    def __init__(self, address: str):
        self.admin_dsn = f"postgresql://lab@{address}/lab"
        self.redis_url = f"redis://{address}/0"


def test_a_hung_postgresql_fails_the_sql_probe_by_name_within_the_connect_timeout() -> None:
    with hung_server() as address:
        started = time.monotonic()
        with pytest.raises(NoAnswer) as raised:
            SqlProbe(query="SELECT 1").measure(HungLab(address))  # type: ignore[arg-type]
        waited = time.monotonic() - started
    assert CONNECT_TIMEOUT_S * 0.9 <= waited < CONNECT_TIMEOUT_S + 2, waited
    assert raised.value.message == (
        f"PostgreSQL at {address} did not accept a connection within 5 s for the sql probe's query."
    )
    assert "chaoslab logs postgres" in (raised.value.hint or "")


def test_a_hung_redis_fails_a_config_change_by_name_within_the_timeout() -> None:
    with hung_server() as address:
        started = time.monotonic()
        said = f"Redis at {address} did not answer CONFIG GET/SET within 5 s."
        with pytest.raises(NoAnswer, match=re.escape(said)):
            RedisConfigFault(set={"maxmemory": "16mb"}).inject(HungLab(address))  # type: ignore[arg-type]
        assert time.monotonic() - started < 5 + 2


def test_a_short_redis_timeout_is_honoured() -> None:
    with hung_server() as address:
        started = time.monotonic()
        with (
            pytest.raises(NoAnswer, match=r"did not answer PING within 0\.5 s"),
            redis_client(f"redis://{address}/0", what="PING", timeout_s=0.5) as client,
        ):
            client.ping()
        assert time.monotonic() - started < 2.5


@pytest.fixture(scope="module")
def live() -> Iterator[LiveLab]:
    from tests.conftest import running_lab

    with running_lab("db-pool-exhaustion") as lab:
        yield lab


@pytest.mark.integration
def test_a_statement_that_runs_past_its_timeout_is_cancelled_by_name(live: LiveLab) -> None:
    started = time.monotonic()
    with (
        pytest.raises(NoAnswer) as raised,
        postgres(live.admin_dsn, what="a test's pg_sleep", statement_timeout_s=0.5) as conn,
    ):
        conn.execute("SELECT pg_sleep(30)")
    assert time.monotonic() - started < 3
    assert raised.value.message.endswith("did not finish a test's pg_sleep within 0.5 s (statement_timeout).")
    assert "pg_stat_activity" in (raised.value.hint or "")


@pytest.mark.integration
def test_the_probes_connections_carry_the_statement_timeout(live: LiveLab) -> None:
    assert SqlProbe(query="SHOW statement_timeout").measure(live) == f"{PROBE_STATEMENT_TIMEOUT_S:g}s"


class _Echo(BaseHTTPRequestHandler):
    """Answers every GET with the path and the Authorization header it got."""

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "auth": self.headers.get("Authorization")}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):  # type: ignore[no-untyped-def]
        request, _ = super().get_request()
        return request, ("unix", 0)  # BaseHTTPRequestHandler logs a client address


@pytest.mark.parametrize("depth", [1, 12], ids=["short path", "path over 107 bytes"])
def test_http_reaches_an_api_on_a_unix_socket(tmp_path: Path, depth: int) -> None:
    # Toxiproxy's admin API is on <run>/toxiproxy.sock; a run folder under a long home is deep.
    folder = tmp_path.joinpath(*["a-long-folder-name"] * depth)
    folder.mkdir(parents=True)
    path = folder / "toxiproxy.sock"
    with unix_socket_address(path) as address:
        server = _UnixHTTPServer(address, _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answer = http("GET", unix_socket_url(path) + "/proxies?x=1", service="Toxiproxy")
        assert answer.status_code == 200 and answer.json() == {"path": "/proxies?x=1", "auth": None}
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(EnvironmentProblem, match=r"Toxiproxy at http\+unix://.* did not answer"):
        http("GET", unix_socket_url(path) + "/proxies", service="Toxiproxy")


def test_a_login_in_the_url_is_sent_and_never_quoted(tmp_path: Path) -> None:
    path = tmp_path / "api.sock"
    server = _UnixHTTPServer(str(path), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = unix_socket_url(path).replace("://", "://chaoslab:s3cret@") + "/api"
        answer = http("GET", url, service="Prometheus")
    finally:
        server.shutdown()
        server.server_close()
    assert answer.json()["auth"] == "Basic " + base64.b64encode(b"chaoslab:s3cret").decode()
    assert "s3cret" not in answer.url
