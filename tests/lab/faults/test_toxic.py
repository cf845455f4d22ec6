"""The toxic fault: bounded calls to Toxiproxy (a hang is a named error), and real toxics on a real server."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from chaoslab.calls import HTTP_TIMEOUT_S
from chaoslab.errors import BadAnswer, NoAnswer, UsageError
from chaoslab.faults.toxic import ToxicFault, ToxiproxyApi
from chaoslab.setup import find_binary
from chaoslab.waiting import wait_until
from tests.stub_servers import answering_server, hung_server

LATENCY = ToxicFault(link="db", type="latency", attributes={"latency": 250})


class ToxiproxyLab:
    """The part of a lab a toxic touches: Toxiproxy's API."""

    def __init__(self, url: str):
        self.toxiproxy_url = url


def test_a_hung_toxiproxy_ends_the_injection_with_a_named_error_within_the_timeout() -> None:
    with hung_server() as address:
        started = time.monotonic()
        with pytest.raises(NoAnswer) as raised:
            LATENCY.inject(ToxiproxyLab(f"http://{address}"))  # type: ignore[arg-type]
        waited = time.monotonic() - started
    assert HTTP_TIMEOUT_S * 0.9 <= waited < HTTP_TIMEOUT_S + 2, waited
    assert raised.value.message == (
        f"Toxiproxy did not answer GET http://{address}/proxies/db within {HTTP_TIMEOUT_S:g} s."
    )
    assert "chaoslab logs toxiproxy" in (raised.value.hint or "")


def test_a_hung_toxiproxy_ends_the_revert_too() -> None:
    with hung_server() as address:
        started = time.monotonic()
        with pytest.raises(NoAnswer, match="DELETE"):
            ToxiproxyApi(f"http://{address}", timeout_s=0.5).remove_toxic("db", "chaoslab-latency-downstream")
        assert time.monotonic() - started < 3


def test_an_html_answer_instead_of_the_api_is_a_named_error() -> None:
    with answering_server(200, "<html>oops</html>") as address, pytest.raises(BadAnswer) as raised:
        ToxiproxyApi(f"http://{address}").proxy("db")
    assert "HTTP 200" in raised.value.message and "'<html>oops</html>'" in raised.value.message


@pytest.fixture
def toxiproxy(tmp_path: Path) -> Iterator[tuple[ToxiproxyApi, ToxiproxyLab]]:
    """A real toxiproxy-server with one link, ``db``, to a port nobody needs to serve."""
    from tests.conftest import free_port_base

    base = free_port_base()
    url = f"http://127.0.0.1:{base}"
    server = subprocess.Popen(
        [find_binary("toxiproxy-server"), "-host", "127.0.0.1", "-port", str(base)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _answers(url), timeout_s=10, what=f"toxiproxy-server on port {base}")
        created = requests.post(
            f"{url}/proxies",
            json={"name": "db", "listen": f"127.0.0.1:{base + 1}", "upstream": f"127.0.0.1:{base + 2}"},
            timeout=5,
        )
        assert created.status_code == 201, created.text
        yield ToxiproxyApi(url), ToxiproxyLab(url)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/version", timeout=1).ok
    except requests.RequestException:
        return False


@pytest.mark.integration
def test_inject_adds_the_toxic_and_revert_removes_it(toxiproxy: tuple[ToxiproxyApi, ToxiproxyLab]) -> None:
    api, lab = toxiproxy

    memento = LATENCY.inject(lab)  # type: ignore[arg-type]

    proxy = api.proxy("db")
    assert proxy is not None
    [toxic] = proxy["toxics"]
    assert memento == {"toxic": "chaoslab-latency-downstream"}
    assert toxic["name"] == "chaoslab-latency-downstream" and toxic["attributes"]["latency"] == 250
    with pytest.raises(UsageError, match="already has a toxic named 'chaoslab-latency-downstream'"):
        LATENCY.inject(lab)  # type: ignore[arg-type]

    LATENCY.revert(lab, memento)  # type: ignore[arg-type]
    assert (api.proxy("db") or {}).get("toxics") == []
    LATENCY.revert(lab, memento)  # type: ignore[arg-type]  # already gone: fine


@pytest.mark.integration
def test_an_unknown_link_or_toxic_is_refused_with_one_sentence(
    toxiproxy: tuple[ToxiproxyApi, ToxiproxyLab],
) -> None:
    api, lab = toxiproxy
    with pytest.raises(UsageError, match="No Toxiproxy link named 'cache'"):
        ToxicFault(link="cache", type="latency").inject(lab)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="Toxiproxy refused the toxic") as refused:
        api.add_toxic("db", {"name": "bad", "type": "no-such-toxic", "stream": "downstream"})
    assert refused.value.hint
