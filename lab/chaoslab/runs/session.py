"""A lab's session: how long it stays up (kept in the run state) and what is said before it ends.

Light on imports: the CLI reads it after every command on a lab (the last-minutes warning), and
the supervisor and the docker watcher on every reload (lab/chaoslab/runtimes/core/session_clock.py).
"""

from __future__ import annotations

import re
import time

from pydantic import BaseModel, Field

from chaoslab.errors import UsageError
from chaoslab.output import format_length

DEFAULT_SESSION = "60m"
DEFAULT_EXTENSION = "30m"
# A minute is the shortest lab that comes up, warms up and shows its incident; eight hours is a
# working day, and the longest a session may reach with `extend`.
SESSION_MIN_S = 60
SESSION_MAX_S = 8 * 3600
# The warning comes this long before the end (at once in a shorter session).
WARNING_S = 300

_LENGTH = re.compile(r"(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?")


class Session(BaseModel):
    """When a lab's session began and when the lab takes itself down (epoch seconds)."""

    started_at: float
    ends_at: float = Field(description="moved by `chaoslab extend`")

    @classmethod
    def starting_now(cls, length_s: int) -> Session:
        """A session of ``length_s`` seconds from now."""
        now = time.time()
        return cls(started_at=now, ends_at=now + length_s)

    @property
    def length_s(self) -> float:
        return self.ends_at - self.started_at

    def left_s(self, now: float | None = None) -> float:
        """Seconds until the end (0 once it has passed)."""
        return max(0.0, self.ends_at - (time.time() if now is None else now))

    def in_last_minutes(self, now: float | None = None) -> bool:
        """Whether the end is within the warning span."""
        return self.left_s(now) <= WARNING_S

    def extended(self, by_s: int) -> Session:
        """This session ``by_s`` seconds longer, or a usage error past SESSION_MAX_S in total."""
        longest = SESSION_MAX_S - self.length_s
        if by_s > longest:
            raise UsageError(
                f"A session lasts at most {format_length(SESSION_MAX_S)} in all; this one has "
                f"{format_length(self.length_s)}, so it can grow by {format_length(max(0, longest))} more.",
                hint="`chaoslab stop`, then `chaoslab start SCENARIO --for …` for a new one.",
            )
        return self.model_copy(update={"ends_at": self.ends_at + by_s})

    def summary(self, now: float | None = None) -> dict[str, float]:
        """``started_at``, ``ends_at`` and ``left_s``: what `status --json` shows."""
        return {"started_at": self.started_at, "ends_at": self.ends_at, "left_s": round(self.left_s(now))}


def parse_length(text: str) -> int:
    """Seconds in ``90s``, ``45m``, ``2h`` or ``1h30m``, within SESSION_MIN_S … SESSION_MAX_S."""
    found = _LENGTH.fullmatch(text.strip().lower())
    if found is None or not any(found.groupdict().values()):
        raise UsageError(f"{text!r} is not a length of time.", hint="write it like 90s, 45m, 2h or 1h30m.")
    parts = {unit: int(value or 0) for unit, value in found.groupdict().items()}
    return check_length(parts["h"] * 3600 + parts["m"] * 60 + parts["s"])


def check_length(seconds: int) -> int:
    """``seconds`` if a session may last that long, else a usage error saying the bounds."""
    if not SESSION_MIN_S <= seconds <= SESSION_MAX_S:
        raise UsageError(
            f"A session lasts from {format_length(SESSION_MIN_S)} to {format_length(SESSION_MAX_S)}, "
            f"not {format_length(seconds)}.",
            hint="for example 45m, 90m or 2h.",
        )
    return seconds


def warning_line(session: Session, now: float | None = None) -> str | None:
    """The one-line warning of the last minutes, or None before them."""
    if not session.in_last_minutes(now):
        return None
    left = session.left_s(now)
    ends = time.strftime("%H:%M:%S", time.localtime(session.ends_at))
    when = f"in {format_length(left)}" if left > 0 else "now"
    return (
        f"this lab's session ends {when} (at {ends}): the lab then takes itself down. "
        "`chaoslab extend` adds 30 minutes."
    )
