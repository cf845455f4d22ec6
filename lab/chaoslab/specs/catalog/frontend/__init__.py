"""The web frontend: the page and its JSON API (Flask under gunicorn), sharing through socialshare."""

from __future__ import annotations

from pathlib import Path

from chaoslab.specs.catalog.base import LabContext, ScrapeJob, ServiceDefinition, gunicorn_command
from chaoslab.specs.model import HealthCheck, Link, ServiceSpec

# This service's home: its rules and its load live beside this file.
HOME = Path(__file__).resolve().parent

# One worker with four request threads: four hung calls to the third party and nobody else
# is served, which is the starvation the third-party-hang incident shows.
WORKER_THREADS = 4


class Frontend(ServiceDefinition):
    """Log in, feed, Like (its own) and Share (socialshare, with the shipped code's missing timeout)."""

    name = "frontend"
    web = "the web page users open (Chromium shows what they see)"
    # frontend-metrics: its own listener thread, so a starved request pool stays visible.
    ports = {"frontend": 12, "frontend-metrics": 14, "frontend-social": 24}
    scrape = ScrapeJob("frontend-metrics")
    rules = HOME / "rules.yml"
    locustfile = HOME / "locustfile.py"

    def links(self, ctx: LabContext) -> list[Link]:
        return [ctx.link("frontend-social", "social")]

    def spec(self, ctx: LabContext) -> ServiceSpec:
        port = ctx.ports["frontend"]
        env = {
            "FRONTEND_SOCIAL_URL": f"http://127.0.0.1:{ctx.ports['frontend-social']}",
            "FRONTEND_THREADS": str(WORKER_THREADS),
            "FRONTEND_METRICS_PORT": str(ctx.ports["frontend-metrics"]),
            "CHAOSLAB_FLAGS_FILE": str(ctx.run.config_dir / "flags.json"),
            **ctx.traced("frontend"),
            **ctx.app_env(self.name),
        }
        return ServiceSpec(
            name=self.name,
            role="web frontend: page + JSON API (Flask + gunicorn)",
            # gthread's heartbeat comes from the main loop: a hung request thread is never reaped.
            command=gunicorn_command("services.frontend.app:app", port, WORKER_THREADS, "--timeout", "60"),
            cwd=str(ctx.run.source_dir),
            env=env,
            ports={"http": port, "metrics": ctx.ports["frontend-metrics"]},
            depends_on=["toxiproxy", "social"],
            # Liveness on the request pool itself: `chaoslab status` shows it unhealthy while starved.
            health=HealthCheck(kind="http", target=f"http://127.0.0.1:{port}/healthz", interval_s=1.0),
        )
