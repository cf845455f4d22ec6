"""The cache-versus-database comparison: which fields differ, and only what stays wrong counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
import redis

from chaoslab.probes.cache_consistency import differing_fields, find_mismatches, user_id

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def row(uid: int, version: int, name: str = "Ada") -> dict:
    return {
        "id": uid,
        "name": name,
        "avatar_url": f"https://a/{uid}.png",
        "updated_at": WHEN,
        "version": version,
    }


def cached(uid: int, version: int, name: str = "Ada") -> bytes:
    entry = {**row(uid, version, name), "updated_at": WHEN.isoformat()}
    return json.dumps(entry).encode()


def test_same_instant_in_another_offset_is_not_a_difference() -> None:
    paris = WHEN.astimezone(timezone(timedelta(hours=1)))
    entry = {**row(1, 2), "updated_at": paris.isoformat()}
    assert differing_fields(entry, row(1, 2)) == []


def test_differing_fields_are_named_and_a_missing_row_differs_everywhere() -> None:
    entry = json.loads(cached(1, 2, "Old"))
    assert differing_fields(entry, row(1, 3, "New")) == ["name", "version"]
    assert differing_fields(entry, None) == ["name", "avatar_url", "updated_at", "version"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [("user:profile:42", 42), ("user:profiles:42", None), ("user:profile:x", None), ("user:profile:", None)],
)
def test_user_id_of_a_key(key: str, expected: int | None) -> None:
    assert user_id(key) == expected


class FakeRedis:
    """Serves one snapshot of the cache per look (MGET), as if time passed between them."""

    def __init__(self, looks: list[dict[str, bytes | None]]):
        self.looks = looks
        self.mgets = 0

    def scan_iter(self, pattern: str, count: int):
        assert pattern == "user:profile:*"
        yield from (key.encode() for key in self.looks[0])

    def mget(self, keys: list[str]) -> list[bytes | None]:
        snapshot = self.looks[min(self.mgets, len(self.looks) - 1)]
        self.mgets += 1
        return [snapshot.get(key) for key in keys]

    def ttl(self, key: str) -> int:
        return 3000

    def close(self) -> None:
        pass


class FakeDatabase:
    """Serves one snapshot of the users table per look."""

    def __init__(self, looks: list[dict[int, dict]]):
        self.looks, self.queries, self.ids = looks, 0, []

    # A connection is its own context manager, as psycopg's is.
    def __enter__(self) -> FakeDatabase:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def execute(self, sql: str, params: tuple) -> FakeDatabase:
        self.ids = params[0]
        return self

    def fetchall(self) -> list[dict]:
        snapshot = self.looks[min(self.queries, len(self.looks) - 1)]
        self.queries += 1
        return [snapshot[i] for i in self.ids if i in snapshot]


def test_only_entries_wrong_at_both_looks_and_unchanged_count(monkeypatch) -> None:
    first = {
        "user:profile:1": cached(1, 1),  # stale, and stays so
        "user:profile:2": cached(2, 1),  # caught between commit and invalidation: gone at the second look
        "user:profile:3": cached(3, 5),  # right
        "user:profile:4": cached(4, 1),  # refilled with the new row by the second look
        "user:profile:5": cached(5, 1),  # the user was deleted
        "user:profile:oops": b"{}",
    }
    second = {**first, "user:profile:2": None, "user:profile:4": cached(4, 2)}
    database = {1: row(1, 2), 2: row(2, 2), 3: row(3, 5), 4: row(4, 2)}
    redis_fake, db_fake = FakeRedis([first, second]), FakeDatabase([database, database])

    def connect(*_args, **_kwargs) -> FakeDatabase:
        return db_fake

    # The probe imports its clients when it runs (loading a scenario stays cheap): patch the libraries.
    monkeypatch.setattr(redis.Redis, "from_url", lambda *_a, **_k: redis_fake)
    monkeypatch.setattr(psycopg, "connect", connect)
    checked, mismatches = find_mismatches("redis://x", "postgresql://x", settle_s=0)
    assert checked == 6
    assert [(m.key, m.fields) for m in mismatches] == [
        ("user:profile:1", ["version"]),
        ("user:profile:5", ["name", "avatar_url", "updated_at", "version"]),
    ]
    assert mismatches[0].cached["version"] == 1 and mismatches[0].stored == row(1, 2)
    assert mismatches[1].stored is None and mismatches[1].ttl_s == 3000


def test_a_consistent_cache_is_looked_at_once(monkeypatch) -> None:
    redis_fake = FakeRedis([{"user:profile:3": cached(3, 5)}])
    db_fake = FakeDatabase([{3: row(3, 5)}])

    def connect(*_args, **_kwargs) -> FakeDatabase:
        return db_fake

    # The probe imports its clients when it runs (loading a scenario stays cheap): patch the libraries.
    monkeypatch.setattr(redis.Redis, "from_url", lambda *_a, **_k: redis_fake)
    monkeypatch.setattr(psycopg, "connect", connect)
    assert find_mismatches("redis://x", "postgresql://x", settle_s=60) == (1, [])
    assert redis_fake.mgets == 1
