"""Locust: the scenario's simulated users, headless, seeded and bounded."""

from __future__ import annotations

import math
import sys

from chaoslab.errors import UsageError
from chaoslab.specs.catalog.base import LabContext, ServiceDefinition
from chaoslab.specs.model import ServiceSpec


class Locust(ServiceDefinition):
    """Started on demand (`load on`), never restarted: a finished load stays finished."""

    name = "locust"

    def spec(self, ctx: LabContext) -> ServiceSpec:
        # The registry imports this module: the target's home is looked up when a lab is made.
        from chaoslab.specs.catalog import locustfile

        plan = ctx.load
        if plan is None:
            raise UsageError("This scenario defines no load.", hint="add a `load:` section to scenario.yaml.")
        target = f"http://127.0.0.1:{ctx.ports[plan.target]}"
        # The load ends with the session (the locustfiles quit at CHAOSLAB_LOAD_UNTIL); --run-time, the
        # session's whole length, is a backstop. `extend` changes both, so Locust restarts re-armed.
        session = ctx.session
        run_s = math.ceil(session.length_s) if session else plan.max_seconds
        bound = {"CHAOSLAB_LOAD_UNTIL": f"{session.ends_at:.3f}"} if session else {}
        return ServiceSpec(
            name=self.name,
            role=f"simulated users ({plan.users}, Locust)",
            command=[
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(locustfile(plan.locustfile)),
                "--headless",
                "-H",
                target,
                "-u",
                str(plan.users),
                "-r",
                str(plan.spawn_rate),
                "--run-time",
                f"{run_s}s",
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
                "CHAOSLAB_MAX_REQUESTS": str(plan.requests_cap(run_s)),
                "CHAOSLAB_PRODUCT_ROWS": str(ctx.product_rows),
                # The locustfiles read the services' own data (catalogue, users) from the deployed
                # code; a calibrated pace (CHAOSLAB_LOAD_PACE, load/pace.py) comes with the run's changes.
                **ctx.app_env(self.name),
                **bound,
            },
            depends_on=[plan.target],
            restart="no",
            autostart=False,
        )
