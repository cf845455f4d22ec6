"""Stopping a lab leaves no process, port or data file behind; the run's record stays."""

from __future__ import annotations

import socket

import pytest

from chaoslab.lifecycle import start_lab, stop_lab
from chaoslab.runtimes.local.runtime import processes_of_run
from chaoslab.scenarios import load_scenario

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
