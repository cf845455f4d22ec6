"""Locust load for the profile service: people edit their own profile, check it, and look at others'."""

import itertools

from locust import task

# Imported for its listeners: the load ends by itself (its request cap, the session's end).
from chaoslab.load import bounds  # noqa: F401
from chaoslab.load.pace import paced
from chaoslab.load.seeded import SeededUser
from services.profile.users import LOAD_POPULATION

AVATAR_STYLES = ("beach", "mountain", "cat", "bike", "city", "forest", "guitar", "portrait")


class ProfileUser(SeededUser):
    """One person, user id = its index + 1; its own RNG makes its requests a function of the seed."""

    wait_time = paced(0.2, 0.6)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.edits = itertools.count(1)
        # Locust picks @task methods with the global `random`; drawing from our own RNG keeps
        # each user's mix reproducible.
        self.actions = {
            self.edit_and_check: 2,
            self.view_own: 1,
            self.view_friend: 6,
            self.view_someone: 1,
        }
        # The other simulated users, a few far more popular than the rest (Zipf, s = 2): the
        # profiles being edited right now are also the ones read the most, as on a social site.
        options = getattr(self.environment, "parsed_options", None)
        self.friends = list(range(1, max(1, getattr(options, "num_users", 1) or 1) + 1))
        self.popularity = [1 / rank**2 for rank in self.friends]

    @task
    def act(self) -> None:
        """One weighted action."""
        action = self.rng.choices(list(self.actions), weights=list(self.actions.values()))[0]
        action()

    def edit_and_check(self) -> None:
        """Change the name, avatar or password, then look at the profile: the chapter's user report."""
        edit = next(self.edits)
        change = self.rng.choice(("name", "avatar_url", "password"))
        body = {
            "name": f"User {self.user_id} (edit {edit})",
            "avatar_url": f"https://avatars.example.test/{self.user_id}/{self.rng.choice(AVATAR_STYLES)}-{edit}.png",
            "password": f"correct horse battery {self.rng.getrandbits(32):08x}",
        }
        written = self.client.put(
            f"/profiles/{self.user_id}", json={change: body[change]}, name="/profiles/[id] (update)"
        )
        if written.status_code != 200:
            return
        with self.client.get(
            f"/profiles/{self.user_id}", name="/profiles/[id] (own, after update)", catch_response=True
        ) as read:
            if read.status_code == 200 and read.json()["version"] < written.json()["version"]:
                read.failure(
                    f"stale profile: read version {read.json()['version']} after writing "
                    f"{written.json()['version']}"
                )

    def view_own(self) -> None:
        self.client.get(f"/profiles/{self.user_id}", name="/profiles/[id] (own)")

    def view_friend(self) -> None:
        friend = self.rng.choices(self.friends, weights=self.popularity)[0]
        self.client.get(f"/profiles/{friend}", name="/profiles/[id]")

    def view_someone(self) -> None:
        self.client.get(f"/profiles/{self.rng.randint(1, LOAD_POPULATION)}", name="/profiles/[id]")
