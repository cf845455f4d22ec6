"""A run's detached process is found by its pid file, whatever the wall clock does."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import psutil
import pytest

from chaoslab.runs import Run
from chaoslab.runtimes.core.detached import DetachedProcess, started_since_boot


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def detached(sleeper: subprocess.Popen) -> DetachedProcess:
    run = Run.create(
        scenario="db-pool-exhaustion", seed=1, variant="default", runtime="local", port_base=20000,
    )  # fmt: skip
    process = DetachedProcess(run, "chaoslab.runtimes.local.supervisor", "supervisor")
    process.pid_file.write_text(f"{sleeper.pid} {started_since_boot(sleeper.pid)!r}")
    return process


def test_a_clock_step_does_not_lose_a_live_process(
    detached: DetachedProcess, sleeper: subprocess.Popen, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert detached.pid() == sleeper.pid
    # What NTP stepping the clock by 3 s looks like from /proc/stat's boot time: a CI run
    # once saw every live supervisor as gone and cleaned their labs up.
    stepped = psutil.boot_time() + 3.0
    monkeypatch.setattr(psutil._pslinux, "boot_time", lambda: stepped)  # type: ignore[attr-defined]
    assert detached.pid() == sleeper.pid


def test_a_reused_pid_is_not_the_process(detached: DetachedProcess, sleeper: subprocess.Popen) -> None:
    started = started_since_boot(sleeper.pid)
    detached.pid_file.write_text(f"{sleeper.pid} {started - 1.0!r}")
    assert detached.pid() is None


def test_a_pid_file_from_an_older_lab_is_still_read(
    detached: DetachedProcess, sleeper: subprocess.Popen
) -> None:
    detached.pid_file.write_text(f"{sleeper.pid} {psutil.Process(sleeper.pid).create_time()!r}")
    assert detached.pid() == sleeper.pid
    sleeper.kill()
    sleeper.wait()
    assert detached.pid() is None
