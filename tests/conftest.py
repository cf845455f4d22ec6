"""Fixtures shared by every test tier: a private state home and free port blocks."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
import pytest

from chaoslab.pytest_plugin import free_port_base as plugin_free_port_base

if TYPE_CHECKING:
    from chaoslab.running_lab import LiveLab

# Blocks handed out in this worker; separate workers get separate ranges (the plugin's rule).
_handed_out: set[int] = set()


# The tiers whose tests take minutes; the workers take them first, so the seconds-long tests fill
# the end of the run instead of one worker finishing a scenario alone while the other idles.
LONG_MARKERS = {"scenario", "docker"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long tests first (a stable sort: each tier keeps its file order)."""
    items.sort(key=lambda item: not any(item.get_closest_marker(m) for m in LONG_MARKERS))


@pytest.fixture(scope="session", autouse=True)
def lab_home() -> Iterator[Path]:
    """A state home for this test session; database templates stay in the shared cache."""
    from chaoslab.homes import cache_home

    os.environ.setdefault("CHAOSLAB_CACHE", str(cache_home()))
    # /var/tmp, not pytest's 0700 tmp: the unprivileged PostgreSQL user must reach it.
    home = Path(tempfile.mkdtemp(prefix="chaoslab-test-", dir="/var/tmp"))
    home.chmod(0o755)
    os.environ["CHAOSLAB_HOME"] = str(home)
    yield home
    from chaoslab.runtimes.local.runtime import processes_of_run

    leftovers = [p for run in (home / "runs").glob("*") for p in processes_of_run(run.name)]
    for proc in leftovers:
        proc.kill()
    containers = _sweep_containers()
    shutil.rmtree(home, ignore_errors=True)
    assert not leftovers, f"processes left behind by the tests: {[p.pid for p in leftovers]}"
    assert not containers, f"containers left behind by the tests: {containers}"


def _sweep_containers() -> list[str]:
    """What the session's docker labs left (none, when every test took its lab down)."""
    from chaoslab.errors import EnvironmentProblem
    from chaoslab.runtimes.docker.runtime import sweep_leftovers

    try:
        return sweep_leftovers(keep_run_id=None)
    except EnvironmentProblem:
        return []  # no engine: no container can be left


def free_port_base() -> int:
    """The base of a block of ports nobody listens on, different from the last ones handed out."""
    return plugin_free_port_base(_handed_out)


@pytest.fixture
def port_base() -> int:
    """A block of free ports for this test."""
    return free_port_base()


@contextlib.contextmanager
def running_lab(scenario_id: str, seed: int = 1) -> Iterator[LiveLab]:
    """A scenario's lab up and healthy on free ports, without load or fault; down afterwards."""
    from chaoslab.lifecycle import start_lab, stop_lab
    from chaoslab.scenarios import load_scenario

    lab = start_lab(
        load_scenario(scenario_id),
        seed=seed,
        port_base=free_port_base(),
        owner_pid=os.getpid(),
        echo=lambda _: None,
    )
    try:
        yield lab
    finally:
        stop_lab(lab.run)


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """(ip, port) of the IPv4 sockets that process ``pid`` and its children listen on.

    Read from the process's own /proc/PID/net/tcp: a local lab runs in a network namespace of
    its own, whose sockets psutil's view from the host's namespace does not show.
    """
    processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    inodes = set()
    for proc in processes:
        for fd in Path(f"/proc/{proc.pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
    found = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "0A" and inode in inodes:  # 0A: TCP_LISTEN
            address, port = local.split(":")
            ip = socket.inet_ntoa(struct.pack("<I", int(address, 16)))
            found.add((ip, int(port, 16)))
    return found
