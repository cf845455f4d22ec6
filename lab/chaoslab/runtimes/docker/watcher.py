"""The docker watcher: a detached process per lab that does what the engine does not.

The engine starts, limits and restarts containers; it does not write the lab's
timeline, kill on a failing liveness check (its health checks never restart), or take
a lab down when the process that owns it dies. This watcher follows the engine's
events for the run's label and records exits (with the engine's OOMKilled) in the
timeline, runs liveness checks the way kubelet does (the stop signal from inside the
container, so the exit is the process's own and the restart policy applies), and
removes every container of the run when its owner is gone.

Run as ``python -m chaoslab.runtimes.docker.watcher RUN_DIR [--owner-pid PID]``.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from chaoslab.atomic import write_atomically
from chaoslab.runs.run import Run
from chaoslab.runs.timeline import Timeline
from chaoslab.runtimes.core.desired import read_desired
from chaoslab.runtimes.core.health import LIVENESS_GRACE_S, LIVENESS_REASON, check_health
from chaoslab.runtimes.core.log_rotation import LogCaps
from chaoslab.runtimes.core.session_clock import SessionClock
from chaoslab.runtimes.docker.containers import SERVICE_LABEL, checked_from_host, container_name
from chaoslab.runtimes.docker.engine import RUN_LABEL, engine, remove_labelled
from chaoslab.specs.model import LivenessCheck, ServiceSpec

EXITS_FILE = "exits.json"


@dataclass
class Liveness:
    """One service's liveness probing: when next, how many failures in a row, when to SIGKILL."""

    check: LivenessCheck
    started_at: str  # the engine's StartedAt of the container probed
    next_at: float
    failures: int = 0
    kill_at: float | None = None


class Watcher:
    """Follows one run's containers until the lab goes down or its owner dies."""

    def __init__(self, run_dir: Path, owner_pid: int | None):
        self.run_dir = run_dir
        self.run = Run.at(run_dir)
        self.run_id = self.run.id
        self.owner_pid = owner_pid
        self.timeline = Timeline(run_dir / "timeline.jsonl")
        self.client = engine()
        self.stop = threading.Event()
        self.oom: set[str] = set()  # services whose next exit is the kernel's OOM kill
        self.liveness_killed: set[str] = set()
        self.stopped: set[str] = set()
        # Each service's last exit as the platform saw it (code, reason, when): what status shows.
        self.exits: dict[str, dict[str, Any]] = {}
        self.liveness: dict[str, Liveness] = {}
        # The containers append to the run's log files as the local supervisor's services do;
        # they are capped the same way (lab/chaoslab/runtimes/core/log_rotation.py).
        self.log_caps = LogCaps(run_dir / "logs")
        # The session's end: warned of, then the lab taken down (lab/chaoslab/runtimes/core/session_clock.py).
        self.session = SessionClock(run_dir)

    def serve(self) -> None:
        """Follow events in a thread; probe liveness and watch the owner in this one."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop.set())
        threading.Thread(target=self.follow_events, daemon=True).start()
        while not self.stop.is_set():
            if self.owner_pid and not psutil.pid_exists(self.owner_pid):
                self.timeline.record("owner_gone", owner_pid=self.owner_pid)
                self.take_down()
                return
            now = time.time()
            self.probe_liveness(now)
            self.log_caps.check(now)
            # No reload signal here: the state is read as often as desired.json, a small file.
            self.session.reload()
            if self.session.tick(self.session.now()):
                self.session.hand_over()  # the takedown stops us with SIGTERM
            elif self.session.overdue(self.session.now()):
                self.timeline.record("session_takedown_overdue")
                self.take_down()
                return
            self.stop.wait(0.2)

    def take_down(self) -> None:
        """Remove the run's containers, and the socket its pod, killed, leaves behind."""
        remove_labelled(self.run_id)
        self.run.toxiproxy_socket.unlink(missing_ok=True)

    # -- events --------------------------------------------------------------------
    def follow_events(self) -> None:
        # From this process's start, not from the subscription: a service that crashes while the
        # watcher is still importing would otherwise restart with its exit never recorded.
        since = int(psutil.Process().create_time())
        stream = self.client.events(
            since=since, filters={"label": f"{RUN_LABEL}={self.run_id}", "type": "container"}, decode=True
        )
        for event in stream:
            if self.stop.is_set():
                return
            self.on_event(event)

    def on_event(self, event: dict[str, Any]) -> None:
        action = event.get("Action") or event.get("status")
        attributes = event.get("Actor", {}).get("Attributes", {})
        service = attributes.get(SERVICE_LABEL)
        if not service or service == "pod":
            return
        if action == "kill":
            # The engine kills only when told to (stop, remove): the runtime records those itself.
            self.stopped.add(service)
        elif action == "oom":
            self.oom.add(service)
            self.timeline.record("service_oom_killed", service=service, by="kernel (container memory limit)")
        elif action == "die" and service in self.stopped:
            self.stopped.discard(service)
            self.oom.discard(service)
            self.liveness.pop(service, None)
        elif action == "die":
            code = int(attributes.get("exitCode", 0))
            if service in self.oom:
                reason = "OOMKilled"
            elif service in self.liveness_killed:
                reason = LIVENESS_REASON
            else:
                reason = "Completed" if code == 0 else "Error"
            self.oom.discard(service)
            self.liveness_killed.discard(service)
            self.liveness.pop(service, None)
            self.timeline.record("service_exited", service=service, code=code, reason=reason)
            self.exits[service] = {"code": code, "reason": reason, "at": time.time()}
            write_atomically(self.run_dir / EXITS_FILE, json.dumps(self.exits, indent=2))
        elif action == "restart" or (action == "start" and self._restarted(service)):
            self.timeline.record("service_restarted", service=service)

    def _container(self, service: str) -> Any:
        try:
            return self.client.containers.get(container_name(self.run_id, service))
        except Exception:
            return None

    def _restarted(self, service: str) -> bool:
        container = self._container(service)
        return container is not None and int(container.attrs.get("RestartCount", 0)) > 0

    # -- liveness ------------------------------------------------------------------
    def probe_liveness(self, now: float) -> None:
        for spec in read_desired(self.run_dir):
            name = spec.name
            if spec.liveness is None:
                self.liveness.pop(name, None)
                continue
            container = self._container(name)
            if container is None or container.status != "running":
                self.liveness.pop(name, None)
                continue
            started = container.attrs["State"].get("StartedAt", "")
            probing = self.liveness.get(name)
            # A new check, or a new start of the container: probing starts over.
            if probing is None or probing.check != spec.liveness or probing.started_at != started:
                probing = self.liveness[name] = Liveness(
                    spec.liveness, started, now + spec.liveness.start_period_s
                )
            self._probe(name, spec, container, probing, now)

    def _probe(self, name: str, spec: ServiceSpec, container: Any, probing: Liveness, now: float) -> None:
        if probing.kill_at is not None:
            if now >= probing.kill_at:  # the grace period is over
                self._signal(container, "KILL")
            return
        if now < probing.next_at:
            return
        probing.next_at = now + probing.check.interval_s
        probing.failures = (
            0 if check_health(checked_from_host(probing.check, self.run)) else probing.failures + 1
        )
        if probing.failures >= probing.check.failure_threshold:
            self.liveness_killed.add(name)
            probing.kill_at = now + LIVENESS_GRACE_S
            self.timeline.record(
                "service_liveness_failed",
                service=name,
                failures=probing.failures,
                timeout_s=probing.check.timeout_s,
                target=probing.check.target,
            )
            self._signal(container, spec.stop_signal.removeprefix("SIG"))

    def _signal(self, container: Any, name: str) -> None:
        """Signal the service from inside: to the engine its exit is its own, so it restarts by policy."""
        try:
            container.exec_run(["sh", "-c", f"kill -s {name} -- -1"])
        except Exception:
            return


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--owner-pid", type=int, default=None)
    args = parser.parse_args(argv)
    Watcher(args.run_dir.resolve(), args.owner_pid).serve()


if __name__ == "__main__":
    main()
