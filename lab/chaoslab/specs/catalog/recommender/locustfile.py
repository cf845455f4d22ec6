"""Locust load for the shop's recommendations: people with hidden tastes click what matches them.

Each simulated person (ids 1..PEOPLE of the recommender's synthetic world) has a
taste vector the model never sees; the recommender only learns it from their
past interactions. Shown a list, a person clicks each item with a probability
that rises steeply with how well it matches their taste, so the click-through
rate the recommender counts is a real measure of relevance.
"""

import itertools

from locust import task

# Imported for its listeners: the load ends by itself (its request cap, the session's end).
from chaoslab.load import bounds  # noqa: F401
from chaoslab.load.pace import paced
from chaoslab.load.seeded import SEED, SeededUser
from services.recommender.world import PEOPLE, affinity, click_probability


class Shopper(SeededUser):
    """Looks at recommendations for the people it plays, in turn, and clicks the ones they like."""

    wait_time = paced(0.6, 1.0)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        index = self.index
        options = getattr(self.environment, "parsed_options", None)
        users = max(1, getattr(options, "num_users", 1) or 1)
        # Every person is played by exactly one simulated user, in a fixed turn: any window of
        # a few rounds sees every person about equally often, whatever their own taste.
        self.people = itertools.cycle(range(index % users + 1, PEOPLE + 1, users))

    @task
    def look_and_click(self) -> None:
        """Open the recommendations of the next person, click what they like."""
        person = next(self.people)
        with self.client.get(
            f"/recommendations/{person}", name="/recommendations/[user]", catch_response=True
        ) as shown:
            if shown.status_code != 200:
                return
            items = shown.json()["items"]
        matches = affinity(SEED, person, items)
        clicked = [
            item
            for item, match in zip(items, matches, strict=True)
            if self.rng.random() < click_probability(match)
        ]
        if clicked:
            self.client.post(
                f"/recommendations/{person}/clicks",
                json={"items": clicked},
                name="/recommendations/[user]/clicks",
            )
