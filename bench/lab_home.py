"""A private state home for benchmarks, shared by the bench scripts (imported, not run)."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def private_home() -> Iterator[Path]:
    """Point CHAOSLAB_HOME at a fresh folder for the bench; the template cache stays shared."""
    from chaoslab.homes import cache_home

    os.environ.setdefault("CHAOSLAB_CACHE", str(cache_home()))
    home = Path(tempfile.mkdtemp(prefix="chaoslab-bench-", dir="/var/tmp"))
    home.chmod(0o755)
    os.environ["CHAOSLAB_HOME"] = str(home)
    # A bench killed with SIGTERM (or started in the background, where SIGINT is ignored) unwinds
    # through `finally` like Ctrl-C: its lab goes down and its home with it.
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        yield home
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(home, ignore_errors=True)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def spread(values: list[float]) -> str:
    """min / median / max of a list of figures."""
    ordered = sorted(values)
    return f"min {ordered[0]:.2f}  median {ordered[len(ordered) // 2]:.2f}  max {ordered[-1]:.2f}"
