"""The web frontend: the page people use (log in, feed, Like, Share) and its JSON API, run by gunicorn.

Likes are the frontend's own business; Share goes to the third-party social API
(socialshare.example, through the lab's `frontend-social` link). The page reports
its JavaScript errors to /api/client-errors, counted for Prometheus.
"""

import logging
import os
import threading
import zlib

import flask
import requests
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.metrics import NoOpMeterProvider, Observation
from prometheus_client import start_http_server

from services.common.app_base import create_app
from services.common.flags import flag_enabled
from services.common.telemetry import HTTP_DURATION_BUCKETS

SOCIAL_URL = os.environ.get("FRONTEND_SOCIAL_URL", "http://127.0.0.1:15424")
WORKER_THREADS = int(os.environ.get("FRONTEND_THREADS", "4"))
METRICS_PORT = os.environ.get("FRONTEND_METRICS_PORT")
SHARE_FLAG = "social-share"
CLIENT_ERROR_KINDS = ("error", "unhandledrejection")
AUTHORS = ("ada", "grace", "linus", "margaret", "ken", "barbara")

log = logging.getLogger("frontend")
# The page's files are served from static/ at /static. Buckets up to a minute: a share that hangs
# for 40 s must not read as "10 s or more".
app, meter = create_app(__name__, "frontend", duration_buckets=(*HTTP_DURATION_BUCKETS, 20, 30, 45, 60))
# Spans only: the call's duration is the /api/share route's, and no client series are added.
RequestsInstrumentor().instrument(meter_provider=NoOpMeterProvider())
social = requests.Session()

if METRICS_PORT:
    # Served by its own thread, not the request pool: a starved pool must still be seen.
    start_http_server(int(METRICS_PORT), addr="127.0.0.1")

POSTS = [
    {
        "id": n,
        "author": AUTHORS[n % len(AUTHORS)],
        "text": f"Deal #{n}: our pick of the week, {10 + 7 * n} % off",
        "url": f"https://chaos-shop.example/deals/{n}",
    }
    for n in range(1, 13)
]
POSTS_BY_ID = {post["id"]: post for post in POSTS}
likes = dict.fromkeys(POSTS_BY_ID, 0)
likes_lock = threading.Lock()

client_errors = meter.create_counter(
    "frontend.client.errors",
    unit="{error}",
    description="JavaScript errors reported by the page (window.onerror, unhandled rejections).",
)
for kind in CLIENT_ERROR_KINDS:
    client_errors.add(0, {"kind": kind})  # exported from the start so increase() sees the first error
meter.create_observable_gauge(
    "frontend.worker.threads",
    [lambda _: [Observation(WORKER_THREADS)]],
    unit="{thread}",
    description="Request threads of the worker: the most requests served at once.",
)


@app.get("/")
def index() -> flask.Response:
    """The page."""
    return app.send_static_file("index.html")


@app.get("/api/config")
def config() -> dict:
    """What the page may show: sharing can be turned off with the social-share flag."""
    return {"share": flag_enabled(SHARE_FLAG, default=True)}


@app.post("/api/login")
def login() -> tuple[dict, int]:
    """A toy login: any name gets a stable user id."""
    name = str((flask.request.get_json(silent=True) or {}).get("name", "")).strip()
    if not name:
        return {"error": "expected JSON {name: str}"}, 400
    return {"name": name, "user_id": zlib.crc32(name.encode()) % 100_000}, 200


@app.get("/api/feed")
def feed() -> dict:
    """The posts, with their like counts."""
    with likes_lock:
        return {"posts": [{**post, "likes": likes[post["id"]]} for post in POSTS]}


@app.post("/api/posts/<int:post_id>/like")
def like(post_id: int) -> tuple[dict, int]:
    """Like a post; answers its new count."""
    if post_id not in likes:
        return {"error": "no such post", "id": post_id}, 404
    with likes_lock:
        likes[post_id] += 1
        return {"id": post_id, "likes": likes[post_id]}, 200


@app.post("/api/share")
def share() -> tuple[dict, int]:
    """Share a post on socialshare.example."""
    if not flag_enabled(SHARE_FLAG, default=True):
        return {"error": "sharing is turned off"}, 404
    post = POSTS_BY_ID.get((flask.request.get_json(silent=True) or {}).get("post_id"))
    if post is None:
        return {"error": "no such post"}, 404
    response = social.post(f"{SOCIAL_URL}/share", json={"url": post["url"], "text": post["text"]})
    shared = response.json()
    return {"share": {"id": shared["share_id"], "url": shared["url"]}}, 200


@app.post("/api/client-errors")
def client_error() -> tuple[str, int]:
    """The page's error reports: counted, and logged with what the browser said."""
    report = flask.request.get_json(silent=True) or {}
    kind = report.get("kind") if report.get("kind") in CLIENT_ERROR_KINDS else "error"
    client_errors.add(1, {"kind": kind})
    log.warning(
        "javascript error in the page",
        extra={"kind": kind, "detail": str(report.get("message", ""))[:500], "page": report.get("page")},
    )
    return "", 204
