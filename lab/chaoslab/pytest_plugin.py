"""chaoslab's pytest plugin (entry point `chaoslab`): recovery tests for trainers and users.

    def test_the_index_fixes_it(chaoslab_lab):
        lab = chaoslab_lab("db-pool-exhaustion", seed=1)   # up, load on, fault in
        assert lab.wait_for_symptoms()
        lab.apply_fix()
        lab.assert_recovered(wait_s=120)

Pytest loads this module in every session of the environment, so it imports
nothing of the lab at load time and starts nothing unless a test asks for
``chaoslab_lab``.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from chaoslab.testing import LabUnderTest

PORT_STRIDE = 40
PORTS_PER_LAB = 32


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaoslab")
    group.addoption(
        "--chaoslab-keep",
        action="store_true",
        help="keep the labs' run folders (logs, timeline, post-mortem draft) after the session",
    )


def block_is_free(base: int, size: int = PORTS_PER_LAB) -> bool:
    """Whether nothing listens on 127.0.0.1 ports base … base+size-1."""
    for port in range(base, base + size):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port_base(taken: set[int]) -> int:
    """A block of ports nobody listens on: from $CHAOSLAB_TEST_PORT_START (16000), apart per xdist worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    start = int(os.environ.get("CHAOSLAB_TEST_PORT_START", "16000")) + 1000 * int(worker or 0)
    blocks = range(start, start + 1000, PORT_STRIDE)
    if taken.issuperset(blocks):
        # Every block was handed out once: the labs of earlier tests are down, start over.
        taken.clear()
    for base in blocks:
        if base not in taken and block_is_free(base):
            taken.add(base)
            return base
    raise RuntimeError(f"no free block of {PORTS_PER_LAB} ports between {start} and {start + 1000}")


@pytest.fixture(scope="session")
def chaoslab_home(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A private state home for the session's labs, removed afterwards unless --chaoslab-keep."""
    # /var/tmp, not pytest's 0700 tmp: the unprivileged PostgreSQL user must reach it.
    home = Path(tempfile.mkdtemp(prefix="chaoslab-pytest-", dir="/var/tmp"))
    home.chmod(0o755)
    yield home
    if not request.config.getoption("chaoslab_keep"):
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def _chaoslab_ports() -> set[int]:
    return set()


@pytest.fixture
def chaoslab_lab(
    chaoslab_home: Path,
    _chaoslab_ports: set[int],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., LabUnderTest]]:
    """Factory: ``chaoslab_lab(scenario_id, seed=1, fault=True)`` starts a lab, taken down after the test.

    The lab comes up healthy with its load on, warms up for the scenario's ``warmup_s``
    and measures its baseline (``lab.baseline``); with ``fault`` the fault goes in, as
    `chaoslab start` does. One lab per test: a lab lives in a state home, and the test gets one.
    """
    from chaoslab.homes import cache_home
    from chaoslab.lifecycle import start_incident, start_lab, stop_lab
    from chaoslab.scenarios import load_scenario
    from chaoslab.testing import LabUnderTest

    # The database templates stay in the shared cache while the home moves.
    monkeypatch.setenv("CHAOSLAB_CACHE", str(cache_home()))
    monkeypatch.setenv("CHAOSLAB_HOME", str(chaoslab_home))
    started: list[LabUnderTest] = []

    def start(scenario_id: str, seed: int = 1, *, fault: bool = True) -> LabUnderTest:
        if started:
            raise RuntimeError("chaoslab_lab starts one lab per test; split the test in two.")
        scenario = load_scenario(scenario_id)
        base = free_port_base(_chaoslab_ports)
        live = start_lab(scenario, seed=seed, port_base=base, owner_pid=os.getpid(), echo=lambda _: None)
        lab = LabUnderTest(live.run, live.scenario, live.runtime)
        started.append(lab)
        # Load, warm-up and the measured baseline (which the checks follow), then the fault,
        # as `chaoslab start` does; a baseline that did not hold is in `lab.baseline`.
        lab.baseline = start_incident(lab, fault=fault, despite_baseline=True, echo=lambda _: None)
        return lab

    yield start
    for lab in started:
        stop_lab(lab.run)
        _chaoslab_ports.discard(lab.ports.base)
        if request.config.getoption("chaoslab_keep"):
            from chaoslab.reports.postmortem import write_postmortem

            write_postmortem(lab.run)
