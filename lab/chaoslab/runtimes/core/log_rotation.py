"""Size caps on the logs of a run: the newest part of each service log is kept, the rest dropped.

A service's log is its stdout and stderr, which the supervisor (or the container's shell)
points at `<run>/logs/<service>.log` opened for appending; the service never knows the file.
So the file is rotated from outside by copy-and-truncate, as logrotate's `copytruncate`: when
it passes half the cap, its bytes move to `<service>.log.1` (replacing the older half) and the
file is truncated in place. The writer's descriptor is O_APPEND, so its next line lands at the
new end, with no gap and no restart. The cost: lines written between the copy and the
truncation (a few ms) are lost. A copier process between the service and its file would
lose nothing, but it would sit in every write path and, if it stalled, block the service on
a full pipe; a periodic check costs one stat per file every few seconds.

Traces are capped in their writer instead (services/common/rotating_file.py): it is our code,
so it can start a new file between two spans and lose none.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

LOG_CAP_ENV = "CHAOSLAB_LOG_MAX_MB"
DEFAULT_LOG_CAP_MB = 32
CHECK_EVERY_S = 5.0


def log_cap_bytes() -> int:
    """Bytes kept per service log (the live file plus `.1`): $CHAOSLAB_LOG_MAX_MB, default 32."""
    try:
        megabytes = float(os.environ.get(LOG_CAP_ENV) or DEFAULT_LOG_CAP_MB)
    except ValueError:
        megabytes = DEFAULT_LOG_CAP_MB  # the supervisor must not die of a typo; `chaoslab disk` shows the cap
    return max(int(megabytes * 2**20), 64 * 1024)


def rotate_if_over(path: Path, cap_bytes: int) -> bool:
    """Copy-truncate ``path`` into ``path``.1 once it holds more than half of ``cap_bytes``."""
    try:
        if path.stat().st_size <= cap_bytes // 2:
            return False
    except FileNotFoundError:
        return False
    older = path.with_name(path.name + ".1")
    partial = path.with_name(path.name + ".1.partial")
    with path.open("rb") as source, partial.open("wb") as target:
        shutil.copyfileobj(source, target, 2**20)
        os.truncate(path, 0)
    shutil.copymode(path, partial)
    os.replace(partial, older)
    return True


def cap_logs(logs_dir: Path, cap_bytes: int) -> list[Path]:
    """Rotate every `*.log` in ``logs_dir`` that is over its share; the ones rotated."""
    return [path for path in sorted(logs_dir.glob("*.log")) if rotate_if_over(path, cap_bytes)]


class LogCaps:
    """The supervisor's (and docker watcher's) periodic check of a run's logs."""

    def __init__(self, logs_dir: Path, cap_bytes: int | None = None):
        self.logs_dir = logs_dir
        self.cap_bytes = log_cap_bytes() if cap_bytes is None else cap_bytes
        self.next_at = 0.0

    def check(self, now: float) -> list[Path]:
        """Rotate what is over the cap, at most every CHECK_EVERY_S."""
        if now < self.next_at:
            return []
        self.next_at = now + CHECK_EVERY_S
        try:
            return cap_logs(self.logs_dir, self.cap_bytes)
        except OSError:
            return []  # a full or read-only disk must not take the supervisor down with it


def rotated_tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of a log and its `.1` half together, oldest first."""
    older = path.with_name(path.name + ".1")
    kept: list[bytes] = []
    for part in (path, older):  # newest first, so a short request reads only the live file
        if len(kept) >= lines:
            break
        try:
            kept = part.read_bytes().splitlines(keepends=True)[-(lines - len(kept)) :] + kept
        except FileNotFoundError:
            continue
    return b"".join(kept[-lines:] if lines else []).decode(errors="replace")
