"""socialshare.example: the fake third-party sharing API and its status page (Flask + gunicorn)."""

from __future__ import annotations

import sys

from lab.specs.catalog.base import LabContext, NoPreparation
from lab.specs.model import HealthCheck, ServiceSpec


class Social(NoPreparation):
    """Somebody else's service: the lab reaches its API only through the `frontend-social` link."""

    name = "social"

    def spec(self, ctx: LabContext) -> ServiceSpec:
        port = ctx.ports["social"]
        return ServiceSpec(
            name=self.name,
            role="third-party sharing API + status page (socialshare.example)",
            command=[
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "1",
                "--worker-class",
                "gthread",
                # A vendor's capacity: its own incident is the flag and the toxic, never our load.
                "--threads",
                "16",
                "--bind",
                f"127.0.0.1:{port}",
                # Idle connections stay open as long as a vendor's load balancer keeps them; with
                # gunicorn's 2 s, its close would end a hung exchange through Toxiproxy early.
                "--keep-alive",
                "75",
                "--graceful-timeout",
                "5",
                "--no-control-socket",
                "services.social.app:app",
            ],
            cwd=str(ctx.run.source_dir),
            env={
                "CHAOSLAB_FLAGS_FILE": str(ctx.run.config_dir / "flags.json"),
                "OTEL_SERVICE_NAME": "social",
                **ctx.app_env(),
                **ctx.env_overrides.get(self.name, {}),
            },
            ports={"http": port},
            health=HealthCheck(kind="http", target=f"http://127.0.0.1:{port}/healthz", interval_s=1.0),
        )
