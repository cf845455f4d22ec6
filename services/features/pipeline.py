"""The feature pipeline: a job that (re)writes every user's features and the popularity sets to Redis.

Each cycle it summarises the interaction log into per-user features (the items a
user interacted with most recently), which the recommender reads at request time,
and, when missing, the site's hourly view counts and their top items, which the
recommender falls back to.
"""

import argparse
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime

import numpy as np
import redis

from services.recommender.world import ITEMS, world

RELEASE = "1.4.0"
FEATURES_KEY = "features:user:{}"
RECENT_ITEMS = 20
# Features older than this are stale: the store drops them rather than serve them.
FEATURES_TTL_S = 3600
POPULARITY_HOURS = 48
POPULARITY_HOURS_KEY = "popularity:hours"
POPULARITY_KEY = "popularity:top"
POPULARITY_TOP = 100
# Site-wide item views per hour, spread by the items' popularity.
VIEWS_PER_HOUR = 200_000

log = logging.getLogger("feature-pipeline")


def user_features(history: np.ndarray) -> dict[str, str]:
    """The feature hash of one user."""
    recent = history[-RECENT_ITEMS:]
    return {
        "recent_items": ",".join(str(int(i)) for i in recent),
        "interactions": str(len(history)),
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "pipeline_release": RELEASE,
    }


def write_features(store: redis.Redis, seed: int) -> int:
    """Replace every user's feature hash; returns how many were written."""
    histories = world(seed).histories
    # Pipelined, not one transaction: a cycle must not hold Redis for every user at once. A
    # reader may fall between a user's DEL and HSET; the recommender looks twice.
    pipe = store.pipeline(transaction=False)
    for person, history in enumerate(histories, start=1):
        key = FEATURES_KEY.format(person)
        pipe.delete(key)
        pipe.hset(key, mapping=user_features(history))
        pipe.expire(key, FEATURES_TTL_S)
    pipe.execute()
    return len(histories)


def write_popularity(store: redis.Redis, seed: int) -> None:
    """Write the hourly view counts of every item and the site-wide top items, unless they are there."""
    if store.exists(POPULARITY_KEY) and store.llen(POPULARITY_HOURS_KEY) == POPULARITY_HOURS:
        return
    rng = np.random.default_rng(seed + 3)
    popularity = world(seed).popularity
    views = rng.poisson(popularity * VIEWS_PER_HOUR, size=(POPULARITY_HOURS, ITEMS))
    keys = [f"popularity:hour:{hour}" for hour in range(POPULARITY_HOURS)]
    item_ids = [str(item) for item in range(1, ITEMS + 1)]
    total = views.sum(axis=0)
    top = np.argsort(-total, kind="stable")[:POPULARITY_TOP]
    pipe = store.pipeline(transaction=True)
    for key, counts in zip(keys, views, strict=True):
        pipe.delete(key)
        pipe.zadd(key, dict(zip(item_ids, counts.tolist(), strict=True)))
    pipe.delete(POPULARITY_HOURS_KEY, POPULARITY_KEY)
    pipe.rpush(POPULARITY_HOURS_KEY, *keys)
    pipe.zadd(POPULARITY_KEY, {item_ids[i]: int(total[i]) for i in top})
    pipe.execute()


def run(store: redis.Redis, seed: int, interval_s: float, cycles: int) -> None:
    """Write features every ``interval_s`` (for ``cycles`` cycles, 0: forever)."""
    done = 0
    while cycles == 0 or done < cycles:
        started = time.monotonic()
        try:
            write_popularity(store, seed)
            written = write_features(store, seed)
            log.info(
                "features written", extra={"users": written, "seconds": round(time.monotonic() - started, 3)}
            )
        except redis.RedisError as err:
            log.error("feature pipeline cycle failed", extra={"detail": f"{type(err).__name__}: {err}"})
        done += 1
        time.sleep(max(0.0, interval_s - (time.monotonic() - started)))


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": "features",
            "message": record.getMessage(),
        }
        entry.update(
            {k: v for k, v in vars(record).items() if k in ("users", "seconds", "refused", "detail")}
        )
        return json.dumps(entry)


def main() -> None:
    """Run the job until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--redis-url", default=os.environ.get("CHAOSLAB_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CHAOSLAB_SEED", "1")))
    parser.add_argument("--interval-s", type=float, default=5.0)
    parser.add_argument("--cycles", type=int, default=0)
    args = parser.parse_args()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    run(redis.Redis.from_url(args.redis_url, socket_timeout=5.0), args.seed, args.interval_s, args.cycles)


if __name__ == "__main__":
    main()
