"""The exporter on a real lab (gunicorn, its own metrics listener, the lab's Prometheus): what it serves."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import requests

from chaoslab.running_lab import LiveLab
from chaoslab.waiting import wait_until
from tests.conftest import listening_addresses, running_lab

pytestmark = pytest.mark.integration

GO_RUNTIME = (
    "go_goroutines",
    "go_threads",
    'go_info{version="go1.21.13"}',
    'go_gc_duration_seconds{quantile="0.5"}',
    "go_gc_duration_seconds_count",
    "go_memstats_heap_objects",
    "go_memstats_sys_bytes",
    "process_resident_memory_bytes",
    "process_cpu_seconds_total",
    "process_open_fds",
    'promhttp_metric_handler_requests_total{code="200"}',
)


@pytest.fixture(scope="module")
def live() -> Iterator[LiveLab]:
    with running_lab("missing-metrics") as lab:
        yield lab


def scrape(live: LiveLab) -> tuple[str, float]:
    """The metrics page as Prometheus gets it, and how long it took."""
    started = time.monotonic()
    response = requests.get(f"{live.service_url('exporter-metrics')}/metrics", timeout=10)
    response.raise_for_status()
    return response.text, time.monotonic() - started


def value(page: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", page, re.M)
    assert match, f"{series} not served"
    return float(match.group(1))


def test_jobs_are_processed_and_counted_by_kind(live: LiveLab) -> None:
    api = live.service_url("exporter")
    for kind in ("thumbnail", "report", "report"):
        done = requests.post(f"{api}/jobs", json={"kind": kind, "input": "x"}, timeout=10)
        assert done.status_code == 201 and len(done.json()["checksum"]) == 64
    assert requests.post(f"{api}/jobs", json={"kind": "nope"}, timeout=10).status_code == 400
    page, _ = scrape(live)
    scope = 'otel_scope_name="exporter",otel_scope_schema_url="",otel_scope_version="1.2.0"'
    assert value(page, f'exporter_jobs_processed_total{{kind="report",{scope},outcome="done"}}') == 2
    assert value(page, f'exporter_jobs_processed_total{{kind="unknown",{scope},outcome="rejected"}}') == 1
    # The unit "s" is in the exported name: the dashboard's query depends on it.
    assert value(page, f'exporter_job_duration_seconds_count{{kind="report",{scope}}}') == 2
    assert value(page, f'exporter_job_duration_seconds_bucket{{kind="report",le="+Inf",{scope}}}') == 2
    assert value(page, f"exporter_queue_depth{{{scope}}}") == 0


def test_the_endpoint_serves_go_runtime_metrics_and_renders_slowly(live: LiveLab) -> None:
    page, took_s = scrape(live)
    for series in GO_RUNTIME:
        value(page, series)
    assert value(page, "go_goroutines") >= 2  # gunicorn's threads and the metrics listener's
    assert "python_gc_" not in page and "python_info" not in page
    # The queue gauge asks the broker on every scrape: longer than a 1 s timeout, shorter than 4 s.
    assert 1.5 <= took_s < 4, took_s
    scrapes = value(page, 'promhttp_metric_handler_requests_total{code="200"}')
    assert value(scrape(live)[0], 'promhttp_metric_handler_requests_total{code="200"}') >= scrapes + 1


def test_metrics_listen_on_their_own_port_on_loopback_only(live: LiveLab) -> None:
    pid = live.runtime.status()["exporter"].pid
    assert pid is not None
    assert listening_addresses(pid) == {
        ("127.0.0.1", live.ports["exporter"]),
        ("127.0.0.1", live.ports["exporter-metrics"]),
    }
    assert requests.get(f"{live.service_url('exporter')}/metrics", timeout=5).status_code == 404
    assert requests.get(f"{live.service_url('exporter')}/readyz", timeout=5).json()["release"] == "1.2.0"


def test_prometheus_scrapes_the_exporter_every_5s(live: LiveLab) -> None:
    wait_until(lambda: live.prometheus.scalar('up{job="exporter"}') == 1.0, 20, "a scrape of the exporter")
    [target] = [t for t in live.prometheus.targets() if t["labels"]["job"] == "exporter"]
    assert target["scrapeUrl"] == f"http://127.0.0.1:{live.ports['exporter-metrics']}/metrics"
    assert target["scrapeInterval"] == "5s" and target["scrapeTimeout"] == "4s"
    assert live.prometheus.scalar('go_goroutines{job="exporter"}') is not None
