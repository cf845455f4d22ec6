"""Busy cores: a real CPU load (Debian's stress-ng) next to the lab, for as long as a block runs.

A repeat under load answers "does this scenario still pass on a busy machine?". The load
must never outlive the block: stress-ng runs in its own process group, which is stopped as a
whole (SIGTERM, then SIGKILL) on the way out, whether the block ends, raises, is interrupted
by Ctrl-C or the process gets SIGTERM. If the harness itself is SIGKILLed, `setpriv
--pdeathsig` makes the kernel stop stress-ng, and its own `--timeout` bounds it regardless.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import psutil

from chaoslab.errors import NotHealthy, UsageError
from chaoslab.setup import find_binary
from chaoslab.waiting import wait_until

# stress-ng forks its workers right away; a second is plenty even on a loaded machine.
START_TIMEOUT_S = 15.0
# stress-ng stops its workers on SIGTERM within milliseconds; past this it gets SIGKILL.
STOP_GRACE_S = 5.0


def check_busy_cores(cores: int) -> None:
    """Refuse a number of busy cores that would leave the lab no core of its own."""
    available = os.cpu_count() or 1
    if not 0 <= cores < available:
        raise UsageError(
            f"--busy-cores must be between 0 and {available - 1} on this machine ({available} cores).",
            hint="keep at least one core for the lab, e.g. --busy-cores 1.",
        )


@dataclass
class BusyLoad:
    """A running stress-ng: its process (the group leader) and how many cores it keeps busy."""

    cores: int
    process: subprocess.Popen[bytes]

    @property
    def pgid(self) -> int:
        """The process group of stress-ng and its workers (the leader's pid: own session)."""
        return self.process.pid

    def running(self) -> bool:
        """True while stress-ng is still there (it ends early only if its timeout passed)."""
        return self.process.poll() is None

    def members(self) -> list[psutil.Process]:
        """Live (non-zombie) processes of the load's process group: stress-ng and its workers."""
        found = []
        for proc in psutil.process_iter(["status"]):
            try:
                if os.getpgid(proc.pid) == self.pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                    found.append(proc)
            except (ProcessLookupError, psutil.Error):
                continue
        return found


def start_load(cores: int, max_seconds: float) -> BusyLoad:
    """Start stress-ng on ``cores`` CPUs at 100 %, bounded to ``max_seconds``, and wait for its workers."""
    command = [
        "setpriv",
        # The kernel stops stress-ng (which then stops its workers) if this process dies, even by SIGKILL.
        "--pdeathsig=TERM",
        find_binary("stress-ng"),
        "--cpu",
        str(cores),
        "--cpu-load",
        "100",
        "--timeout",
        f"{max(1, math.ceil(max_seconds))}s",
        "--quiet",
    ]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its own session, so its own process group: Ctrl-C at the terminal does not reach it
        # half-way, and stopping it means signalling exactly this group.
        start_new_session=True,
    )
    load = BusyLoad(cores, process)
    try:
        # The leader plus one worker per core: only then is the machine as busy as promised.
        wait_until(
            lambda: len(load.members()) >= cores + 1 or not load.running(),
            START_TIMEOUT_S,
            f"stress-ng to start {cores} CPU workers",
        )
        if not load.running():
            raise NotHealthy(
                f"stress-ng exited at once with code {process.returncode}.",
                hint=f"try it by hand: {' '.join(command[2:])}",
            )
    except BaseException:
        stop_load(load)
        raise
    return load


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):  # the whole group is already gone
        os.killpg(pgid, sig)


def stop_load(load: BusyLoad) -> None:
    """Stop stress-ng and every worker: SIGTERM to the group, SIGKILL after a grace period."""
    _signal_group(load.pgid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        load.process.wait(timeout=STOP_GRACE_S)
    # Always, not only on timeout: a worker the leader failed to reap must not keep a core busy.
    _signal_group(load.pgid, signal.SIGKILL)
    load.process.wait()
    wait_until(lambda: not load.members(), STOP_GRACE_S, "the stress-ng workers to exit")


def _raise_system_exit(signum: int, _frame: object) -> None:
    # SystemExit unwinds through `finally`, so the load is stopped on SIGTERM as on Ctrl-C.
    raise SystemExit(128 + signum)


@contextmanager
def busy_cores(cores: int, max_seconds: float) -> Iterator[BusyLoad | None]:
    """Keep ``cores`` CPUs busy with stress-ng while the block runs; 0 starts nothing.

    ``max_seconds`` bounds stress-ng on its own (its ``--timeout``), in case everything
    else fails; the block's end stops it much earlier.
    """
    check_busy_cores(cores)
    if cores == 0:
        yield None
        return
    # Without a SIGTERM handler Python dies on the spot and no `finally` runs; install one
    # unless the program already has its own (the CLI does), and only where signals can be set.
    previous = None
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        previous = signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        load = start_load(cores, max_seconds)
        try:
            yield load
        finally:
            stop_load(load)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
