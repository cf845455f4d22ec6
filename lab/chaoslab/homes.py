"""Where chaoslab keeps things on this machine: the state home (runs) and the cache (templates, tools).

Plain paths from the environment, nothing else imported: `chaoslab list` and the error paths of
every command read them before anything heavy is loaded.
"""

from __future__ import annotations

import os
from pathlib import Path


def state_home() -> Path:
    """Where chaoslab keeps runs and caches: $CHAOSLAB_HOME, else a per-user default.

    As root the default is /var/lib/chaoslab, because PostgreSQL runs as an
    unprivileged user that must be able to reach its data directory, and /root
    is not traversable by other users.
    """
    if env := os.environ.get("CHAOSLAB_HOME"):
        return Path(env).resolve()
    if os.geteuid() == 0:
        return Path("/var/lib/chaoslab")
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "chaoslab"


def cache_home() -> Path:
    """Where built artefacts (database templates, Toxiproxy) are kept across runs and state homes.

    $CHAOSLAB_CACHE, else /var/cache/chaoslab as root (the unprivileged PostgreSQL
    user builds templates there), else ~/.cache/chaoslab.
    """
    if env := os.environ.get("CHAOSLAB_CACHE"):
        return Path(env).resolve()
    if os.geteuid() == 0:
        return Path("/var/cache/chaoslab")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chaoslab"
