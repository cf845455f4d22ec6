"""The profile service: user profiles in PostgreSQL, cached in Redis (cache-aside), run by gunicorn."""

import hashlib
import json
import logging
import os
import secrets

import flask
import psycopg
import redis
from opentelemetry import trace
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.utils import suppress_instrumentation
from psycopg.rows import dict_row

from services.common.app_base import create_app
from services.common.database import Database, handle_database_errors

RELEASE = "2.3.1"
POOL_SIZE = int(os.environ.get("PROFILE_DB_POOL_SIZE", "10"))
POOL_TIMEOUT = float(os.environ.get("PROFILE_DB_POOL_TIMEOUT", "2.0"))
CACHE_TTL_S = int(os.environ.get("PROFILE_CACHE_TTL_S", "3600"))
PASSWORD_ITERATIONS = 20_000  # lab-sized: the load changes passwords too
READINESS_TIMEOUT = 1.0
MAX_NAME_LENGTH = 100

PROFILE_SQL = "SELECT id, name, avatar_url, updated_at, version FROM users WHERE id = %s"
CACHE_ATTRS = {"cache.name": "user:profile"}
TRANSACTION = {"db.system": "postgresql"}  # psycopg's BEGIN and COMMIT make no spans of their own

log = logging.getLogger("profile")
# First: it sets the semconv opt-in the instrumentors read.
app, meter = create_app(__name__, "profile", release=RELEASE)
PsycopgInstrumentor().instrument()


def _record_redis_key(span: trace.Span, _instance: object, args: tuple, _kwargs: dict) -> None:
    # The key is what an incident responder needs to see; the instrumentation hides it ("GET ?").
    if span.is_recording() and len(args) > 1:
        span.set_attribute("redis.key", str(args[1]))


RedisInstrumentor().instrument(request_hook=_record_redis_key)
tracer = trace.get_tracer("profile")

# Its pool's metrics and wait spans stay off (Database.observe), as they always were here: the
# chapter's traces show the cache and the transaction, and no rule reads the profile's pool.
database = Database(
    "profile",
    size=POOL_SIZE,
    timeout=POOL_TIMEOUT,
    autocommit=True,  # transactions are explicit: their end is the commit the cache waits for
    cursor_factory=psycopg.ClientCursor,
    row_factory=dict_row,
)
handle_database_errors(app, log)
cache = redis.Redis.from_url(
    os.environ.get("CHAOSLAB_REDIS_URL", "redis://127.0.0.1:6379/0"),
    socket_timeout=1.0,
    socket_connect_timeout=1.0,
)

cache_hits = meter.create_counter("cache.hits", unit="{hit}", description="Profile reads served from Redis.")
cache_misses = meter.create_counter(
    "cache.misses", unit="{miss}", description="Profile reads that went to PostgreSQL."
)
cache_invalidations = meter.create_counter(
    "cache.invalidations", unit="{delete}", description="Cache deletes after profile updates."
)
for counter in (cache_hits, cache_misses):
    counter.add(0, CACHE_ATTRS)  # export 0 from the start so rate() sees the first one


def cache_key(user_id: int) -> str:
    """The Redis key of a user's cached profile."""
    return f"user:profile:{user_id}"


def hash_password(password: str) -> str:
    """A salted PBKDF2 hash in the usual `algorithm$iterations$salt$hash` form."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), PASSWORD_ITERATIONS)
    return f"pbkdf2_sha256${PASSWORD_ITERATIONS}${salt}${digest.hex()}"


def as_json(row: dict) -> dict:
    """A profile row as the API (and the cache) holds it."""
    return {**row, "updated_at": row["updated_at"].isoformat()}


def invalidate(user_id: int) -> None:
    """Drop the cached profile so that the next read fetches the committed row."""
    deleted = cache.delete(cache_key(user_id))
    cache_invalidations.add(1, {**CACHE_ATTRS, "cache.key_found": bool(deleted)})


def save_profile(user_id: int, changes: dict[str, str]) -> dict | None:
    """Write the change in one transaction; invalidate the cache only once it is committed."""
    assignments = ", ".join(f"{column} = %s" for column in changes)
    with (
        database.connection() as conn,
        tracer.start_as_current_span("transaction", attributes=TRANSACTION),
        conn.transaction(),
    ):
        row = conn.execute(
            f"UPDATE users SET {assignments}, updated_at = now(), version = version + 1 "
            "WHERE id = %s RETURNING id, name, avatar_url, updated_at, version",
            (*changes.values(), user_id),
        ).fetchone()
    if row is None:
        return None
    # The chapter's order: database write, commit, and ONLY THEN the cache. Invalidating
    # earlier lets a concurrent read put the old row back before the commit.
    invalidate(user_id)
    return as_json(row)


@app.after_request
def trace_id_header(response: flask.Response) -> flask.Response:
    """Hand the trace id to the caller, so a user's report can be followed in `chaoslab traces`."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        response.headers["X-Trace-Id"] = format(context.trace_id, "032x")
    return response


@app.get("/readyz")
def readyz() -> tuple[dict, int]:
    """Readiness: PostgreSQL (through the pool) and Redis both answer."""
    failed = {}
    with suppress_instrumentation():  # probes are not traffic: keep them out of the traces
        try:
            with database.connection(timeout=READINESS_TIMEOUT) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as err:
            failed["database"] = f"{type(err).__name__}: {err}"
        try:
            cache.ping()
        except redis.RedisError as err:
            failed["redis"] = f"{type(err).__name__}: {err}"
    if failed:
        return {"status": "unavailable", "failed": failed}, 503
    return {"status": "ready", "release": RELEASE}, 200


@app.get("/profiles/<int:user_id>")
def get_profile(user_id: int) -> tuple[dict, int]:
    """A profile: from Redis when cached, else from PostgreSQL, then cached (cache-aside)."""
    span = trace.get_current_span()
    key = cache_key(user_id)
    try:
        cached = cache.get(key)
    except redis.RedisError as err:
        log.warning("cache read failed, reading the database", extra={"detail": str(err)})
        cached = None
    span.set_attribute("cache.hit", cached is not None)
    if cached is not None:
        cache_hits.add(1, CACHE_ATTRS)
        profile = json.loads(cached)
    else:
        cache_misses.add(1, CACHE_ATTRS)
        with database.connection() as conn:
            row = conn.execute(PROFILE_SQL, (user_id,)).fetchone()
        if row is None:
            return {"error": "no such user", "id": user_id}, 404
        profile = as_json(row)
        try:
            cache.set(key, json.dumps(profile), ex=CACHE_TTL_S)
        except redis.RedisError as err:
            log.warning("cache fill failed", extra={"detail": str(err)})
    span.set_attribute("profile.version", profile["version"])
    return profile, 200


@app.put("/profiles/<int:user_id>")
def update_profile(user_id: int) -> tuple[dict, int]:
    """Change `name`, `avatar_url` and/or `password` (stored as a hash); answers the new profile."""
    body = flask.request.get_json(silent=True) or {}
    changes = {k: body[k] for k in ("name", "avatar_url") if isinstance(body.get(k), str) and body[k]}
    if isinstance(body.get("password"), str) and body["password"]:
        changes["password_hash"] = hash_password(body["password"])
    if not changes or len(changes.get("name", "")) > MAX_NAME_LENGTH:
        return {"error": f"expected JSON with name (≤ {MAX_NAME_LENGTH} chars), avatar_url or password"}, 400
    profile = save_profile(user_id, changes)
    if profile is None:
        return {"error": "no such user", "id": user_id}, 404
    trace.get_current_span().set_attribute("profile.version", profile["version"])
    log.info(
        "profile updated",
        extra={"user_id": user_id, "fields": sorted(changes), "version": profile["version"]},
    )
    return profile, 200
