"""Locust load for the exporter: clients submitting jobs of three kinds, seeded."""

import itertools
import os
import random

from locust import HttpUser, task

# Imported for its listeners: the load ends by itself (its request cap, the session's end).
from chaoslab.load import bounds  # noqa: F401
from chaoslab.load.pace import paced

SEED = int(os.environ.get("CHAOSLAB_SEED", "1"))
KINDS = {"thumbnail": 6, "report": 3, "transcode": 1}


class JobClient(HttpUser):
    """A client of the job API; its own RNG makes its jobs a function of the seed."""

    wait_time = paced(0.1, 0.4)
    _next_index = itertools.count()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rng = random.Random(SEED * 1000 + next(JobClient._next_index))

    @task
    def submit(self) -> None:
        """One job of a weighted kind."""
        kind = self.rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        self.client.post(
            "/jobs", json={"kind": kind, "input": f"{kind}-{self.rng.getrandbits(32):08x}"}, name="/jobs"
        )
