"""Rollback step: put a service's shipped release back and restart it (`chaoslab rollback`)."""

from __future__ import annotations

from typing import Any, Literal

from chaoslab.faults.base import Fault
from chaoslab.lab_access import LabAccess
from chaoslab.releases import mark_written, restore, service_dir


class RollbackStep(Fault):
    """Restore the shipped code of ``service`` in the working copy, then restart it."""

    kind: Literal["rollback"] = "rollback"
    service: str

    def describe(self) -> str:
        return f"roll {self.service} back to the shipped release"

    def inject(self, lab: LabAccess) -> dict[str, Any]:
        deployed = service_dir(lab.source_dir, self.service)
        # The deployed files themselves, so that revert puts back even hand-edited code.
        files = {
            str(path.relative_to(deployed)): path.read_text()
            for path in deployed.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }
        # A person's edits are also saved as a patch that outlives this memento and the run state.
        saved = restore(lab.source_dir, self.service)
        lab.restart(self.service)
        return {"files": files, "edits_saved": str(saved) if saved else None}

    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        deployed = service_dir(lab.source_dir, self.service)
        for relative, text in memento["files"].items():
            (deployed / relative).write_text(text)
        if "edits_saved" in memento and memento["edits_saved"] is None:
            # The code put back was the lab's own (a release), not a person's: still no edits in it.
            mark_written(lab.source_dir, [self.service])
        lab.restart(self.service)
