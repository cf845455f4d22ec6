"""The profile service: user profiles in PostgreSQL behind a Redis cache (Flask + gunicorn)."""

from __future__ import annotations

from pathlib import Path

from chaoslab.specs.catalog.base import GunicornApp, LabContext, ScrapeJob
from chaoslab.specs.catalog.postgres import dsn
from chaoslab.specs.catalog.redis import redis_url
from chaoslab.specs.model import Link

# This service's home: its rules and its load live beside this file.
HOME = Path(__file__).resolve().parent

# One worker so /metrics sees every request; threads so that reads and updates of the same
# profile really run at the same time, as they do behind a load balancer.
GUNICORN_THREADS = 16


class Profile(GunicornApp):
    """Profiles read cache-aside from Redis and updated in PostgreSQL."""

    name = "profile"
    role = "user profiles API, Redis-cached (Flask + gunicorn)"
    threads = GUNICORN_THREADS
    depends_on = ("postgres", "redis", "toxiproxy")
    web = "the profile service's HTTP API (/profiles/<user>)"
    ports = {"profile": 11, "profile-postgres": 22, "profile-redis": 23}
    scrape = ScrapeJob("profile")
    rules = HOME / "rules.yml"
    locustfile = HOME / "locustfile.py"

    def links(self, ctx: LabContext) -> list[Link]:
        return [
            ctx.link("profile-postgres", "postgres"),
            ctx.link("profile-redis", "redis"),
        ]

    def env(self, ctx: LabContext) -> dict[str, str]:
        return {
            "CHAOSLAB_DATABASE_URL": dsn(ctx.ports["profile-postgres"], ctx.run.secrets.postgres),
            "CHAOSLAB_REDIS_URL": redis_url(ctx.ports["profile-redis"], ctx.run.secrets.redis),
            **ctx.traced("profile"),
        }
