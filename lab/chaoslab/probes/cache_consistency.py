"""Cache-consistency probe: cached profiles compared with their database rows (`chaoslab check consistency`).

The chapter's action item "periodic background jobs comparing cache to database
for critical data", made a measurement. An entry differs only when it differs
twice, ``settle_s`` apart, unchanged in the cache: an update caught between its
commit and its invalidation is in flight, not stale.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from chaoslab.calls import postgres, redis_client
from chaoslab.lab_access import LabAccess
from chaoslab.probes.base import Probe, Value

if TYPE_CHECKING:
    import psycopg
    import redis

KEY_PREFIX = "user:profile:"
FIELDS = ("name", "avatar_url", "updated_at", "version")
ROWS_SQL = "SELECT id, name, avatar_url, updated_at, version FROM users WHERE id = ANY(%s)"


@dataclass(frozen=True)
class Mismatch:
    """A cached profile that disagrees with the database."""

    key: str
    cached: dict[str, Any]
    stored: dict[str, Any] | None
    fields: list[str]
    ttl_s: int


def _same(field: str, cached: Any, stored: Any) -> bool:
    if field == "updated_at" and isinstance(stored, datetime) and isinstance(cached, str):
        return datetime.fromisoformat(cached) == stored  # the same instant, whatever the offset
    return cached == stored


def differing_fields(cached: dict[str, Any], stored: dict[str, Any] | None) -> list[str]:
    """The fields where a cached profile and its row disagree (all of them when the row is gone)."""
    if stored is None:
        return list(FIELDS)
    return [f for f in FIELDS if not _same(f, cached.get(f), stored.get(f))]


def user_id(key: str) -> int | None:
    """The user id in a cache key, or None for a key that is not a profile's."""
    suffix = key.removeprefix(KEY_PREFIX)
    return int(suffix) if suffix != key and suffix.isdigit() else None


Look = dict[str, tuple[bytes | str, dict[str, Any] | None, list[str]]]


def _look(cache: redis.Redis, db: psycopg.Connection[dict[str, Any]], keys: list[str]) -> Look:
    """Keys whose cached value differs from the database now: the value, the row, the fields."""
    values: dict[str, bytes | str | None] = dict(zip(keys, cache.mget(keys), strict=True))
    ids = [uid for uid in map(user_id, keys) if uid is not None]
    rows = {r["id"]: r for r in db.execute(ROWS_SQL, (ids,)).fetchall()}
    found: Look = {}
    for key, value in values.items():
        uid = user_id(key)
        if value is None or uid is None:
            continue  # expired or deleted since the scan: nothing cached to be wrong
        row = rows.get(uid)
        fields = differing_fields(json.loads(value), row)
        if fields:
            found[key] = (value, row, fields)
    return found


def find_mismatches(
    redis_url: str, dsn: str, *, limit: int = 20_000, settle_s: float = 1.0
) -> tuple[int, list[Mismatch]]:
    """How many cached profiles were compared, and those that disagree with the database."""
    from psycopg.rows import dict_row  # here, not at import: loading a scenario must stay cheap

    what = "the cache consistency check"
    with redis_client(redis_url, what=what) as cache, postgres(dsn, what=what, row_factory=dict_row) as db:
        scan = cache.scan_iter(f"{KEY_PREFIX}*", count=1000)
        keys = [key.decode() for _, key in zip(range(limit), scan, strict=False)]
        suspects = _look(cache, db, keys) if keys else {}
        if not suspects:
            return len(keys), []
        time.sleep(settle_s)  # the second look, not a wait for a state: see the module docstring
        again = _look(cache, db, list(suspects))
        return len(keys), [
            Mismatch(key, json.loads(value), row, fields, int(cache.ttl(key)))
            for key, (value, row, fields) in sorted(again.items(), key=lambda item: user_id(item[0]) or 0)
            if suspects[key][0] == value
        ]


class CacheConsistencyProbe(Probe):
    """How many cached profiles disagree with the database (straight to Redis and PostgreSQL)."""

    kind: Literal["cache_consistency"] = "cache_consistency"
    limit: int = Field(default=20_000, gt=0)
    settle_s: float = Field(default=1.0, ge=0)

    def measure(self, lab: LabAccess) -> Value:
        _, mismatches = find_mismatches(
            lab.redis_url, lab.admin_dsn, limit=self.limit, settle_s=self.settle_s
        )
        return float(len(mismatches))
