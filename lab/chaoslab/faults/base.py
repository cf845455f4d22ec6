"""The fault interface: inject into a live lab, and revert."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from pydantic import BaseModel, ConfigDict

from chaoslab.lab_access import LabAccess


class Fault(BaseModel, ABC):
    """One change to the lab: a fault to inject, or a step of a fix.

    ``inject`` returns a small JSON-able memento that ``revert`` uses to undo it,
    so a revert still works from another CLI process.
    """

    model_config = ConfigDict(extra="forbid")

    kind: str

    @abstractmethod
    def describe(self) -> str:
        """One line for timelines and briefs."""

    @abstractmethod
    def inject(self, lab: LabAccess) -> dict[str, Any]:
        """Apply the change."""

    @abstractmethod
    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        """Undo the change made by ``inject``."""
