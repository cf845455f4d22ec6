"""The checkout service behind the shop, on the real servers: orders placed once, and nothing acknowledged
that is not committed, whether the checkout is unreachable or dies in the middle of an order."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
import requests

from chaoslab.faults.toxic import ToxicFault
from chaoslab.running_lab import LiveLab
from chaoslab.waiting import wait_until
from tests.conftest import running_lab

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def live() -> Iterator[LiveLab]:
    with running_lab("checkout-crashloop") as lab:
        yield lab


def fill_cart(live: LiveLab, user: int, product: int = 7, qty: int = 2) -> None:
    answer = requests.post(
        f"{live.service_url('shop')}/cart/{user}", json={"product_id": product, "qty": qty}, timeout=10
    )
    assert answer.status_code == 200, answer.text


def checkout(live: LiveLab, user: int, key: str) -> requests.Response:
    return requests.post(
        f"{live.service_url('shop')}/checkout/{user}", headers={"Idempotency-Key": key}, timeout=15
    )


def orders_with_key(live: LiveLab, key: str) -> list[tuple]:
    with psycopg.connect(live.admin_dsn, autocommit=True) as conn:
        return conn.execute("SELECT id, total FROM orders WHERE idempotency_key = %s", (key,)).fetchall()


def cart_lines(live: LiveLab, user: int) -> int:
    with psycopg.connect(live.admin_dsn, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM carts WHERE user_id = %s", (user,)).fetchone()
    assert row is not None
    return row[0]


def test_the_checkout_service_places_the_order_once_per_key(live: LiveLab) -> None:
    fill_cart(live, 700_001)
    placed = checkout(live, 700_001, "key-once")
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert orders_with_key(live, "key-once") == [(order["order_id"], Decimal(str(order["total"])))]
    assert cart_lines(live, 700_001) == 0
    # A retry of the same checkout finds its order instead of placing (and charging) another.
    again = checkout(live, 700_001, "key-once")
    assert again.status_code == 201 and again.json()["order_id"] == order["order_id"]
    assert again.json()["replayed"] is True
    assert len(orders_with_key(live, "key-once")) == 1


def test_unreachable_checkout_is_a_503_and_acknowledges_nothing(live: LiveLab) -> None:
    fill_cart(live, 700_002)
    # Connections to the checkout are reset before the request reaches it.
    toxic = ToxicFault(link="shop-checkout", type="reset_peer", stream="upstream", attributes={"timeout": 0})
    memento = toxic.inject(live)
    try:
        refused = checkout(live, 700_002, "key-unreachable")
    finally:
        toxic.revert(live, memento)
    assert refused.status_code == 503
    assert refused.json()["error"] == "checkout service unavailable"
    assert orders_with_key(live, "key-unreachable") == [] and cart_lines(live, 700_002) == 1
    # The shopper's retry with the same key places it, once.
    assert checkout(live, 700_002, "key-unreachable").status_code == 201
    assert len(orders_with_key(live, "key-unreachable")) == 1


def test_an_answer_lost_after_the_commit_is_a_503_and_the_retry_finds_that_order(live: LiveLab) -> None:
    fill_cart(live, 700_004)
    # The request gets through; the connection is reset on the way back.
    toxic = ToxicFault(
        link="shop-checkout", type="reset_peer", stream="downstream", attributes={"timeout": 0}
    )
    memento = toxic.inject(live)
    try:
        lost = checkout(live, 700_004, "key-lost-answer")
    finally:
        toxic.revert(live, memento)
    # Not acknowledged, though placed: the shop cannot know, so it must not say 201.
    assert lost.status_code == 503
    placed = orders_with_key(live, "key-lost-answer")
    assert len(placed) == 1
    retried = checkout(live, 700_004, "key-lost-answer")
    assert retried.status_code == 201 and retried.json()["order_id"] == placed[0][0]
    assert orders_with_key(live, "key-lost-answer") == placed


def test_a_checkout_killed_mid_order_is_a_503_and_its_order_is_not_acknowledged(live: LiveLab) -> None:
    fill_cart(live, 700_003)
    before = live.runtime.status()["checkout"]
    assert before.pid is not None
    # The order's statements now take 0.5 s each way: the kill lands inside its transaction.
    slow_db = ToxicFault(link="checkout-postgres", type="latency", attributes={"latency": 500})
    memento = slow_db.inject(live)
    answers: list[requests.Response] = []
    try:
        ordering = threading.Thread(target=lambda: answers.append(checkout(live, 700_003, "key-killed")))
        ordering.start()
        wait_until(lambda: _in_transaction(live), 10, "the order's transaction to begin")
        os.killpg(before.pid, signal.SIGKILL)
        ordering.join(timeout=20)
    finally:
        slow_db.revert(live, memento)
    assert answers and answers[0].status_code == 503, answers
    assert orders_with_key(live, "key-killed") == [] and cart_lines(live, 700_003) == 1
    wait_until(lambda: live.runtime.status()["checkout"].restarts > before.restarts, 30, "the restart")
    wait_until(lambda: live.runtime.status()["checkout"].state == "healthy", 30, "checkout healthy again")
    status = live.runtime.status()["checkout"]
    assert status.restarts == before.restarts + 1 and status.last_exit_code == 137
    placed = checkout(live, 700_003, "key-killed")
    assert placed.status_code == 201, placed.text
    assert len(orders_with_key(live, "key-killed")) == 1


def _in_transaction(live: LiveLab) -> bool:
    with psycopg.connect(live.admin_dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'checkout' "
            "AND state IN ('active', 'idle in transaction')"
        ).fetchone()
    return row is not None and row[0] > 0
