"""The Prometheus client against a server that hangs or answers junk: a named error, never a stall."""

from __future__ import annotations

import time

import pytest

from chaoslab.errors import BadAnswer, EnvironmentProblem, NoAnswer
from chaoslab.observability.prometheus import PrometheusClient
from tests.stub_servers import answering_server, hung_server

PAGE = "<html>oops" + "x" * 500 + "</html>"


def test_an_html_answer_is_a_named_error_with_the_url_the_status_and_the_start_of_the_body() -> None:
    with answering_server(200, PAGE) as address, pytest.raises(BadAnswer) as raised:
        PrometheusClient(f"http://{address}").query("up")
    error = raised.value
    url = f"http://{address}/api/v1/query?query=up"
    assert error.message.startswith(f"Prometheus answered GET {url} with HTTP 200 and a body that is not")
    assert repr(PAGE[:200]) in error.message and PAGE[:201] not in error.message
    assert error.hint and "port" in error.hint
    assert "JSONDecodeError" not in error.render() and error.exit_code == 2


def test_json_that_is_not_the_api_envelope_is_a_named_error_too() -> None:
    with (
        answering_server(200, "[1, 2]", content_type="application/json") as address,
        pytest.raises(BadAnswer, match="not its API's envelope"),
    ):
        PrometheusClient(f"http://{address}").alerts()


def test_a_hung_prometheus_is_a_named_error_within_the_timeout() -> None:
    with hung_server() as address:
        client = PrometheusClient(f"http://{address}", timeout_s=1)
        started = time.monotonic()
        with pytest.raises(NoAnswer) as raised:
            client.firing()
        waited = time.monotonic() - started
    assert 0.9 <= waited < 3, waited
    assert raised.value.message == f"Prometheus did not answer GET http://{address}/api/v1/alerts within 1 s."
    assert "chaoslab logs prometheus" in (raised.value.hint or "")


def test_a_hung_reload_is_bounded_too() -> None:
    with hung_server() as address:
        started = time.monotonic()
        with pytest.raises(NoAnswer, match="POST"):
            PrometheusClient(f"http://{address}", timeout_s=0.5).reload()
        assert time.monotonic() - started < 3


def test_nobody_listening_is_an_environment_problem_not_a_hang() -> None:
    with hung_server() as address:
        pass  # closed: the port now refuses connections
    with pytest.raises(EnvironmentProblem) as raised:
        PrometheusClient(f"http://{address}").query("up")
    assert not isinstance(raised.value, NoAnswer)
    assert "did not answer: ConnectionRefusedError" in raised.value.message
