"""The checkout service: places the shop's orders, under a memory limit and an always-restart policy."""

from __future__ import annotations

from pathlib import Path

from chaoslab.specs.catalog.base import LabContext, ScrapeJob, ServiceDefinition, gunicorn_command
from chaoslab.specs.catalog.postgres import dsn
from chaoslab.specs.model import HealthCheck, Link, LivenessCheck, ServiceSpec

# This service's home: its rules and its load live beside this file.
HOME = Path(__file__).resolve().parent

# Few threads, as a small container would run: under load a request (and the liveness
# probe) may wait for one, which is what a too-strict liveness probe trips over.
GUNICORN_THREADS = 1
# The container's memory limit: well above what the service needs (~80 MB, master and worker).
MEMORY_LIMIT_MB = 140


class Checkout(ServiceDefinition):
    """Cart to order in one transaction, idempotent per request key; the shop calls it."""

    name = "checkout"
    web = "the checkout service's HTTP API"
    ports = {"checkout": 15, "checkout-postgres": 28}
    scrape = ScrapeJob("checkout")
    rules = HOME / "rules.yml"
    locustfile = HOME / "locustfile.py"

    def links(self, ctx: LabContext) -> list[Link]:
        return [ctx.link("checkout-postgres", "postgres")]

    def spec(self, ctx: LabContext) -> ServiceSpec:
        port = ctx.ports["checkout"]
        env = {
            "CHAOSLAB_DATABASE_URL": dsn(ctx.ports["checkout-postgres"], ctx.run.secrets.postgres),
            **ctx.traced("checkout"),
            **ctx.app_env(self.name),
        }
        health = f"http://127.0.0.1:{port}/healthz"
        return ServiceSpec(
            name=self.name,
            role="checkout: cart to order (Flask + gunicorn)",
            command=gunicorn_command(
                "services.checkout.app:app",
                port,
                GUNICORN_THREADS,
                "--timeout",
                "30",
                "--config",
                "python:services.checkout.gunicorn_conf",
            ),
            cwd=str(ctx.run.source_dir),
            env=env,
            ports={"http": port},
            depends_on=["postgres", "toxiproxy"],
            restart="always",
            # kubelet waits 10 s before the first restart; a lab minute is shorter.
            restart_backoff_s=1.0,
            memory_limit_mb=MEMORY_LIMIT_MB,
            health=HealthCheck(kind="http", target=health, interval_s=1.0),
            liveness=LivenessCheck(
                kind="http",
                target=health,
                interval_s=2.0,
                timeout_s=1.0,
                failure_threshold=3,
                start_period_s=5.0,
            ),
        )
