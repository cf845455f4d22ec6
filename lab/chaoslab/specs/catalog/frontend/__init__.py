"""The web frontend: the page and its JSON API (Flask under gunicorn), sharing through socialshare."""

from __future__ import annotations

from pathlib import Path

from chaoslab.specs.catalog.base import GunicornApp, LabContext, ScrapeJob
from chaoslab.specs.model import Link

# This service's home: its rules and its load live beside this file.
HOME = Path(__file__).resolve().parent

# One worker with four request threads: four hung calls to the third party and nobody else
# is served, which is the starvation the third-party-hang incident shows.
WORKER_THREADS = 4


class Frontend(GunicornApp):
    """Log in, feed, Like (its own) and Share (socialshare, with the shipped code's missing timeout)."""

    name = "frontend"
    role = "web frontend: page + JSON API (Flask + gunicorn)"
    # gthread's heartbeat comes from the main loop: a hung request thread is never reaped.
    threads = WORKER_THREADS
    depends_on = ("toxiproxy", "social")
    # Liveness on the request pool itself: `chaoslab status` shows it unhealthy while starved.
    health_path = "/healthz"
    more_ports = {"metrics": "frontend-metrics"}
    web = "the web page users open (Chromium shows what they see)"
    # frontend-metrics: its own listener thread, so a starved request pool stays visible.
    ports = {"frontend": 12, "frontend-metrics": 14, "frontend-social": 24}
    scrape = ScrapeJob("frontend-metrics")
    rules = HOME / "rules.yml"
    locustfile = HOME / "locustfile.py"

    def links(self, ctx: LabContext) -> list[Link]:
        return [ctx.link("frontend-social", "social")]

    def env(self, ctx: LabContext) -> dict[str, str]:
        return {
            "FRONTEND_SOCIAL_URL": f"http://127.0.0.1:{ctx.ports['frontend-social']}",
            "FRONTEND_THREADS": str(WORKER_THREADS),
            "FRONTEND_METRICS_PORT": str(ctx.ports["frontend-metrics"]),
            "CHAOSLAB_FLAGS_FILE": str(ctx.run.config_dir / "flags.json"),
            **ctx.traced("frontend"),
        }
