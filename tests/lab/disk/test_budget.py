"""The disk budget: its spelling, and least-recently-used eviction of templates on real folders."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from chaoslab.disk.budget import Evictable, budget_bytes, choose_evictions, enforce_budget
from chaoslab.disk.sizes import parse_size, tree_bytes
from chaoslab.disk.templates import USE_STAMP, list_templates, record_use
from chaoslab.errors import UsageError

MB = 2**20
HOUR = 3600


def make_template(cache: Path, name: str, megabytes: int, used_hours_ago: float) -> Path:
    """A template folder of ``megabytes`` of real data, last used that long ago."""
    folder = cache / "postgres" / name
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "base").write_bytes(os.urandom(megabytes * MB))
    record_use(folder)
    stamp = time.time() - used_hours_ago * HOUR
    os.utime(folder / USE_STAMP, (stamp, stamp))
    return folder


@pytest.mark.parametrize(
    ("text", "expected"),
    [("20G", 20 * 2**30), ("500M", 500 * MB), ("1.5T", int(1.5 * 2**40)), ("4096", 4096), ("2gb", 2 * 2**30)],
)
def test_sizes_are_read_in_binary_units(text: str, expected: int) -> None:
    assert parse_size(text, what="the budget") == expected


@pytest.mark.parametrize("text", ["", "lots", "-1G", "20X", "G"])
def test_a_bad_budget_says_how_to_write_one(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAOSLAB_DISK_BUDGET", text)
    if text == "":
        assert budget_bytes() == 20 * 2**30  # empty means the default
        return
    with pytest.raises(UsageError) as error:
        budget_bytes()
    assert "$CHAOSLAB_DISK_BUDGET" in error.value.message and error.value.hint


def test_the_least_recently_used_go_first_and_only_until_the_budget_fits() -> None:
    candidates = [
        Evictable("template", "newest", 300, last_used=30),
        Evictable("image", "oldest", 100, last_used=10),
        Evictable("template", "middle", 200, last_used=20),
    ]
    assert [c.name for c in choose_evictions(candidates, used=1000, budget=750)] == ["oldest", "middle"]
    assert [c.name for c in choose_evictions(candidates, used=1000, budget=1000)] == []
    # Over by more than every candidate holds: all go, oldest first, and the caller says it is over.
    assert [c.name for c in choose_evictions(candidates, used=5000, budget=10)] == [
        "oldest",
        "middle",
        "newest",
    ]


def test_enforcing_the_budget_evicts_old_templates_oldest_first(
    homes: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, cache = homes
    oldest = make_template(cache, "pg15-seed1", 3, used_hours_ago=72)
    older = make_template(cache, "pg15-seed2", 3, used_hours_ago=48)
    old = make_template(cache, "pg15-seed3", 3, used_hours_ago=24)
    total = sum(tree_bytes(p) for p in (oldest, older, old))
    # Room for two of the three: only the least recently used one goes.
    monkeypatch.setenv("CHAOSLAB_DISK_BUDGET", str(total - MB))
    said: list[str] = []
    check = enforce_budget(home, cache, echo=said.append)
    assert [e.name for e in check.evicted] == ["pg15-seed1"]
    assert not oldest.exists() and older.exists() and old.exists()
    assert not check.over and check.used_after <= check.budget
    assert "pg15-seed1" in said[0]


def test_the_budget_never_evicts_what_is_kept_or_was_just_used(
    homes: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, cache = homes
    kept = make_template(cache, "pg15-seed1", 2, used_hours_ago=72)
    fresh = make_template(cache, "pg15-seed2", 2, used_hours_ago=0.1)  # a lab elsewhere is copying it
    spare = make_template(cache, "pg15-seed3", 2, used_hours_ago=24)
    monkeypatch.setenv("CHAOSLAB_DISK_BUDGET", "1M")
    said: list[str] = []
    check = enforce_budget(home, cache, keep={kept}, echo=said.append)
    assert [e.name for e in check.evicted] == ["pg15-seed3"]
    assert kept.exists() and fresh.exists() and not spare.exists()
    assert check.over and "chaoslab prune" in said[-1]


def test_using_a_template_moves_it_to_the_back_of_the_queue(homes: tuple[Path, Path]) -> None:
    _, cache = homes
    first = make_template(cache, "pg15-seed1", 1, used_hours_ago=72)
    make_template(cache, "pg15-seed2", 1, used_hours_ago=24)
    record_use(first)
    assert [t.name for t in list_templates(cache / "postgres")] == ["pg15-seed2", "pg15-seed1"]
