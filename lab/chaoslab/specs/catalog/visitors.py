"""Visitors: real people's browsers (Chromium) walking the frontend's page, part of a lab's traffic."""

from __future__ import annotations

import math
import sys

from chaoslab.specs.catalog.base import LabContext, ServiceDefinition
from chaoslab.specs.model import ServiceSpec


class Visitors(ServiceDefinition):
    """One Chromium visiting the page in a loop: the page's JavaScript runs, and fails, for real."""

    name = "visitors"

    def spec(self, ctx: LabContext) -> ServiceSpec:
        max_seconds = ctx.load.max_seconds if ctx.load else 1800
        until = []
        if ctx.session:  # part of the load: it lasts as long as the session, as Locust does
            max_seconds = math.ceil(ctx.session.length_s)
            until = ["--until", f"{ctx.session.ends_at:.3f}"]
        return ServiceSpec(
            name=self.name,
            role="real-browser visitors (Chromium, Playwright)",
            command=[
                sys.executable,
                "-m",
                "chaoslab.load.visitors",
                "--url",
                f"http://127.0.0.1:{ctx.ports['frontend']}",
                "--seed",
                str(ctx.seed),
                "--max-seconds",
                str(max_seconds),
                *until,
            ],
            cwd=str(ctx.run.dir),
            env={"PYTHONUNBUFFERED": "1"},
            depends_on=["frontend"],
        )
