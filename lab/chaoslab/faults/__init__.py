"""Faults: typed changes with inject() and revert(). One module per kind, registered here."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chaoslab.faults.base import Fault
from chaoslab.faults.env import EnvFault
from chaoslab.faults.flag import FlagFault
from chaoslab.faults.liveness import LivenessFault
from chaoslab.faults.redis_config import RedisConfigFault
from chaoslab.faults.release import ReleaseFault
from chaoslab.faults.rollback import RollbackStep
from chaoslab.faults.scrape import ScrapeFault
from chaoslab.faults.service import ServiceFault
from chaoslab.faults.sql import SqlFault
from chaoslab.faults.toxic import ToxicFault
from chaoslab.lab_access import LabAccess

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
