"""Unit tests for the profile service and its releases: no database, Redis or server."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
import redis

from chaoslab.probes.stale_reads import StaleReadsProbe
from chaoslab.releases import apply_patch
from chaoslab.scenarios import SCENARIOS_DIR, load_scenario
from services.profile import app as profile
from services.profile.users import LOAD_POPULATION, SEEDED_USERS

PATCHES = SCENARIOS_DIR / "stale-profile-cache" / "patches"
ROW = {
    "id": 7,
    "name": "Ada Lovelace",
    "avatar_url": "https://avatars.example.test/7/a.png",
    "updated_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    "version": 4,
}


class FakeCache:
    """A dict standing in for Redis; every command lands in the shared event log."""

    def __init__(self, events: list[tuple], data: dict[str, str] | None = None):
        self.events, self.data, self.ttl = events, dict(data or {}), {}

    def get(self, key: str) -> str | None:
        self.events.append(("GET", key))
        return self.data.get(key)

    def set(self, key: str, value: str, ex: int | None = None) -> None:
        self.events.append(("SET", key))
        self.data[key], self.ttl[key] = value, ex

    def delete(self, key: str) -> int:
        self.events.append(("DEL", key))
        return int(self.data.pop(key, None) is not None)

    def ping(self) -> bool:
        raise redis.ConnectionError("connection refused")


class FakeConnection:
    """Answers UPDATE and SELECT with ``rows``; logs statements, BEGIN and COMMIT."""

    def __init__(self, events: list[tuple], rows: list[dict]):
        self.events, self.rows = events, list(rows)
        self.params: list[tuple] = []

    def execute(self, sql: str, params: tuple | None = None) -> FakeConnection:
        self.events.append(("SQL", sql.split()[0]))
        self.params.append(params or ())
        return self

    def fetchone(self) -> dict | None:
        return self.rows.pop(0) if self.rows else None

    @contextmanager
    def transaction(self):
        self.events.append(("BEGIN",))
        yield
        self.events.append(("COMMIT",))


class FakePool:
    def __init__(self, conn: FakeConnection):
        self.conn = conn

    def open(self) -> None:
        pass

    @contextmanager
    def connection(self, timeout: float | None = None):
        yield self.conn


def wire(module: ModuleType, monkeypatch, *, cached: dict[str, str] | None = None, rows=()) -> tuple:
    """Put fakes under ``module``; returns (event log, cache, connection)."""
    events: list[tuple] = []
    cache, conn = FakeCache(events, cached), FakeConnection(events, list(rows))
    monkeypatch.setattr(module, "cache", cache)
    monkeypatch.setattr(module.database, "pool", FakePool(conn))
    return events, cache, conn


def release(tmp_path: Path, name: str) -> ModuleType:
    """The profile app as release ``name`` makes it, applied the way the release fault does."""
    shutil.copytree(Path(profile.__file__).parent, tmp_path / "services" / "profile")
    apply_patch(tmp_path, PATCHES / f"{name}.patch")
    module_name = "profile_release_" + re.sub(r"\W", "_", name)
    spec = importlib.util.spec_from_file_location(module_name, tmp_path / "services" / "profile" / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def put_name(module: ModuleType, monkeypatch) -> list[tuple]:
    """PUT a new name for user 7 whose profile is cached; the events it caused, after the request."""
    cached = {"user:profile:7": json.dumps(module.as_json(ROW))}
    events, _, _ = wire(module, monkeypatch, cached=cached, rows=[{**ROW, "name": "New", "version": 5}])
    response = module.app.test_client().put("/profiles/7", json={"name": "New"})
    assert response.status_code == 200 and response.get_json()["version"] == 5
    return events


@pytest.fixture
def client():
    return profile.app.test_client()


def test_routes_exist():
    rules = {(r.rule, m) for r in profile.app.url_map.iter_rules() for m in r.methods or ()}
    for route in [
        ("/healthz", "GET"),
        ("/readyz", "GET"),
        ("/metrics", "GET"),
        ("/profiles/<int:user_id>", "GET"),
        ("/profiles/<int:user_id>", "PUT"),
    ]:
        assert route in rules


def test_cache_hit_never_touches_the_database(client, monkeypatch):
    events, _, _ = wire(profile, monkeypatch, cached={"user:profile:7": json.dumps(profile.as_json(ROW))})
    response = client.get("/profiles/7")
    assert response.status_code == 200 and response.get_json()["name"] == "Ada Lovelace"
    assert events == [("GET", "user:profile:7")]
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Trace-Id"])


def test_cache_miss_reads_the_database_and_caches_for_the_ttl(client, monkeypatch):
    events, cache, _ = wire(profile, monkeypatch, rows=[ROW])
    body = client.get("/profiles/7").get_json()
    assert events == [("GET", "user:profile:7"), ("SQL", "SELECT"), ("SET", "user:profile:7")]
    assert cache.ttl["user:profile:7"] == profile.CACHE_TTL_S == 3600
    assert json.loads(cache.data["user:profile:7"]) == body
    assert body["updated_at"] == "2026-03-02T09:00:00+00:00"


def test_unknown_user_is_a_404_and_nothing_is_cached(client, monkeypatch):
    _, cache, _ = wire(profile, monkeypatch, rows=[])
    assert client.get("/profiles/99999").status_code == 404
    assert client.put("/profiles/99999", json={"name": "x"}).status_code == 404
    assert cache.data == {}


def test_update_invalidates_only_after_the_commit(monkeypatch):
    events = put_name(profile, monkeypatch)
    assert events == [("BEGIN",), ("SQL", "UPDATE"), ("COMMIT",), ("DEL", "user:profile:7")]


def test_password_is_stored_as_a_salted_hash(client, monkeypatch):
    _, _, conn = wire(profile, monkeypatch, rows=[{**ROW, "version": 5}])
    assert client.put("/profiles/7", json={"password": "hunter22"}).status_code == 200
    stored = conn.params[0][0]
    assert stored.startswith("pbkdf2_sha256$") and "hunter22" not in json.dumps(conn.params)
    assert profile.hash_password("hunter22") != profile.hash_password("hunter22")


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 101}, {"nickname": "x"}])
def test_bad_update_is_a_400(client, monkeypatch, body):
    wire(profile, monkeypatch)
    assert client.put("/profiles/7", json=body).status_code == 400


def test_readyz_names_the_failed_dependency_and_healthz_the_release(client, monkeypatch):
    wire(profile, monkeypatch)
    response = client.get("/readyz")
    assert response.status_code == 503 and set(response.get_json()["failed"]) == {"redis"}
    assert client.get("/healthz").get_json() == {"status": "ok", "release": "2.3.1"}


def test_cache_hits_and_misses_are_counted(client, monkeypatch):
    wire(profile, monkeypatch, cached={"user:profile:7": json.dumps(profile.as_json(ROW))}, rows=[ROW])
    client.get("/profiles/7")
    client.get("/profiles/8")
    text = client.get("/metrics").get_data(as_text=True)
    for name in ("cache_hits_total", "cache_misses_total"):
        assert re.search(rf'^{name}\{{cache_name="user:profile",[^}}]*\}} [1-9]', text, re.M), name
    route = r'http_route="/profiles/<int:user_id>"'
    assert re.search(rf"^http_server_request_duration_seconds_count\{{[^}}]*{route}", text, re.M)


def test_release_delete_before_commit_deletes_inside_the_transaction(tmp_path, monkeypatch):
    module = release(tmp_path, "v2.4.0-delete-before-commit")
    events = [e for e in put_name(module, monkeypatch) if e[0] != "GET"]
    assert events == [
        ("BEGIN",),
        ("DEL", "user:profile:7"),
        ("SQL", "INSERT"),
        ("SQL", "UPDATE"),
        ("COMMIT",),
    ]
    assert module.RELEASE == "2.4.0"


def test_release_wrong_key_deletes_a_key_nobody_reads(tmp_path, monkeypatch):
    events = put_name(release(tmp_path, "v2.4.0-wrong-key"), monkeypatch)
    assert ("DEL", "user:profiles:7") in events and ("DEL", "user:profile:7") not in events


def test_release_missing_delete_never_invalidates(tmp_path, monkeypatch):
    events = put_name(release(tmp_path, "v2.4.0-missing-delete"), monkeypatch)
    assert not [e for e in events if e[0] == "DEL"]


def test_versioned_release_writes_the_committed_row_with_its_version(tmp_path, monkeypatch):
    module = release(tmp_path, "v2.3.2-versioned-cache")

    def set_if_newer(keys: list[str], args: list) -> int:
        module.cache.events.append(("SET_IF_NEWER", keys[0], args[1]))  # the fake wired in by put_name
        return 1

    monkeypatch.setattr(module, "SET_IF_NEWER", set_if_newer)
    events = put_name(module, monkeypatch)
    assert events[-2:] == [("COMMIT",), ("SET_IF_NEWER", "user:profile:7", 5)]
    assert "redis.call('SET'" in (tmp_path / "services" / "profile" / "app.py").read_text()


def test_seed_makes_the_users_the_load_and_the_probe_expect():
    seed = (Path(profile.__file__).parent / "seed.sql").read_text()
    users = re.search(r"^\\set users (\d+)$", seed, re.M)
    assert users and int(users.group(1)) == SEEDED_USERS
    probes = [
        p for p in load_scenario("stale-profile-cache").probes.values() if isinstance(p, StaleReadsProbe)
    ]
    assert probes
    # The probe's users sit above the load's population, so each has exactly one writer.
    for probe in probes:
        assert probe.first_user > LOAD_POPULATION and probe.first_user + probe.users - 1 <= SEEDED_USERS
