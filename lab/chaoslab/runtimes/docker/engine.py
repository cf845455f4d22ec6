"""The Docker engine: one client for the lab, the labels everything carries, cleanup by label."""

from __future__ import annotations

import contextlib
import functools

from chaoslab.errors import EnvironmentProblem

# Every container, network and volume the lab creates carries this label, set to the run's id
# (images carry LAB_LABEL only): cleanup is one query.
RUN_LABEL = "io.chaoslab.run"
LAB_LABEL = "io.chaoslab"
# The state home a run belongs to: a sweep in one home never touches another home's live labs.
HOME_LABEL = "io.chaoslab.home"


@functools.cache
def engine():  # -> docker.DockerClient (the SDK is imported lazily: the local runtime needs none of it)
    """A client of a running Docker engine, or an error that says how to get one."""
    from chaoslab.setup.extras import import_extra

    docker = import_extra("docker", extra="docker", needed_by="The docker runtime")
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except DockerException as error:
        raise EnvironmentProblem(
            "No Docker engine answers (DOCKER_HOST or /var/run/docker.sock).",
            details=[str(error).splitlines()[0][:200]],
            hint="start one: `chaoslab setup --docker` (installs docker.io and starts dockerd), "
            "or `systemctl start docker`; or run with `--runtime local`.",
        ) from None
    return client


def labelled_containers(label: str) -> list:
    """Containers (running or not) carrying ``label`` ("key" or "key=value").

    A container removed between the engine's listing and its inspection (a watcher sweeping,
    a lab going down) is left out rather than failing the whole listing with NotFound.
    """
    return engine().containers.list(all=True, filters={"label": label}, ignore_removed=True)


def remove_labelled(run_id: str) -> list[str]:
    """Remove every container and network of one run: cleanup is one query."""
    client = engine()
    label = f"{RUN_LABEL}={run_id}"
    removed = []
    for container in labelled_containers(label):
        with contextlib.suppress(Exception):
            container.remove(force=True)
            removed.append(container.name)
    for network in client.networks.list(filters={"label": label}):
        with contextlib.suppress(Exception):
            network.remove()
            removed.append(network.name)
    return removed
