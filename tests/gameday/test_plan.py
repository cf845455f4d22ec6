"""The game-day plan: good plans load and draw reproducibly, bad ones get file:line: field: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoslab.errors import UsageError
from chaoslab.gameday import plan as plan_module
from chaoslab.gameday.plan import WHEEL_SEEDS, load_plan, schedule
from chaoslab.gameday.state import PORT_STRIDE, GameDayFolder

GOOD = """\
name: monday
seed: 3
teams: [red, blue]
time_limit_s: 600
hints:
  release_after_s: [120, 300]
  cost: 10
rounds:
  - name: warm-up
    incidents:
      - {scenario: db-pool-exhaustion, seed: 1}
  - draw: {pool: [alpha, beta, gamma], count: 2}
    time_limit_s: 300
"""


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scenario folder with a few ids: the plan only checks that they exist."""
    for scenario in ("db-pool-exhaustion", "alpha", "beta", "gamma"):
        (tmp_path / "scenarios" / scenario).mkdir(parents=True)
        (tmp_path / "scenarios" / scenario / "scenario.yaml").write_text("id: x\n")
    monkeypatch.setattr(plan_module, "SCENARIOS_DIR", tmp_path / "scenarios")
    return tmp_path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return path


def test_a_good_plan_loads_with_round_overrides(catalog: Path) -> None:
    plan = load_plan(write(catalog, GOOD))
    rounds = schedule(plan)
    assert [r.name for r in rounds] == ["warm-up", "round 2"]
    assert rounds[0].incidents[0].scenario == "db-pool-exhaustion" and rounds[0].incidents[0].seed == 1
    assert rounds[0].time_limit_s == 600 and rounds[1].time_limit_s == 300
    assert rounds[1].hints.release_after_s == [120, 300] and rounds[1].hints.cost == 10
    drawn = [i.scenario for i in rounds[1].incidents]
    assert len(drawn) == 2 and len(set(drawn)) == 2 and set(drawn) <= {"alpha", "beta", "gamma"}
    assert all(i.seed in WHEEL_SEEDS for i in rounds[1].incidents)


def test_the_wheel_is_reproducible_and_the_seed_matters(catalog: Path) -> None:
    plan = load_plan(write(catalog, GOOD))
    assert schedule(plan, 11) == schedule(plan, 11)
    assert schedule(plan) == schedule(plan, plan.seed)
    draws = {tuple((i.scenario, i.seed) for i in schedule(plan, seed)[1].incidents) for seed in range(20)}
    assert len(draws) > 5


def test_every_team_and_overlapping_incident_gets_its_own_home_and_ports(catalog: Path) -> None:
    plan = load_plan(write(catalog, GOOD))
    folder = GameDayFolder(catalog / "gd")
    state = folder.new_state(plan, schedule(plan), plan.seed, 23000)
    overlapping = state.rounds[1].incidents
    assert [(i.team, i.slot) for i in overlapping] == [("red", 1), ("red", 2), ("blue", 1), ("blue", 2)]
    assert len({i.home for i in overlapping}) == 4
    assert sorted(i.port_base for i in overlapping) == [23000 + PORT_STRIDE * k for k in range(4)]
    # A team keeps the same home (and command line) for its first incident in every round.
    assert (
        state.rounds[0].incidents[0].home
        == overlapping[0].home
        == str(catalog / "gd" / "teams" / "red" / "1")
    )


@pytest.mark.parametrize(
    ("change", "line", "field", "message"),
    [
        (
            ("scenario: db-pool-exhaustion,", "scenario: no-such,"),
            11,
            "rounds.0.incidents.0.scenario",
            "unknown scenario",
        ),
        (("teams: [red, blue]", "teams: [red, red]"), 3, "teams", "team names must be different"),
        (("teams: [red, blue]", "teams: [red, Blue]"), 3, "teams.1", "lowercase letters"),
        (("count: 2", "count: 4"), 12, "rounds.1.draw", "cannot draw 4 different scenarios from a pool of 3"),
        (("[120, 300]", "[300, 120]"), 6, "hints.release_after_s", "must increase"),
        (("time_limit_s: 600", "time_limit_s: 0"), 4, "time_limit_s", "greater than 0"),
        (
            ("  - name: warm-up\n", "  - name: warm-up\n    draw: {pool: [alpha]}\n"),
            9,
            "rounds.0",
            "not both",
        ),
        (("seed: 3", "seed: 3\ncolour: green"), 3, "colour", "Extra inputs are not permitted"),
    ],
)
def test_bad_plans_name_file_line_and_field(
    catalog: Path, change: tuple[str, str], line: int, field: str, message: str
) -> None:
    path = write(catalog, GOOD.replace(*change))
    with pytest.raises(UsageError) as info:
        load_plan(path)
    assert f"{path}:{line}: field `{field}`:" in info.value.message
    assert message in info.value.message
    assert "docs/gameday.md" in (info.value.hint or "")


def test_broken_yaml_and_missing_file(catalog: Path) -> None:
    with pytest.raises(UsageError, match=r"plan.yaml:\d+: not valid YAML"):
        load_plan(write(catalog, "name: x\nteams: [red\n"))
    with pytest.raises(UsageError, match="no such game-day plan file"):
        load_plan(catalog / "nope.yaml")
