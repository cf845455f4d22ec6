"""The team's post-mortem survives a second report: the draft is regenerated, an edited copy never is."""

from __future__ import annotations

from pathlib import Path

from chaoslab.reports.postmortem import write_postmortem
from chaoslab.reports.team_copy import DIGEST_NAME
from chaoslab.runs import Timeline
from tests.lab.test_cli import chaoslab
from tests.reports.test_postmortem import fake_run

EDIT = "\n## Our own notes\n\nThe pool alert fired while Ana was on the call; we agreed to page earlier.\n"


def test_an_edited_copy_survives_the_next_report_and_the_draft_is_fresh(lab_home: Path) -> None:
    run = fake_run(lab_home)
    first = write_postmortem(run)
    assert first.team_copy.read_text() == first.markdown.read_text()  # made from the draft
    assert first.notice() is None
    edited = first.team_copy.read_text() + EDIT
    first.team_copy.write_text(edited)
    # Something new in the run folder, so the second draft differs from the first.
    Timeline(run.timeline_path).record("mitigated", note="flag browse-by-category off", by="learner")

    second = write_postmortem(run)

    assert second.team_copy.read_text() == edited
    assert "flag browse-by-category off" in second.markdown.read_text()
    assert "flag browse-by-category off" in second.html.read_text()
    assert second.team_copy_kept and second.backup is None
    notice = second.notice()
    assert notice is not None
    message, hint = notice.splitlines()
    assert str(second.team_copy) in message and "edited" in message
    assert hint.startswith("Hint: ") and str(second.markdown) in hint and "--force" in hint
    # Kept again on a third report: the record still says what chaoslab wrote, not the edit.
    assert write_postmortem(run).team_copy_kept and second.team_copy.read_text() == edited


def test_an_unedited_copy_follows_the_draft(lab_home: Path) -> None:
    run = fake_run(lab_home)
    write_postmortem(run)
    Timeline(run.timeline_path).record("ack", note="checkout errors on the board", by="learner")

    again = write_postmortem(run)

    assert not again.team_copy_kept and again.notice() is None
    assert "checkout errors on the board" in again.team_copy.read_text()
    assert again.team_copy.read_text() == again.markdown.read_text()


def test_force_moves_the_edited_copy_aside_before_refreshing_it(lab_home: Path) -> None:
    run = fake_run(lab_home)
    copy = write_postmortem(run).team_copy
    copy.write_text(copy.read_text() + EDIT)

    forced = write_postmortem(run, force=True)

    assert forced.backup is not None and forced.backup.read_text().endswith(EDIT)
    assert forced.backup.name.startswith("postmortem.md.") and forced.backup.name.endswith(".bak")
    assert copy.read_text() == forced.markdown.read_text() and not forced.team_copy_kept
    assert forced.notice() is not None and str(forced.backup) in (forced.notice() or "")
    copy.write_text(copy.read_text() + EDIT)
    # A second forced report the same second keeps both backups.
    assert write_postmortem(run, force=True).backup != forced.backup
    assert len(list(copy.parent.glob("postmortem.md.*.bak"))) == 2


def test_a_hand_written_postmortem_in_the_out_folder_is_kept(lab_home: Path, tmp_path: Path) -> None:
    ours = tmp_path / "postmortem.md"
    ours.write_text("# Our post-mortem, written before chaoslab ran\n")

    files = write_postmortem(fake_run(lab_home), tmp_path)

    assert ours.read_text() == "# Our post-mortem, written before chaoslab ran\n"
    assert files.team_copy_kept and (tmp_path / "postmortem.draft.md").exists()
    assert not (tmp_path / DIGEST_NAME).exists()  # no record claims the person's file as the lab's


def test_the_report_command_says_it_kept_the_copy_and_force_moves_it(lab_home: Path) -> None:
    run = fake_run(lab_home)
    assert chaoslab("report", str(run.dir)).returncode == 0
    copy = run.dir / "report" / "postmortem.md"
    copy.write_text(copy.read_text() + EDIT)

    kept = chaoslab("report", str(run.dir))

    assert kept.returncode == 0, kept.stderr
    assert copy.read_text().endswith(EDIT)
    assert f"Kept {copy}" in kept.stderr and "Hint: " in kept.stderr and "--force" in kept.stderr
    assert "post-mortem draft:" in kept.stdout and "postmortem.draft.md" in kept.stdout

    forced = chaoslab("report", str(run.dir), "--force")

    assert forced.returncode == 0, forced.stderr
    [backup] = copy.parent.glob("postmortem.md.*.bak")
    assert backup.read_text().endswith(EDIT) and not copy.read_text().endswith(EDIT)
    assert str(backup) in forced.stderr
