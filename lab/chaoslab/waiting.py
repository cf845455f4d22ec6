"""Waiting on a condition with a deadline: the one way the lab (and its tests) wait."""

from __future__ import annotations

import time
from collections.abc import Callable

from chaoslab.errors import NotHealthy


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str, poll_s: float = 0.2) -> None:
    """Return as soon as ``condition()`` is true; raise NotHealthy naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise NotHealthy(f"Timed out after {timeout_s:g}s waiting for {what}.")
        time.sleep(poll_s)
