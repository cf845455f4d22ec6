"""What a runtime reports of one service, and what it can do to one.

The runtimes fill these in; the faults and probes (through LabAccess) read them. They live
here, below both, so that neither reaches up into the other.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

# What the `service` fault does to a running service: a crash (the restart policy applies),
# a freeze (the process stays, answers nothing), and the thaw.
ServiceAction = Literal["kill", "pause", "resume"]
ServiceState = Literal["starting", "healthy", "unhealthy", "running", "exited", "restarting", "stopped"]
# A lab with no service in one of these is gone (its processes died with their supervisor, say).
UP_STATES = ("healthy", "running", "starting")
# What `status` counts as healthy: a service that exited on purpose (a one-shot job) is not down.
HEALTHY_STATES = ("healthy", "running", "exited")


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
