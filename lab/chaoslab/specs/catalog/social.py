"""socialshare.example: the fake third-party sharing API and its status page (Flask + gunicorn)."""

from __future__ import annotations

from chaoslab.specs.catalog.base import LabContext, ServiceDefinition, gunicorn_command
from chaoslab.specs.model import HealthCheck, ServiceSpec


class Social(ServiceDefinition):
    """Somebody else's service: the lab reaches its API only through the `frontend-social` link."""

    name = "social"
    web = "the third-party social API the frontend calls"
    ports = {"social": 13}

    def spec(self, ctx: LabContext) -> ServiceSpec:
        port = ctx.ports["social"]
        return ServiceSpec(
            name=self.name,
            role="third-party sharing API + status page (socialshare.example)",
            # A vendor's capacity (16 threads): its own incident is the flag and the toxic, never our
            # load. Idle connections stay open as long as a vendor's load balancer keeps them; with
            # gunicorn's 2 s, its close would end a hung exchange through Toxiproxy early.
            command=gunicorn_command("services.social.app:app", port, 16, "--keep-alive", "75"),
            cwd=str(ctx.run.source_dir),
            env={
                "CHAOSLAB_FLAGS_FILE": str(ctx.run.config_dir / "flags.json"),
                "OTEL_SERVICE_NAME": "social",
                **ctx.app_env(self.name),
            },
            ports={"http": port},
            health=HealthCheck(kind="http", target=f"http://127.0.0.1:{port}/healthz", interval_s=1.0),
        )
