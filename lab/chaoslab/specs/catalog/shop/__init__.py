"""The shop: the chapter's e-commerce API (Flask under gunicorn) on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from chaoslab.specs.catalog.base import GunicornApp, LabContext, ScrapeJob
from chaoslab.specs.catalog.postgres import dsn
from chaoslab.specs.catalog.redis import redis_url
from chaoslab.specs.model import Link

# This service's home: its rules and its load live beside this file.
HOME = Path(__file__).resolve().parent

# One worker so /metrics sees every request; more threads than any scenario has users,
# against a pool of 10 connections, is the mismatch the db-pool-exhaustion incident feeds on.
GUNICORN_THREADS = 48


class Shop(GunicornApp):
    """Products, cart and checkout, with the "browse by category" feature behind a flag."""

    name = "shop"
    role = "e-commerce API (Flask + gunicorn)"
    threads = GUNICORN_THREADS
    depends_on = ("postgres", "redis", "toxiproxy")
    # Liveness, not /readyz: readiness goes through the pool, which the incident starves.
    health_path = "/healthz"
    web = "the shop's HTTP API (/products, /cart/<user>, /healthz)"
    ports = {"shop": 10, "shop-postgres": 20, "shop-redis": 21, "shop-checkout": 25, "shop-recommender": 26}
    scrape = ScrapeJob("shop")
    rules = HOME / "rules.yml"
    locustfile = HOME / "locustfile.py"

    def links(self, ctx: LabContext) -> list[Link]:
        return [
            ctx.link("shop-postgres", "postgres"),
            ctx.link("shop-redis", "redis"),
            *self._recommender_links(ctx),
            *self._checkout_links(ctx),
        ]

    def _checkout_links(self, ctx: LabContext) -> list[Link]:
        if "checkout" not in ctx.services:
            return []
        return [ctx.link("shop-checkout", "checkout")]

    def _recommender_links(self, ctx: LabContext) -> list[Link]:
        if "recommender" not in ctx.services:
            return []
        return [ctx.link("shop-recommender", "recommender")]

    def env(self, ctx: LabContext) -> dict[str, str]:
        env = {
            "CHAOSLAB_DATABASE_URL": dsn(ctx.ports["shop-postgres"], ctx.run.secrets.postgres),
            "CHAOSLAB_REDIS_URL": redis_url(ctx.ports["shop-redis"], ctx.run.secrets.redis),
            "CHAOSLAB_FLAGS_FILE": str(ctx.run.config_dir / "flags.json"),
            **ctx.traced("shop"),
            "SHOP_DB_POOL_SIZE": "10",
            # Short enough that a starved pool turns into some 503s, as in the chapter.
            "SHOP_DB_POOL_TIMEOUT": "0.5",
        }
        if "recommender" in ctx.services:
            env["CHAOSLAB_RECOMMENDER_URL"] = f"http://127.0.0.1:{ctx.ports['shop-recommender']}"
        if "checkout" in ctx.services:
            # Orders go to the checkout service; without it the shop places them itself.
            env["CHAOSLAB_CHECKOUT_URL"] = f"http://127.0.0.1:{ctx.ports['shop-checkout']}"
        return env
