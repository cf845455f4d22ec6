"""A private state home for benchmarks, shared by the bench scripts (imported, not run)."""

from __future__ import annotations

import os
import shutil
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
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def spread(values: list[float]) -> str:
    """min / median / max of a list of figures."""
    ordered = sorted(values)
    return f"min {ordered[0]:.2f}  median {ordered[len(ordered) // 2]:.2f}  max {ordered[-1]:.2f}"
