"""The redis_config fault on a real Redis: CONFIG SET on inject, the previous values back on revert."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from chaoslab.errors import UsageError
from chaoslab.faults.redis_config import RedisConfigFault
from chaoslab.scenarios import load_scenario
from tests.real_redis import running_redis

pytestmark = pytest.mark.integration


class RedisLab:
    """The part of a lab this fault touches: its Redis."""

    def __init__(self, port: int):
        self.redis_url = f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[RedisLab, redis.Redis]]:
    from tests.conftest import free_port_base

    port = free_port_base()
    with running_redis(port, tmp_path) as client:
        yield RedisLab(port), client


def test_inject_sets_the_values_and_revert_restores_the_previous_ones(lab) -> None:
    access, client = lab
    fault = RedisConfigFault(set={"maxmemory-policy": "volatile-lru", "maxmemory": "16mb"})

    memento = fault.inject(access)  # type: ignore[arg-type]
    assert client.config_get("maxmemory")["maxmemory"] == str(16 * 1024 * 1024)
    assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "volatile-lru"
    assert memento == {"previous": {"maxmemory-policy": "noeviction", "maxmemory": "0"}}

    fault.revert(access, memento)  # type: ignore[arg-type]
    assert client.config_get("maxmemory")["maxmemory"] == "0"
    assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
    assert fault.describe() == "redis: CONFIG SET maxmemory-policy volatile-lru, maxmemory 16mb"


def test_an_unknown_parameter_or_a_bad_value_is_refused_with_a_hint(lab) -> None:
    access, client = lab
    with pytest.raises(UsageError, match="no configuration parameter 'maxmemroy'") as unknown:
        RedisConfigFault(set={"maxmemroy": "16mb"}).inject(access)  # type: ignore[arg-type]
    assert "CONFIG GET" in (unknown.value.hint or "")
    with pytest.raises(UsageError, match="refused"):
        RedisConfigFault(set={"maxmemory-policy": "sometimes"}).inject(access)  # type: ignore[arg-type]
    assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"


def test_the_scenario_file_validates_the_fault_kind() -> None:
    variant = load_scenario("recommender-degradation").variant(1)
    assert variant.id == "feature-store-eviction"
    assert [f.kind for f in variant.faults] == ["redis_config"]
