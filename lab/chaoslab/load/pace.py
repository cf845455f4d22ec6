"""The pace of a locustfile's users: their think time, stretched on a slower machine.

A calibration may set CHAOSLAB_LOAD_PACE on the `locust` service (scenario.yaml's
`calibration:`): a machine that does the same work 3x slower gets users that wait 3x longer
between requests, so the load keeps the same share of the machine busy. Each request then
costs what it costs there, and the pool, the CPU and the queues see the same relative stress
on a slow machine as on the one where the scenario was written.

    from chaoslab.load.pace import paced

    class ShopUser(HttpUser):
        wait_time = paced(0.2, 0.6)
"""

import os
from collections.abc import Callable

from locust import between

# 1: the think time as the locustfile writes it.
PACE = float(os.environ.get("CHAOSLAB_LOAD_PACE", "1"))


def paced(low: float, high: float) -> Callable[..., float]:
    """Locust's ``between(low, high)``, both ends stretched by this run's pace."""
    return between(low * PACE, high * PACE)
