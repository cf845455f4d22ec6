"""Locust load for the frontend: people reading the feed and liking posts, and a few who share.

Readers never share. Two sharers (a fixed count) share often: when socialshare
hangs, each of them holds one of the frontend's request threads for as long as
the call hangs, which leaves one thread for everybody else, until one more
share (a person's, in a browser) takes it too.
"""

from typing import ClassVar

from locust import task

# Imported for its listeners: the load ends by itself (its request cap, the session's end).
from chaoslab.load import bounds  # noqa: F401
from chaoslab.load.pace import paced
from chaoslab.load.seeded import SeededUser

POSTS = 12


class Reader(SeededUser):
    """Opens the page, reads the feed, likes posts; its own RNG makes its mix a function of the seed."""

    wait_time = paced(0.3, 1.0)
    weight = 1
    actions_weights: ClassVar[dict[str, int]] = {"page": 1, "feed": 4, "like": 3}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.actions = {getattr(self, name): weight for name, weight in self.actions_weights.items()}

    @task
    def act(self) -> None:
        """One weighted action."""
        action = self.rng.choices(list(self.actions), weights=list(self.actions.values()))[0]
        action()

    def page(self) -> None:
        self.client.get("/", name="/")
        self.client.get("/api/config", name="/api/config")

    def feed(self) -> None:
        self.client.get("/api/feed", name="/api/feed")

    def like(self) -> None:
        self.client.post(f"/api/posts/{self.rng.randint(1, POSTS)}/like", name="/api/posts/[id]/like")


class Sharer(Reader):
    """Reads, likes, and shares a lot; waits for each share as long as it takes, like the page did."""

    fixed_count = 2
    # Time between actions leaves the last free thread to the others (and their error reports).
    wait_time = paced(2.0, 5.0)
    actions_weights: ClassVar[dict[str, int]] = {"feed": 1, "like": 1, "share": 2}

    def share(self) -> None:
        with self.client.post(
            "/api/share", json={"post_id": self.rng.randint(1, POSTS)}, name="/api/share", catch_response=True
        ) as response:
            if response.status_code == 404:  # sharing turned off: the page would not offer it
                response.success()
