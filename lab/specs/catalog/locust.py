"""Locust: the scenario's simulated users, headless, seeded and bounded."""

from __future__ import annotations

import sys

from lab.errors import UsageError
from lab.specs.catalog.base import LabContext, NoPreparation
from lab.specs.model import ServiceSpec


class Locust(NoPreparation):
    """Started on demand (`load on`), never restarted: a finished load stays finished."""

    name = "locust"

    def spec(self, ctx: LabContext) -> ServiceSpec:
        plan = ctx.load
        if plan is None:
            raise UsageError("This scenario defines no load.", hint="add a `load:` section to scenario.yaml.")
        target = f"http://127.0.0.1:{ctx.ports[plan.target]}"
        return ServiceSpec(
            name=self.name,
            role=f"simulated users ({plan.users}, Locust)",
            command=[
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(plan.path()),
                "--headless",
                "-H",
                target,
                "-u",
                str(plan.users),
                "-r",
                str(plan.spawn_rate),
                "--run-time",
                f"{plan.max_seconds}s",
                "--only-summary",
                "--loglevel",
                "WARNING",
                # Failed requests are data here, not a reason to report failure.
                "--exit-code-on-error",
                "0",
                "--stop-timeout",
                "2",
            ],
            cwd=str(ctx.run.dir),
            env={
                "CHAOSLAB_SEED": str(ctx.seed),
                "CHAOSLAB_MAX_REQUESTS": str(plan.max_requests),
                "CHAOSLAB_PRODUCT_ROWS": str(ctx.product_rows),
                "PYTHONUNBUFFERED": "1",
            },
            depends_on=[plan.target],
            restart="no",
            autostart=False,
        )
