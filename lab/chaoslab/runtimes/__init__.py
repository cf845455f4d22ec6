"""Runtimes: where the lab's services run. One module per runtime, registered here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from chaoslab.errors import UsageError
from chaoslab.runs import Run
from chaoslab.runtimes.core.base import Runtime
from chaoslab.service_status import ServiceStatus


class _Registry(Mapping[str, type[Runtime]]):
    """Runtime name → class, each module imported when its runtime is first asked for: a CLI
    command on a local lab never pays for the docker runtime's imports, and the other way round."""

    def __getitem__(self, name: str) -> type[Runtime]:
        if name == "local":
            from chaoslab.runtimes.local.runtime import LocalRuntime

            return LocalRuntime
        if name == "docker":
            from chaoslab.runtimes.docker.runtime import DockerRuntime

            return DockerRuntime
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(("local", "docker"))

    def __len__(self) -> int:
        return 2


RUNTIMES: Mapping[str, type[Runtime]] = _Registry()


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
