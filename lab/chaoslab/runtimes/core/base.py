"""The runtime interface: bring services up, report their state (chaoslab.service_status), take them down."""

from __future__ import annotations

from abc import ABC, abstractmethod

from chaoslab.runs import Run
from chaoslab.service_status import ServiceAction, ServiceStatus
from chaoslab.specs.model import ServiceSpec


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
