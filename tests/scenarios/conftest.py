"""Fixtures for scenario tests: the CLI as a learner runs it, against a private state home."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lab import PROJECT_ROOT


@pytest.fixture
def chaoslab(port_base: int):
    """Run `chaoslab ARGS` in a subprocess on this test's ports; returns the CompletedProcess."""

    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "CHAOSLAB_PORT_BASE": str(port_base), "COLUMNS": "200"}
        return subprocess.run(
            [sys.executable, "-m", "lab.cli", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=PROJECT_ROOT,
        )

    yield run
    run("stop")
