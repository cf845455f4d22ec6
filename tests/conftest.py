"""Fixtures shared by every test tier: a private state home and free port blocks."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.pytest_plugin import block_is_free

_port_blocks = itertools.count(0)


@pytest.fixture(scope="session", autouse=True)
def lab_home() -> Iterator[Path]:
    """A state home for this test session; database templates stay in the shared cache."""
    from lab.runs.run import cache_home

    os.environ.setdefault("CHAOSLAB_CACHE", str(cache_home()))
    # /var/tmp, not pytest's 0700 tmp: the unprivileged PostgreSQL user must reach it.
    home = Path(tempfile.mkdtemp(prefix="chaoslab-test-", dir="/var/tmp"))
    home.chmod(0o755)
    os.environ["CHAOSLAB_HOME"] = str(home)
    yield home
    from lab.runtimes.local.runtime import processes_of_run

    leftovers = [p for run in (home / "runs").glob("*") for p in processes_of_run(run.name)]
    for proc in leftovers:
        proc.kill()
    shutil.rmtree(home, ignore_errors=True)
    assert not leftovers, f"processes left behind by the tests: {[p.pid for p in leftovers]}"


def free_port_base() -> int:
    """The base of a block of ports nobody listens on, different for every call."""
    for _ in range(50):
        # Separate pytest processes on one machine set CHAOSLAB_TEST_PORT_START apart.
        base = int(os.environ.get("CHAOSLAB_TEST_PORT_START", "16000")) + 40 * next(_port_blocks)
        if block_is_free(base):
            return base
    raise RuntimeError("no free block of ports between 16000 and 18000")


@pytest.fixture
def port_base() -> int:
    """A block of free ports for this test."""
    return free_port_base()
