"""The runtime interface: bring services up, report their state, take them down."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Literal

from pydantic import BaseModel

from chaoslab.runs import Run
from chaoslab.specs.model import ServiceSpec

# What the `service` fault does to a running service: a crash (the restart policy applies),
# a freeze (the process stays, answers nothing), and the thaw.
ServiceAction = Literal["kill", "pause", "resume"]
ServiceState = Literal["starting", "healthy", "unhealthy", "running", "exited", "restarting", "stopped"]


class ServiceStatus(BaseModel):
    """What a runtime knows about one service right now."""

    name: str
    state: ServiceState
    pid: int | None = None
    restarts: int = 0
    last_exit_code: int | None = None
    last_exit_reason: str | None = None
    # When it last exited (epoch seconds): a stable service has not for a while.
    last_exit_at: float | None = None
    since: float | None = None
    role: str = ""


class Runtime(ABC):
    """Runs a lab's services; one implementation per platform (local processes, docker)."""

    name: str

    def __init__(self, run: Run, owner_pid: int | None = None):
        # With an owner, the lab goes down by itself when that process dies (a crashed harness).
        self.run = run
        self.owner_pid = owner_pid

    @abstractmethod
    def up(self, specs: list[ServiceSpec], timeout_s: float = 120.0) -> None:
        """Make the running set match ``specs`` (start, restart changed, stop removed); wait healthy."""

    @abstractmethod
    def status(self) -> dict[str, ServiceStatus]:
        """The state of every service the runtime manages."""

    @abstractmethod
    def act(self, service: str, action: ServiceAction) -> None:
        """Kill, pause or resume one running service, as the platform would."""

    @abstractmethod
    def down(self) -> None:
        """Stop everything and leave no process, container or port behind."""
