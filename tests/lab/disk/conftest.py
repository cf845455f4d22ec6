"""A private state home and cache home per test: real folders, no lab started."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def homes(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """(state home, cache home) for one test, set in the environment as the CLI reads them."""
    # /var/tmp, not pytest's 0700 tmp: as root, run folders must be reachable by other users.
    top = Path(tempfile.mkdtemp(prefix="chaoslab-disk-test-", dir="/var/tmp"))
    top.chmod(0o755)
    home, cache = top / "home", top / "cache"
    home.mkdir()
    cache.mkdir()
    monkeypatch.setenv("CHAOSLAB_HOME", str(home))
    monkeypatch.setenv("CHAOSLAB_CACHE", str(cache))
    monkeypatch.delenv("CHAOSLAB_DISK_BUDGET", raising=False)
    yield home, cache
    shutil.rmtree(top, ignore_errors=True)
