"""Locust load for the shop: a seeded, weighted mix of browsing, carts and checkouts."""

import os

from locust import task

from chaoslab.load import bounds  # noqa: F401  (its listeners end the load by itself)
from chaoslab.load.pace import paced
from chaoslab.load.seeded import SeededUser
from services.shop.catalog import category_names

PRODUCT_ROWS = int(os.environ.get("CHAOSLAB_PRODUCT_ROWS", "1000000"))
CATEGORIES = category_names()


class ShopUser(SeededUser):
    """A shopper; its own RNG makes its request sequence a function of the seed alone."""

    wait_time = paced(0.2, 0.6)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Locust picks @task methods with the global `random`; drawing from our own RNG
        # instead is what keeps each user's mix reproducible.
        self.actions = {
            self.featured: 3,
            self.product_page: 4,
            self.browse_category: 5,
            self.add_to_cart: 2,
            self.view_cart: 2,
            self.checkout: 1,
        }

    @task
    def shop(self) -> None:
        """One weighted action."""
        action = self.rng.choices(list(self.actions), weights=list(self.actions.values()))[0]
        action()

    def featured(self) -> None:
        self.client.get("/products", name="/products")

    def product_page(self) -> None:
        product_id = self.rng.randint(1, PRODUCT_ROWS)
        self.client.get(
            f"/products/{product_id}",
            name="/products/[id]",
            headers={"X-User-Id": str(self.user_id)},
        )

    def browse_category(self) -> None:
        # Always sent: while the flag is off the shop ignores the category.
        category = self.rng.choice(CATEGORIES)
        self.client.get(f"/products?category={category}", name="/products?category=[c]")

    def add_to_cart(self) -> None:
        item = {"product_id": self.rng.randint(1, PRODUCT_ROWS), "qty": self.rng.randint(1, 3)}
        self.client.post(f"/cart/{self.user_id}", json=item, name="/cart/[user]")

    def view_cart(self) -> None:
        self.client.get(f"/cart/{self.user_id}", name="/cart/[user]")

    def checkout(self) -> None:
        with self.client.post(
            f"/checkout/{self.user_id}", name="/checkout/[user]", catch_response=True
        ) as response:
            if response.status_code == 409:  # empty cart: a normal answer, not a failure
                response.success()
