"""The local runtime against real processes: start order, health, restarts, OOM kills, clean stop."""

from __future__ import annotations

import socket
import sys

import psutil
import pytest

from chaoslab.errors import NotHealthy
from chaoslab.runs import Run, Timeline
from chaoslab.runtimes.core.desired import start_order
from chaoslab.runtimes.local.runtime import LocalRuntime, processes_of_run
from chaoslab.specs.model import HealthCheck, ServiceSpec
from chaoslab.waiting import wait_until

pytestmark = pytest.mark.integration


def web(name: str, port: int, **extra: object) -> ServiceSpec:
    return ServiceSpec(
        name=name,
        command=[sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        health=HealthCheck(kind="http", target=f"http://127.0.0.1:{port}/", interval_s=0.2),
        **extra,  # type: ignore[arg-type]
    )


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_start_order_puts_dependencies_first() -> None:
    specs = [
        ServiceSpec(name="app", command=["x"], depends_on=["db", "cache"]),
        ServiceSpec(name="cache", command=["x"]),
        ServiceSpec(name="db", command=["x"]),
    ]
    order = start_order(specs)
    assert order.index("db") < order.index("app") and order.index("cache") < order.index("app")


def test_dependency_cycle_is_refused() -> None:
    specs = [
        ServiceSpec(name="a", command=["x"], depends_on=["b"]),
        ServiceSpec(name="b", command=["x"], depends_on=["a"]),
    ]
    with pytest.raises(ValueError, match="cycle"):
        start_order(specs)


def test_up_starts_in_order_healthy_and_down_leaves_nothing(runtime: LocalRuntime, port_base: int) -> None:
    specs = [web("front", port_base + 1, depends_on=["back"]), web("back", port_base)]
    runtime.up(specs, timeout_s=30)
    status = runtime.status()
    assert {s.state for s in status.values()} == {"healthy"}
    started = [e["service"] for e in Timeline(runtime.run.timeline_path).events("service_started")]
    assert started == ["back", "front"]
    assert listening(port_base) and listening(port_base + 1)
    assert processes_of_run(runtime.run.id)

    runtime.down()
    assert processes_of_run(runtime.run.id) == []
    assert not listening(port_base) and not listening(port_base + 1)


def test_crashing_service_is_restarted_with_its_exit_code(runtime: LocalRuntime, port_base: int) -> None:
    crasher = ServiceSpec(
        name="crasher",
        command=[sys.executable, "-c", "import time, sys; time.sleep(0.3); sys.exit(3)"],
        restart="on-failure",
    )
    runtime.up([crasher], timeout_s=10)
    wait_until(lambda: runtime.status()["crasher"].restarts >= 2, 20, "two restarts")
    status = runtime.status()["crasher"]
    assert status.last_exit_code == 3
    assert status.last_exit_reason == "Error"


def test_memory_limit_kills_like_a_platform_oom(runtime: LocalRuntime) -> None:
    hog = ServiceSpec(
        name="hog",
        command=[
            sys.executable,
            "-c",
            "import time; x = bytearray(200 << 20); x[::4096] = b'1' * len(x[::4096]); time.sleep(60)",
        ],
        memory_limit_mb=64,
        restart="always",
    )
    runtime.up([hog], timeout_s=10)
    wait_until(lambda: runtime.status()["hog"].last_exit_code is not None, 20, "the OOM kill")
    status = runtime.status()["hog"]
    assert status.last_exit_code == 137
    assert status.last_exit_reason == "OOMKilled"
    assert Timeline(runtime.run.timeline_path).events("service_oom_killed")


def test_changed_spec_restarts_only_that_service(runtime: LocalRuntime, port_base: int) -> None:
    a, b = web("a", port_base), web("b", port_base + 1)
    runtime.up([a, b], timeout_s=30)
    pid_a, pid_b = runtime.status()["a"].pid, runtime.status()["b"].pid
    runtime.up([a, b.model_copy(update={"env": {"X": "1"}})], timeout_s=30)
    assert runtime.status()["a"].pid == pid_a
    assert runtime.status()["b"].pid != pid_b


def test_unhealthy_start_reports_state_and_log_lines(runtime: LocalRuntime, port_base: int) -> None:
    broken = ServiceSpec(
        name="broken",
        command=[
            sys.executable,
            "-c",
            "print('cannot bind: address in use', flush=True); import time; time.sleep(30)",
        ],
        health=HealthCheck(kind="tcp", target=f"127.0.0.1:{port_base}", interval_s=0.2),
    )
    with pytest.raises(NotHealthy) as info:
        runtime.up([broken], timeout_s=3)
    rendered = info.value.render()
    assert "broken" in rendered and "cannot bind: address in use" in rendered
    assert "Hint:" in rendered


def test_supervisor_killed_hard_takes_its_services_along(runtime: LocalRuntime, port_base: int) -> None:
    runtime.up([web("orphan-check", port_base)], timeout_s=30)
    service_pid = runtime.status()["orphan-check"].pid
    supervisor = psutil.Process(int((runtime.run.dir / "supervisor.pid").read_text().split()[0]))
    supervisor.kill()  # SIGKILL: no cleanup code runs in the supervisor
    wait_until(
        lambda: not psutil.pid_exists(service_pid) or psutil.Process(service_pid).status() == "zombie",
        10,
        "the service to die with its supervisor",
    )
    wait_until(lambda: not listening(port_base), 10, "the port to be released")


def test_owner_death_takes_the_lab_down(port_base: int) -> None:
    run = Run.create(scenario="owner-test", seed=1, variant="none", runtime="local", port_base=port_base)
    owner = psutil.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    rt = LocalRuntime(run, owner_pid=owner.pid)
    try:
        rt.up([web("owned", port_base)], timeout_s=30)
        owner.kill()
        owner.wait()
        wait_until(lambda: processes_of_run(run.id) == [], 20, "the lab to follow its owner down")
    finally:
        rt.down()
