"""`prune`: what it removes, what it never removes (a lab that is up), and its options."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from chaoslab.disk.prune import apply_prune, parse_keep, parse_older_than, plan_prune
from chaoslab.disk.templates import USE_STAMP, record_use
from chaoslab.errors import UsageError
from chaoslab.runs.run import Run, mark_current

DAY = 86400


def make_run(days_ago: float) -> Run:
    run = Run.create(
        scenario="db-pool-exhaustion",
        seed=1,
        variant="v",
        runtime="local",
        port_base=17600,
    )
    (run.logs_dir / "shop.log").write_bytes(b"x" * 4096)
    stamp = time.time() - days_ago * DAY
    os.utime(run.dir / "run.json", (stamp, stamp))
    return run


def make_template(cache: Path, name: str, days_ago: float) -> Path:
    folder = cache / "postgres" / name
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "PG_VERSION").write_text("15\n")
    record_use(folder)
    stamp = time.time() - days_ago * DAY
    os.utime(folder / USE_STAMP, (stamp, stamp))
    return folder


@pytest.mark.parametrize(
    ("text", "seconds"), [("7d", 7 * DAY), ("12h", 43200), ("30m", 1800), ("0s", 0), ("2w", 14 * DAY)]
)
def test_ages_are_read(text: str, seconds: int) -> None:
    assert parse_older_than(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "-1d", "7 days", "1y", "d7", "9999999999d", "1.5d"])
def test_a_bad_age_is_one_sentence_and_a_hint(text: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_older_than(text)
    assert error.value.exit_code == 2 and "--older-than" in error.value.message and error.value.hint


@pytest.mark.parametrize("text", ["-1", "many", "2.5", "", "99999999999"])
def test_a_bad_keep_is_one_sentence_and_a_hint(text: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_keep(text)
    assert error.value.exit_code == 2 and "--keep" in error.value.message and error.value.hint


def test_prune_never_removes_the_run_that_is_up(homes: tuple[Path, Path]) -> None:
    home, cache = homes
    up = make_run(days_ago=30)
    old = make_run(days_ago=20)
    mark_current(up)
    plan = plan_prune(home, cache, older_than_s=0, keep=0, images=False)
    assert [item.name for item in plan.items] == [old.id]
    assert any(up.id in line for line in plan.kept)
    apply_prune(plan, cache)
    assert up.dir.exists() and not old.dir.exists()


def test_keep_and_older_than_decide_together(homes: tuple[Path, Path]) -> None:
    home, cache = homes
    runs = [make_run(days_ago=days) for days in (40, 30, 20, 3, 1)]
    # Older than 7 days and not among the two newest: the three oldest.
    plan = plan_prune(home, cache, older_than_s=7 * DAY, keep=2, images=False)
    assert sorted(item.name for item in plan.items) == sorted(r.id for r in runs[:3])
    # Keep 4: of the old ones only the oldest goes.
    plan = plan_prune(home, cache, older_than_s=7 * DAY, keep=4, images=False)
    assert [item.name for item in plan.items] == [runs[0].id]
    assert plan.bytes >= 4096


def test_dry_run_plans_remove_nothing_and_templates_go_by_last_use(homes: tuple[Path, Path]) -> None:
    home, cache = homes
    stale = make_template(cache, "pg15-seed7", days_ago=10)
    recent = make_template(cache, "pg15-seed8", days_ago=1)
    just_used = make_template(cache, "pg15-seed9", days_ago=0)
    plan = plan_prune(home, cache, older_than_s=7 * DAY, keep=0, images=False)
    assert [item.name for item in plan.items] == ["pg15-seed7"]
    assert stale.exists()  # planning removes nothing
    # Someone starts a lab from it between the plan and its removal: it stays.
    record_use(stale)
    assert apply_prune(plan, cache) == []
    assert stale.exists() and recent.exists() and just_used.exists()
    plan = plan_prune(home, cache, older_than_s=0, keep=0, images=False)
    assert "pg15-seed9" not in [item.name for item in plan.items]  # used in the last 15 minutes


def test_images_in_use_or_of_this_checkout_are_never_pruned(homes: tuple[Path, Path]) -> None:
    from chaoslab.disk.images import Image
    from chaoslab.disk.prune import PrunePlan, plan_images

    old = time.time() - 30 * DAY
    found = [
        Image("sha256:a", ["chaoslab/postgres:current"], 500, old, current=True),
        Image("sha256:b", ["chaoslab/app:running"], 700, old, in_use=True),
        Image("sha256:c", ["chaoslab/app:older-lock"], 860, old),
        Image("sha256:d", [], 860, time.time()),  # an untagged stage, however new
        Image("sha256:e", ["chaoslab/app:used-today"], 700, time.time()),
    ]
    plan = PrunePlan(older_than_s=7 * DAY, keep=0)
    plan_images(plan, found, time.time() - 7 * DAY, remove=lambda image: True)
    assert [item.name for item in plan.items] == ["chaoslab/app:older-lock", "<untagged d>"]
    assert len(plan.kept) == 2
