"""The state home's current lab: which run is up, or why none is (its session ended)."""

from __future__ import annotations

import time

from chaoslab.errors import LabError, UsageError
from chaoslab.homes import state_home
from chaoslab.output import format_length
from chaoslab.runs.run import Run, current_run
from chaoslab.runs.timeline import Timeline


def ended_session_notice() -> UsageError | None:
    """ "No lab is running" for a home whose last lab took itself down at its session's end."""
    folders = sorted((state_home() / "runs").glob("*/timeline.jsonl"), key=lambda p: p.stat().st_mtime)
    if not folders:
        return None
    run_dir = folders[-1].parent
    try:
        ended = Timeline(run_dir / "timeline.jsonl").events("session_ended")
        scenario = Run.at(run_dir).info.scenario
    except LabError:
        return None
    if not ended:
        return None
    at = time.strftime("%H:%M", time.localtime(ended[-1]["ts"]))
    return UsageError(
        f"No lab is running: the lab of run {run_dir.name} took itself down at {at}, when its "
        f"session ended (after {format_length(ended[-1].get('length_s', 0))}).",
        hint=f"`chaoslab report` writes its post-mortem; `chaoslab start {scenario} --for 90m` "
        "starts a longer session.",
    )


def require_current_run() -> Run:
    """The active lab, or a usage error telling how to start one (or that its session ended)."""
    run = current_run()
    if run is None:
        if notice := ended_session_notice():  # a lab that took itself down says so
            raise notice
        raise UsageError(
            "No lab is running.",
            hint="start one with `chaoslab start db-pool-exhaustion` (see `chaoslab list`).",
        )
    return run
