"""A trainer's game-day plan: teams, rounds, scenarios fixed or drawn with a seed, limits, hints.

Validated like scenario files (file:line: field: message). The wheel of
misfortune is `draw:`; the plan's seed makes every draw reproducible.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from chaoslab.scenarios.catalog import SCENARIOS_DIR, load_validated


def _folder_name(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", value):
        raise ValueError(f"{value!r}: use lowercase letters, digits and dashes (it names folders)")
    return value


Name = Annotated[str, AfterValidator(_folder_name)]


# Seeds the wheel draws from: enough to reach every variant of a scenario, few enough that
# the seeded database templates (one per seed, ~250 MB, ~10 s to build) are shared.
WHEEL_SEEDS = range(1, 7)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _known_scenario(scenario_id: str) -> str:
    if not (SCENARIOS_DIR / scenario_id / "scenario.yaml").exists():
        known = sorted(p.parent.name for p in SCENARIOS_DIR.glob("*/scenario.yaml"))
        raise ValueError(f"unknown scenario {scenario_id!r}; known: {', '.join(known)}")
    return scenario_id


class HintSchedule(Strict):
    """When hints are released without being asked for, and what every hint shown costs."""

    release_after_s: list[Annotated[int, Field(gt=0)]] = Field(
        default_factory=list, description="seconds after the injection at which the next hint is released"
    )
    cost: int = Field(default=5, ge=0, description="points per hint shown, asked for or released")

    @field_validator("release_after_s")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if value != sorted(value):
            raise ValueError("release times must increase (each releases the next hint)")
        return value


class Pick(Strict):
    """A fixed incident: a scenario, and its seed (drawn from the plan's seed when left out)."""

    scenario: str
    seed: int | None = Field(default=None, ge=0)

    @field_validator("scenario")
    @classmethod
    def _exists(cls, value: str) -> str:
        return _known_scenario(value)


class Draw(Strict):
    """The wheel of misfortune: ``count`` different scenarios drawn from ``pool``."""

    pool: list[str] = Field(min_length=1)
    count: int = Field(default=1, ge=1)

    @field_validator("pool")
    @classmethod
    def _pool_exists(cls, value: list[str]) -> list[str]:
        return [_known_scenario(s) for s in value]

    @model_validator(mode="after")
    def _enough(self) -> Draw:
        if self.count > len(set(self.pool)):
            raise ValueError(
                f"cannot draw {self.count} different scenarios from a pool of {len(set(self.pool))}"
            )
        return self


class Round(Strict):
    """One round: every team gets the same incidents, at the same time (several = overlapping)."""

    name: str | None = None
    incidents: list[Pick] = Field(default_factory=list)
    draw: Draw | None = None
    time_limit_s: int | None = Field(default=None, gt=0, le=4 * 3600)
    hints: HintSchedule | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Round:
        if bool(self.incidents) == (self.draw is not None):
            raise ValueError(
                "a round needs either `incidents:` (fixed) or `draw:` (the wheel), not both or neither"
            )
        return self


class Plan(Strict):
    """The whole game day."""

    name: Name
    seed: int = Field(default=0, ge=0)
    teams: list[Name] = Field(min_length=1, max_length=12)
    time_limit_s: int = Field(default=900, gt=0, le=4 * 3600, description="per round, from the injection")
    hints: HintSchedule = HintSchedule()
    port_base: int | None = Field(default=None, ge=1024, le=60000)
    rounds: list[Round] = Field(min_length=1)

    @field_validator("teams")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("team names must be different")
        return value


def load_plan(path: Path) -> Plan:
    """Read and validate a game-day plan file."""
    return load_validated(path, Plan, what="game-day plan", hint="see docs/gameday.md for the plan format.")


@dataclass(frozen=True)
class Incident:
    """One scenario of one round, as every team gets it."""

    scenario: str
    seed: int


@dataclass(frozen=True)
class RoundPlan:
    """A round with its draws made: what runs, for how long, with which hints."""

    number: int
    name: str
    incidents: list[Incident]
    time_limit_s: int
    hints: HintSchedule


def schedule(plan: Plan, seed: int | None = None) -> list[RoundPlan]:
    """Every round with the wheel spun: the same plan and seed always give the same schedule."""
    wheel = random.Random(plan.seed if seed is None else seed)
    rounds = []
    for number, round_ in enumerate(plan.rounds, start=1):
        picks = (
            [(p.scenario, p.seed) for p in round_.incidents]
            if round_.draw is None
            else [(s, None) for s in wheel.sample(sorted(set(round_.draw.pool)), round_.draw.count)]
        )
        incidents = [
            Incident(s, chosen if chosen is not None else wheel.choice(WHEEL_SEEDS)) for s, chosen in picks
        ]
        rounds.append(
            RoundPlan(
                number=number,
                name=round_.name or f"round {number}",
                incidents=incidents,
                time_limit_s=round_.time_limit_s or plan.time_limit_s,
                hints=round_.hints or plan.hints,
            )
        )
    return rounds
