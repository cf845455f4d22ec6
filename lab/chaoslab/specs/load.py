"""How much load a scenario puts on the lab, and for how long at most."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field


class LoadPlan(BaseModel):
    """A bounded, seeded Locust run."""

    model_config = ConfigDict(extra="forbid")

    locustfile: str = Field(description="the service whose home's locustfile.py this load runs (e.g. shop)")
    target: str = Field(description="the service the users talk to")
    users: int = Field(gt=0, le=500)
    spawn_rate: float = Field(gt=0)
    # In a lab with a session (every lab `chaoslab start` makes) the load runs until the session's
    # end instead, and max_requests is scaled to the session's length (`requests_cap`).
    max_seconds: int = Field(gt=0, le=4 * 3600, description="the load stops by itself after this")
    max_requests: int = Field(default=0, ge=0, description="and after this many requests (0: no cap)")

    def requests_cap(self, seconds: float) -> int:
        """``max_requests`` scaled to a load of ``seconds`` (the rate over ``max_seconds``), never less."""
        if not self.max_requests:
            return 0
        return max(self.max_requests, math.ceil(self.max_requests * seconds / self.max_seconds))
