"""Every service home holds together: ports, scrape job, rules (through promtool) and load."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chaoslab.scenarios import list_scenarios
from chaoslab.setup import find_binary
from chaoslab.specs.catalog import DEFINITIONS, OFFSETS, ServiceDefinition, _offsets, locustfile
from chaoslab.specs.catalog.prometheus import alert_names, rules_for
from chaoslab.specs.ports import PortPlan

HOMES_WITH_RULES = [d for d in DEFINITIONS.values() if d.rules is not None]
HOMES_WITH_LOAD = [d for d in DEFINITIONS.values() if d.locustfile is not None]


def test_every_port_has_one_home_and_fits_the_block() -> None:
    owners = [name for d in DEFINITIONS.values() for name in d.ports]
    assert len(owners) == len(set(owners)) == len(OFFSETS)
    assert len(set(OFFSETS.values())) == len(OFFSETS)
    # `--port-base` promises the lab N..N+30 (docs/environment.md).
    assert max(OFFSETS.values()) <= 30
    assert PortPlan(15400)["shop"] == 15410


def test_two_homes_claiming_one_offset_are_refused() -> None:
    class First(ServiceDefinition):
        name = "first"
        ports = {"first": 40}

    class Second(ServiceDefinition):
        name = "second"
        ports = {"second": 40}

    with pytest.raises(RuntimeError, match="second's port 'second' \\(offset 40\\) clashes with 'first'"):
        _offsets([First(), Second()])


def test_a_lab_listens_on_its_services_ports_and_their_links_only() -> None:
    ports = PortPlan(15400).of(["postgres", "shop"])
    assert set(ports) == {
        "postgres",
        "shop",
        "shop-postgres",
        "shop-redis",
        "shop-checkout",
        "shop-recommender",
    }


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    """Debian's promtool with ``args``, its output captured."""
    return subprocess.run([find_binary("promtool"), *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("home", HOMES_WITH_RULES, ids=lambda d: d.name)
def test_rules_are_a_rule_file_promtool_accepts(home: ServiceDefinition) -> None:
    assert home.rules is not None
    done = promtool("check", "rules", str(home.rules))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr


@pytest.mark.parametrize("home", HOMES_WITH_RULES, ids=lambda d: d.name)
def test_every_alert_carries_the_chapter_name_and_a_severity(home: ServiceDefinition) -> None:
    alerts = [r for g in rules_for([home.name])["groups"] for r in g["rules"] if "alert" in r]
    for alert in alerts:
        assert alert["annotations"]["chapter_name"], alert["alert"]
        assert alert["labels"]["severity"] in {"page", "warning"}, alert["alert"]
        assert alert["labels"]["service"] == home.name, alert["alert"]


def test_the_chapter_s_alert_names_come_from_the_shop_s_home() -> None:
    assert alert_names(["postgres", "shop"]) == [
        "APIServiceP99Latency",
        "DatabaseConnectionPoolUsage",
        "HTTP5xxErrorRate",
    ]


# The shop's pool as one CI run saw it: full from +10 s, one two-scrape dip (6, then 7 of 10
# connections) while a wave of requests gave up, full again, then drained by the fix at +40 s.
POOL_USED = "0 0 0 0 0 10 10 10 10 10 10 10 6 7 10 10 10 10 10 10 1 1 1 1 1 1 1 1 1 1 1 1 1 1"


def test_a_saturated_pool_s_momentary_dip_does_not_reset_its_page(tmp_path: Path) -> None:
    """promtool replays the pool's samples: the page holds through the dip and ends after the drain."""
    home = DEFINITIONS["shop"]
    assert home.rules is not None
    firing = [
        {
            "exp_labels": {"severity": "page", "service": "shop"},
            "exp_annotations": {
                "chapter_name": "Database_Connection_Pool_Usage",
                "summary": "Shop database connection pool usage at 100%.",
            },
        }
    ]
    plan = {
        "rule_files": [str(home.rules)],
        "evaluation_interval": "2s",
        "tests": [
            {
                "interval": "2s",
                "input_series": [
                    {
                        "series": 'db_client_connection_count{job="shop",db_client_connection_state="used"}',
                        "values": POOL_USED,
                    },
                    {"series": 'db_client_connection_max{job="shop"}', "values": "10x40"},
                ],
                "alert_rule_test": [
                    {"eval_time": "8s", "alertname": "DatabaseConnectionPoolUsage", "exp_alerts": []},
                    # An average over 10 s read 0.88 here and the alert went back to pending.
                    *(
                        {"eval_time": t, "alertname": "DatabaseConnectionPoolUsage", "exp_alerts": firing}
                        for t in ("24s", "28s", "30s", "34s")
                    ),
                    {"eval_time": "54s", "alertname": "DatabaseConnectionPoolUsage", "exp_alerts": []},
                ],
            }
        ],
    }
    test_file = tmp_path / "pool_page.test.yml"
    test_file.write_text(json.dumps(plan))  # JSON is YAML
    done = promtool("test", "rules", str(test_file))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("home", HOMES_WITH_LOAD, ids=lambda d: d.name)
def test_every_locustfile_ends_its_load_by_itself(home: ServiceDefinition) -> None:
    assert home.locustfile is not None
    tree = ast.parse(home.locustfile.read_text())
    imported = {
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert "chaoslab.load.bounds" in imported, "import chaoslab.load.bounds: it ends the load by itself"
    # Think time from chaoslab.load.pace, so a calibrated pace reaches every user.
    assert "locust.between" not in imported, "wait_time = paced(low, high), not between()"


def test_a_calibrated_pace_stretches_every_user_s_think_time() -> None:
    sample = (
        "from chaoslab.load.pace import paced; wait = paced(0.2, 0.6); "
        "seen = [wait(None) for _ in range(500)]; print(min(seen), max(seen))"
    )
    for pace, low, high in [("1", 0.2, 0.6), ("3", 0.6, 1.8)]:
        printed = subprocess.run(
            [sys.executable, "-c", sample],
            env={**os.environ, "CHAOSLAB_LOAD_PACE": pace},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        shortest, longest = map(float, printed)
        assert low <= shortest < low * 1.2 and high * 0.8 < longest <= high, (pace, printed)


def test_every_scenario_s_load_is_in_a_home() -> None:
    for scenario in list_scenarios():
        assert locustfile(scenario.load.locustfile).is_file(), scenario.id


def test_scrape_jobs_name_ports_of_their_own_home() -> None:
    for home in DEFINITIONS.values():
        if home.scrape is not None:
            assert home.scrape.port in home.ports, home.name
