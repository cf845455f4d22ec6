"""The exporter: a job-processing API, the "new Go microservice" of the chapter's Mini-Challenge 3.

It renders small jobs (a checksum of generated content, standing for thumbnails,
reports and transcodes) and counts them with OpenTelemetry instruments taken from
the global meter, the way Go code calls ``otel.Meter("exporter")``. The metrics
pipeline itself is set up in ``metrics.py``.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import sys
import threading
import time

import flask
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from services.common.telemetry import JsonLogFormatter
from services.exporter.metrics import setup_metrics

SERVICE = "exporter"
RELEASE = "1.2.0"
JOB_KINDS = {"thumbnail": 256, "report": 1024, "transcode": 2048}  # KiB of content each job renders
DURATION_BOUNDARIES = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
# The queue depth comes from the job broker, asked on every scrape: a round trip that makes
# /metrics take this long to render.
BROKER_QUERY_S = 1.5

handler = logging.StreamHandler(sys.stderr)
handler.setFormatter(JsonLogFormatter(SERVICE))
logging.getLogger().handlers = [handler]
logging.getLogger().setLevel(logging.INFO)
log = logging.getLogger(SERVICE)

# Instruments from the global meter: they forward to whatever provider is global once it is set.
meter = metrics.get_meter(SERVICE, RELEASE)
jobs_processed = meter.create_counter(
    "exporter.jobs.processed", unit="{job}", description="Jobs processed, by kind and outcome."
)
job_duration = meter.create_histogram(
    "exporter.job.duration",
    unit="s",
    description="Time to process one job.",
    explicit_bucket_boundaries_advisory=DURATION_BOUNDARIES,
)
in_flight = 0
in_flight_lock = threading.Lock()
job_ids = itertools.count(1)


def queue_depth(options: CallbackOptions) -> list[Observation]:
    """Jobs waiting or running, as the broker reports them."""
    time.sleep(BROKER_QUERY_S)  # stands for the broker's round trip
    return [Observation(in_flight)]


meter.create_observable_gauge(
    "exporter.queue.depth", callbacks=[queue_depth], unit="{job}", description="Jobs waiting or running."
)

setup_metrics(SERVICE, RELEASE)
app = flask.Flask(__name__)
log.info("exporter started", extra={"release": RELEASE})


@app.get("/healthz")
def healthz() -> dict:
    """Liveness."""
    return {"status": "ok"}


@app.get("/readyz")
def readyz() -> dict:
    """Readiness: the exporter has no dependency, so ready once it serves."""
    return {"status": "ready", "release": RELEASE}


def render(kind: str, seed: str) -> str:
    """The job's work: hash its generated content."""
    digest = hashlib.sha256(seed.encode())
    block = digest.digest() * 32  # 1 KiB
    for _ in range(JOB_KINDS[kind]):
        digest.update(block)
    return digest.hexdigest()


@app.post("/jobs")
def submit_job() -> tuple[dict, int]:
    """Process one job synchronously: {"kind": thumbnail|report|transcode, "input": str}."""
    global in_flight
    body = flask.request.get_json(silent=True) or {}
    kind = body.get("kind")
    if kind not in JOB_KINDS:
        jobs_processed.add(1, {"kind": "unknown", "outcome": "rejected"})
        return {"error": f"kind must be one of {sorted(JOB_KINDS)}"}, 400
    job_id = next(job_ids)
    started = time.perf_counter()
    with in_flight_lock:
        in_flight += 1
    try:
        checksum = render(kind, str(body.get("input", job_id)))
    finally:
        with in_flight_lock:
            in_flight -= 1
    elapsed = time.perf_counter() - started
    job_duration.record(elapsed, {"kind": kind})
    jobs_processed.add(1, {"kind": kind, "outcome": "done"})
    log.info("job processed", extra={"job_id": job_id, "kind": kind, "duration_ms": round(elapsed * 1000, 2)})
    return {"id": job_id, "kind": kind, "checksum": checksum, "duration_s": round(elapsed, 6)}, 201
