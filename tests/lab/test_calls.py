"""Calls to the lab's PostgreSQL and Redis are bounded: a hang is a named error within the timeout."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from lab.calls import CONNECT_TIMEOUT_S, PROBE_STATEMENT_TIMEOUT_S, postgres, redis_client
from lab.errors import NoAnswer
from lab.faults.redis_config import RedisConfigFault
from lab.live import LiveLab
from lab.probes.sql import SqlProbe
from tests.stub_servers import hung_server


class HungLab:
    """A lab whose PostgreSQL and Redis accept connections and never answer."""

    def __init__(self, address: str):
        self.admin_dsn = f"postgresql://lab@{address}/lab"
        self.redis_url = f"redis://{address}/0"


def test_a_hung_postgresql_fails_the_sql_probe_by_name_within_the_connect_timeout() -> None:
    with hung_server() as address:
        started = time.monotonic()
        with pytest.raises(NoAnswer) as raised:
            SqlProbe(query="SELECT 1").measure(HungLab(address))  # type: ignore[arg-type]
        waited = time.monotonic() - started
    assert CONNECT_TIMEOUT_S * 0.9 <= waited < CONNECT_TIMEOUT_S + 2, waited
    assert raised.value.message == (
        f"PostgreSQL at {address} did not accept a connection within 5 s for the sql probe's query."
    )
    assert "chaoslab logs postgres" in (raised.value.hint or "")


def test_a_hung_redis_fails_a_config_change_by_name_within_the_timeout() -> None:
    with hung_server() as address:
        started = time.monotonic()
        said = f"Redis at {address} did not answer CONFIG GET/SET within 5 s."
        with pytest.raises(NoAnswer, match=re.escape(said)):
            RedisConfigFault(set={"maxmemory": "16mb"}).inject(HungLab(address))  # type: ignore[arg-type]
        assert time.monotonic() - started < 5 + 2


def test_a_short_redis_timeout_is_honoured() -> None:
    with hung_server() as address:
        started = time.monotonic()
        with (
            pytest.raises(NoAnswer, match=r"did not answer PING within 0\.5 s"),
            redis_client(f"redis://{address}/0", what="PING", timeout_s=0.5) as client,
        ):
            client.ping()
        assert time.monotonic() - started < 2.5


@pytest.fixture(scope="module")
def live() -> Iterator[LiveLab]:
    from tests.conftest import running_lab

    with running_lab("db-pool-exhaustion") as lab:
        yield lab


@pytest.mark.integration
def test_a_statement_that_runs_past_its_timeout_is_cancelled_by_name(live: LiveLab) -> None:
    started = time.monotonic()
    with (
        pytest.raises(NoAnswer) as raised,
        postgres(live.admin_dsn, what="a test's pg_sleep", statement_timeout_s=0.5) as conn,
    ):
        conn.execute("SELECT pg_sleep(30)")
    assert time.monotonic() - started < 3
    assert raised.value.message.endswith("did not finish a test's pg_sleep within 0.5 s (statement_timeout).")
    assert "pg_stat_activity" in (raised.value.hint or "")


@pytest.mark.integration
def test_the_probes_connections_carry_the_statement_timeout(live: LiveLab) -> None:
    assert SqlProbe(query="SHOW statement_timeout").measure(live) == f"{PROBE_STATEMENT_TIMEOUT_S:g}s"
