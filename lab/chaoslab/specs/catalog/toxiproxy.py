"""Toxiproxy: every dependency edge of the lab goes through one of its proxies."""

from __future__ import annotations

import json

from chaoslab.setup import find_binary
from chaoslab.specs.catalog.base import LabContext, ScrapeJob, ServiceDefinition
from chaoslab.specs.model import HealthCheck, ServiceSpec


class Toxiproxy(ServiceDefinition):
    """The real toxiproxy-server, with the lab's links created from a config file at start."""

    name = "toxiproxy"
    ports = {"toxiproxy": 2}
    scrape = ScrapeJob("toxiproxy")

    def prepare(self, ctx: LabContext) -> None:
        proxies = [link.toxiproxy_config() for link in ctx.links]
        (ctx.run.config_dir / "toxiproxy.json").write_text(json.dumps(proxies, indent=2))

    def spec(self, ctx: LabContext) -> ServiceSpec:
        port = ctx.ports["toxiproxy"]
        return ServiceSpec(
            name=self.name,
            role="network fault proxy (Toxiproxy)",
            command=[
                find_binary("toxiproxy-server"),
                "-host",
                "127.0.0.1",
                "-port",
                str(port),
                "-config",
                str(ctx.run.config_dir / "toxiproxy.json"),
                "-proxy-metrics",
                "-seed",
                str(ctx.seed),
            ],
            ports={"api": port, **{link.name: link.listen_port for link in ctx.links}},
            health=HealthCheck(kind="http", target=f"http://127.0.0.1:{port}/version", interval_s=0.5),
        )
