"""The `service` fault on both runtimes: a kill is a crash the restart policy mends, a pause a hang."""

from __future__ import annotations

import pytest
import requests

from chaoslab.faults.service import ServiceFault
from chaoslab.runtimes.core.base import Runtime
from chaoslab.service_status import ServiceAction
from chaoslab.waiting import wait_until
from tests.lab.conftest import web


class Levers:
    """The one lever the fault pulls, on a bare runtime (no scenario needed)."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def act_on(self, service: str, action: ServiceAction) -> None:
        self.runtime.act(service, action)


def answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/", timeout=0.5).ok
    except requests.RequestException:
        return False


def kill_and_pause(rt: Runtime, port: int) -> None:
    rt.up([web(port, port)], timeout_s=60)
    lab = Levers(rt)
    before = rt.status()["web"].restarts

    memento = ServiceFault(service="web", action="kill").inject(lab)  # type: ignore[arg-type]
    wait_until(lambda: rt.status()["web"].restarts > before, 30, "the restart after the kill")
    # The docker watcher records the exit from the engine's events, shortly after the restart count.
    wait_until(lambda: rt.status()["web"].last_exit_code == 137, 30, "the kill's exit code (137)")
    wait_until(lambda: answers(port), 30, "the restarted service answering")
    ServiceFault(service="web", action="kill").revert(lab, memento)  # type: ignore[arg-type]

    pause = ServiceFault(service="web", action="pause")
    memento = pause.inject(lab)  # type: ignore[arg-type]
    assert not answers(port)  # frozen: the connection opens, no answer comes
    pause.revert(lab, memento)  # type: ignore[arg-type]
    wait_until(lambda: answers(port), 10, "the thawed service answering")


@pytest.mark.integration
def test_kill_and_pause_of_a_process(runtime: Runtime, port_base: int) -> None:
    kill_and_pause(runtime, port_base)


@pytest.mark.integration
@pytest.mark.docker
def test_kill_and_pause_of_a_container(docker_runtime: Runtime, port_base: int) -> None:
    kill_and_pause(docker_runtime, port_base)
