"""Locust load for checkout-crashloop: shoppers who buy, and one wholesale customer now and then."""

import itertools
import os
import random
import secrets

from locust import HttpUser, constant, task

# Imported for its listeners: the load ends by itself (its request cap, the session's end).
from chaoslab.load import bounds  # noqa: F401
from chaoslab.load.pace import paced
from chaoslab.load.seeded import SEED, SeededUser

PRODUCT_ROWS = int(os.environ.get("CHAOSLAB_PRODUCT_ROWS", "1000000"))
# Seconds between the wholesale customer's checkouts.
WHOLESALE_EVERY_S = float(os.environ.get("CHAOSLAB_WHOLESALE_EVERY_S", "12"))
# Wholesale customers have ids of their own, far from the shoppers' (1, 2, …) and the probes' (900001+).
FIRST_WHOLESALE_USER = 500_001


class Shopper(SeededUser):
    """A shopper's visit: look around, put one or two things in the cart, check out."""

    wait_time = paced(0.5, 1.5)

    @task
    def visit(self) -> None:
        """One visit, ending at the checkout."""
        self.client.get("/products", name="/products")
        for _ in range(self.rng.randint(1, 2)):
            product_id = self.rng.randint(1, PRODUCT_ROWS)
            self.client.get(
                f"/products/{product_id}", name="/products/[id]", headers={"X-User-Id": str(self.user_id)}
            )
            item = {"product_id": product_id, "qty": self.rng.randint(1, 3)}
            self.client.post(f"/cart/{self.user_id}", json=item, name="/cart/[user]")
        # One more look around that does not end in the cart.
        self.client.get(
            f"/products/{self.rng.randint(1, PRODUCT_ROWS)}",
            name="/products/[id]",
            headers={"X-User-Id": str(self.user_id)},
        )
        self.client.get(f"/cart/{self.user_id}", name="/cart/[user]")
        key = f"{self.user_id}-{self.rng.getrandbits(64):016x}"
        with self.client.post(
            f"/checkout/{self.user_id}",
            headers={"Idempotency-Key": key},
            name="/checkout/[user]",
            catch_response=True,
        ) as response:
            if response.status_code == 409:  # an empty cart (a lost race with its own last order)
                response.success()


class WholesaleBuyer(HttpUser):
    """A business buying by the case: one line of 100 units or more, checked out until it goes through."""

    fixed_count = 1
    wait_time = constant(WHOLESALE_EVERY_S)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rng = random.Random(SEED * 1000 + 999)
        self.customers = itertools.count(FIRST_WHOLESALE_USER)
        self.user_id = next(self.customers)
        self.key: str | None = None  # the order being placed: the same key until it is answered

    @task
    def order_by_the_case(self) -> None:
        """Fill a cart with a case-sized line (once per order), then check it out."""
        if self.key is None:
            item = {"product_id": self.rng.randint(1, PRODUCT_ROWS), "qty": self.rng.randint(100, 144)}
            self.client.post(f"/cart/{self.user_id}", json=item, name="/cart/[user]")
            self.key = f"wholesale-{self.user_id}-{secrets.token_hex(8)}"
        with self.client.post(
            f"/checkout/{self.user_id}",
            headers={"Idempotency-Key": self.key},
            name="/checkout/[user]",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                self.key = None
            elif 400 <= response.status_code < 500:
                # Refused for good: this customer gives up; the next one starts a new cart.
                response.success()
                self.key, self.user_id = None, next(self.customers)
