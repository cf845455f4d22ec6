"""Running a game day: every round starts one lab per team and incident, releases hints on
schedule, ends each incident at its verified recovery or its time limit, and writes the
post-mortems and the board.

The lab design allows one lab per state home, so each team (and each overlapping
incident of a team) gets its own state home under the game-day folder and its own
block of ports. Lab code finds its home through $CHAOSLAB_HOME, so the runner points
that variable at the team's home around every call into a lab; it runs on one
thread, so the switch is never seen by anything else, and the supervisor each
lab starts inherits the right home.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from chaoslab.atomic import make_folder
from chaoslab.echo import Echo
from chaoslab.errors import LabError, UsageError
from chaoslab.gameday.board import write_board
from chaoslab.gameday.plan import load_plan, schedule
from chaoslab.gameday.state import (
    PORT_STRIDE,
    GameDayFolder,
    GameDayState,
    IncidentState,
    Outcome,
    RoundState,
    gamedays_dir,
)
from chaoslab.homes import cache_home
from chaoslab.lifecycle import (
    default_port_base,
    inject,
    measure_baseline,
    show_hint,
    start_lab,
    start_load,
    stop_lab,
)
from chaoslab.reports.postmortem import write_postmortem
from chaoslab.reports.timings import compute_timings
from chaoslab.running_lab import LiveLab
from chaoslab.runs import Timeline
from chaoslab.runs.run import ensure_traversable
from chaoslab.scenarios import Scenario, load_scenario

POLL_S = 1.0
# A lab's session outlasts its round: every team's lab starts, warms up and measures its
# baseline before the round's clock (from the injection) runs; the round ends its labs itself.
SESSION_MARGIN_S = 30 * 60


@contextmanager
def team_home(home: Path | str) -> Iterator[None]:
    """Point lab code (and the processes it starts) at one team's state home."""
    previous = os.environ.get("CHAOSLAB_HOME")
    os.environ["CHAOSLAB_HOME"] = str(home)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CHAOSLAB_HOME", None)
        else:
            os.environ["CHAOSLAB_HOME"] = previous


# The highest TCP port: every team's block of PORT_STRIDE ports must end below it.
PORT_MAX = 65535


def team_command(incident: IncidentState) -> str:
    """The line a team copies to act on its lab."""
    return f"CHAOSLAB_HOME={incident.home} chaoslab status"


def prepare_gameday(
    plan_path: Path, *, seed: int | None = None, directory: Path | None = None, port_base: int | None = None
) -> GameDayFolder:
    """Validate the plan, spin the wheel, and lay out the game-day folder; nothing starts yet."""
    plan = load_plan(plan_path)
    chosen_seed = plan.seed if seed is None else seed
    rounds = schedule(plan, chosen_seed)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = GameDayFolder(
        make_folder((directory or gamedays_dir() / f"{stamp}-{plan.name}").resolve(), "the game-day folder")
    )
    if folder.state_path.exists():
        raise UsageError(
            f"{folder.dir} already holds a game day.", hint="pick another --dir, or leave it out."
        )
    plan_copy = folder.dir / "plan.yaml"
    # The plan itself may live in the folder given with --dir: the lab reads it, never writes it.
    same_plan = plan_copy.exists() and (
        plan_copy.resolve() == plan_path.resolve() or plan_copy.read_bytes() == plan_path.read_bytes()
    )
    if plan_copy.exists() and not same_plan:
        raise UsageError(
            f"{plan_copy} exists and is not the plan {plan_path}; the game day will not overwrite it.",
            hint="pick another --dir, or move that file away.",
        )
    base = port_base or plan.port_base or default_port_base()
    state = folder.new_state(plan, rounds, chosen_seed, base)
    last = max(i.port_base for r in state.rounds for i in r.incidents) + PORT_STRIDE
    if last > PORT_MAX:
        raise UsageError(
            f"Port base {base} leaves no room for every team: the last lab would use ports up to {last}.",
            hint=f"a port base of at most {PORT_MAX - (last - base)} fits this plan's teams and incidents.",
        )
    ensure_traversable(folder.dir)
    for home in sorted({i.home for r in state.rounds for i in r.incidents}):
        ensure_traversable(Path(home))
    if not same_plan:
        shutil.copyfile(plan_path, plan_copy)
    folder.save(state)
    return folder


def run_gameday(folder: GameDayFolder, *, echo: Echo = print) -> GameDayState:
    """Play every round of a prepared game day, unattended; teams act through the CLI."""
    # Team homes change $CHAOSLAB_HOME; the database templates must stay in the one shared cache.
    os.environ.setdefault("CHAOSLAB_CACHE", str(cache_home()))
    state = folder.load()
    try:
        for round_ in state.rounds:
            _play_round(folder, state, round_, echo)
            write_board(folder)
    except (LabError, KeyboardInterrupt, SystemExit) as exc:
        state.aborted = exc.render() if isinstance(exc, LabError) else "interrupted"
        raise
    finally:
        state.finished = True
        folder.save(state)
        write_board(folder)
    return state


def _play_round(folder: GameDayFolder, state: GameDayState, round_: RoundState, echo: Echo) -> None:
    labs: dict[int, LiveLab] = {}
    say = _stamped(echo, f"round {round_.number}")
    try:
        scenarios: dict[str, Scenario] = {}
        for index, incident in enumerate(round_.incidents):
            scenario = scenarios.setdefault(incident.scenario, load_scenario(incident.scenario))
            with team_home(incident.home):
                try:
                    live = start_lab(
                        scenario,
                        seed=incident.seed,
                        port_base=incident.port_base,
                        owner_pid=os.getpid(),
                        session_s=round_.time_limit_s + SESSION_MARGIN_S,
                        echo=lambda _: None,
                    )
                except LabError as exc:
                    incident.outcome, incident.error = "error", exc.render()
                    raise
                labs[index] = live
                start_load(live)
            incident.run_id = live.run.id
            say(f"{incident.label}: lab up on ports {incident.port_base}+ → {team_command(incident)}")
        round_.status = "running"
        folder.save(state)
        warmup = max(s.warmup_s for s in scenarios.values())
        say(f"{', '.join(scenarios)}: warming up {warmup}s, then the incident starts")
        time.sleep(warmup)  # a fixed span of traffic before the fault, as `chaoslab start` does
        for index, incident in enumerate(round_.incidents):
            # Each lab's own steady state, which its recovery checks follow.
            with team_home(incident.home):
                baseline = measure_baseline(labs[index], echo=lambda _: None, warm_up=False)
            if not baseline.ok:
                failing = ", ".join(c.label for c in baseline.checks if not c.held)
                say(f"{incident.label}: warning: the steady state did not hold ({failing}); playing on")
        for index, incident in enumerate(round_.incidents):
            with team_home(incident.home):
                inject(labs[index])
            incident.injected_at = compute_timings(
                Timeline(labs[index].run.timeline_path).events()
            ).injected_at
            incident.outcome = "playing"
        folder.save(state)
        say(f"incident on; time limit {round_.time_limit_s}s")
        _watch(folder, state, round_, labs, say)
    finally:
        for index, live in labs.items():
            _end(round_.incidents[index], live, "error")
        round_.status = "done"
        folder.save(state)
    for incident in round_.incidents:
        run = incident.run()
        if run is None:
            continue
        try:
            files = write_postmortem(run, folder.report_dir(round_.number, incident))
            incident.report = str(files.team_copy)  # the post-mortem the team edits
        except Exception as exc:  # a report must never end the game day; the run folder keeps the data
            incident.error = f"post-mortem not written: {exc.__class__.__name__}: {exc}"
    folder.save(state)
    say("done; post-mortems in " + str(folder.dir / f"round-{round_.number}"))


def _watch(
    folder: GameDayFolder, state: GameDayState, round_: RoundState, labs: dict[int, LiveLab], say: Echo
) -> None:
    """Release hints on schedule and end each incident at its verified recovery or time limit."""
    while labs:
        now = time.time()
        for index, live in list(labs.items()):
            incident = round_.incidents[index]
            elapsed = now - (incident.injected_at or now)
            if compute_timings(Timeline(live.run.timeline_path).events()).verified:
                _end(incident, live, "resolved")
                say(f"{incident.label}: recovery verified after {elapsed:.0f}s")
            elif elapsed >= round_.time_limit_s:
                _end(incident, live, "timed out")
                say(f"{incident.label}: time is up ({round_.time_limit_s}s)")
            else:
                due = sum(1 for at in round_.release_after_s if elapsed >= at)
                if due > live.run.read_state().hints_shown:
                    with team_home(incident.home):
                        released = show_hint(live, by="schedule")
                    if released:
                        say(f"{incident.label}: hint {released[0]} released (in {live.run.dir / 'hints.md'})")
                continue
            del labs[index]
        folder.save(state)
        if labs:
            time.sleep(POLL_S)


def _end(incident: IncidentState, live: LiveLab, outcome: Outcome) -> None:
    if incident.ended_at is not None:
        return
    incident.ended_at = time.time()
    incident.outcome = outcome
    with team_home(incident.home):
        stop_lab(live.run)


def _stamped(echo: Echo, prefix: str) -> Echo:
    return lambda message: echo(f"{datetime.now().strftime('%H:%M:%S')} {prefix}: {message}")
