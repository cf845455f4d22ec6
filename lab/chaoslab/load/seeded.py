"""Simulated users whose requests are a function of the run's seed alone.

Locust picks each user's @task with the global `random`, and users start in an order of their
own: neither repeats from one run to the next. A `SeededUser` numbers the users of its class
from 0 (``index``), plays person ``user_id`` = index + 1 and draws every choice from its own
``rng``, seeded from CHAOSLAB_SEED and its index, so a seed replays the same mix.

    from chaoslab.load.seeded import SeededUser

    class ShopUser(SeededUser):
        @task
        def browse(self) -> None:
            self.client.get(f"/products/{self.rng.randint(1, 1000)}")
"""

import itertools
import os
import random
from collections.abc import Iterator
from typing import ClassVar

from locust import HttpUser

SEED = int(os.environ.get("CHAOSLAB_SEED", "1"))


class SeededUser(HttpUser):
    """An HttpUser with its own index, user id and RNG, all from the seed."""

    abstract = True
    _next_index: ClassVar[Iterator[int]] = itertools.count()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # Each user class counts its own users; a subclass of one (the frontend's sharers,
        # readers who share) continues its parent's count, so no two users share an RNG.
        if SeededUser in cls.__bases__:
            cls._next_index = itertools.count()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.index = next(self._next_index)
        self.rng = random.Random(SEED * 1000 + self.index)
        self.user_id = self.index + 1
