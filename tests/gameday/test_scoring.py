"""The score formula of docs/gameday.md, on hand-made timings."""

from __future__ import annotations

import pytest

from chaoslab.gameday.scoring import score, speed
from chaoslab.reports.timings import Timings

T0 = 1000.0


def timings(**offsets: float | int) -> Timings:
    """Timings with each moment given in seconds after the injection."""
    fields = {name: T0 + value for name, value in offsets.items() if name != "hints_used"}
    return Timings(injected_at=T0, hints_used=int(offsets.get("hints_used", 0)), **fields)


def test_speed_falls_linearly_to_zero_at_the_limit() -> None:
    assert speed(0, 100) == 1
    assert speed(25, 100) == 0.75
    assert speed(100, 100) == 0
    assert speed(101, 100) == 0
    assert speed(None, 100) == 0


def test_everything_at_once_is_worth_100() -> None:
    assert score(timings(acked_at=0, mitigated_at=0, resolved_at=0), limit_s=600, hint_cost=5).total == 100


def test_a_worked_example() -> None:
    # Acked at 60 s, mitigated at 150 s, verified at 300 s of a 600 s round, two hints at 10 points.
    points = score(
        timings(acked_at=60, mitigated_at=150, resolved_at=300, hints_used=2), limit_s=600, hint_cost=10
    )
    assert points.detect == pytest.approx(18)
    assert points.mitigate == pytest.approx(22.5)
    assert points.resolve == pytest.approx(12.5)
    assert points.verified == 25
    assert points.hint_penalty == 20
    assert points.total == 58  # 18 + 22.5 + 12.5 + 25 - 20 = 58


def test_an_alert_is_not_the_team_detecting() -> None:
    points = score(timings(first_alert_at=5, mitigated_at=100), limit_s=200, hint_cost=5)
    assert points.detect == 0
    assert points.total == 15


def test_nothing_done_scores_zero_and_hints_never_make_it_negative() -> None:
    assert score(timings(), limit_s=300, hint_cost=5).total == 0
    assert score(timings(acked_at=290, hints_used=4), limit_s=300, hint_cost=5).total == 0


def test_recovery_after_the_limit_earns_nothing() -> None:
    points = score(timings(acked_at=10, resolved_at=400, mitigated_at=400), limit_s=300, hint_cost=5)
    assert points.resolve == 0 and points.verified == 0 and points.mitigate == 0
