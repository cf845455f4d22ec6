"""The session's clock, kept by the lab's own companion process (local supervisor, docker watcher).

The supervisor and the watcher outlive every CLI call, so they are the ones that can end a
lab on time: they warn 5 minutes before the end (timeline `session_ending`, their log) and at
the end record `session_ended` and hand the lab to `python -m chaoslab.takedown RUN_DIR`, which
takes it down as `chaoslab stop` does (`lifecycle.stop_lab`: metrics exported
first, so the post-mortem can be written from the run folder later). That takedown stops the
supervisor or the watcher itself, which is why it runs in a process of its own.
"""

from __future__ import annotations

import time
from pathlib import Path

from chaoslab.errors import LabError
from chaoslab.output import format_length
from chaoslab.runs.run import Run
from chaoslab.runs.session import Session
from chaoslab.runs.timeline import Timeline

# The takedown's process, as the pid file and log under the run folder name it, and its module
# (named, not imported: it sits above the lifecycle, which sits above the runtimes).
ENDER_NAME = "session-end"
TAKEDOWN_MODULE = "chaoslab.takedown"
# If the lab is still up this long after its end (the takedown failed), the companion process
# stops it on its own: no lab outlives its session by more.
TAKEDOWN_GRACE_S = 120.0


class SessionClock:
    """Reads the run's session, warns once per end, and says when the session is over."""

    def __init__(self, run_dir: Path):
        self.run = Run.at(run_dir)
        self.timeline = Timeline(self.run.timeline_path)
        self.session: Session | None = None
        self.warned_for: float | None = None  # the end the warning was given for
        self.ended_at: float | None = None
        self._wall_at_start, self._monotonic_at_start = time.time(), time.monotonic()

    def now(self) -> float:
        """The wall clock as it was when this process started, moved on by the monotonic clock.

        A step of the wall clock (NTP, a virtual machine resumed) must neither end a session
        early nor keep it up late: a 60-minute session lasts 60 minutes of the monotonic clock.
        """
        return self._wall_at_start + (time.monotonic() - self._monotonic_at_start)

    def say(self, message: str) -> None:
        """A line in the log of the process keeping the clock (its stdout is its log)."""
        print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)

    def reload(self) -> None:
        """Read the session again (after `extend`); a state unreadable for a moment keeps the last."""
        try:
            self.session = self.run.read_state().session or self.session
        except (LabError, ValueError):
            return

    def tick(self, now: float) -> bool:
        """Warn in the last minutes; True once, when the session is over and the lab must go."""
        session = self.session
        if session is None or self.ended_at is not None:
            return False
        if session.in_last_minutes(now) and self.warned_for != session.ends_at:
            self.warned_for = session.ends_at
            left = session.left_s(now)
            self.timeline.record("session_ending", ends_at=session.ends_at, left_s=round(left))
            self.say(f"session ends in {format_length(left)}: the lab goes down then (`chaoslab extend`)")
        if now < session.ends_at:
            return False
        self.ended_at = now
        self.timeline.record("session_ended", ends_at=session.ends_at, length_s=round(session.length_s))
        self.say(f"session over after {format_length(session.length_s)}: taking the lab down")
        return True

    def overdue(self, now: float) -> bool:
        """Whether the takedown should have finished by now (it failed: stop without it)."""
        return self.ended_at is not None and now - self.ended_at > TAKEDOWN_GRACE_S

    def hand_over(self) -> None:
        """Start the takedown in a process of its own (it stops the caller)."""
        from chaoslab.runtimes.core.detached import DetachedProcess

        try:
            DetachedProcess(self.run, TAKEDOWN_MODULE, ENDER_NAME).spawn(owner_pid=None)
        except OSError as exc:  # then `overdue` ends the lab without it
            self.say(f"could not start the takedown: {exc}")
