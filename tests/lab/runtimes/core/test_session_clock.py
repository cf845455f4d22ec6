"""A lab's session ends on time: a warning first, then the lab takes itself down and leaves nothing."""

from __future__ import annotations

import json
import os
import time

import pytest

from chaoslab.lifecycle import extend_session, start_lab, start_load, stop_lab
from chaoslab.runs import Run, Timeline, current_run
from chaoslab.runs import session as sessions
from chaoslab.runs.session import Session
from chaoslab.runtimes.core.detached import DetachedProcess
from chaoslab.runtimes.core.session_clock import ENDER_NAME, TAKEDOWN_MODULE, SessionClock
from chaoslab.runtimes.local.runtime import LocalRuntime, processes_of_run
from chaoslab.scenarios import load_scenario
from chaoslab.waiting import wait_until
from tests.lab.conftest import web
from tests.lab.runtimes.test_local_runtime import listening
from tests.lab.test_cli import chaoslab

pytestmark = pytest.mark.integration


def taken_down(run: Run) -> bool:
    """The takedown recorded the lab down and its own process has exited (it writes the draft last)."""
    started = (run.dir / f"{ENDER_NAME}.pid").exists()
    return (
        started
        and bool(Timeline(run.timeline_path).events("lab_down"))
        and (DetachedProcess(run, TAKEDOWN_MODULE, ENDER_NAME).pid() is None)
    )


def test_the_supervisor_ends_the_session_at_its_moved_end(runtime: LocalRuntime, port_base: int) -> None:
    run = runtime.run
    now = time.time()
    run.write_state(session=Session(started_at=now, ends_at=now + 3))
    spec = web(port_base, port_base)
    runtime.up([spec], timeout_s=30)
    # What `extend` does: a later end in the state, then a reload.
    moved = run.read_state().session.extended(3)  # type: ignore[union-attr]
    run.write_state(session=moved)
    runtime.up([spec], timeout_s=30)

    wait_until(lambda: taken_down(run), 60, "the supervisor to take the lab down")
    timeline = Timeline(run.timeline_path)
    (ended,) = timeline.events("session_ended")
    # Not at the first end; soon after the moved one (the loop ticks every 0.2 s, later on a busy box).
    assert moved.ends_at <= ended["ts"] < moved.ends_at + 10
    # A warning for each end it was given (both already within the last minutes).
    assert [e["ends_at"] for e in timeline.events("session_ending")] == [now + 3, moved.ends_at]
    assert "session ends in" in run.log_path("supervisor").read_text()
    assert processes_of_run(run.id) == []
    assert not listening(port_base)


def test_a_real_lab_and_its_load_end_together_when_the_session_does(
    port_base: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A session shorter than a person would ask for keeps this test short; only this process checks.
    monkeypatch.setattr(sessions, "SESSION_MIN_S", 10)
    lab = start_lab(
        load_scenario("missing-metrics"),
        seed=1,
        port_base=port_base,
        owner_pid=os.getpid(),
        session_s=20,
        echo=lambda _: None,
    )
    run = lab.run
    ports = list(lab.ports.all().values())
    try:
        start_load(lab)
        first_end = run.read_state().session.ends_at  # type: ignore[union-attr]
        extended = extend_session(lab, 10)
        assert extended.ends_at == first_end + 10
        load = next(s for s in lab.runtime.desired() if s.name == "locust")  # type: ignore[attr-defined]
        assert float(load.env["CHAOSLAB_LOAD_UNTIL"]) == pytest.approx(extended.ends_at)
        shown = chaoslab("status", "--json")
        assert json.loads(shown.stdout)["session"]["ends_at"] == pytest.approx(extended.ends_at)
        assert "warning: this lab's session ends in" in shown.stderr

        wait_until(lambda: taken_down(run), 60, "the lab to take itself down")
        events = [e["event"] for e in Timeline(run.timeline_path).events()]
        assert {"session_ending", "session_extended", "session_ended", "lab_down"} <= set(events)
        (ended,) = Timeline(run.timeline_path).events("session_ended")
        assert extended.ends_at <= ended["ts"] < extended.ends_at + 10  # the loop ticks, later when busy
        assert processes_of_run(run.id) == []
        assert not any(listening(port) for port in ports)
        assert current_run() is None
        # As after `chaoslab stop`: the metrics were exported, so the post-mortem is written from the folder.
        assert run.metrics_path.exists()
        assert (run.dir / "report" / "postmortem.draft.md").exists()
    finally:
        if current_run() is not None:
            stop_lab(run)


def test_a_step_of_the_wall_clock_neither_ends_nor_stretches_the_session(
    runtime: LocalRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = SessionClock(runtime.run.dir)
    now = time.time()
    runtime.run.write_state(session=Session(started_at=now, ends_at=now + 600))
    clock.reload()
    # NTP or a resumed virtual machine moves the wall clock an hour on: 10 minutes were left.
    stepped = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: stepped)
    assert abs(clock.now() - now) < 60
    assert clock.tick(clock.now()) is False
