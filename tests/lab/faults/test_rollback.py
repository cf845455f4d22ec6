"""The rollback step: the shipped code back in the working copy, and the deployed code on revert."""

from __future__ import annotations

from pathlib import Path

from chaoslab.faults.rollback import RollbackStep
from chaoslab.releases import PRISTINE, create_working_copy


class WorkingCopyLab:
    """The part of a lab a rollback touches: the working copy, and restarts."""

    def __init__(self, source_dir: Path):
        self.source_dir = source_dir
        self.restarted: list[str] = []

    def restart(self, service: str) -> None:
        self.restarted.append(service)


def test_rollback_restores_the_shipped_release_and_revert_the_deployed_code(tmp_path: Path) -> None:
    create_working_copy(tmp_path)
    app = tmp_path / "services" / "profile" / "app.py"
    edited = app.read_text().replace('RELEASE = "2.3.1"', 'RELEASE = "2.4.0"')
    app.write_text(edited)
    (app.parent / "__pycache__").mkdir()
    (app.parent / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\x00\xff")
    lab = WorkingCopyLab(tmp_path)
    step = RollbackStep(service="profile")

    memento = step.inject(lab)  # type: ignore[arg-type]
    assert app.read_text() == (PRISTINE / "profile" / "app.py").read_text()
    assert lab.restarted == ["profile"] and "__pycache__/app.cpython-311.pyc" not in memento["files"]

    step.revert(lab, memento)  # type: ignore[arg-type]
    assert app.read_text() == edited and lab.restarted == ["profile", "profile"]
    assert step.describe() == "roll profile back to the shipped release"
