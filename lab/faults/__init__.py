"""Faults: typed changes with inject() and revert(). One module per kind, registered here."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from lab.faults.base import Fault, LabAccess
from lab.faults.env import EnvFault
from lab.faults.flag import FlagFault
from lab.faults.liveness import LivenessFault
from lab.faults.redis_config import RedisConfigFault
from lab.faults.release import ReleaseFault
from lab.faults.rollback import RollbackStep
from lab.faults.scrape import ScrapeFault
from lab.faults.service import ServiceFault
from lab.faults.sql import SqlFault
from lab.faults.toxic import ToxicFault

# The one place a new fault kind is registered: scenario files validate against this.
FaultStep = Annotated[
    FlagFault
    | SqlFault
    | EnvFault
    | ToxicFault
    | ReleaseFault
    | RollbackStep
    | ScrapeFault
    | RedisConfigFault
    | LivenessFault
    | ServiceFault,
    Field(discriminator="kind"),
]

__all__ = ["Fault", "FaultStep", "LabAccess"]
