"""socialshare.example: the fake third-party sharing API and its status page (Flask + gunicorn)."""

from __future__ import annotations

from chaoslab.specs.catalog.base import GunicornApp, LabContext


class Social(GunicornApp):
    """Somebody else's service: the lab reaches its API only through the `frontend-social` link."""

    name = "social"
    role = "third-party sharing API + status page (socialshare.example)"
    # A vendor's capacity (16 threads): its own incident is the flag and the toxic, never our
    # load. Idle connections stay open as long as a vendor's load balancer keeps them; with
    # gunicorn's 2 s, its close would end a hung exchange through Toxiproxy early.
    threads = 16
    gunicorn_options = ("--keep-alive", "75")
    health_path = "/healthz"
    web = "the third-party social API the frontend calls"
    ports = {"social": 13}

    def env(self, ctx: LabContext) -> dict[str, str]:
        return {
            "CHAOSLAB_FLAGS_FILE": str(ctx.run.config_dir / "flags.json"),
            "OTEL_SERVICE_NAME": "social",
        }
