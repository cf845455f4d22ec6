"""Runs: each start of a lab gets an id, a directory and a timeline."""

from chaoslab.runs.current import require_current_run
from chaoslab.runs.run import Run, current_run, state_home
from chaoslab.runs.timeline import Timeline

__all__ = ["Run", "Timeline", "current_run", "require_current_run", "state_home"]
