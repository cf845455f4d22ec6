"""Calls from the lab to its own services, each bounded: a hang or a garbled answer is a named error.

The lab's clients for PostgreSQL, Redis and the HTTP APIs of Prometheus and Toxiproxy are
built here, so none of them waits for ever on a service that accepts a connection and never
answers (a paused process, a wedged server, another program on the port). A wait that ends
raises ``NoAnswer`` naming the service, the address and what was asked; an answer in the
wrong protocol raises ``BadAnswer`` with the start of what came back.

The client libraries are imported inside the functions: scenario files import the probes and
faults that use this module, and loading a scenario must stay cheap.
"""

from __future__ import annotations

import json as _json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chaoslab.errors import BadAnswer, EnvironmentProblem, NoAnswer

if TYPE_CHECKING:
    import psycopg
    import redis

# Every service of a lab listens on 127.0.0.1: a connection takes microseconds, or never comes.
CONNECT_TIMEOUT_S = 5.0
# Probes measure while the lab is under load; a probe's query that runs longer is stuck behind
# something (a lock, a starved server), and the phase must go on with the probe's error.
PROBE_STATEMENT_TIMEOUT_S = 15.0
# Fault and fix statements (CREATE INDEX on a million rows, under load) take seconds, not minutes.
CHANGE_STATEMENT_TIMEOUT_S = 60.0
REDIS_TIMEOUT_S = 5.0
HTTP_TIMEOUT_S = 5.0
# How much of an unexpected answer an error quotes.
QUOTED_CHARS = 200

PSQL_HINT = (
    'see what it waits on: `chaoslab psql -c "SELECT pid, wait_event_type, state, query '
    "FROM pg_stat_activity WHERE state <> 'idle'\"`, and `chaoslab logs postgres`."
)


def _postgres_address(dsn: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(dsn)
    return f"{params.get('host', 'localhost')}:{params.get('port', 5432)}"


@contextmanager
def postgres(
    dsn: str,
    *,
    what: str,
    statement_timeout_s: float = PROBE_STATEMENT_TIMEOUT_S,
    connect_timeout_s: float = CONNECT_TIMEOUT_S,
    **kwargs: Any,
) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the lab database that gives up on connecting and on any statement.

    ``what`` names the work in the errors ("the sql probe's query"). A connection not made
    within ``connect_timeout_s`` (libpq counts whole seconds, at least 2) and a statement
    cancelled by the server's ``statement_timeout`` both raise ``NoAnswer``.
    """
    import psycopg

    address = _postgres_address(dsn)
    # libpq's connect_timeout is whole seconds, and it treats anything under 2 as 2.
    connect_s = max(2, round(connect_timeout_s))
    try:
        conn = psycopg.connect(
            dsn,
            autocommit=True,
            connect_timeout=connect_s,
            options=f"-c statement_timeout={round(statement_timeout_s * 1000)}",
            **kwargs,
        )
    except psycopg.OperationalError as exc:
        first_line = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        if "timeout" in first_line.lower():
            raise NoAnswer(
                f"PostgreSQL at {address} did not accept a connection within {connect_s} s for {what}.",
                hint="it accepts TCP but never answers: is it paused or overloaded? "
                "`chaoslab status`, `chaoslab logs postgres`.",
            ) from None
        raise EnvironmentProblem(
            f"PostgreSQL at {address} refused a connection for {what}: {first_line[:QUOTED_CHARS]}",
            hint="is the lab up? `chaoslab status`.",
        ) from None
    with conn:
        try:
            yield conn
        except psycopg.errors.QueryCanceled:
            raise NoAnswer(
                f"PostgreSQL at {address} did not finish {what} within {statement_timeout_s:g} s "
                "(statement_timeout).",
                hint=PSQL_HINT,
            ) from None


@contextmanager
def redis_client(
    url: str, *, what: str, timeout_s: float = REDIS_TIMEOUT_S, **kwargs: Any
) -> Iterator[redis.Redis]:
    """A client of the lab's Redis whose connects and replies time out; closed when the block ends.

    A reply that does not come within ``timeout_s`` raises ``NoAnswer`` naming ``what``; a
    connection refused or dropped raises ``EnvironmentProblem``. Redis' own refusals
    (``ResponseError``) pass through for the caller to explain.
    """
    import redis

    client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, **kwargs)
    # The URL carries the password (redis://:PASSWORD@host:port/0): errors name the host and port only.
    address = url.removeprefix("redis://").split("/", 1)[0].rsplit("@", 1)[-1]
    try:
        yield client
    except redis.TimeoutError:
        raise NoAnswer(
            f"Redis at {address} did not answer {what} within {timeout_s:g} s.",
            hint="it accepts connections but never answers: is it paused, or busy with a slow command? "
            "`chaoslab status`, `chaoslab redis-cli SLOWLOG GET 5`.",
        ) from None
    except redis.ConnectionError as exc:
        raise EnvironmentProblem(
            f"Redis at {address} did not take {what}: {exc.__class__.__name__}: {str(exc)[:QUOTED_CHARS]}",
            hint="is the lab up? `chaoslab status`.",
        ) from None
    finally:
        client.close()


@dataclass(frozen=True)
class HttpAnswer:
    """What a lab service answered: the request it answers, its status and its body as text."""

    method: str
    url: str
    status_code: int
    text: str

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` when it is not)."""
        return _json.loads(self.text)


UNIX_SCHEME = "http+unix"


def unix_socket_url(path: str | os.PathLike[str]) -> str:
    """The base URL of an HTTP API served on a Unix socket, as ``http()`` and requests-unixsocket read it.

    http("GET", unix_socket_url(run.dir / "toxiproxy.sock") + "/proxies", service="Toxiproxy")
    """
    from urllib.parse import quote

    return f"{UNIX_SCHEME}://{quote(os.fspath(path), safe='')}"


def http(
    method: str,
    url: str,
    *,
    service: str,
    timeout_s: float = HTTP_TIMEOUT_S,
    params: Mapping[str, str] | None = None,
    json: Any = None,
    auth: tuple[str, str] | None = None,
) -> HttpAnswer:
    """One HTTP request to a lab service, given up after ``timeout_s`` of silence (``NoAnswer``).

    ``service`` names it in the errors ("Prometheus"). A refused or reset connection raises
    ``EnvironmentProblem``; the status code is the caller's to judge. ``params`` go in the
    query string, ``json`` is sent as the body, ``auth`` is basic auth (user, password); a
    login in the URL (``http://user:pass@host:port``) is sent the same way. A URL made by
    ``unix_socket_url`` goes over that Unix socket (Toxiproxy's admin API, kept off TCP).

    The standard library's client, not requests: every lab service is on 127.0.0.1 and speaks
    plain HTTP/1.1, and `chaoslab status`, `alerts`, `query` and `verify` answer in a few
    tenths of a second partly because they do not import requests (about 0.1 s).

        answer = http("GET", f"{url}/api/v1/query", service="Prometheus", params={"query": "up"})
    """
    import http.client
    from base64 import b64encode
    from urllib.parse import unquote, urlencode, urlsplit

    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    parts = urlsplit(url)
    headers = {"Accept": "application/json"}
    body = None
    if json is not None:
        body = _json.dumps(json).encode()
        headers["Content-Type"] = "application/json"
    if auth is None and parts.username is not None:
        auth = (unquote(parts.username), unquote(parts.password or ""))
    if auth is not None:
        headers["Authorization"] = "Basic " + b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    # Errors quote the URL: never with its password.
    host = parts.netloc.rsplit("@", 1)[-1]
    shown = url.replace(parts.netloc, host, 1)
    connection: http.client.HTTPConnection
    if parts.scheme == UNIX_SCHEME:
        connection = _unix_connection(unquote(host), timeout=timeout_s)
    else:
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout_s)
    try:
        connection.request(
            method, parts.path + (f"?{parts.query}" if parts.query else "") or "/", body, headers
        )
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
    except TimeoutError:  # socket.timeout: no connection, or no answer, within timeout_s
        raise NoAnswer(
            f"{service} did not answer {method} {shown} within {timeout_s:g} s.",
            hint="it accepts connections but never answers: is it paused or overloaded? "
            f"`chaoslab status`, `chaoslab logs {service.lower()}`.",
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        raise EnvironmentProblem(
            f"{service} at {shown} did not answer: {exc.__class__.__name__}.",
            hint="is the lab up? `chaoslab status`.",
        ) from None
    finally:
        connection.close()
    return HttpAnswer(method=method, url=shown, status_code=response.status, text=text)


# sun_path holds 108 bytes with its terminating NUL; a run folder under a long home can be deeper.
UNIX_PATH_MAX = 107


@contextmanager
def unix_socket_address(path: str | os.PathLike[str]) -> Iterator[str]:
    """An address for ``path`` that fits a Unix socket: itself, or the same file through /proc/self/fd.

    Both ``bind`` and ``connect`` resolve the ``/proc/self/fd/N`` of the folder like any path.
    """
    path = os.fspath(path)
    if len(os.fsencode(path)) <= UNIX_PATH_MAX:
        yield path
        return
    folder = os.open(os.path.dirname(path), os.O_PATH)
    try:
        yield f"/proc/self/fd/{folder}/{os.path.basename(path)}"
    finally:
        os.close(folder)


def _unix_connection(path: str, timeout: float) -> Any:
    """An ``http.client.HTTPConnection`` that connects to the Unix socket at ``path``."""
    import http.client
    import socket

    class UnixHTTPConnection(http.client.HTTPConnection):
        def connect(self) -> None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            try:
                with unix_socket_address(path) as address:
                    sock.connect(address)
            except OSError:
                sock.close()
                raise
            self.sock = sock

    # The Host header names the socket's service, not a machine (as curl --unix-socket sends it).
    return UnixHTTPConnection("localhost", timeout=timeout)


def json_body(response: HttpAnswer, *, service: str) -> Any:
    """The JSON a lab service answered, or ``BadAnswer`` quoting what came instead."""
    try:
        return response.json()
    except ValueError:  # json's JSONDecodeError is a ValueError
        raise BadAnswer(
            f"{service} answered {response.method} {response.url} with HTTP "
            f"{response.status_code} and a body that is not JSON: {response.text[:QUOTED_CHARS]!r}.",
            hint=f"something other than the lab's {service} may answer on that port (a proxy, another "
            "program): `chaoslab status`, and `ss -ltnp` for who listens there.",
        ) from None
