"""Locust load for the exporter: clients submitting jobs of three kinds, seeded."""

from locust import task

# Imported for its listeners: the load ends by itself (its request cap, the session's end).
from chaoslab.load import bounds  # noqa: F401
from chaoslab.load.pace import paced
from chaoslab.load.seeded import SeededUser

KINDS = {"thumbnail": 6, "report": 3, "transcode": 1}


class JobClient(SeededUser):
    """A client of the job API; its own RNG makes its jobs a function of the seed."""

    wait_time = paced(0.1, 0.4)

    @task
    def submit(self) -> None:
        """One job of a weighted kind."""
        kind = self.rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        self.client.post(
            "/jobs", json={"kind": kind, "input": f"{kind}-{self.rng.getrandbits(32):08x}"}, name="/jobs"
        )
