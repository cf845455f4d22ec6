"""Errors that tell the user what went wrong and how to fix it."""

from __future__ import annotations


class LabError(Exception):
    """A problem the user can act on: what happened, what was seen, and a hint.

    ``exit_code`` follows the CLI contract: 1 means "not healthy / not verified",
    2 means a usage or environment error.
    """

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or []

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        """The message, then indented details (state seen, last log lines), then the hint."""
        lines = [self.message]
        lines += [f"  {line}" for line in self.details]
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)


class UsageError(LabError):
    """Bad input: unknown id, broken scenario file, wrong option."""


class EnvironmentProblem(LabError):
    """Something outside the lab is missing or in the way: a binary, a port, permissions."""


class NotHealthy(LabError):
    """The lab or a probe did not reach the expected state in time."""

    exit_code = 1


class NoAnswer(EnvironmentProblem):
    """A lab service did not answer within its timeout (hung, paused, overloaded): a named end to the wait."""


class BadAnswer(EnvironmentProblem):
    """A lab service answered, but not in its protocol (an HTML page where JSON was due)."""
