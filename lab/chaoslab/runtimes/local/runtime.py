"""The local runtime: services as supervised processes on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import psutil
from pydantic import BaseModel

from chaoslab.atomic import read_json_model
from chaoslab.errors import NotHealthy
from chaoslab.runs import Run
from chaoslab.runs.run import RUN_ID_ENV
from chaoslab.runtimes.core.base import Runtime
from chaoslab.runtimes.core.desired import read_desired, spec_hash, start_order, write_desired
from chaoslab.runtimes.core.detached import DetachedProcess
from chaoslab.runtimes.local.supervisor import STATE_FILE
from chaoslab.service_status import ServiceAction, ServiceStatus
from chaoslab.specs.model import ServiceSpec


def last_lines(path: Path, count: int = 8) -> list[str]:
    """The tail of a log file, for error messages."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return ["(no log yet)"]
    return lines[-count:] or ["(log is empty)"]


def processes_of_run(run_id: str) -> list[psutil.Process]:
    """Every live process of the run: its label in the environment, or its cwd in the run folder.

    Redis and PostgreSQL rewrite their process titles over their environment, so
    the label is not always readable; their working directory (inside the run
    folder, where the supervisor starts every service) always is.
    """
    from chaoslab.homes import state_home

    run_dir = str(state_home() / "runs" / run_id)
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            # A zombie has exited already: only its parent's wait is missing (an owner that died).
            if proc.pid == os.getpid() or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if proc.environ().get(RUN_ID_ENV) == run_id or (proc.cwd() + "/").startswith(run_dir + "/"):
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


class ReportedService(ServiceStatus):
    """One service in supervisor.json: its status and which version of its spec runs."""

    spec_hash: str = ""


class SupervisorReport(BaseModel):
    """What supervisor.json holds (lab/chaoslab/runtimes/local/supervisor.py writes it)."""

    pid: int | None = None
    final: bool = False
    services: dict[str, ReportedService] = {}


class LocalRuntime(Runtime):
    """Runs each service as a process under a detached supervisor."""

    name = "local"

    def __init__(self, run: Run, owner_pid: int | None = None):
        super().__init__(run, owner_pid)
        self.supervisor = DetachedProcess(run, "chaoslab.runtimes.local.supervisor", "supervisor")

    def _supervisor_pid(self) -> int | None:
        return self.supervisor.pid()

    def _read_state(self) -> dict:
        try:
            return read_json_model(
                self.run.dir / STATE_FILE,
                SupervisorReport,
                "the supervisor's report",
                f"delete it (`rm {self.run.dir / STATE_FILE}`); a running supervisor writes it again "
                "within a second, and `chaoslab stop` ends a lab without it.",
            ).model_dump()
        except FileNotFoundError:
            return {"services": {}}

    def desired(self) -> list[ServiceSpec]:
        """The specs the supervisor is asked to run."""
        return read_desired(self.run.dir)

    # -- Runtime -------------------------------------------------------------
    def up(self, specs: list[ServiceSpec], timeout_s: float = 120.0) -> None:
        ordered = {s.name: s for s in specs}
        start_order(specs)  # fails early on a dependency cycle
        write_desired(self.run.dir, list(ordered.values()))
        pid = self._supervisor_pid()
        if pid is None:
            self.supervisor.spawn(self.owner_pid)
        else:
            os.kill(pid, signal.SIGHUP)
        self._wait_ready(list(ordered.values()), timeout_s)

    def _wait_ready(self, specs: list[ServiceSpec], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        wanted = {s.name: spec_hash(s) for s in specs}
        pending = list(wanted)
        while time.monotonic() < deadline:
            if self._supervisor_pid() is None:
                raise NotHealthy(
                    "The lab's supervisor exited while starting services.",
                    details=last_lines(self.run.log_path("supervisor")),
                    hint=f"see {self.run.log_path('supervisor')}",
                )
            services = self._read_state().get("services", {})
            pending = []
            for name, digest in wanted.items():
                seen = services.get(name)
                ready = seen and seen["spec_hash"] == digest and seen["state"] in ("healthy", "running")
                if not ready:
                    pending.append(name)
            if not pending:
                return
            time.sleep(0.25)
        services = self._read_state().get("services", {})
        first = pending[0]
        seen = services.get(first, {})
        raise NotHealthy(
            f"Timed out after {timeout_s:.0f}s waiting for {', '.join(pending)} to become healthy.",
            details=[
                f"{first}: state={seen.get('state', 'not started')} restarts={seen.get('restarts', 0)} "
                f"last exit={seen.get('last_exit_code')} ({seen.get('last_exit_reason')})",
                f"last lines of {self.run.log_path(first)}:",
                *last_lines(self.run.log_path(first)),
            ],
            hint=f"read `chaoslab logs {first}`; a port taken by another program or a missing "
            "binary are the usual causes (`chaoslab doctor`).",
        )

    def status(self) -> dict[str, ServiceStatus]:
        alive = self._supervisor_pid() is not None
        seen_services = self._read_state().get("services", {})
        if alive and not seen_services:
            # Spawned but not reporting yet: the lab is starting, not gone.
            return {s.name: ServiceStatus(name=s.name, state="starting", role=s.role) for s in self.desired()}
        result = {}
        for name, seen in seen_services.items():
            status = ServiceStatus.model_validate(seen)
            if not alive:
                status.state = "stopped"
                status.pid = None
            result[name] = status
        return result

    def act(self, service: str, action: ServiceAction) -> None:
        status = self.status().get(service)
        if status is None or status.pid is None:
            raise NotHealthy(f"{service} is not running: nothing to {action}.", hint="`chaoslab status`")
        # Each service is its own process group (the supervisor starts it so): workers go too.
        sig = {"kill": signal.SIGKILL, "pause": signal.SIGSTOP, "resume": signal.SIGCONT}[action]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(status.pid, sig)

    def down(self) -> None:
        self.supervisor.stop(timeout_s=60)
        # Whatever escaped the supervisor still carries the run's label: sweep it.
        leftovers = processes_of_run(self.run.id)
        for proc in leftovers:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(leftovers, timeout=10)
