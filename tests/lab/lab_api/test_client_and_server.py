"""The lab API's client and server over a real Unix socket: answers, fallbacks, the session warning."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaoslab.errors import UsageError
from chaoslab.lab_api import client
from chaoslab.lab_api.server import UnixServer, handler

RUN_ID = "20261202-000000-db-pool-exhaustion-0001"


def _refuse(_: dict[str, list[str]]) -> dict[str, object]:
    raise UsageError("No lab is running.", hint="chaoslab start db-pool-exhaustion")


@pytest.fixture
def lab_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A server on the socket of the home's current run; yields the warning it sends (settable)."""
    monkeypatch.setenv("CHAOSLAB_HOME", str(tmp_path))
    monkeypatch.delenv(client.BYPASS_ENV, raising=False)
    run_dir = tmp_path / "runs" / RUN_ID
    run_dir.mkdir(parents=True)
    (tmp_path / "current").write_text(RUN_ID)
    warning: list[str] = []
    answers = {
        ("GET", "/status"): lambda q: {"healthy": True, "asked": q},
        ("GET", "/refused"): _refuse,
        ("GET", "/broken"): lambda _: {"n": 1 / 0},
    }
    # pytest's tmp_path is deeper than a socket address may be long: the server binds as the lab's does.
    with client.short_address(run_dir / client.SOCKET_NAME) as address:
        server = UnixServer(address, handler(answers, lambda: warning[-1] if warning else None))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield warning
    server.shutdown()
    server.server_close()
    client._warnings.clear()


def test_an_answer_comes_as_the_server_sent_it(lab_api: list[str]) -> None:
    assert client.ask("GET", "/status?promql=up") == {"healthy": True, "asked": {"promql": ["up"]}}
    assert client.session_warning() is None


@pytest.mark.parametrize("path", ["/refused", "/broken", "/nowhere"])
def test_an_error_there_is_none_here_so_the_cli_works_it_out_itself(lab_api: list[str], path: str) -> None:
    assert client.ask("GET", path) is None


def test_the_session_warning_comes_with_the_answer(lab_api: list[str]) -> None:
    lab_api.append("this lab's session ends in 4m 10s")
    assert client.ask("GET", "/status") is not None
    assert client.session_warning() == "this lab's session ends in 4m 10s"


def test_no_current_lab_or_a_bypass_asks_nothing(
    lab_api: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(client.BYPASS_ENV, "1")
    assert client.ask("GET", "/status") is None
    monkeypatch.delenv(client.BYPASS_ENV)
    (tmp_path / "current").write_text("../elsewhere")  # a garbled pointer is the CLI's to report
    assert client.ask("GET", "/status") is None
    (tmp_path / "current").unlink()
    assert client.ask("GET", "/status") is None
