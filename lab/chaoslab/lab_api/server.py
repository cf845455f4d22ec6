"""The lab API server of one run: `python -m chaoslab.lab_api RUN_DIR`, a companion process that
lifecycle starts with the lab and stops with it (chaoslab.runtimes.core.detached).

HTTP over ``<run>/lab-api.sock`` (0600), JSON in the shapes of docs/cli-json.md:

- ``GET /status``, ``GET /alerts``, ``GET /query?promql=…``: what `--json` prints;
- ``POST /verify``: the recovery checks now, recorded on the timeline (``verdict``, ``units``).

An error answers 503 with ``{"error", "hint"}``, and the CLI then works the answer out itself, so a
learner sees the same message either way. One request is answered at a time: probes share the
lab's clients, and each answer takes a few tenths of a second. The server leaves when the state
home's current lab is no longer its run (a `chaoslab stop` that could not reach it, a crash).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socketserver
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chaoslab.errors import LabError, UsageError
from chaoslab.lab_api.answers import alerts_answer, query_answer, status_answer, verify_answer
from chaoslab.lab_api.client import SOCKET_NAME, WARNING_HEADER, short_address
from chaoslab.running_lab import LiveLab
from chaoslab.runs import Run
from chaoslab.runs.session import warning_line
from chaoslab.scenarios import load_scenario
from chaoslab.service_status import UP_STATES

# How often the server looks whether its lab is still the state home's current one.
WATCH_S = 2.0

Answer = Callable[[dict[str, list[str]]], dict[str, Any]]


def routes(live: LiveLab) -> dict[tuple[str, str], Answer]:
    """(method, path) → the answer for a query string, each given only while the lab is up."""
    answers: dict[tuple[str, str], Answer] = {
        ("GET", "/status"): lambda _: status_answer(live),
        ("GET", "/alerts"): lambda _: alerts_answer(live.prometheus),
        ("GET", "/query"): lambda q: query_answer(live.prometheus, q.get("promql", [""])[0]),
        ("POST", "/verify"): lambda _: verify_answer(live, 0),
    }
    return {route: _while_up(live, answer) for route, answer in answers.items()}


def _while_up(live: LiveLab, answer: Answer) -> Answer:
    """A lab whose services are all gone gets no answer: the CLI's own process then cleans it up
    and says so (chaoslab.lifecycle.open_lab), which stops this server too."""

    def guarded(query: dict[str, list[str]]) -> dict[str, Any]:
        if not any(s.state in UP_STATES for s in live.runtime.status().values()):
            raise UsageError(f"The lab of run {live.run.id} is no longer running.")
        return answer(query)

    return guarded


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """HTTP on a Unix socket, a thread per connection."""

    daemon_threads = True


def _session_warning(run: Run) -> str | None:
    """The session's warning of its last minutes, which the CLI prints after the answer."""
    try:
        session = run.read_state().session
    except LabError:
        return None
    return warning_line(session) if session else None


def handler(
    answers: dict[tuple[str, str], Answer], warning: Callable[[], str | None]
) -> type[BaseHTTPRequestHandler]:
    """The request handler: each route's answer as JSON, ``warning()`` in a header when there is one."""
    one_at_a_time = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            url = urlsplit(self.path)
            answer = answers.get((method, url.path))
            if answer is None:
                self._send(
                    404, {"error": f"no {method} {url.path} here", "hint": "see chaoslab/lab_api/server.py"}
                )
                return
            try:
                with one_at_a_time:
                    self._send(200, answer(parse_qs(url.query)))
            except LabError as exc:
                self._send(503, {"error": exc.message, "hint": exc.hint})
            except Exception as exc:  # the CLI falls back to its own process, which reports it
                self._send(500, {"error": f"{type(exc).__name__}: {exc}", "hint": None})

        def _send(self, code: int, document: dict[str, Any]) -> None:
            body = json.dumps(document, default=str).encode()
            self.send_response(code)
            if said := warning():
                self.send_header(WARNING_HEADER, said)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def address_string(self) -> str:
            return "cli"  # a Unix socket's peer has no address

        def log_message(self, format: str, *args: Any) -> None:
            sys.stdout.write(f"{self.log_date_time_string()} {format % args}\n")
            sys.stdout.flush()

    return Handler


def _still_current(run: Run) -> bool:
    try:
        return (run.dir.parent.parent / "current").read_text().strip() == run.id
    except OSError:
        return False


def serve(run_dir: Path) -> None:
    """Answer on ``<run_dir>/lab-api.sock`` until SIGTERM or until the lab is no longer current."""
    # The run's own state home, whatever $CHAOSLAB_HOME says here (as chaoslab.takedown does).
    os.environ["CHAOSLAB_HOME"] = str(run_dir.parent.parent)
    run = Run.at(run_dir)
    live = LiveLab(run, load_scenario(run.info.scenario))
    path = run.dir / SOCKET_NAME
    path.unlink(missing_ok=True)
    old_umask = os.umask(0o177)  # 0600 from the start: no moment where others could connect
    try:
        with short_address(path) as address:
            server = UnixServer(address, handler(routes(live), lambda: _session_warning(run)))
    finally:
        os.umask(old_umask)
    stopping = threading.Event()

    def watch() -> None:
        while not stopping.wait(WATCH_S):
            if not _still_current(run):
                break
        server.shutdown()

    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    threading.Thread(target=watch, daemon=True).start()
    print(f"lab API of run {run.id} on {path}", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
        path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--owner-pid", type=int, help="unused: the lab's own stop ends this server")
    args = parser.parse_args(argv)
    serve(args.run_dir.resolve())
