"""Probes: named measurements of the live lab. One module per kind, registered here."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chaoslab.probes.acknowledged_orders import AcknowledgedOrdersProbe
from chaoslab.probes.alert import AlertProbe
from chaoslab.probes.base import Probe, Value, Worse, is_number
from chaoslab.probes.browser import BrowserProbe
from chaoslab.probes.cache_consistency import CacheConsistencyProbe
from chaoslab.probes.flag import FlagProbe
from chaoslab.probes.http import HttpProbe
from chaoslab.probes.promql import PromQLProbe
from chaoslab.probes.restarts import RestartsProbe
from chaoslab.probes.sql import ExplainProbe, SqlProbe
from chaoslab.probes.stale_reads import StaleReadsProbe

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

__all__ = ["Probe", "ProbeDef", "Value", "Worse", "is_number"]
