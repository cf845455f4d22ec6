"""A whole lab on the real servers: PostgreSQL, Redis, Toxiproxy, Prometheus and the shop."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import time
from collections.abc import Iterator

import psycopg
import pytest
import requests

from chaoslab.calls import http
from chaoslab.faults.toxic import ToxicFault
from chaoslab.running_lab import LiveLab
from chaoslab.waiting import wait_until
from tests.conftest import running_lab

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def live() -> Iterator[LiveLab]:
    with running_lab("db-pool-exhaustion") as lab:
        yield lab


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_every_service_is_healthy_and_on_loopback(live: LiveLab) -> None:
    states = {name: s.state for name, s in live.runtime.status().items()}
    assert states == dict.fromkeys(["postgres", "redis", "toxiproxy", "prometheus", "shop"], "healthy")
    for port in live.ports.all().values():
        if listening(port):
            with socket.create_connection(("127.0.0.1", port)) as conn:
                assert conn.getpeername()[0] == "127.0.0.1"


def test_the_lab_has_a_network_of_its_own_and_toxiproxy_admin_only_on_a_private_socket(live: LiveLab) -> None:
    # Every port people and the load use is forwarded from the host's loopback; Toxiproxy's
    # admin API is not: other local users cannot add a toxic to this lab (docs/isolation.md).
    assert not listening(live.ports["toxiproxy"])
    assert listening(live.ports["shop-postgres"]) and listening(live.ports["prometheus"])
    socket_path = live.run.toxiproxy_socket
    assert stat.S_ISSOCK(socket_path.stat().st_mode)
    assert stat.S_IMODE(socket_path.stat().st_mode) == 0o600 and socket_path.stat().st_uid == os.getuid()
    assert live.toxiproxy_url.startswith("http+unix://")
    events = [json.loads(line)["event"] for line in live.run.timeline_path.read_text().splitlines()]
    assert "network_private" in events


def test_seeded_products_and_no_category_index(live: LiveLab) -> None:
    with psycopg.connect(live.admin_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM products").fetchone()[0] == 1_000_000
        indexes = [r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'products'")]
    assert not any("(category)" in i for i in indexes)


def test_postgres_runs_unprivileged(live: LiveLab) -> None:
    import psutil

    pid = live.runtime.status()["postgres"].pid
    assert pid is not None
    if os.geteuid() == 0:
        assert psutil.Process(pid).username() != "root"


def test_prometheus_scrapes_the_shop_and_knows_the_chapter_alerts(live: LiveLab) -> None:
    shop = live.service_url("shop")
    for _ in range(20):
        requests.get(f"{shop}/products", timeout=5)
    wait_until(lambda: live.prometheus.scalar('up{job="shop"}') == 1.0, 20, "Prometheus to scrape the shop")
    wait_until(
        lambda: live.prometheus.scalar("shop:db_pool_usage_ratio") is not None, 20, "the pool usage signal"
    )
    rules = requests.get(f"{live.prometheus.url}/api/v1/rules", timeout=5, auth=live.prometheus.auth)
    groups = rules.json()["data"]["groups"]
    alerts = {
        r["name"]: r["annotations"]["chapter_name"]
        for g in groups
        for r in g["rules"]
        if r["type"] == "alerting"
    }
    assert alerts == {
        "APIServiceP99Latency": "API_Service.P99_Latency",
        "DatabaseConnectionPoolUsage": "Database_Connection_Pool_Usage",
        "HTTP5xxErrorRate": "HTTP_5xx_Error_Rate",
    }


def test_shop_reaches_postgres_through_toxiproxy_and_a_toxic_slows_it(live: LiveLab) -> None:
    proxies = http("GET", f"{live.toxiproxy_url}/proxies", service="Toxiproxy").json()
    assert proxies["shop-postgres"]["upstream"] == f"127.0.0.1:{live.ports['postgres']}"
    url = f"{live.service_url('shop')}/products/42"

    def latency() -> float:
        started = time.perf_counter()
        assert requests.get(url, timeout=10).status_code == 200
        return time.perf_counter() - started

    before = min(latency() for _ in range(5))
    toxic = ToxicFault(link="shop-postgres", type="latency", attributes={"latency": 300})
    memento = toxic.inject(live)
    try:
        assert min(latency() for _ in range(3)) >= before + 0.3
    finally:
        toxic.revert(live, memento)
    assert min(latency() for _ in range(5)) < before + 0.3


def test_traces_and_json_logs_are_kept(live: LiveLab) -> None:
    requests.get(f"{live.service_url('shop')}/products/7", timeout=5)
    traces = live.run.traces_dir / "shop.jsonl"
    wait_until(lambda: traces.exists() and "SELECT" in traces.read_text(), 15, "spans in traces/shop.jsonl")
    spans = [json.loads(line) for line in traces.read_text().splitlines()]
    assert any(s["kind"] == "SpanKind.SERVER" for s in spans)
    assert any(
        s["kind"] == "SpanKind.CLIENT" and "SELECT" in s["name"] + json.dumps(s["attributes"]) for s in spans
    )
    log_lines = [line for line in live.run.log_path("shop").read_text().splitlines() if line.startswith("{")]
    assert log_lines and all("level" in json.loads(line) for line in log_lines)


def test_a_killed_database_is_restarted_by_policy(live: LiveLab) -> None:
    before = live.runtime.status()["postgres"]
    os.kill(before.pid, signal.SIGKILL)
    wait_until(lambda: live.runtime.status()["postgres"].restarts == before.restarts + 1, 30, "a restart")
    wait_until(lambda: live.runtime.status()["postgres"].state == "healthy", 60, "postgres healthy again")
    after = live.runtime.status()["postgres"]
    assert after.last_exit_code == 137 and after.pid != before.pid
    wait_until(
        lambda: requests.get(f"{live.service_url('shop')}/readyz", timeout=5).status_code == 200,
        30,
        "the shop to reconnect",
    )


def test_a_release_is_deployed_to_the_working_copy_and_rolled_back(live: LiveLab) -> None:
    from pathlib import Path

    from chaoslab.faults.release import ReleaseFault
    from chaoslab.lifecycle import rollback

    healthz = f"{live.service_url('shop')}/healthz"
    patch = Path(__file__).parent / "data" / "shop-healthz-release.patch"
    release = ReleaseFault(service="shop", patch=str(patch), version="v-test")
    memento = release.inject(live)
    assert requests.get(healthz, timeout=5).json().get("release") == "v-test"
    assert "v-test" in (live.run.source_dir / "services" / "shop" / "app.py").read_text()
    release.revert(live, memento)
    assert "release" not in requests.get(healthz, timeout=5).json()

    release.inject(live)
    rollback(live, "shop")  # the learner's mitigation: back to the shipped release
    assert "release" not in requests.get(healthz, timeout=5).json()
