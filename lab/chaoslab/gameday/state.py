"""A game day's folder: its progress file (gameday.json), the teams' state homes, the reports.

Layout::

    <folder>/plan.yaml                 the plan as run
    <folder>/gameday.json              schedule and progress (the board reads it)
    <folder>/teams/<team>/<slot>/      a state home per team and overlapping incident (CHAOSLAB_HOME)
    <folder>/round-<n>/<team>-<slot>/  the post-mortem of that incident
    <folder>/board.md|html|json        the final board, and graphs/
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from chaoslab.atomic import read_json_model, write_atomically
from chaoslab.errors import UsageError
from chaoslab.gameday.plan import Plan, RoundPlan
from chaoslab.homes import state_home
from chaoslab.runs import Run

# Each team and overlapping incident gets its own block of ports; a lab uses base…base+30.
PORT_STRIDE = 40

Outcome = Literal["pending", "playing", "resolved", "timed out", "error"]


class IncidentState(BaseModel):
    """One team's lab for one incident of a round."""

    team: str
    slot: int
    scenario: str
    seed: int
    home: str
    port_base: int
    run_id: str | None = None
    injected_at: float | None = None
    ended_at: float | None = None
    outcome: Outcome = "pending"
    report: str | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return self.team if self.slot == 1 else f"{self.team} #{self.slot}"

    def run(self) -> Run | None:
        """The incident's run, once its lab was started."""
        return Run.at(Path(self.home) / "runs" / self.run_id) if self.run_id else None


class RoundState(BaseModel):
    """A round's schedule and progress."""

    number: int
    name: str
    time_limit_s: int
    hint_cost: int
    release_after_s: list[int]
    status: Literal["pending", "running", "done"] = "pending"
    incidents: list[IncidentState]


class GameDayState(BaseModel):
    """What gameday.json holds."""

    name: str
    seed: int
    teams: list[str]
    created_at: float
    finished: bool = False
    aborted: str | None = None
    rounds: list[RoundState]


class GameDayFolder:
    """The folder of one game day."""

    def __init__(self, directory: Path):
        self.dir = directory

    @property
    def state_path(self) -> Path:
        return self.dir / "gameday.json"

    def team_home(self, team: str, slot: int) -> Path:
        return self.dir / "teams" / team / str(slot)

    def report_dir(self, round_number: int, incident: IncidentState) -> Path:
        return self.dir / f"round-{round_number}" / f"{incident.team}-{incident.slot}"

    def load(self) -> GameDayState:
        """The game day's progress, or an error naming the folder."""
        try:
            return read_json_model(
                self.state_path,
                GameDayState,
                "the game day's progress file",
                f"the board cannot be rebuilt without it: delete the folder (`rm -r {self.dir}`) "
                "and run the plan again, or restore gameday.json from a copy.",
            )
        except (FileNotFoundError, NotADirectoryError):
            raise UsageError(
                f"{self.dir} is not a game-day folder (no gameday.json in it).",
                hint="pass the folder `chaoslab gameday PLAN.yaml` printed, or leave it out for the latest.",
            ) from None

    def save(self, state: GameDayState) -> None:
        """Write gameday.json atomically: the board reads it while the game day runs."""
        write_atomically(self.state_path, state.model_dump_json(indent=2))

    def new_state(self, plan: Plan, rounds: list[RoundPlan], seed: int, port_base: int) -> GameDayState:
        """The schedule with a home and a port block for every team and incident slot."""
        slots = max(len(r.incidents) for r in rounds)
        return GameDayState(
            name=plan.name,
            seed=seed,
            teams=list(plan.teams),
            created_at=time.time(),
            rounds=[
                RoundState(
                    number=r.number,
                    name=r.name,
                    time_limit_s=r.time_limit_s,
                    hint_cost=r.hints.cost,
                    release_after_s=list(r.hints.release_after_s),
                    incidents=[
                        IncidentState(
                            team=team,
                            slot=slot,
                            scenario=incident.scenario,
                            seed=incident.seed,
                            home=str(self.team_home(team, slot)),
                            port_base=port_base + PORT_STRIDE * (t * slots + slot - 1),
                        )
                        for t, team in enumerate(plan.teams)
                        for slot, incident in enumerate(r.incidents, start=1)
                    ],
                )
                for r in rounds
            ],
        )


def gamedays_dir() -> Path:
    """Where game-day folders go by default: under the state home."""
    return state_home() / "gamedays"


def latest_gameday() -> GameDayFolder:
    """The most recently started game day of this state home."""
    # Folder names start with the start time, so name order is age order.
    found = sorted(gamedays_dir().glob("*/gameday.json"))
    if not found:
        raise UsageError(
            "No game day has run here yet.", hint="chaoslab gameday PLAN.yaml (see docs/gameday.md)"
        )
    return GameDayFolder(found[-1].parent)
