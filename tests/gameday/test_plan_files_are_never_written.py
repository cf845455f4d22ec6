"""A game day reads the trainer's plan and never writes it, even when it lives in the game-day folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from chaoslab.errors import UsageError
from chaoslab.gameday.runner import prepare_gameday

PLAN = (
    "name: drill\nteams: [red, blue]\ntime_limit_s: 120\n"
    "rounds:\n  - incidents: [{scenario: db-pool-exhaustion, seed: 1}]\n"
    "# the trainer's own notes stay as they are\n"
)


@pytest.fixture
def shared_tmp(lab_home: Path) -> Path:
    """A fresh folder the unprivileged PostgreSQL user can reach (pytest's own tmp is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="gameday-", dir=lab_home))
    folder.chmod(0o755)
    return folder


def test_the_plan_is_copied_into_a_new_folder(shared_tmp: Path) -> None:
    plan = shared_tmp / "drill.yaml"
    plan.write_text(PLAN)

    folder = prepare_gameday(plan, directory=shared_tmp / "day")

    assert (folder.dir / "plan.yaml").read_text() == PLAN and plan.read_text() == PLAN


def test_a_plan_kept_in_the_folder_itself_is_read_not_rewritten(shared_tmp: Path) -> None:
    plan = shared_tmp / "plan.yaml"
    plan.write_text(PLAN)
    before = plan.stat().st_mtime_ns

    folder = prepare_gameday(plan, directory=shared_tmp)

    assert folder.state_path.exists()
    assert plan.read_text() == PLAN and plan.stat().st_mtime_ns == before


def test_another_plan_yaml_in_the_folder_is_not_overwritten(shared_tmp: Path) -> None:
    plan = shared_tmp / "drill.yaml"
    plan.write_text(PLAN)
    (shared_tmp / "day").mkdir()
    theirs = shared_tmp / "day" / "plan.yaml"
    theirs.write_text("name: next week's drill, half written\n")

    with pytest.raises(UsageError, match="will not overwrite it") as refused:
        prepare_gameday(plan, directory=shared_tmp / "day")

    assert theirs.read_text() == "name: next week's drill, half written\n"
    assert not (shared_tmp / "day" / "gameday.json").exists()
    assert "--dir" in (refused.value.hint or "")
