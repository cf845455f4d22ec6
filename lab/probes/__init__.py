"""Probes: named measurements of the live lab. One module per kind, registered here."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from lab.probes.acknowledged_orders import AcknowledgedOrdersProbe
from lab.probes.alert import AlertProbe
from lab.probes.base import Probe, Value
from lab.probes.browser import BrowserProbe
from lab.probes.cache_consistency import CacheConsistencyProbe
from lab.probes.flag import FlagProbe
from lab.probes.http import HttpProbe
from lab.probes.promql import PromQLProbe
from lab.probes.restarts import RestartsProbe
from lab.probes.sql import ExplainProbe, SqlProbe
from lab.probes.stale_reads import StaleReadsProbe

# The one place a new probe kind is registered: scenario files validate against this.
ProbeDef = Annotated[
    PromQLProbe
    | SqlProbe
    | ExplainProbe
    | AlertProbe
    | FlagProbe
    | HttpProbe
    | StaleReadsProbe
    | CacheConsistencyProbe
    | BrowserProbe
    | RestartsProbe
    | AcknowledgedOrdersProbe,
    Field(discriminator="kind"),
]

__all__ = ["Probe", "ProbeDef", "Value"]
