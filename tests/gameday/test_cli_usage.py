"""The new commands without a lab or a game day: one clear sentence, exit code 2, no traceback."""

from __future__ import annotations

from pathlib import Path

from tests.lab.test_cli import assert_one_clear_error, chaoslab


def test_declarations_need_a_lab() -> None:
    for command in ("ack", "mitigated", "resolved"):
        assert_one_clear_error(chaoslab(command, "a note"), 2, "No lab is running", "chaoslab start")


def test_run_needs_scenarios_or_all() -> None:
    assert_one_clear_error(chaoslab("run"), 2, "Name the scenarios to run, or say --all", "Hint:")
    assert_one_clear_error(chaoslab("run", "db-pool-exhaustion", "--all"), 2, "not both")


def test_board_and_report_without_anything_to_show(tmp_path: Path) -> None:
    empty = {"CHAOSLAB_HOME": str(tmp_path)}
    assert_one_clear_error(chaoslab("gameday", "board", env=empty), 2, "No game day has run here yet")
    assert_one_clear_error(chaoslab("gameday", "board", str(tmp_path), env=empty), 2, "not a game-day folder")
    assert_one_clear_error(chaoslab("report", env=empty), 2, "No lab has run yet")
    assert_one_clear_error(chaoslab("report", str(tmp_path), env=empty), 2, "is not a run folder")


def test_a_bad_plan_is_named_with_its_line(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("name: drill\nteams: [red]\nrounds:\n  - incidents: [{scenario: nope}]\n")
    assert_one_clear_error(
        chaoslab("gameday", str(plan), "--dry-run"), 2, f"{plan}:4: field `rounds.0.incidents.0.scenario`"
    )
    dry = chaoslab("gameday", str(plan).replace("plan.yaml", "missing.yaml"), "--dry-run")
    assert_one_clear_error(dry, 2, "no such game-day plan file")
