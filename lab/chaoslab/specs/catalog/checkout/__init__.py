"""The checkout service: places the shop's orders, under a memory limit and an always-restart policy."""

from __future__ import annotations

from pathlib import Path

from chaoslab.specs.catalog.base import GunicornApp, LabContext, ScrapeJob
from chaoslab.specs.catalog.postgres import dsn
from chaoslab.specs.model import Link, LivenessCheck, ServiceSpec

# This service's home: its rules and its load live beside this file.
HOME = Path(__file__).resolve().parent

# Few threads, as a small container would run: under load a request (and the liveness
# probe) may wait for one, which is what a too-strict liveness probe trips over.
GUNICORN_THREADS = 1
# The container's memory limit: well above what the service needs (~80 MB, master and worker).
MEMORY_LIMIT_MB = 140


class Checkout(GunicornApp):
    """Cart to order in one transaction, idempotent per request key; the shop calls it."""

    name = "checkout"
    role = "checkout: cart to order (Flask + gunicorn)"
    threads = GUNICORN_THREADS
    gunicorn_options = ("--timeout", "30", "--config", "python:services.checkout.gunicorn_conf")
    depends_on = ("postgres", "toxiproxy")
    health_path = "/healthz"
    web = "the checkout service's HTTP API"
    ports = {"checkout": 15, "checkout-postgres": 28}
    scrape = ScrapeJob("checkout")
    rules = HOME / "rules.yml"
    locustfile = HOME / "locustfile.py"

    def links(self, ctx: LabContext) -> list[Link]:
        return [ctx.link("checkout-postgres", "postgres")]

    def env(self, ctx: LabContext) -> dict[str, str]:
        return {
            "CHAOSLAB_DATABASE_URL": dsn(ctx.ports["checkout-postgres"], ctx.run.secrets.postgres),
            **ctx.traced("checkout"),
        }

    def spec(self, ctx: LabContext) -> ServiceSpec:
        app = super().spec(ctx)
        # What a small container under an orchestrator adds: a memory limit, restarts, liveness.
        liveness = LivenessCheck(
            kind="http",
            target=f"http://127.0.0.1:{ctx.ports['checkout']}/healthz",
            interval_s=2.0,
            timeout_s=1.0,
            failure_threshold=3,
            start_period_s=5.0,
        )
        # kubelet waits 10 s before the first restart; a lab minute is shorter.
        changes = {"restart": "always", "restart_backoff_s": 1.0, "memory_limit_mb": MEMORY_LIMIT_MB}
        return app.model_copy(update={**changes, "liveness": liveness})
