"""The recommender: top-k items for a user from a matrix-factorisation model and a Redis feature store.

User features (the user's recent items) come from the feature store, written by the
feature pipeline job. When they are missing, or name items the model cannot place,
the service looks once more after a short backoff (the pipeline rewrites features in
place, so a read can fall between its delete and its write), then falls back to what
is popular: no error, just worse recommendations, a little later.
"""

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import flask
import numpy as np
import redis
from opentelemetry import trace
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.metrics import Observation

from services.common.app_base import create_app
from services.common.flags import flag_enabled
from services.recommender.model import train
from services.recommender.world import world

SEED = int(os.environ.get("CHAOSLAB_SEED", "1"))
ARTIFACTS_DIR = Path(os.environ.get("RECOMMENDER_ARTIFACTS_DIR", "."))
# The catalogue team's rollout of their new item index export, read on every request.
ITEM_INDEX_FLAG = "item-index-v2"
DEFAULT_K = 10
# The model was trained on catalogue export v1: its rows are that export's rows.
MODEL_VERSION = "v1"
FEATURES_KEY = "features:user:{}"
RECENT_ITEMS_FIELD = "recent_items"
POPULARITY_KEY = "popularity:top"
# Time given to a feature rewrite in flight before the second look.
FEATURE_RETRY_BACKOFF_S = float(os.environ.get("RECOMMENDER_FEATURE_RETRY_BACKOFF_S", "0.1"))
# Latency buckets around the chapter's 100 ms → 200 ms P99.
DURATION_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.5, 1, 2.5)

log = logging.getLogger("recommender")
# /healthz names the deployed model and index: deployed_index (below) is read on each call.
app, meter = create_app(
    __name__,
    "recommender",
    health_details=lambda: {"model_version": MODEL_VERSION, "index_version": deployed_index().version},
    duration_buckets=DURATION_BUCKETS,
)
RedisInstrumentor().instrument()
tracer = trace.get_tracer("recommender")

store = redis.Redis.from_url(
    os.environ.get("CHAOSLAB_REDIS_URL", "redis://127.0.0.1:6379/0"),
    socket_timeout=2.0,
    socket_connect_timeout=1.0,
)

model = train(world(SEED), SEED, MODEL_VERSION)


@dataclass(frozen=True)
class ItemIndex:
    """A catalogue export: the item of each row, and the row of each item."""

    version: str
    items: list[int]
    row_of_item: dict[int, int]

    @classmethod
    def load(cls, version: str) -> "ItemIndex":
        items = json.loads((ARTIFACTS_DIR / f"item-index-{version}.json").read_text())["items"]
        return cls(version, items, {item: row for row, item in enumerate(items)})


INDEXES = {version: ItemIndex.load(version) for version in ("v1", "v2")}


def deployed_index() -> ItemIndex:
    """The item index in use now: v1, or v2 once the catalogue team's flag rolls it out."""
    return INDEXES["v2" if flag_enabled(ITEM_INDEX_FLAG) else "v1"]


# Bind the flag provider now, not under the first requests (it blocks until the file is read).
deployed_index()


# found: usable; missing: no recent items; unknown_items: items the model has no row for.
FEATURE_STATUSES = ("found", "missing", "unknown_items")
impressions = meter.create_counter(
    "recommender.impressions", unit="{item}", description="Recommended items shown to users."
)
clicks = meter.create_counter(
    "recommender.clicks", unit="{click}", description="Recommended items users clicked."
)
feature_lookups = meter.create_counter(
    "recommender.feature.lookups",
    unit="{lookup}",
    description="User feature reads: found, missing, or naming items unknown to the model.",
)
fallbacks = meter.create_counter(
    "recommender.fallbacks",
    unit="{request}",
    description="Requests answered with popular items instead of the model's, by reason.",
)
for strategy in ("model", "popularity"):
    impressions.add(0, {"recommender.strategy": strategy})
clicks.add(0)
for status in FEATURE_STATUSES:
    feature_lookups.add(0, {"feature.status": status})
for reason in ("features_missing", "items_unknown_to_model"):
    fallbacks.add(0, {"recommender.fallback.reason": reason})
meter.create_observable_gauge(
    "recommender.model.info",
    [
        lambda _: [
            Observation(
                1,
                {
                    "model_version": MODEL_VERSION,
                    "index_version": (index := deployed_index()).version,
                    "model_items": model.rows,
                    "index_items": len(index.items),
                },
            )
        ]
    ],
    description="The deployed model and item index versions (value 1).",
)


def model_rows(user_id: int, index: ItemIndex) -> tuple[np.ndarray | None, str]:
    """The model rows of the user's recent items from the feature store, and the lookup's status."""
    with tracer.start_as_current_span("features.lookup") as span:
        features = store.hgetall(FEATURES_KEY.format(user_id))
        raw = features.get(RECENT_ITEMS_FIELD.encode(), b"")
        items = [int(i) for i in raw.decode().split(",") if i]
        rows = [index.row_of_item.get(item, model.rows) for item in items]
        status = "missing" if not items else "unknown_items" if max(rows) >= model.rows else "found"
        span.set_attribute("features.status", status)
    feature_lookups.add(1, {"feature.status": status})
    return (np.array(rows) if status == "found" else None), status


def popular_items(k: int) -> list[int]:
    """The k most viewed items across the site (the same for everybody)."""
    with tracer.start_as_current_span("popularity.lookup"):
        return [int(i) for i in store.zrevrange(POPULARITY_KEY, 0, k - 1)]


def ranked_by_model(rows: np.ndarray, k: int, index: ItemIndex) -> list[int]:
    """The model's top k for a user's recent rows, mapped to items through the deployed item index."""
    with tracer.start_as_current_span("model.score"):
        scores = model.scores(model.user_vector(rows))
        scores[rows] = -np.inf  # not what they just saw
        best = np.argpartition(-scores, k)[:k]
        return [index.items[row] for row in best[np.argsort(-scores[best])]]


@app.get("/readyz")
def readyz() -> tuple[dict, int]:
    """Readiness: the feature store answers."""
    with suppress_instrumentation():
        try:
            store.ping()
        except redis.RedisError as err:
            return {"status": "unavailable", "failed": {"redis": f"{type(err).__name__}: {err}"}}, 503
    return {"status": "ready"}, 200


@app.get("/recommendations/<int:user_id>")
def recommendations(user_id: int) -> dict:
    """The top k items for the user: the model's when it has their features, else popular ones."""
    k = min(max(flask.request.args.get("k", DEFAULT_K, type=int), 1), 50)
    index = deployed_index()
    rows, status = model_rows(user_id, index)
    if rows is None:
        with tracer.start_as_current_span("features.retry_backoff", attributes={"features.status": status}):
            time.sleep(FEATURE_RETRY_BACKOFF_S)
        rows, status = model_rows(user_id, index)
    if rows is None:
        reason = "features_missing" if status == "missing" else "items_unknown_to_model"
        fallbacks.add(1, {"recommender.fallback.reason": reason})
        items, strategy = popular_items(k), "popularity"
    else:
        items, strategy = ranked_by_model(rows, k, index), "model"
    impressions.add(len(items), {"recommender.strategy": strategy})
    return {"user_id": user_id, "items": items}


@app.post("/recommendations/<int:user_id>/clicks")
def record_clicks(user_id: int) -> tuple[dict, int]:
    """Count the recommended items a user clicked: {"items": [ids]}."""
    body = flask.request.get_json(silent=True) or {}
    items = body.get("items")
    if not isinstance(items, list) or not all(isinstance(i, int) for i in items):
        return {"error": "expected JSON {items: [int, ...]}"}, 400
    clicks.add(len(items))
    return {"user_id": user_id, "clicks": len(items)}, 200
