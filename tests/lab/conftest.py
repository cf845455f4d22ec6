"""Bare runtimes on free ports, for tests of runtimes and faults that bring up their own specs."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from chaoslab.runs import Run
from chaoslab.runtimes import RUNTIMES
from chaoslab.runtimes.docker.runtime import DockerRuntime
from chaoslab.runtimes.local.runtime import LocalRuntime
from chaoslab.specs.model import HealthCheck, LivenessCheck, ServiceSpec


def _throwaway(kind: str, port_base: int) -> Iterator:
    """A runtime of a throwaway run; everything it started is down after the test."""
    run = Run.create(scenario="runtime-test", seed=1, variant="none", runtime=kind, port_base=port_base)
    rt = RUNTIMES[kind](run)
    yield rt
    rt.down()


@pytest.fixture
def runtime(port_base: int) -> Iterator[LocalRuntime]:
    """The local runtime: services as processes."""
    yield from _throwaway("local", port_base)


@pytest.fixture
def docker_runtime(port_base: int) -> Iterator[DockerRuntime]:
    """The docker runtime (offline images): services as containers of one pod."""
    yield from _throwaway("docker", port_base)


def web(port: int, liveness_port: int, threshold: int = 3, restart: str = "always") -> ServiceSpec:
    """http.server on ``port``, its liveness checked on ``liveness_port`` (fails when nobody listens)."""
    return ServiceSpec(
        name="web",
        command=[sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        ports={"web": port},
        health=HealthCheck(kind="http", target=f"http://127.0.0.1:{port}/", interval_s=0.2),
        liveness=LivenessCheck(
            kind="http",
            target=f"http://127.0.0.1:{liveness_port}/",
            interval_s=0.2,
            timeout_s=0.2,
            failure_threshold=threshold,
            start_period_s=0.5,
        ),
        restart=restart,  # type: ignore[arg-type]
    )
