"""Redis config fault: change the lab's Redis settings at run time (CONFIG SET), e.g. a small maxmemory."""

from __future__ import annotations

from typing import Any, Literal

import redis
from pydantic import Field

from lab.errors import EnvironmentProblem, UsageError
from lab.faults.base import Fault, LabAccess


class RedisConfigFault(Fault):
    """CONFIG SET each parameter on the lab's Redis; revert puts the previous values back."""

    kind: Literal["redis_config"] = "redis_config"
    set: dict[str, str] = Field(min_length=1)

    def describe(self) -> str:
        return "redis: CONFIG SET " + ", ".join(f"{k} {v}" for k, v in self.set.items())

    def inject(self, lab: LabAccess) -> dict[str, Any]:
        client = redis.Redis.from_url(lab.redis_url, socket_timeout=5.0, decode_responses=True)
        try:
            previous = {name: client.config_get(name).get(name) for name in self.set}
            unknown = [name for name, value in previous.items() if value is None]
            if unknown:
                raise UsageError(
                    f"Redis has no configuration parameter {', '.join(map(repr, unknown))}.",
                    hint="see `chaoslab redis-cli CONFIG GET '*'` for the parameter names.",
                )
            self._apply(client, self.set)
        finally:
            client.close()
        return {"previous": previous}

    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        client = redis.Redis.from_url(lab.redis_url, socket_timeout=5.0, decode_responses=True)
        try:
            self._apply(client, memento["previous"])
        finally:
            client.close()

    @staticmethod
    def _apply(client: redis.Redis, values: dict[str, str]) -> None:
        try:
            for name, value in values.items():
                client.config_set(name, value)
        except redis.ResponseError as exc:
            raise UsageError(
                f"Redis refused the configuration {values}: {exc}.",
                hint="check the values against `chaoslab redis-cli CONFIG GET <parameter>`.",
            ) from None
        except redis.RedisError as exc:
            raise EnvironmentProblem(
                f"Redis did not answer CONFIG SET: {exc.__class__.__name__}: {exc}.",
                hint="is the lab up? `chaoslab status`.",
            ) from None
