"""Fixtures for scenario tests: the CLI as a learner runs it, against a private state home."""

from __future__ import annotations

import subprocess

import pytest

from tests.chaoslab_command import run_chaoslab


@pytest.fixture
def chaoslab(port_base: int):
    """Run `chaoslab ARGS` in a subprocess on this test's ports; returns the CompletedProcess."""

    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return run_chaoslab(*args, port_base=port_base, timeout=timeout)

    yield run
    run("stop")
