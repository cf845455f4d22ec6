"""The local supervisor: a detached process that runs a lab's services on 127.0.0.1.

It reads the desired set of services from ``desired.json`` in the run directory
(rewritten by the CLI, followed by SIGHUP), starts them in dependency order,
health-checks them, restarts them by policy, enforces memory limits the way a
container platform does (SIGKILL, exit 137, reason OOMKilled), kills services whose
liveness check keeps failing (as kubelet does) and writes what it sees to
``supervisor.json``. SIGTERM stops everything in reverse order.

Run as ``python -m chaoslab.runtimes.local.supervisor RUN_DIR [--owner-pid PID]``;
with an owner, the lab goes down by itself when the owner dies.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal

if __name__ == "__main__":
    # Until the real handler is in place a reload request would kill us; the first
    # reload happens anyway, so an early SIGHUP loses nothing.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

import subprocess
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from chaoslab.atomic import write_atomically
from chaoslab.runs.run import RUN_ID_ENV, Run
from chaoslab.runs.timeline import Timeline
from chaoslab.runtimes.core.desired import DESIRED_FILE, read_desired, spec_hash, start_order
from chaoslab.runtimes.core.health import LIVENESS_GRACE_S, LIVENESS_REASON, check_health
from chaoslab.runtimes.core.log_rotation import LogCaps
from chaoslab.runtimes.core.session_clock import SessionClock
from chaoslab.runtimes.local.network import Edge, EdgeListeners, enter_private_network, switched_off
from chaoslab.specs.model import LivenessCheck, ServiceSpec
from chaoslab.specs.ports import PortPlan

STATE_FILE = "supervisor.json"
STOP_GRACE_S = 10.0
MAX_BACKOFF_S = 10.0
# A run longer than this was not part of a crash loop: the next restart's backoff starts over
# (kubelet does the same after 10 minutes, with a 5-minute cap).
BACKOFF_RESET_S = 5.0


@dataclass
class Managed:
    """A service under supervision and what we know of it."""

    spec: ServiceSpec
    proc: subprocess.Popen | None = None
    state: str = "stopped"
    restarts: int = 0
    since: float = 0.0
    started_at: float = 0.0
    last_exit_code: int | None = None
    last_exit_reason: str | None = None
    last_exit_at: float | None = None
    restart_at: float | None = None
    health_future: Future | None = None
    next_health_at: float = 0.0
    killed_for: str | None = None
    stopping: bool = False
    healthy_once: bool = False
    failures: list[float] = field(default_factory=list)
    # Restarts since the service last ran longer than BACKOFF_RESET_S: what the backoff grows with.
    crash_streak: int = 0
    liveness_future: Future | None = None
    next_liveness_at: float = 0.0
    liveness_failures: int = 0
    kill_at: float | None = None


class Supervisor:
    """Keeps the running services equal to the desired ones."""

    def __init__(self, run_dir: Path, owner_pid: int | None):
        self.run_dir = run_dir
        self.run_id = json.loads((run_dir / "run.json").read_text())["id"]
        self.owner_pid = owner_pid
        self.timeline = Timeline(run_dir / "timeline.jsonl")
        self.services: dict[str, Managed] = {}
        self.desired: dict[str, ServiceSpec] = {}
        self.reload_requested = True
        self.stop_requested = False
        self.checks = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")
        self._last_written = ""
        # Service logs are capped by copy-and-truncate from here (why: runtimes/core/log_rotation.py).
        self.log_caps = LogCaps(run_dir / "logs")
        # The session's end: warned of, then the lab taken down (lab/chaoslab/runtimes/core/session_clock.py).
        self.session = SessionClock(run_dir)
        self.edge: Edge | None = None

    # -- network -------------------------------------------------------------
    def isolate(self) -> None:
        """Move the lab into a network of its own, reached through the edge (runtimes/local/network.py).

        Called before any thread exists: the kernel gives a user namespace to a single thread only.
        """
        if reason := switched_off():
            self.timeline.record("network_shared", reason=reason)
            return
        run = Run.at(self.run_dir)
        plan = PortPlan(run.info.port_base)
        admin = plan["toxiproxy"]
        required = {port for spec in read_desired(self.run_dir) for port in spec.ports.values()} - {admin}
        ports = sorted(set(plan.all().values()) - {admin})
        # A required port taken since the CLI checked it: the lab cannot start, and the CLI
        # shows this error from our log.
        listeners = EdgeListeners.open(ports, required, admin, run.toxiproxy_socket)
        try:
            enter_private_network()
        except OSError as exc:
            listeners.close()
            self.timeline.record("network_shared", reason=str(exc))
            print(f"The lab shares the host's network (other local users reach its ports): {exc}", flush=True)
            return
        self.edge = Edge(listeners)
        self.edge.start()
        skipped = sorted(listeners.skipped)
        self.timeline.record("network_private", forwarded=len(listeners.tcp), skipped=skipped)

    # -- signals -------------------------------------------------------------
    def install_signals(self) -> None:
        signal.signal(signal.SIGHUP, lambda *_: setattr(self, "reload_requested", True))
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: setattr(self, "stop_requested", True))

    # -- main loop -----------------------------------------------------------
    def serve(self) -> None:
        """Run until asked to stop (or until the owner process is gone)."""
        self.install_signals()
        self.timeline.record("supervisor_started", pid=os.getpid())
        try:
            while not self.stop_requested:
                if self.reload_requested:
                    self.reload_requested = False
                    self.load_desired()
                    self.session.reload()  # `extend` moves the end, then asks for a reload
                self.tick()
                now = self.session.now()
                if self.session.tick(now):
                    self.session.hand_over()  # the takedown stops us with SIGTERM
                elif self.session.overdue(now):
                    self.timeline.record("session_takedown_overdue")
                    break
                if self.owner_pid and not psutil.pid_exists(self.owner_pid):
                    self.timeline.record("owner_gone", owner_pid=self.owner_pid)
                    break
                time.sleep(0.2)
        finally:
            self.shutdown()

    def load_desired(self) -> None:
        raw = json.loads((self.run_dir / DESIRED_FILE).read_text())
        self.desired = {s["name"]: ServiceSpec.model_validate(s) for s in raw}
        for name, managed in list(self.services.items()):
            wanted = self.desired.get(name)
            if wanted is None:
                self.stop_service(managed, reason="removed")
                del self.services[name]
            elif wanted != managed.spec:
                self.stop_service(managed, reason="spec changed")
                managed.spec = wanted
                managed.restart_at = None
                managed.healthy_once = False
        for name, spec in self.desired.items():
            self.services.setdefault(name, Managed(spec=spec))

    def tick(self) -> None:
        now = time.time()
        for managed in self.services.values():
            self.watch_exit(managed, now)
            self.watch_memory(managed)
            self.watch_health(managed, now)
            self.watch_liveness(managed, now)
        self.log_caps.check(now)
        for managed in self.services.values():
            if managed.proc is None and self.may_start(managed, now):
                self.start_service(managed)
        self.write_state()

    # -- lifecycle of one service -------------------------------------------
    def may_start(self, managed: Managed, now: float) -> bool:
        if managed.state in ("exited",) and managed.restart_at is None:
            return False
        if managed.restart_at is not None and now < managed.restart_at:
            return False
        for dep in managed.spec.depends_on:
            dep_managed = self.services.get(dep)
            if dep_managed is None or dep_managed.state not in ("healthy", "running"):
                return False
        return True

    def start_service(self, managed: Managed) -> None:
        spec = managed.spec
        log_path = self.run_dir / "logs" / f"{spec.name}.log"
        log = log_path.open("ab")
        env = {**os.environ, **spec.env, RUN_ID_ENV: self.run_id, "CHAOSLAB_SERVICE": spec.name}
        # setpriv makes the kernel signal the service if the supervisor dies, even by SIGKILL.
        argv = [
            "setpriv",
            f"--pdeathsig={spec.stop_signal.removeprefix('SIG')}",
            "--",
            *spec.command,
        ]
        user = spec.user if spec.user and os.geteuid() == 0 else None
        try:
            managed.proc = subprocess.Popen(
                argv,
                cwd=spec.cwd or str(self.run_dir),  # also how leftovers are found by cwd
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=0,
                user=user,
                group=user,
            )
        except OSError as exc:
            managed.proc = None
            managed.state = "exited"
            managed.last_exit_reason = f"could not start: {exc}"
            self.timeline.record("service_failed_to_start", service=spec.name, error=str(exc))
            return
        finally:
            log.close()
        was_restart = managed.restart_at is not None
        managed.restart_at = None
        managed.killed_for = None
        managed.stopping = False
        managed.started_at = managed.since = time.time()
        managed.next_health_at = managed.started_at
        managed.liveness_future, managed.liveness_failures, managed.kill_at = None, 0, None
        if spec.liveness:
            managed.next_liveness_at = managed.started_at + spec.liveness.start_period_s
        managed.state = "starting" if spec.health else "running"
        self.timeline.record(
            "service_restarted" if was_restart else "service_started",
            service=spec.name,
            pid=managed.proc.pid,
            restarts=managed.restarts,
        )

    def watch_exit(self, managed: Managed, now: float) -> None:
        proc = managed.proc
        if proc is None or proc.poll() is None:
            return
        code = proc.returncode
        # A signal death reads as 128+N, as container platforms report it.
        exit_code = 128 - code if code < 0 else code
        reason = managed.killed_for or ("Completed" if code == 0 else "Error")
        managed.proc = None
        managed.last_exit_code = exit_code
        managed.last_exit_reason = reason
        managed.last_exit_at = managed.since = now
        managed.health_future = managed.liveness_future = managed.kill_at = None
        self.timeline.record("service_exited", service=managed.spec.name, code=exit_code, reason=reason)
        policy = managed.spec.restart
        if policy == "always" or (policy == "on-failure" and exit_code != 0) or reason == LIVENESS_REASON:
            managed.restarts += 1
            managed.crash_streak = (
                1 if now - managed.started_at >= BACKOFF_RESET_S else managed.crash_streak + 1
            )
            backoff = min(
                MAX_BACKOFF_S, managed.spec.restart_backoff_s * 2 ** min(managed.crash_streak - 1, 5)
            )
            managed.restart_at = now + backoff
            managed.state = "restarting"
        else:
            managed.state = "exited"

    def watch_memory(self, managed: Managed) -> None:
        limit = managed.spec.memory_limit_mb
        if not limit or managed.proc is None or managed.proc.poll() is not None:
            return
        try:
            root = psutil.Process(managed.proc.pid)
            rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
        except psutil.Error:
            return
        if rss > limit * 1024 * 1024:
            managed.killed_for = "OOMKilled"
            self.timeline.record(
                "service_oom_killed", service=managed.spec.name, rss_mb=rss // 2**20, limit_mb=limit
            )
            self.signal_group(managed, signal.SIGKILL)

    def watch_health(self, managed: Managed, now: float) -> None:
        check = managed.spec.health
        if check is None or managed.proc is None:
            return
        future = managed.health_future
        if future is not None and future.done():
            managed.health_future = None
            ok = future.result()
            if ok and managed.state != "healthy":
                managed.state = "healthy"
                managed.since = now
                if not managed.healthy_once:
                    self.timeline.record(
                        "service_healthy",
                        service=managed.spec.name,
                        after_s=round(now - managed.started_at, 2),
                    )
                managed.healthy_once = True
            elif not ok and managed.healthy_once and managed.state == "healthy":
                managed.state = "unhealthy"
                managed.since = now
                self.timeline.record("service_unhealthy", service=managed.spec.name)
        if managed.health_future is None and now >= managed.next_health_at:
            managed.next_health_at = now + check.interval_s
            managed.health_future = self.checks.submit(check_health, check)

    def watch_liveness(self, managed: Managed, now: float) -> None:
        check = managed.spec.liveness
        if check is None or managed.proc is None or managed.stopping:
            return
        if managed.kill_at is not None:
            if now >= managed.kill_at:  # the grace period is over
                self.signal_group(managed, signal.SIGKILL)
            return
        future = managed.liveness_future
        if future is not None and future.done():
            managed.liveness_future = None
            managed.liveness_failures = 0 if future.result() else managed.liveness_failures + 1
            if managed.liveness_failures >= check.failure_threshold:
                self.kill_for_liveness(managed, check, now)
                return
        if managed.liveness_future is None and now >= managed.next_liveness_at:
            managed.next_liveness_at = now + check.interval_s
            managed.liveness_future = self.checks.submit(check_health, check)

    def kill_for_liveness(self, managed: Managed, check: LivenessCheck, now: float) -> None:
        """Stop the service as kubelet does: its stop signal, SIGKILL after a grace period."""
        managed.killed_for = LIVENESS_REASON
        managed.kill_at = now + LIVENESS_GRACE_S
        self.timeline.record(
            "service_liveness_failed",
            service=managed.spec.name,
            failures=managed.liveness_failures,
            timeout_s=check.timeout_s,
            target=check.target,
        )
        self.signal_group(managed, getattr(signal, managed.spec.stop_signal))

    def signal_group(self, managed: Managed, sig: int) -> None:
        if managed.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(managed.proc.pid, sig)

    def stop_service(self, managed: Managed, reason: str) -> None:
        """Stop one service: its stop signal, then SIGKILL after a grace period."""
        proc = managed.proc
        if proc is None:
            managed.state = "stopped"
            return
        managed.stopping = True
        self.signal_group(managed, getattr(signal, managed.spec.stop_signal))
        try:
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.signal_group(managed, signal.SIGKILL)
            proc.wait(timeout=5)
        # Children that outlived their leader (e.g. gunicorn workers) go with the group.
        self.signal_group(managed, signal.SIGKILL)
        managed.proc = None
        managed.state = "stopped"
        managed.since = time.time()
        managed.health_future = None
        self.timeline.record("service_stopped", service=managed.spec.name, reason=reason)

    def shutdown(self) -> None:
        """Stop every service, dependents before their dependencies."""
        for name in reversed(start_order(list(self.desired.values()))):
            managed = self.services.get(name)
            if managed is not None:
                self.stop_service(managed, reason="lab down")
        self.checks.shutdown(wait=False, cancel_futures=True)
        if self.edge is not None:
            self.edge.stop()
        self.write_state(final=True)
        self.timeline.record("supervisor_stopped")

    # -- reporting -----------------------------------------------------------
    def write_state(self, final: bool = False) -> None:
        services = {
            name: {
                "name": name,
                "state": m.state,
                "pid": m.proc.pid if m.proc else None,
                "restarts": m.restarts,
                "last_exit_code": m.last_exit_code,
                "last_exit_reason": m.last_exit_reason,
                "last_exit_at": m.last_exit_at,
                "since": m.since,
                "role": m.spec.role,
                "spec_hash": spec_hash(m.spec),
            }
            for name, m in self.services.items()
        }
        body = json.dumps({"pid": os.getpid(), "final": final, "services": services}, indent=2)
        if body == self._last_written:
            return
        write_atomically(self.run_dir / STATE_FILE, body)
        self._last_written = body


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--owner-pid", type=int, default=None)
    args = parser.parse_args(argv)
    supervisor = Supervisor(args.run_dir.resolve(), args.owner_pid)
    supervisor.isolate()
    supervisor.serve()


if __name__ == "__main__":
    main()
