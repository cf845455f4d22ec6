"""Stopping a lab leaves no process, port or data file behind; the run's record stays."""

from __future__ import annotations

import os
import signal
import socket

import pytest

from chaoslab.lifecycle import start_lab, stop_lab
from chaoslab.runs import current_run
from chaoslab.runtimes.core.detached import DetachedProcess
from chaoslab.runtimes.local.runtime import processes_of_run
from chaoslab.scenarios import load_scenario
from chaoslab.waiting import wait_until
from tests.chaoslab_command import run_chaoslab

pytestmark = pytest.mark.integration


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_stop_leaves_no_process_port_or_data(port_base: int) -> None:
    lab = start_lab(load_scenario("db-pool-exhaustion"), seed=1, port_base=port_base, echo=lambda _: None)
    ports = [p for p in lab.ports.all().values()]
    assert processes_of_run(lab.run.id)
    stop_lab(lab.run)
    assert processes_of_run(lab.run.id) == []
    assert not any(listening(p) for p in ports)
    assert not lab.run.data_dir.exists()
    assert lab.run.timeline_path.exists()  # the record of the run stays for the report


def test_a_lab_whose_supervisor_died_is_cleaned_up_by_the_next_status(port_base: int) -> None:
    """The lab API answers only while the lab is up: `status` then cleans the dead lab up and says
    so, as without the API, and that stops the API's server too."""
    lab = start_lab(load_scenario("missing-metrics"), seed=1, port_base=port_base, echo=lambda _: None)
    supervisor = DetachedProcess(lab.run, "chaoslab.runtimes.local.supervisor", "supervisor").pid()
    assert supervisor is not None
    wait_until((lab.run.dir / "lab-api.sock").exists, 30, "the lab API to listen")
    os.kill(supervisor, signal.SIGKILL)  # its services die with it (PR_SET_PDEATHSIG)
    os.waitpid(supervisor, 0)  # this process started it: reap it, or it and its children stay zombies
    wait_until(lambda: not any(listening(p) for p in lab.ports.all().values()), 30, "the services to die")
    try:
        status = run_chaoslab("status")
        assert status.returncode == 2, status.stdout + status.stderr
        assert "is no longer running" in status.stderr and "cleaned it up" in status.stderr
        wait_until(lambda: processes_of_run(lab.run.id) == [], 10, "the lab API server to stop")
        assert current_run() is None
    finally:
        if current_run() is not None:
            stop_lab(lab.run)
