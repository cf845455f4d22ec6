"""A run's detached companion process (the local supervisor, the docker watcher), found by its pid file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from chaoslab.runs import Run
from chaoslab.runs.run import RUN_ID_ENV


class DetachedProcess:
    """``python -m MODULE RUN_DIR [--owner-pid PID]``, outliving the CLI that started it."""

    def __init__(self, run: Run, module: str, name: str):
        self.run = run
        self.module = module
        self.name = name
        self.pid_file = run.dir / f"{name}.pid"

    def pid(self) -> int | None:
        """Its pid while it lives; the pid file pairs it with its start time (pids are reused)."""
        try:
            pid_text, started = self.pid_file.read_text().split()
            proc = psutil.Process(int(pid_text))
            if not _same_start(proc, float(started)) or proc.status() == psutil.STATUS_ZOMBIE:
                return None
        except (FileNotFoundError, ValueError, psutil.Error):
            return None
        return proc.pid

    def spawn(self, owner_pid: int | None) -> None:
        """Start it; with an owner, it takes the lab down when that process dies."""
        argv = [sys.executable, "-m", self.module, str(self.run.dir)]
        if owner_pid:
            argv += ["--owner-pid", str(owner_pid)]
        with self.run.log_path(self.name).open("ab") as log:
            proc = subprocess.Popen(
                argv,
                env={**os.environ, RUN_ID_ENV: self.run.id},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C at the terminal must not reach the lab
                cwd=self.run.info.import_root,
            )
        self.pid_file.write_text(f"{proc.pid} {started_since_boot(proc.pid)!r}")

    def stop(self, timeout_s: float = 60) -> None:
        """SIGTERM, then SIGKILL after ``timeout_s``; forget the pid file."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            try:
                _wait_exited(psutil.Process(pid), timeout_s)
            except psutil.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        self.pid_file.unlink(missing_ok=True)


def started_since_boot(pid: int) -> float:
    """When process ``pid`` started, in seconds since boot.

    psutil's ``create_time()`` adds the boot time that /proc/stat reports *now*, and that
    moves whenever the wall clock is stepped (NTP): a CI run saw every live supervisor as
    gone at once. The kernel's start tick since boot never moves.
    """
    if sys.platform.startswith("linux"):
        stat = Path(f"/proc/{pid}/stat").read_text()
        # Field 22 (starttime); the command name in field 2 may hold spaces and parentheses.
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        return ticks / os.sysconf("SC_CLK_TCK")
    return psutil.Process(pid).create_time()


def _same_start(proc: psutil.Process, started: float) -> bool:
    """Whether ``proc`` is the process that a pid file recorded as started at ``started``."""
    if started > _EPOCH_STAMP:
        # A pid file written before start times were kept since boot: the clock-based
        # time, which a clock step of more than the slack would make look like another process.
        return abs(proc.create_time() - started) < 2.0
    try:
        return started_since_boot(proc.pid) == started
    except (OSError, ValueError, IndexError) as exc:
        raise psutil.NoSuchProcess(proc.pid) from exc


# Seconds since boot stay far below this (30 years); seconds since 1970 are above it.
_EPOCH_STAMP = 1e9


def _wait_exited(proc: psutil.Process, timeout_s: float) -> None:
    """Until ``proc`` has exited; reaped if it is our child, a zombie if another process's.

    The session's takedown stops a supervisor that another process started (a `chaoslab run`,
    a test): its exit leaves a zombie until that parent waits, and psutil's wait would wait on
    it for the whole timeout.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(psutil.TimeoutExpired, ChildProcessError):
            proc.wait(timeout=0)  # reaps our own child; raises NoSuchProcess once it is gone
            return
        if proc.status() == psutil.STATUS_ZOMBIE:
            return
        if time.monotonic() >= deadline:
            raise psutil.TimeoutExpired(timeout_s, proc.pid)
        time.sleep(0.1)
