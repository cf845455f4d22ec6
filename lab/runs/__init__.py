"""Runs: each start of a lab gets an id, a directory and a timeline."""

from lab.runs.current import require_current_run
from lab.runs.run import Run, current_run, state_home
from lab.runs.timeline import Timeline

__all__ = ["Run", "Timeline", "current_run", "require_current_run", "state_home"]
