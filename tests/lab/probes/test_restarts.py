"""The restarts probe: the runtime's count, the last exit as a platform shows it, and time since it."""

from __future__ import annotations

import time

import pytest

from chaoslab.errors import NotHealthy
from chaoslab.probes.restarts import RestartsProbe
from chaoslab.service_status import ServiceStatus


class StatusLab:
    def __init__(self, status: ServiceStatus | None):
        self.status = status

    def service_status(self, service: str) -> ServiceStatus | None:
        return self.status


def test_restarts_and_the_last_exit() -> None:
    crashed = ServiceStatus(
        name="checkout", state="healthy", restarts=4, last_exit_code=137, last_exit_reason="OOMKilled",
        last_exit_at=time.time() - 12, since=time.time() - 11,
    )  # fmt: skip
    lab = StatusLab(crashed)
    assert RestartsProbe(service="checkout").measure(lab) == 4  # type: ignore[arg-type]
    assert RestartsProbe(service="checkout", output="last_exit").measure(lab) == "137 OOMKilled"  # type: ignore[arg-type]
    since = RestartsProbe(service="checkout", output="seconds_since_exit").measure(lab)  # type: ignore[arg-type]
    assert isinstance(since, float) and 11.5 < since < 20


def test_a_service_that_never_exited() -> None:
    lab = StatusLab(ServiceStatus(name="checkout", state="healthy", since=time.time() - 40))
    assert RestartsProbe(service="checkout", output="last_exit").measure(lab) is None  # type: ignore[arg-type]
    since = RestartsProbe(service="checkout", output="seconds_since_exit").measure(lab)  # type: ignore[arg-type]
    assert isinstance(since, float) and since >= 40


def test_an_unknown_service_is_named() -> None:
    with pytest.raises(NotHealthy, match="'nope'"):
        RestartsProbe(service="nope").measure(StatusLab(None))  # type: ignore[arg-type]
