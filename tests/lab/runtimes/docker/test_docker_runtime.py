"""The docker runtime runs the same lab as containers, and leaves none behind."""

from __future__ import annotations

import sys

import pytest

from chaoslab.end_to_end import run_scenario
from chaoslab.errors import EnvironmentProblem
from chaoslab.runs import Run, Timeline
from chaoslab.runtimes.core.health import LIVENESS_REASON
from chaoslab.runtimes.docker.engine import RUN_LABEL, labelled_containers
from chaoslab.runtimes.docker.runtime import DockerRuntime
from chaoslab.scenarios import load_scenario
from chaoslab.specs.model import ServiceSpec
from chaoslab.waiting import wait_until
from tests.lab.conftest import web


def test_without_an_engine_the_error_is_one_sentence_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    from chaoslab.runtimes.docker import engine as module

    module.engine.cache_clear()
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    try:
        with pytest.raises(EnvironmentProblem) as raised:
            module.engine()
    finally:
        module.engine.cache_clear()
    assert raised.value.message == "No Docker engine answers (DOCKER_HOST or /var/run/docker.sock)."
    assert "chaoslab setup --docker" in (raised.value.hint or "")


@pytest.mark.docker
@pytest.mark.scenario
def test_db_pool_exhaustion_runs_in_containers_and_its_fix_restores_health(port_base: int) -> None:
    from chaoslab.runtimes.docker.engine import engine

    outcome = run_scenario(
        load_scenario("db-pool-exhaustion"),
        seed=1,
        port_base=port_base,
        runtime="docker",
        echo=lambda _: None,
    )
    assert outcome.ok, outcome.error or [
        (p.name, [(c.label, c.value) for c in p.checks if not c.held]) for p in outcome.phases
    ]
    _, symptoms, recovery = outcome.phases
    # The chapter's picture, as with local processes: pool dry, P99 in seconds, then healthy again.
    assert symptoms.summary["pool_usage"] >= 0.9 and symptoms.summary["p99_latency"] > 0.5
    # Healthy again means under the alert line (APIServiceP99Latency, 0.25 s) and a fraction of the
    # incident's P99, not under a figure of one machine (a busy one measured 0.19 s here).
    assert recovery.summary["p99_latency"] < min(0.25, symptoms.summary["p99_latency"] / 4)

    events = Timeline(Run.load(outcome.run_id).timeline_path).events()
    started = [e["service"] for e in events if e["event"] == "service_started"]
    assert {"postgres", "redis", "toxiproxy", "prometheus", "shop", "locust"} <= set(started)
    assert [e for e in events if e["event"] == "pod_started"]
    # Down means gone: no container and no network of the run is left.
    client = engine()
    label = {"label": f"{RUN_LABEL}={outcome.run_id}"}
    assert labelled_containers(label["label"]) == []
    assert client.networks.list(filters=label) == []


def test_a_check_of_toxiproxys_admin_port_goes_through_its_socket_and_others_stay(port_base: int) -> None:
    from chaoslab.calls import unix_socket_url
    from chaoslab.runtimes.docker.containers import checked_from_host
    from chaoslab.specs.model import HealthCheck, LivenessCheck
    from chaoslab.specs.ports import PortPlan

    run = Run.create(
        scenario="runtime-test",
        seed=1,
        variant="none",
        runtime="docker",
        port_base=port_base,
    )
    admin = PortPlan(port_base)["toxiproxy"]
    version = LivenessCheck(kind="http", target=f"http://127.0.0.1:{admin}/version?x=1", failure_threshold=2)
    through_socket = checked_from_host(version, run)
    assert through_socket.target == unix_socket_url(run.toxiproxy_socket) + "/version?x=1"
    assert isinstance(through_socket, LivenessCheck) and through_socket.failure_threshold == 2
    for other in (
        HealthCheck(kind="http", target=f"http://127.0.0.1:{port_base}/"),
        HealthCheck(kind="tcp", target=f"127.0.0.1:{port_base}"),
        HealthCheck(kind="command", target=["true"]),
    ):
        assert checked_from_host(other, run) == other


@pytest.mark.docker
@pytest.mark.integration
def test_toxiproxys_admin_api_is_its_owners_socket_and_no_port_on_loopback(
    docker_runtime: DockerRuntime, port_base: int
) -> None:
    import os
    import socket
    import stat

    from chaoslab.calls import http, json_body, unix_socket_url
    from chaoslab.specs.catalog import DEFINITIONS, LabContext
    from chaoslab.specs.ports import PortPlan

    run = docker_runtime.run
    ports = PortPlan(port_base)
    ctx = LabContext(run=run, ports=ports, services=["toxiproxy", "profile"], seed=1)
    toxiproxy = DEFINITIONS["toxiproxy"]
    toxiproxy.prepare(ctx)
    docker_runtime.up([toxiproxy.spec(ctx)], timeout_s=60)  # healthy: asked through the socket

    # No login on that API: nobody on the machine reaches it over TCP, the links stay published.
    bindings = docker_runtime._containers()["pod"].attrs["HostConfig"]["PortBindings"]
    assert f"{ports['toxiproxy']}/tcp" not in bindings
    assert {f"{link.listen_port}/tcp" for link in ctx.links} <= set(bindings)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", ports["toxiproxy"]), timeout=5).close()
    found = run.toxiproxy_socket.stat()
    assert stat.S_ISSOCK(found.st_mode) and stat.S_IMODE(found.st_mode) == 0o600
    assert (found.st_uid, found.st_gid) == (os.getuid(), os.getgid())
    answer = http("GET", unix_socket_url(run.toxiproxy_socket) + "/proxies", service="Toxiproxy")
    assert set(json_body(answer, service="Toxiproxy")) == {link.name for link in ctx.links}

    docker_runtime.down()
    assert not run.toxiproxy_socket.exists()


HOG = "import time\nheld = []\nwhile True:\n    held.append(bytearray(8 * 2**20))\n    time.sleep(0.02)\n"


@pytest.mark.docker
@pytest.mark.integration
def test_the_pod_publishes_on_loopback_and_a_service_answers_through_it(
    docker_runtime: DockerRuntime, port_base: int
) -> None:
    docker_runtime.up([web(port_base, port_base)], timeout_s=60)
    status = docker_runtime.status()["web"]
    assert status.state == "healthy" and status.restarts == 0
    pod = docker_runtime._containers()["pod"]
    bindings = pod.attrs["HostConfig"]["PortBindings"][f"{port_base}/tcp"]
    assert bindings == [{"HostIp": "127.0.0.1", "HostPort": str(port_base)}]


@pytest.mark.docker
@pytest.mark.integration
def test_over_its_memory_limit_the_kernel_kills_it_and_the_engine_restarts_it(
    docker_runtime: DockerRuntime,
) -> None:
    hog = ServiceSpec(name="hog", command=[sys.executable, "-c", HOG], memory_limit_mb=64, restart="always")
    docker_runtime.up([hog], timeout_s=60)
    wait_until(lambda: docker_runtime.status()["hog"].restarts >= 2, 60, "two OOM kills and restarts")
    status = docker_runtime.status()["hog"]
    assert status.last_exit_reason == "OOMKilled" and status.last_exit_code == 137
    events = Timeline(docker_runtime.run.timeline_path).events()
    assert [e for e in events if e["event"] == "service_oom_killed" and e["service"] == "hog"]
    container = docker_runtime._containers()["hog"]
    assert container.attrs["HostConfig"]["Memory"] == 64 * 2**20


@pytest.mark.docker
@pytest.mark.integration
def test_failing_liveness_kills_the_service_from_inside_and_the_engine_restarts_it(
    docker_runtime: DockerRuntime, port_base: int
) -> None:
    # The liveness check asks a port nobody listens on: it fails every time.
    docker_runtime.up([web(port_base, port_base + 1)], timeout_s=60)
    wait_until(lambda: docker_runtime.status()["web"].restarts >= 1, 60, "the liveness kill and restart")
    assert docker_runtime.status()["web"].last_exit_reason == LIVENESS_REASON
    failed = Timeline(docker_runtime.run.timeline_path).events("service_liveness_failed")
    assert failed and failed[0]["failures"] == 3 and failed[0]["service"] == "web"


OWNER = """
import os, sys, time
from tests import REPO_ROOT
from chaoslab.runs import Run
from chaoslab.runtimes.docker.runtime import DockerRuntime
from tests.lab.conftest import web

port = int(sys.argv[1])
run = Run.create(
    scenario="owner-test", seed=1, variant="none", runtime="docker", port_base=port
)
DockerRuntime(run, owner_pid=os.getpid()).up([web(port, port)], timeout_s=60)
print(run.id, flush=True)
time.sleep(600)
"""


@pytest.mark.docker
@pytest.mark.integration
def test_a_crashed_owner_takes_its_containers_with_it(port_base: int) -> None:
    import subprocess

    from chaoslab.runtimes.docker.engine import engine
    from chaoslab.runtimes.local.runtime import processes_of_run
    from tests import REPO_ROOT

    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(port_base)], stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    try:
        run_id = (owner.stdout.readline() if owner.stdout else "").strip()
        assert run_id, "the owner did not bring its lab up"
        label = {"label": f"{RUN_LABEL}={run_id}"}
        assert engine().containers.list(filters=label)
    finally:
        owner.kill()  # SIGKILL: no cleanup of its own
        owner.wait()
    wait_until(lambda: not labelled_containers(label["label"]), 30, "the watcher's sweep")
    assert engine().networks.list(filters=label) == []
    # Its work done, the watcher goes too (a zombie at most: its parent died without waiting).
    wait_until(lambda: not processes_of_run(run_id), 15, "the watcher's exit")


@pytest.mark.docker
@pytest.mark.integration
def test_the_watcher_ends_the_session_on_time_and_removes_every_container(
    docker_runtime: DockerRuntime, port_base: int
) -> None:
    import time

    from chaoslab.runs.session import Session
    from tests.lab.runtimes.core.test_session_clock import taken_down

    run = docker_runtime.run
    docker_runtime.up([web(port_base, port_base)], timeout_s=60)
    ends_at = time.time() + 2  # the watcher reads the session as often as the desired specs
    run.write_state(session=Session(started_at=ends_at - 60, ends_at=ends_at))
    wait_until(lambda: taken_down(run), 60, "the watcher to take the lab down")
    (ended,) = Timeline(run.timeline_path).events("session_ended")
    assert ends_at <= ended["ts"] < ends_at + 10  # the watcher polls, later on a busy machine
    assert Timeline(run.timeline_path).events("session_ending")
    assert labelled_containers(f"{RUN_LABEL}={run.id}") == []
