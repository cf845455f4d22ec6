"""Asking the running lab's API, with the standard library only: a command that gets its answer here
loads no schema and no lab module, and answers in about a tenth of a second.

>>> ask("GET", "/status")  # this state home's current lab, or None: work it out yourself
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chaoslab.homes import state_home

# In the run's folder (0600): only the lab's owner reaches it, as with Toxiproxy's admin socket.
SOCKET_NAME = "lab-api.sock"
# Set to 1 to make the CLI work every answer out itself (bench/cli_speed.py compares both ways).
BYPASS_ENV = "CHAOSLAB_NO_LAB_API"
# The session's warning of its last minutes (chaoslab.runs.session.warning_line), sent with each answer.
WARNING_HEADER = "X-Chaoslab-Warning"

_warnings: list[str] = []


def session_warning() -> str | None:
    """The warning that came with the last answer: the lab's session is in its last minutes."""
    return _warnings[-1] if _warnings else None


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over the lab API's Unix socket."""

    def __init__(self, path: Path, timeout_s: float):
        super().__init__("lab-api", timeout=timeout_s)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        with short_address(self.path) as address:
            self.sock.connect(address)


@contextlib.contextmanager
def short_address(path: Path) -> Iterator[str]:
    """``path`` as a socket address of a few dozen bytes, through the folder's descriptor: a
    Unix socket's address holds at most 107, and a state home may sit deeper than that leaves."""
    folder = os.open(path.parent, os.O_PATH)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)


def current_socket() -> Path | None:
    """The socket of this state home's current lab, if that lab has one."""
    try:
        run_id = (state_home() / "current").read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    # A garbled pointer is the in-process path's to report (lab/chaoslab/runs/run.py).
    if not run_id or "/" in run_id or run_id.startswith("."):
        return None
    path = state_home() / "runs" / run_id / SOCKET_NAME
    return path if path.exists() else None


def ask(method: str, path: str, timeout_s: float = 30) -> dict[str, Any] | None:
    """The lab API's answer to ``METHOD PATH``, or None when none comes: no lab, a lab without the
    API (an older chaoslab's), a server gone, or an error there. The caller then works the answer
    out in its own process, where an error is reported with its hint."""
    if os.environ.get(BYPASS_ENV) == "1":
        return None
    sock = current_socket()
    if sock is None:
        return None
    connection = _UnixConnection(sock, timeout_s)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()
    if warning := response.getheader(WARNING_HEADER):
        _warnings.append(warning)
    if response.status != 200:
        return None
    answer = json.loads(body)
    return answer if isinstance(answer, dict) else None
