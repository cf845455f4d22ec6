"""From a service spec to a container: image, program, user, limits, labels. Pure: no engine here.

The specs are written for the local runtime (host paths of programs, 127.0.0.1 everywhere).
The docker runtime keeps them as they are and only changes what is the host's: the program
path becomes the image's, and the user becomes the host's numeric ids (the run folder is
shared with the host at the same path, so files keep one owner on both sides).
"""

from __future__ import annotations

import pwd
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from chaoslab.calls import unix_socket_url
from chaoslab.runs.run import RUN_ID_ENV, Run
from chaoslab.runtimes.core.desired import spec_hash
from chaoslab.runtimes.docker.engine import HOME_LABEL, LAB_LABEL, RUN_LABEL
from chaoslab.specs.model import HealthCheck, ServiceSpec
from chaoslab.specs.ports import PortPlan

SERVICE_LABEL = "io.chaoslab.service"
SPEC_LABEL = "io.chaoslab.spec"

# Which image runs a program (by its name); everything else is Python and runs in the app image.
IMAGE_OF_PROGRAM = {
    "postgres": "postgres",
    "redis-server": "redis",
    "prometheus": "prometheus",
    "toxiproxy-server": "toxiproxy",
}
# Where the images keep the programs the specs name by host path (upstream and offline agree).
PROGRAM_IN_IMAGE = {
    "postgres": "/usr/lib/postgresql/15/bin/postgres",
    "initdb": "/usr/lib/postgresql/15/bin/initdb",
    "pg_isready": "/usr/lib/postgresql/15/bin/pg_isready",
    "psql": "psql",
    "redis-server": "redis-server",
    "redis-cli": "redis-cli",
    "prometheus": "prometheus",
    "toxiproxy-server": "/toxiproxy",
}
# Services whose image is not their program's: real browsers need the app image with Chromium.
IMAGE_OF_SERVICE = {"visitors": "browser"}
# The one image without a shell (upstream Toxiproxy is built FROM scratch): its log stays the engine's.
SHELL_LESS = {"toxiproxy"}


def program(argv0: str) -> str:
    """The image's name for a program the spec names by its host path."""
    name = Path(argv0).name
    if argv0 == sys.executable or name.startswith("python"):
        return "python"
    return PROGRAM_IN_IMAGE.get(name, argv0)


def translate(argv: list[str]) -> list[str]:
    """An argv for the host, as it runs inside an image."""
    return [program(argv[0]), *argv[1:]] if argv else argv


Check = TypeVar("Check", bound=HealthCheck)


def checked_from_host(check: Check, run: Run) -> Check:
    """``check`` as the host runs it: Toxiproxy's admin port is not published, its socket is."""
    if check.kind != "http" or not isinstance(check.target, str):
        return check
    target = urlsplit(check.target)
    if target.port != PortPlan(run.info.port_base)["toxiproxy"]:
        return check
    path = target.path + (f"?{target.query}" if target.query else "")
    return check.model_copy(update={"target": unix_socket_url(run.toxiproxy_socket) + path})


def image_kind(spec: ServiceSpec) -> str:
    """Which image of the set runs ``spec``: postgres, redis, prometheus, toxiproxy, app or browser."""
    if spec.name in IMAGE_OF_SERVICE:
        return IMAGE_OF_SERVICE[spec.name]
    return IMAGE_OF_PROGRAM.get(Path(spec.command[0]).name, "app")


@dataclass(frozen=True)
class ContainerPlan:
    """Everything the engine needs to run one service of one run."""

    service: str
    name: str
    image_kind: str
    command: list[str]
    environment: dict[str, str]
    working_dir: str
    user: str | None
    memory_limit_mb: int | None
    restart: str
    stop_signal: str
    labels: dict[str, str] = field(default_factory=dict)


def container_name(run_id: str, service: str) -> str:
    """The container's name: the run's id first, so `docker ps` groups a lab's containers."""
    return f"chaoslab-{run_id}-{service}"


def numeric_user(user: str | None) -> str | None:
    """``uid:gid`` of a host user: the files it owns in the shared run folder stay its own."""
    if user is None:
        return None
    entry = pwd.getpwnam(user)
    return f"{entry.pw_uid}:{entry.pw_gid}"


def plan_container(spec: ServiceSpec, run_id: str, run_dir: Path, import_root: Path) -> ContainerPlan:
    """How ``spec`` runs as a container of run ``run_id`` (``import_root``: where `chaoslab` is mounted)."""
    kind = image_kind(spec)
    command = translate(spec.command)
    log = run_dir / "logs" / f"{spec.name}.log"
    if kind not in SHELL_LESS:
        # The lab's log files are what `chaoslab logs` and the reports read, in both runtimes.
        command = ["sh", "-c", f'exec "$@" >>{log} 2>&1', spec.name, *command]
    environment = {**spec.env, RUN_ID_ENV: run_id, "CHAOSLAB_SERVICE": spec.name}
    if kind in ("app", "browser"):
        # The lab's own package (locustfiles import it), mounted read-only.
        paths = [p for p in (spec.env.get("PYTHONPATH"), str(import_root)) if p]
        environment["PYTHONPATH"] = ":".join(paths)
    return ContainerPlan(
        service=spec.name,
        name=container_name(run_id, spec.name),
        image_kind=kind,
        command=command,
        environment=environment,
        working_dir=spec.cwd or str(run_dir),
        user=numeric_user(spec.user),
        memory_limit_mb=spec.memory_limit_mb,
        restart=spec.restart,
        stop_signal=spec.stop_signal,
        labels={
            LAB_LABEL: "1",
            RUN_LABEL: run_id,
            HOME_LABEL: str(run_dir.parent.parent),
            SERVICE_LABEL: spec.name,
            # A changed spec means a new container.
            SPEC_LABEL: spec_hash(spec),
        },
    )
