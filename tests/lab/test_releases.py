"""Working copies across deploys and rollbacks: a person's edits are saved before the lab overwrites them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from chaoslab import lifecycle
from chaoslab.faults.rollback import RollbackStep
from chaoslab.releases import PRISTINE, apply_patch, code_digest, create_working_copy, edited, restore
from chaoslab.runs import Run
from chaoslab.scenarios import load_scenario
from tests import REPO_ROOT
from tests.lab.faults.test_rollback import WorkingCopyLab

BAD_RELEASE = REPO_ROOT / "scenarios" / "stale-profile-cache" / "patches" / "v2.4.0-wrong-key.patch"


def edit_profile(source_dir: Path) -> Path:
    """A learner's session: a changed line, a new module, a deleted file, and bytecode from running it."""
    profile = source_dir / "services" / "profile"
    app = profile / "app.py"
    app.write_text(app.read_text().replace("MAX_NAME_LENGTH = 100", "MAX_NAME_LENGTH = 80  # ours"))
    (profile / "invalidation.py").write_text("def after_commit(key):\n    return key\n")
    (profile / "seed.sql").unlink()
    (profile / "__pycache__").mkdir(exist_ok=True)
    (profile / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\x00\xff")
    return profile


def git_apply(source_dir: Path, patch: Path) -> None:
    subprocess.run(["git", "apply", str(patch)], cwd=source_dir, check=True, capture_output=True)


def test_a_rollback_saves_the_edits_as_a_patch_that_brings_them_back(tmp_path: Path) -> None:
    create_working_copy(tmp_path)
    profile = edit_profile(tmp_path)
    theirs = code_digest(profile)
    assert edited(tmp_path, "profile") and not edited(tmp_path, "shop")

    saved = restore(tmp_path, "profile")

    assert saved is not None and saved.parent == tmp_path
    assert saved.name.startswith("profile.edits-") and saved.suffix == ".patch"
    assert code_digest(profile) == code_digest(PRISTINE / "profile")
    assert "__pycache__" not in saved.read_text() and "MAX_NAME_LENGTH = 80" in saved.read_text()
    git_apply(tmp_path, saved)
    assert code_digest(profile) == theirs


def test_a_release_the_lab_deployed_is_not_taken_for_edits(tmp_path: Path) -> None:
    create_working_copy(tmp_path)
    apply_patch(tmp_path, BAD_RELEASE)
    assert not edited(tmp_path, "profile")

    assert restore(tmp_path, "profile") is None
    assert not list(tmp_path.glob("*.patch"))


def test_edits_on_top_of_a_bad_release_are_saved_with_it(tmp_path: Path) -> None:
    create_working_copy(tmp_path)
    apply_patch(tmp_path, BAD_RELEASE)
    profile = edit_profile(tmp_path)
    theirs = code_digest(profile)

    saved = restore(tmp_path, "profile")

    assert saved is not None
    git_apply(tmp_path, saved)
    assert code_digest(profile) == theirs and 'RELEASE = "2.4.0"' in (profile / "app.py").read_text()


class RollbackLab(WorkingCopyLab):
    """What `lifecycle.rollback` touches: also the run folder, for its timeline."""

    def __init__(self, run: Run):
        super().__init__(run.source_dir)
        self.run = run
        self.said: list[str] = []  # what the lifecycle echoed
        self.scenario = load_scenario(run.info.scenario)

    @classmethod
    def with_edited_profile(cls) -> RollbackLab:
        """A stale-profile-cache run whose profile working copy a person has edited."""
        run = Run.create(
            scenario="stale-profile-cache", seed=1, variant="wrong-key", runtime="local", port_base=1,
        )  # fmt: skip
        create_working_copy(run.source_dir)
        edit_profile(run.source_dir)
        return cls(run)


def test_chaoslab_rollback_says_where_the_edits_went(lab_home: Path) -> None:
    lab = RollbackLab.with_edited_profile()
    run, said = lab.run, lab.said

    lifecycle.rollback(lab, "profile", echo=said.append)  # type: ignore[arg-type]

    [saved] = run.source_dir.glob("profile.edits-*.patch")
    assert said == [
        f"your edits to profile are saved in {saved} "
        f"(to bring them back: cd {run.source_dir} && git apply {saved.name})"
    ]
    events = [json.loads(line) for line in run.timeline_path.read_text().splitlines()]
    assert events[-1]["event"] == "rolled_back" and events[-1]["edits_saved"] == str(saved)
    assert lab.restarted == ["profile"]
    # Nothing left of a person's to save: the second rollback says nothing.
    said.clear()
    lifecycle.rollback(lab, "profile", echo=said.append)  # type: ignore[arg-type]
    assert said == [] and len(list(run.source_dir.glob("*.patch"))) == 1


def test_the_rollback_step_records_the_saved_edits_and_its_revert_keeps_the_release_the_labs(
    tmp_path: Path,
) -> None:
    create_working_copy(tmp_path)
    apply_patch(tmp_path, BAD_RELEASE)
    lab = WorkingCopyLab(tmp_path)
    step = RollbackStep(service="profile")

    memento = step.inject(lab)  # type: ignore[arg-type]
    assert memento["edits_saved"] is None
    step.revert(lab, memento)  # type: ignore[arg-type]
    # The bad release is back, and it is still the lab's writing, not a person's.
    assert 'RELEASE = "2.4.0"' in (tmp_path / "services" / "profile" / "app.py").read_text()
    assert not edited(tmp_path, "profile")

    edit_profile(tmp_path)
    memento = step.inject(lab)  # type: ignore[arg-type]
    assert memento["edits_saved"] and Path(memento["edits_saved"]).exists()


def test_a_rollback_mitigation_says_where_the_edits_went_too(lab_home: Path) -> None:
    lab = RollbackLab.with_edited_profile()
    run, said = lab.run, lab.said

    lifecycle.apply_mitigation(lab, "rollback", echo=said.append)  # type: ignore[arg-type]

    [saved] = run.source_dir.glob("profile.edits-*.patch")
    assert said == [
        f"your edits to profile are saved in {saved} "
        f"(to bring them back: cd {run.source_dir} && git apply {saved.name})"
    ]
    events = [json.loads(line) for line in run.timeline_path.read_text().splitlines()]
    assert events[-1]["event"] == "mitigation_applied" and events[-1]["edits_saved"] == str(saved)
