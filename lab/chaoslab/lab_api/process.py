"""The lab API server as a companion process of its run, started and stopped by the lifecycle."""

from __future__ import annotations

from chaoslab.runs import Run
from chaoslab.runtimes.core.detached import DetachedProcess


def lab_api_process(run: Run) -> DetachedProcess:
    """``python -m chaoslab.lab_api RUN_DIR``, its pid in ``<run>/lab-api.pid``, its log ``lab-api``."""
    return DetachedProcess(run, "chaoslab.lab_api", "lab-api")
