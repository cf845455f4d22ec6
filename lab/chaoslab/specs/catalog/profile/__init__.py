"""The profile service: user profiles in PostgreSQL behind a Redis cache (Flask + gunicorn)."""

from __future__ import annotations

from pathlib import Path

from chaoslab.specs.catalog.base import LabContext, ScrapeJob, ServiceDefinition, gunicorn_command
from chaoslab.specs.catalog.postgres import dsn
from chaoslab.specs.catalog.redis import redis_url
from chaoslab.specs.model import HealthCheck, Link, ServiceSpec

# This service's home: its rules and its load live beside this file.
HOME = Path(__file__).resolve().parent

# One worker so /metrics sees every request; threads so that reads and updates of the same
# profile really run at the same time, as they do behind a load balancer.
GUNICORN_THREADS = 16


class Profile(ServiceDefinition):
    """Profiles read cache-aside from Redis and updated in PostgreSQL."""

    name = "profile"
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

    def spec(self, ctx: LabContext) -> ServiceSpec:
        port = ctx.ports["profile"]
        env = {
            "CHAOSLAB_DATABASE_URL": dsn(ctx.ports["profile-postgres"], ctx.run.secrets.postgres),
            "CHAOSLAB_REDIS_URL": redis_url(ctx.ports["profile-redis"], ctx.run.secrets.redis),
            **ctx.traced("profile"),
            **ctx.app_env(self.name),
        }
        return ServiceSpec(
            name=self.name,
            role="user profiles API, Redis-cached (Flask + gunicorn)",
            command=gunicorn_command("services.profile.app:app", port, GUNICORN_THREADS, "--timeout", "60"),
            cwd=str(ctx.run.source_dir),
            env=env,
            ports={"http": port},
            depends_on=["postgres", "redis", "toxiproxy"],
            health=HealthCheck(kind="http", target=f"http://127.0.0.1:{port}/readyz", interval_s=1.0),
        )
