"""Go's default registry, as a Python process can fill it: go_* runtime gauges and promhttp's counter.

The chapter's service is written in Go, whose promhttp handler serves go_goroutines,
go_gc_duration_seconds, go_memstats_* and process_* next to the application's own
metrics. Learners meet those names on every Go target, so the exporter serves them
under Go's names with the closest Python figures (threads for goroutines, the
interpreter's collections for GC pauses).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator

from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

GO_VERSION = "go1.21.13"  # the story's toolchain (the chapter: "Go 1.21")
GC_QUANTILES = (0.0, 0.25, 0.5, 0.75, 1.0)
RECENT_PAUSES = 256
GC_HELP = "A summary of the pause duration of garbage collection cycles."


class GcPauses:
    """Durations of the interpreter's collections, recorded by a gc callback."""

    def __init__(self) -> None:
        self.recent: deque[float] = deque(maxlen=RECENT_PAUSES)
        self.count = 0
        self.total_s = 0.0
        self._started: float | None = None
        self._lock = threading.Lock()

    def callback(self, phase: str, info: dict) -> None:
        """gc.callbacks hook: time each collection from start to stop."""
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            pause = time.perf_counter() - self._started
            self._started = None
            with self._lock:
                self.recent.append(pause)
                self.count += 1
                self.total_s += pause

    def summary(self) -> tuple[list[tuple[str, float]], int, float]:
        """Quantiles over the recent pauses, and the all-time count and sum (Go's summary shape)."""
        with self._lock:
            ordered = sorted(self.recent)
            count, total = self.count, self.total_s
        if not ordered:
            return [(str(q), 0.0) for q in GC_QUANTILES], count, total
        picks = [ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))] for q in GC_QUANTILES]
        return [(str(q), p) for q, p in zip(GC_QUANTILES, picks, strict=True)], count, total


class GoRuntimeCollector(Collector):
    """go_* gauges and promhttp_metric_handler_requests_total, computed on each scrape."""

    def __init__(self) -> None:
        self.pauses = GcPauses()
        self.scrapes = 0
        self._lock = threading.Lock()

    def describe(self) -> list[Metric]:
        # Without describe(), registering would run collect() once and count a scrape.
        return []

    def collect(self) -> Iterator[Metric]:
        """One scrape's worth of runtime figures."""
        with self._lock:
            self.scrapes += 1
            scrapes = self.scrapes
        yield GaugeMetricFamily(
            "go_goroutines", "Number of goroutines that currently exist.", value=threading.active_count()
        )
        yield GaugeMetricFamily(
            "go_threads", "Number of OS threads created.", value=len(os.listdir("/proc/self/task"))
        )
        info = GaugeMetricFamily("go_info", "Information about the Go environment.", labels=["version"])
        info.add_metric([GO_VERSION], 1)
        yield info
        quantiles, count, total = self.pauses.summary()
        pauses = Metric("go_gc_duration_seconds", GC_HELP, "summary")
        for q, value in quantiles:
            pauses.add_sample("go_gc_duration_seconds", {"quantile": q}, value)
        pauses.add_sample("go_gc_duration_seconds_sum", {}, total)
        pauses.add_sample("go_gc_duration_seconds_count", {}, count)
        yield pauses
        yield GaugeMetricFamily(
            "go_memstats_heap_objects", "Number of allocated objects.", value=sys.getallocatedblocks()
        )
        yield GaugeMetricFamily(
            "go_memstats_sys_bytes", "Number of bytes obtained from system.", value=_resident_bytes()
        )
        handled = CounterMetricFamily(
            "promhttp_metric_handler_requests", "Scrapes served, by HTTP status code.", labels=["code"]
        )
        handled.add_metric(["200"], scrapes)
        yield handled


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def install_go_runtime_metrics() -> GoRuntimeCollector:
    """Serve Go's runtime metrics from the default registry instead of Python's (process_* stays)."""
    for python_only in (GC_COLLECTOR, PLATFORM_COLLECTOR):
        with contextlib.suppress(KeyError):  # already gone: a second install in one process
            REGISTRY.unregister(python_only)
    collector = GoRuntimeCollector()
    gc.callbacks.append(collector.pauses.callback)
    REGISTRY.register(collector)
    return collector
