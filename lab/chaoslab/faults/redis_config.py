"""Redis config fault: change the lab's Redis settings at run time (CONFIG SET), e.g. a small maxmemory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from chaoslab.calls import redis_client
from chaoslab.errors import UsageError
from chaoslab.faults.base import Fault
from chaoslab.lab_access import LabAccess

if TYPE_CHECKING:
    import redis


class RedisConfigFault(Fault):
    """CONFIG SET each parameter on the lab's Redis; revert puts the previous values back."""

    kind: Literal["redis_config"] = "redis_config"
    set: dict[str, str] = Field(min_length=1)

    def describe(self) -> str:
        return "redis: CONFIG SET " + ", ".join(f"{k} {v}" for k, v in self.set.items())

    def inject(self, lab: LabAccess) -> dict[str, Any]:
        with redis_client(lab.redis_url, what="CONFIG GET/SET", decode_responses=True) as client:
            previous = {name: client.config_get(name).get(name) for name in self.set}
            unknown = [name for name, value in previous.items() if value is None]
            if unknown:
                raise UsageError(
                    f"Redis has no configuration parameter {', '.join(map(repr, unknown))}.",
                    hint="see `chaoslab redis-cli CONFIG GET '*'` for the parameter names.",
                )
            self._apply(client, self.set)
        return {"previous": previous}

    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        with redis_client(lab.redis_url, what="CONFIG SET", decode_responses=True) as client:
            self._apply(client, memento["previous"])

    @staticmethod
    def _apply(client: redis.Redis, values: dict[str, str]) -> None:
        import redis

        try:
            for name, value in values.items():
                client.config_set(name, value)
        except redis.ResponseError as exc:
            raise UsageError(
                f"Redis refused the configuration {values}: {exc}.",
                hint="check the values against `chaoslab redis-cli CONFIG GET <parameter>`.",
            ) from None
        # A timeout or a lost connection passes on to `redis_client`, which names it.
