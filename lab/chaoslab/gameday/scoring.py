"""The game-day score of one incident (the formula is documented in docs/gameday.md)."""

from __future__ import annotations

from dataclasses import dataclass

from chaoslab.reports.timings import Timings

# Points for each step, earned in full at once and linearly less until the time limit.
DETECT_POINTS = 20
MITIGATE_POINTS = 30
RESOLVE_POINTS = 25
# Resolving at all is worth as much again as resolving fast.
VERIFIED_POINTS = 25


@dataclass(frozen=True)
class Score:
    """Points per step, the hint penalty, and the total (never below zero)."""

    detect: float
    mitigate: float
    resolve: float
    verified: float
    hint_penalty: float

    @property
    def total(self) -> int:
        return max(0, round(self.detect + self.mitigate + self.resolve + self.verified - self.hint_penalty))


def speed(seconds: float | None, limit_s: float) -> float:
    """1 at once, falling linearly to 0 at the time limit; 0 when it never happened."""
    if seconds is None or seconds > limit_s:
        return 0.0
    return 1 - max(seconds, 0.0) / limit_s


def score(timings: Timings, *, limit_s: float, hint_cost: float) -> Score:
    """Score one incident: detection counts only when the team acknowledged it themselves."""
    resolved = timings.ttr is not None and timings.ttr <= limit_s
    return Score(
        detect=DETECT_POINTS * speed(timings.time_to_ack, limit_s),
        mitigate=MITIGATE_POINTS * speed(timings.ttm, limit_s),
        resolve=RESOLVE_POINTS * speed(timings.ttr, limit_s),
        verified=VERIFIED_POINTS if resolved else 0.0,
        hint_penalty=hint_cost * timings.hints_used,
    )
