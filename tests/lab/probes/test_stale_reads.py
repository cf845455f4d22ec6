"""The stale-reads probe against a small in-process HTTP service: right, stale, and broken."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chaoslab.errors import NotHealthy
from chaoslab.probes.stale_reads import StaleReadsProbe


class Profiles:
    """Versions in a 'database' and what reads are served; ``stale`` serves the version before the write."""

    def __init__(self, mode: str):
        self.mode = mode
        self.database: dict[int, int] = {}
        self.served: dict[int, int] = {}
        self.reads: Counter[int] = Counter()
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        profiles = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def log_message(self, *_args) -> None:
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                user = int(re.fullmatch(r"/profiles/(\d+)", self.path).group(1))
                with profiles.lock:
                    profiles.reads[user] += 1
                    version = profiles.served.setdefault(user, profiles.database.setdefault(user, 1))
                self._answer(200, {"id": user, "version": version})

            def do_PUT(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                if profiles.mode == "broken":
                    self._answer(503, {"error": "database connection pool exhausted"})
                    return
                user = int(self.path.rsplit("/", 1)[1])
                with profiles.lock:
                    profiles.database[user] = profiles.database.get(user, 1) + 1
                    if profiles.mode == "fresh":
                        profiles.served[user] = profiles.database[user]
                    written = profiles.database[user]
                self._answer(200, {"id": user, "version": written})

        return Handler


@pytest.fixture
def serve() -> Iterator:
    servers = []

    def start(mode: str) -> tuple[str, Profiles]:
        profiles = Profiles(mode)
        server = ThreadingHTTPServer(("127.0.0.1", 0), profiles.handler())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}", profiles

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_correct_service_has_no_stale_read(serve) -> None:
    url, profiles = serve("fresh")
    probe = StaleReadsProbe(updates=40, readers=2, first_user=9001, users=10)
    tally = probe.cycles(url, profiles.database.get)
    assert (tally.updates, tally.stale, tally.database_fresh) == (40, 0, 40)
    # Each cycle reads before and after its write, and the readers join in on the same profile.
    assert set(profiles.reads) == set(range(9001, 9011))
    assert sum(profiles.reads.values()) >= 40 * 2 + 40 * 2


def test_a_cache_serving_the_old_version_is_all_stale_with_a_correct_database(serve) -> None:
    url, profiles = serve("stale")
    tally = StaleReadsProbe(updates=20, readers=1).cycles(url, profiles.database.get)
    assert (tally.stale, tally.database_fresh) == (20, 20)


def test_a_failing_service_is_reported_with_its_answer(serve) -> None:
    url, profiles = serve("broken")
    with pytest.raises(NotHealthy, match=r"503 to PUT /profiles/9001.*pool exhausted"):
        StaleReadsProbe(updates=5, readers=2).cycles(url, profiles.database.get)
