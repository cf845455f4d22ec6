"""A run's detached companion process (the local supervisor, the docker watcher), found by its pid file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import psutil

from lab.runs import Run
from lab.runs.run import RUN_ID_ENV


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
            if proc.create_time() != float(started) or proc.status() == psutil.STATUS_ZOMBIE:
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
                cwd=self.run.info.project_root,
            )
        started = psutil.Process(proc.pid).create_time()
        self.pid_file.write_text(f"{proc.pid} {started!r}")

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
