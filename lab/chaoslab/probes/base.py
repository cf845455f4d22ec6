"""The probe interface: a named measurement of the live lab."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Literal, TypeGuard

from pydantic import BaseModel, ConfigDict

from chaoslab.lab_access import LabAccess

Value = float | bool | str | None
# Which way a fault moves a probe.
Worse = Literal["higher", "lower"]


def is_number(value: object) -> TypeGuard[int | float]:
    """A reading that is a number: an int or a float, not a bool (True is an int to Python)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


class Probe(BaseModel, ABC):
    """Measures one thing; a Check (in the scenario) compares the value to a threshold."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    description: str = ""
    unit: str = ""
    # Which way a fault moves it: a fault phase's summary and the post-mortem's peak keep the
    # worst value, the highest latency but the lowest click-through rate.
    worse: Worse = "higher"

    @abstractmethod
    def measure(self, lab: LabAccess) -> Value:
        """The current value; None when there is nothing to measure yet."""
