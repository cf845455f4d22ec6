"""Runtimes: where the lab's services run. One module per runtime, registered here."""

from __future__ import annotations

from lab.errors import UsageError
from lab.runs import Run
from lab.runtimes.base import Runtime, ServiceStatus
from lab.runtimes.docker.runtime import DockerRuntime
from lab.runtimes.local.runtime import LocalRuntime

RUNTIMES: dict[str, type[Runtime]] = {"local": LocalRuntime, "docker": DockerRuntime}


def runtime_for(run: Run, owner_pid: int | None = None) -> Runtime:
    """The runtime a run was started with."""
    try:
        return RUNTIMES[run.info.runtime](run, owner_pid=owner_pid)
    except KeyError:
        raise UsageError(
            f"Unknown runtime {run.info.runtime!r}.",
            hint=f"use one of: {', '.join(RUNTIMES)}.",
        ) from None


__all__ = ["RUNTIMES", "Runtime", "ServiceStatus", "runtime_for"]
