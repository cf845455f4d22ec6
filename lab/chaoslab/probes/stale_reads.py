"""Stale-reads probe: update profiles and read them straight back while others read them too."""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from chaoslab.calls import postgres
from chaoslab.errors import NotHealthy
from chaoslab.lab_access import LabAccess
from chaoslab.probes.base import Probe, Value

if TYPE_CHECKING:
    import requests


@dataclass
class Tally:
    """What a batch of update-then-read-back cycles saw."""

    updates: int = 0
    stale: int = 0
    database_fresh: int = 0


class Readers:
    """Threads that keep reading the profile the writer is about to change, as other users would."""

    def __init__(self, url: str, count: int, timeout_s: float):
        self.url, self.timeout_s = url, timeout_s
        self.user: int | None = None
        self.generation = 0
        self.started = 0  # readers that have begun a read of the current generation
        self.changed = threading.Condition()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._read, daemon=True) for _ in range(count)]

    def __enter__(self) -> Readers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        with self.changed:
            self.changed.notify_all()
        for thread in self.threads:
            thread.join(timeout=self.timeout_s + 1)

    def follow(self, user: int) -> None:
        """Point every reader at ``user`` and return once each has begun reading it."""
        with self.changed:
            self.user, self.generation, self.started = user, self.generation + 1, 0
            self.changed.notify_all()
            self.changed.wait_for(lambda: self.started >= len(self.threads), timeout=self.timeout_s)

    def rest(self) -> None:
        """Stop reading until the next ``follow``: readers only load the service around a write."""
        with self.changed:
            self.user = None

    def _read(self) -> None:
        import requests  # here, not at import: loading a scenario must stay cheap

        seen = 0
        with requests.Session() as session:
            while not self.done.is_set():
                with self.changed:
                    self.changed.wait_for(lambda: self.user is not None or self.done.is_set())
                    if self.done.is_set():
                        return
                    user, generation = self.user, self.generation
                    if generation != seen:
                        seen = generation
                        self.started += 1
                        self.changed.notify_all()
                # A reader's failure is not what this probe measures.
                with contextlib.suppress(requests.RequestException):
                    session.get(f"{self.url}/profiles/{user}", timeout=self.timeout_s)


def _json(response: requests.Response, what: str) -> dict[str, Any]:
    if response.status_code != 200:
        raise NotHealthy(
            f"The profile service answered {response.status_code} to {what}: {response.text[:200]}",
            hint="is it up? `chaoslab status`, `chaoslab logs profile`.",
        )
    return response.json()


class StaleReadsProbe(Probe):
    """Update-then-read-back cycles against ``service``, with concurrent readers of the same profile.

    Each cycle reads the profile (so it is cached), lets the readers loose on it,
    writes a new name and reads the profile back: a read-back older than the
    version the write answered is stale. Only the probe's own users are touched
    (``first_user`` on, above the load's population), one writer each, and each is
    cached before its readers start: correct cache-aside code gives exactly 0.
    """

    kind: Literal["stale_reads"] = "stale_reads"
    service: str = "profile"
    updates: int = Field(default=200, gt=0, le=5000)
    readers: int = Field(default=2, ge=0, le=16)
    first_user: int = Field(default=9001, gt=0)
    users: int = Field(default=50, gt=0)
    output: Literal["stale_fraction", "database_fresh_fraction"] = "stale_fraction"
    timeout_s: float = Field(default=10.0, gt=0)

    def measure(self, lab: LabAccess) -> Value:
        with postgres(lab.admin_dsn, what="the stale_reads probe's version lookups") as db:

            def stored_version(user: int) -> int | None:
                row = db.execute("SELECT version FROM users WHERE id = %s", (user,)).fetchone()
                return row[0] if row else None

            tally = self.cycles(lab.service_url(self.service), stored_version)
        counted = tally.database_fresh if self.output == "database_fresh_fraction" else tally.stale
        return counted / tally.updates

    def cycles(self, url: str, stored_version: Callable[[int], int | None]) -> Tally:
        """Run ``updates`` cycles; count stale read-backs, and updates the database holds."""
        import requests

        tally = Tally()
        token = secrets.token_hex(3)
        with Readers(url, self.readers, self.timeout_s) as readers, requests.Session() as session:
            for n in range(self.updates):
                user = self.first_user + n % self.users
                profile_url = f"{url}/profiles/{user}"
                _json(session.get(profile_url, timeout=self.timeout_s), f"GET /profiles/{user}")
                readers.follow(user)
                written = _json(
                    session.put(profile_url, json={"name": f"Probe {token}-{n}"}, timeout=self.timeout_s),
                    f"PUT /profiles/{user}",
                )
                readers.rest()
                read = _json(session.get(profile_url, timeout=self.timeout_s), f"GET /profiles/{user}")
                stored = stored_version(user)
                tally.updates += 1
                tally.stale += read["version"] < written["version"]
                tally.database_fresh += stored is not None and stored >= written["version"]
        return tally
