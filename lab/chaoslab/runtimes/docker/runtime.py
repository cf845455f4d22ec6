"""The docker runtime: the same services, from the same specs, as containers of one "pod".

Each lab gets its own network and a pod container on it that holds the lab's network
namespace, as a Kubernetes pod's pause container does. Every service container joins
that namespace, so the specs' 127.0.0.1 addresses mean what they mean locally; the pod
publishes the lab's ports on the host's 127.0.0.1 and forwards them (socat) to the
services inside. Restart policies and memory limits are the engine's: a container over
its limit is killed by the kernel, and the engine reports OOMKilled. Toxiproxy's admin API,
which has no login, is the exception: the pod offers it on the host as the run's
``toxiproxy.sock``, for the lab's owner only, instead of on a port every local user reaches.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from chaoslab.errors import EnvironmentProblem, NotHealthy
from chaoslab.runs import Run, Timeline
from chaoslab.runtimes.core.base import Runtime
from chaoslab.runtimes.core.desired import read_desired, spec_hash, start_order, write_desired
from chaoslab.runtimes.core.detached import DetachedProcess
from chaoslab.runtimes.core.health import check_health
from chaoslab.runtimes.docker.containers import (
    SERVICE_LABEL,
    SPEC_LABEL,
    ContainerPlan,
    checked_from_host,
    container_name,
    image_kind,
    plan_container,
    translate,
)
from chaoslab.runtimes.docker.engine import (
    HOME_LABEL,
    LAB_LABEL,
    RUN_LABEL,
    engine,
    labelled_containers,
    remove_labelled,
)
from chaoslab.runtimes.docker.images import ImageSet, image_set
from chaoslab.runtimes.docker.watcher import EXITS_FILE
from chaoslab.service_status import ServiceAction, ServiceState, ServiceStatus
from chaoslab.specs.model import ServiceSpec
from chaoslab.specs.ports import PortPlan

POD = "pod"
IMAGES_FILE = "images.json"
# offline (the default: built here, no registry) or upstream (the registries' images).
IMAGE_SET_ENV = "CHAOSLAB_IMAGE_SET"
STOP_GRACE_S = 10
# The run folder as the pod sees it: short, so the socket's path fits a Unix socket address.
POD_RUN_DIR = "/run/chaoslab"


def sweep_leftovers(keep_run_id: str | None) -> list[str]:
    """Remove what runs of this state home left, but ``keep_run_id``'s (a crashed harness's leftovers)."""
    from chaoslab.homes import state_home

    mine = f"{HOME_LABEL}={state_home()}"
    runs = {c.labels.get(RUN_LABEL) for c in labelled_containers(mine)}
    networks = engine().networks.list(filters={"label": mine})
    runs |= {n.attrs.get("Labels", {}).get(RUN_LABEL) for n in networks}
    finished = sorted(r for r in runs if r and r != keep_run_id)
    return [name for run_id in finished for name in remove_labelled(run_id)]


class DockerRuntime(Runtime):
    """Runs each service as a container in the lab's pod, on images from `chaoslab images`."""

    name = "docker"

    def __init__(self, run: Run, owner_pid: int | None = None):
        super().__init__(run, owner_pid)
        self.client = engine()
        self.timeline = Timeline(run.timeline_path)
        # Timeline, liveness and the owner: what the engine does not do (see watcher.py).
        self.watcher = DetachedProcess(run, "chaoslab.runtimes.docker.watcher", "watcher")

    # -- naming ----------------------------------------------------------------
    def _labels(self, **extra: str) -> dict[str, str]:
        return {LAB_LABEL: "1", RUN_LABEL: self.run.id, HOME_LABEL: str(self.run.dir.parent.parent), **extra}

    def _containers(self) -> dict[str, Any]:
        found = labelled_containers(f"{RUN_LABEL}={self.run.id}")
        return {c.labels.get(SERVICE_LABEL, ""): c for c in found}

    @functools.cached_property
    def images(self) -> ImageSet:
        """The run's images: chosen at its start and kept, so a restart runs what the lab began with."""
        chosen = self.run.dir / IMAGES_FILE
        if chosen.exists():
            return ImageSet.model_validate_json(chosen.read_text())
        images = image_set(offline=os.environ.get(IMAGE_SET_ENV, "offline") != "upstream")
        chosen.write_text(images.model_dump_json(indent=2))
        return images

    def _image(self, kind: str) -> str:
        return str(getattr(self.images, kind))

    # -- the pod -----------------------------------------------------------------
    def _published_ports(self, specs: list[ServiceSpec]) -> list[int]:
        plan = PortPlan(self.run.info.port_base)
        ports = {p for s in specs for p in s.ports.values()}
        ports |= set(plan.of(s.name for s in specs).values())
        # Toxiproxy's admin API has no login: its socket is the owner's way in (_toxiproxy_socket).
        ports.discard(plan["toxiproxy"])
        return sorted(ports)

    def _toxiproxy_socket(self) -> str:
        """The pod's forwarder from ``run.toxiproxy_socket`` (0600, the CLI's user) to the admin port."""
        socket = f"{POD_RUN_DIR}/{self.run.toxiproxy_socket.name}"
        admin = PortPlan(self.run.info.port_base)["toxiproxy"]
        options = f"fork,mode=600,user={os.getuid()},group={os.getgid()},unlink-early"
        # The umask closes the moment between bind and chmod when the socket is open to all.
        return f"(umask 177; exec socat UNIX-LISTEN:{socket},{options} TCP:127.0.0.1:{admin}) &"

    def _ensure_pod(self, specs: list[ServiceSpec]) -> Any:
        existing = self._containers().get(POD)
        if existing is not None:
            return existing
        from docker.errors import APIError

        network_name = f"chaoslab-{self.run.id}"
        network = self.client.networks.create(network_name, driver="bridge", labels=self._labels())
        ports = self._published_ports(specs)
        # Published ports reach the pod's own address; the services listen on its loopback.
        forward = " ".join(f"socat TCP-LISTEN:{p},bind=$ip,fork,reuseaddr TCP:127.0.0.1:{p} &" for p in ports)
        forward += " " + self._toxiproxy_socket()
        try:
            pod = self.client.containers.run(
                self._image("app"),
                ["sh", "-c", f"ip=$(hostname -i | cut -d' ' -f1); {forward} exec sleep infinity"],
                name=container_name(self.run.id, POD),
                labels=self._labels(**{SERVICE_LABEL: POD}),
                network=network.name,
                ports={f"{p}/tcp": ("127.0.0.1", p) for p in ports},
                volumes={str(self.run.dir): {"bind": POD_RUN_DIR, "mode": "rw"}},
                init=True,
                detach=True,
            )
        except APIError as error:
            raise EnvironmentProblem(
                f"The engine refused the lab's pod: {error.explanation or error}.",
                hint="a port of the lab may be taken (`chaoslab doctor`), or pick another `--port-base`.",
            ) from None
        self.timeline.record("pod_started", container=pod.name, ports=len(ports))
        return pod

    # -- Runtime -----------------------------------------------------------------
    def up(self, specs: list[ServiceSpec], timeout_s: float = 120.0) -> None:
        self._require_images(specs)
        order = start_order(specs)
        by_name = {s.name: s for s in specs}
        write_desired(self.run.dir, specs)
        pod = self._ensure_pod(specs)
        if self.watcher.pid() is None:
            self.watcher.spawn(self.owner_pid)
        running = self._containers()
        for name, container in running.items():
            if name != POD and name not in by_name:
                self._stop(container, reason="removed")
        deadline = time.monotonic() + timeout_s
        for name in order:
            spec = by_name[name]
            container = running.get(name)
            if container is not None and container.labels.get(SPEC_LABEL) == spec_hash(spec):
                continue
            if container is not None:
                self._stop(container, reason="spec changed")
            self._start(spec, pod)
            self._wait_healthy(spec, deadline, timeout_s)

    def _require_images(self, specs: list[ServiceSpec]) -> None:
        from chaoslab.runtimes.docker.images import missing_images

        kinds = {"app"} | {image_kind(s) for s in specs}  # the pod runs in the app image
        wanted = {self._image(kind) for kind in kinds}
        missing = [ref for ref in missing_images(self.images) if ref in wanted]
        if missing:
            raise EnvironmentProblem(
                f"The docker runtime needs images that are not built: {', '.join(missing)}.",
                hint="build them once: `chaoslab images build --offline` (no registry needed).",
            )
        from chaoslab.homes import cache_home
        from chaoslab.runtimes.docker.image_use import record_use

        # The disk budget evicts our images least recently used first.
        sizes = {ref: int(self.client.api.inspect_image(ref).get("Size", 0)) for ref in wanted}
        record_use(cache_home(), sizes)

    def _start(self, spec: ServiceSpec, pod: Any) -> None:
        plan = plan_container(spec, self.run.id, self.run.dir, Path(self.run.info.import_root))
        log = self.run.log_path(spec.name)
        log.touch()
        if plan.user is not None:
            # The service appends to it as itself, as the local supervisor's open file lets it.
            uid, gid = (int(part) for part in plan.user.split(":"))
            os.chown(log, uid, gid)
        container = self.client.containers.run(**self._run_arguments(plan, pod))
        self.timeline.record("service_started", service=spec.name, container=container.name)

    def _run_arguments(self, plan: ContainerPlan, pod: Any) -> dict[str, Any]:
        package = str(Path(self.run.info.import_root) / "chaoslab")
        volumes = {
            str(self.run.dir): {"bind": str(self.run.dir), "mode": "rw"},
            # The lab's package only (locustfiles import it), where the host has it.
            package: {"bind": package, "mode": "ro"},
        }
        if plan.user is not None:
            # PostgreSQL looks its user up by id; the host's names for the host's ids.
            volumes["/etc/passwd"] = {"bind": "/etc/passwd", "mode": "ro"}
            volumes["/etc/group"] = {"bind": "/etc/group", "mode": "ro"}
        arguments: dict[str, Any] = {
            "image": self._image(plan.image_kind),
            "command": plan.command,
            "entrypoint": [],
            "name": plan.name,
            "labels": plan.labels,
            "environment": plan.environment,
            "working_dir": plan.working_dir,
            "network_mode": f"container:{pod.id}",
            "volumes": volumes,
            "stop_signal": plan.stop_signal,
            "init": True,
            "detach": True,
        }
        if plan.user is not None:
            arguments["user"] = plan.user
        if plan.memory_limit_mb:
            limit = f"{plan.memory_limit_mb}m"
            arguments["mem_limit"] = limit
            arguments["memswap_limit"] = limit  # no swap: over the limit is an OOM kill, as on a node
        if plan.restart == "always":
            arguments["restart_policy"] = {"Name": "always"}
        elif plan.restart == "on-failure":
            arguments["restart_policy"] = {"Name": "on-failure", "MaximumRetryCount": 0}
        return arguments

    def _stop(self, container: Any, reason: str) -> None:
        name = container.labels.get(SERVICE_LABEL, container.name)
        with contextlib.suppress(Exception):
            container.stop(timeout=STOP_GRACE_S)
        with contextlib.suppress(Exception):
            container.remove(force=True)
        self.timeline.record("service_stopped", service=name, reason=reason)

    def _healthy(self, spec: ServiceSpec, container: Any) -> bool:
        check = spec.health
        if check is None:
            return True
        if check.kind != "command":
            # http and tcp reach the pod through its published ports, Toxiproxy's API its socket.
            return check_health(checked_from_host(check, self.run))
        argv = check.target if isinstance(check.target, list) else check.target.split()
        try:
            return container.exec_run(translate(argv), user=container.attrs["Config"]["User"]).exit_code == 0
        except Exception:
            return False

    def _wait_healthy(self, spec: ServiceSpec, deadline: float, timeout_s: float) -> None:
        while time.monotonic() < deadline:
            container = self._containers().get(spec.name)
            if container is not None and container.status == "running" and self._healthy(spec, container):
                self.timeline.record("service_healthy", service=spec.name)
                return
            if container is not None and container.status == "exited" and spec.restart == "no":
                break
            time.sleep(spec.health.interval_s if spec.health else 0.25)
        log = self.run.log_path(spec.name)
        lines = log.read_text(errors="replace").splitlines()[-8:] if log.exists() else []
        if not lines and (container := self._containers().get(spec.name)) is not None:
            lines = container.logs(tail=8).decode(errors="replace").splitlines()
        raise NotHealthy(
            f"Timed out after {timeout_s:.0f}s waiting for {spec.name} (container) to become healthy.",
            details=[f"last lines of {spec.name}'s log:", *(lines or ["(empty)"])],
            hint=f"read `chaoslab logs {spec.name}` "
            f"or `docker logs {container_name(self.run.id, spec.name)}`; "
            "images older than the code are a usual cause (`chaoslab images build --offline`).",
        )

    def status(self) -> dict[str, ServiceStatus]:
        containers = {n: c for n, c in self._containers().items() if n != POD}
        specs = {s.name: s for s in read_desired(self.run.dir)}

        def healthy(name: str) -> bool:
            return name not in specs or self._healthy(specs[name], containers[name])

        with ThreadPoolExecutor(max_workers=8) as pool:
            health = dict(zip(containers, pool.map(healthy, containers), strict=True))
        return {
            name: self._status_of(name, c, health[name], specs.get(name)) for name, c in containers.items()
        }

    def _status_of(self, name: str, container: Any, healthy: bool, spec: ServiceSpec | None) -> ServiceStatus:
        state = container.attrs["State"]
        engine_state = state.get("Status", "exited")
        mapped: ServiceState
        if engine_state == "running":
            checked = spec is not None and spec.health is not None
            mapped = ("healthy" if healthy else "unhealthy") if checked else "running"
        elif engine_state == "restarting":
            mapped = "restarting"
        elif engine_state in ("created",):
            mapped = "starting"
        else:
            mapped = "exited"
        exit_code, reason, exited_at = self._last_exit(name)
        return ServiceStatus(
            name=name,
            state=mapped,
            pid=state.get("Pid") or None,
            restarts=int(container.attrs.get("RestartCount", 0)),
            last_exit_code=exit_code,
            last_exit_reason=reason,
            last_exit_at=exited_at,
            since=_epoch(state.get("StartedAt")),
            role=spec.role if spec else "",
        )

    def _last_exit(self, name: str) -> tuple[int | None, str | None, float | None]:
        """The last exit as the watcher recorded it: a restarted container's state forgets it."""
        try:
            seen = json.loads((self.run.dir / EXITS_FILE).read_text()).get(name)
        except (FileNotFoundError, json.JSONDecodeError):
            seen = None
        return (seen["code"], seen["reason"], seen["at"]) if seen else (None, None, None)

    def act(self, service: str, action: ServiceAction) -> None:
        container = self._containers().get(service)
        if container is None or container.status not in ("running", "paused"):
            raise NotHealthy(f"{service} is not running: nothing to {action}.", hint="`chaoslab status`")
        if action == "pause":
            container.pause()  # the cgroup freezer: the process stays, answers nothing
        elif action == "resume":
            container.unpause()
        else:
            # From inside, so the engine sees a crash and its restart policy applies (a `docker
            # kill` counts as a manual stop and would leave the service down).
            container.exec_run(["sh", "-c", "kill -s KILL -- -1"])

    def down(self) -> None:
        self.watcher.stop(timeout_s=10)
        containers = self._containers()
        for name in reversed(start_order(read_desired(self.run.dir))):
            if name in containers:
                self._stop(containers.pop(name), reason="lab down")
        remove_labelled(self.run.id)
        # The pod is removed with SIGKILL: its forwarder cannot remove the socket itself.
        self.run.toxiproxy_socket.unlink(missing_ok=True)


def _epoch(stamp: str | None) -> float | None:
    """Epoch seconds of the engine's RFC 3339 stamps (nanoseconds and all)."""
    if not stamp or stamp.startswith("0001-"):
        return None
    from datetime import datetime

    head, _, rest = stamp.partition(".")
    fraction = rest.rstrip("Z")[:6] if rest else "0"
    return datetime.fromisoformat(f"{head}.{fraction or '0'}+00:00").timestamp()


__all__ = ["DockerRuntime", "remove_labelled", "sweep_leftovers"]
