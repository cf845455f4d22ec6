"""Runtimes: where the lab's services run. One module per runtime, registered here."""

from __future__ import annotations

from lab.errors import UsageError
from lab.runs import Run
from lab.runtimes.base import Runtime, ServiceStatus
from lab.runtimes.local.runtime import LocalRuntime

RUNTIMES: dict[str, type[Runtime]] = {"local": LocalRuntime}


def runtime_for(run: Run) -> Runtime:
    """The runtime a run was started with."""
    try:
        return RUNTIMES[run.info.runtime](run)
    except KeyError:
        raise UsageError(
            f"Unknown runtime {run.info.runtime!r}.",
            hint=f"use one of: {', '.join(RUNTIMES)}.",
        ) from None


__all__ = ["RUNTIMES", "Runtime", "ServiceStatus", "runtime_for"]
