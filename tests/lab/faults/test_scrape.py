"""The scrape fault: the lab's real Prometheus, its config rewritten and reloaded, and put back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from pydantic import TypeAdapter, ValidationError

from chaoslab.faults import FaultStep
from chaoslab.faults.scrape import ScrapeFault
from chaoslab.running_lab import LiveLab
from chaoslab.waiting import wait_until
from tests.conftest import running_lab


def exporter_target(live: LiveLab) -> dict | None:
    found = [t for t in live.prometheus.targets() if t["labels"].get("job") == "exporter"]
    return found[0] if found else None


def scraped_job(live: LiveLab) -> dict | None:
    config = yaml.safe_load((live.run.config_dir / "prometheus.yml").read_text())
    return next((j for j in config["scrape_configs"] if j["job_name"] == "exporter"), None)


def test_a_scrape_step_says_exactly_one_change() -> None:
    steps = TypeAdapter(FaultStep)
    step = steps.validate_python({"kind": "scrape", "job": "exporter", "set": {"metrics_path": "/stats"}})
    assert step.describe() == "Prometheus: exporter scrape job with metrics_path=/stats, reload"
    for bad in (
        {"kind": "scrape", "job": "exporter"},
        {"kind": "scrape", "job": "exporter", "remove": True, "restore": True},
        {"kind": "scrape", "job": "exporter", "set": {"honor_labels": "true"}},
    ):
        with pytest.raises(ValidationError):
            steps.validate_python(bad)


@pytest.fixture(scope="module")
def live() -> Iterator[LiveLab]:
    with running_lab("missing-metrics") as lab:

        def scraped() -> bool:
            return (exporter_target(lab) or {}).get("health") == "up"

        wait_until(scraped, 20, "the exporter to be scraped")
        yield lab


@pytest.mark.integration
@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"scrape_timeout": "1s"}, "context deadline exceeded"),
        ({"metrics_path": "/stats"}, "404"),
        ({"port": "exporter-metrics-alt"}, "connection refused"),
    ],
)
def test_a_changed_job_fails_its_scrapes_until_reverted(live: LiveLab, change: dict, error: str) -> None:
    step = ScrapeFault(job="exporter", set=change)
    memento = step.inject(live)
    job = scraped_job(live)
    assert job is not None and job["scrape_interval"] == "5s"
    if "port" in change:
        assert job["static_configs"] == [{"targets": [f"127.0.0.1:{live.ports['exporter-metrics-alt']}"]}]
    else:
        assert {k: job[k] for k in change} == change
    wait_until(
        lambda: error in (exporter_target(live) or {}).get("lastError", ""),
        20,
        f"a scrape failing with {error}",
    )
    assert (exporter_target(live) or {})["health"] == "down"

    step.revert(live, memento)
    assert scraped_job(live) == {
        "job_name": "exporter",
        "scrape_interval": "5s",
        "scrape_timeout": "4s",
        "static_configs": [{"targets": [f"127.0.0.1:{live.ports['exporter-metrics']}"]}],
    }
    wait_until(lambda: (exporter_target(live) or {}).get("health") == "up", 20, "a good scrape again")


@pytest.mark.integration
def test_a_removed_job_is_gone_from_the_targets_until_restored(live: LiveLab) -> None:
    removed = ScrapeFault(job="exporter", remove=True)
    memento = removed.inject(live)
    assert scraped_job(live) is None
    wait_until(lambda: exporter_target(live) is None, 10, "the exporter target to go")
    assert {t["labels"]["job"] for t in live.prometheus.targets()} == {"prometheus"}

    ScrapeFault(job="exporter", restore=True).inject(live)
    wait_until(lambda: (exporter_target(live) or {}).get("health") == "up", 20, "the restored job's scrape")
    assert live.run.read_state().scrape_overrides == {}
    removed.revert(live, memento)  # back to no change at all: nothing to undo
    assert scraped_job(live) is not None
