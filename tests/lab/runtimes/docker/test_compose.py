"""The committed compose file is what the specs say today, and it means what the runtime does."""

from __future__ import annotations

import yaml

from chaoslab.runtimes.docker.compose import DEFAULT_SCENARIO, compose_file
from chaoslab.scenarios import load_scenario
from tests import REPO_ROOT

COMMITTED = REPO_ROOT / "compose" / "docker-compose.yml"


def test_the_committed_compose_file_has_not_drifted_from_the_specs() -> None:
    assert COMMITTED.read_text() == compose_file(load_scenario(DEFAULT_SCENARIO)), (
        "compose/docker-compose.yml differs from the specs: regenerate it with "
        "`chaoslab compose > compose/docker-compose.yml` and commit it."
    )


def test_every_service_shares_the_pods_network_and_only_the_pod_publishes_ports_on_loopback() -> None:
    services = yaml.safe_load(compose_file(load_scenario(DEFAULT_SCENARIO)))["services"]
    assert set(services) >= {"pod", "postgres", "redis", "toxiproxy", "prometheus", "shop"}
    pod = services.pop("pod")
    assert pod["ports"] and all(p.startswith("127.0.0.1:") for p in pod["ports"])
    for name, service in services.items():
        assert service["network_mode"] == "service:pod", name
        assert "ports" not in service, name
    assert services["toxiproxy"]["image"] == "ghcr.io/shopify/toxiproxy:2.12.0"
    assert services["shop"]["build"]["dockerfile"] == "docker/Dockerfile"
    # The shop reaches its database through Toxiproxy's link, as in the local runtime.
    assert services["shop"]["environment"]["CHAOSLAB_DATABASE_URL"].endswith(":15420/shop")
