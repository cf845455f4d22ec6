"""Acknowledged-orders probe: real orders through the shop, then the database asked whether it holds them."""

from __future__ import annotations

import secrets
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from chaoslab.calls import postgres
from chaoslab.errors import NotHealthy
from chaoslab.lab_access import LabAccess
from chaoslab.probes.base import Probe, Value

if TYPE_CHECKING:
    import requests

# Products 1-1000 exist in every lab (the smallest catalog has 1000).
CATALOG_FLOOR = 1000


class AcknowledgedOrdersProbe(Probe):
    """Place ``orders`` orders as a careful shopper would, then look for every acknowledged one.

    Each shopper (users ``first_user`` on, which the load never uses) fills a known cart and
    checks out with an Idempotency-Key, retrying an unanswered or 5xx checkout with the same
    key. ``lost``: orders answered 201 that the database does not hold with that id and total;
    ``acknowledged``: the share of checkouts that got their 201 in the end.
    """

    kind: Literal["acknowledged_orders"] = "acknowledged_orders"
    service: str = "shop"
    orders: int = Field(default=20, gt=0, le=500)
    first_user: int = Field(default=900_001, gt=0)
    retries: int = Field(default=6, ge=0)
    retry_pause_s: float = Field(default=0.5, ge=0)
    timeout_s: float = 10.0
    output: Literal["lost", "acknowledged"] = "lost"

    def measure(self, lab: LabAccess) -> Value:
        import requests  # here, not at import: loading a scenario must stay cheap

        users = list(range(self.first_user, self.first_user + self.orders))
        with postgres(lab.admin_dsn, what="emptying the probe's carts") as conn:
            conn.execute("DELETE FROM carts WHERE user_id = ANY(%s)", (users,))
        shop = lab.service_url(self.service)
        acknowledged: dict[int, Decimal] = {}
        with requests.Session() as session:
            for user in users:
                product = user % CATALOG_FLOOR + 1
                filled = session.post(
                    f"{shop}/cart/{user}", json={"product_id": product, "qty": 2}, timeout=self.timeout_s
                )
                if filled.status_code != 200:
                    raise NotHealthy(
                        f"The shop refused to fill probe cart {user}: "
                        f"{filled.status_code} {filled.text[:200]}.",
                        hint="the shop's cart must work for this probe: `chaoslab logs shop`.",
                    )
                order = self._checkout(
                    session, f"{shop}/checkout/{user}", f"probe-{user}-{secrets.token_hex(8)}"
                )
                if order is not None:
                    acknowledged[int(order["order_id"])] = Decimal(str(order["total"]))
        if self.output == "acknowledged":
            return len(acknowledged) / self.orders
        with postgres(lab.admin_dsn, what="looking up the acknowledged orders") as conn:
            rows = conn.execute(
                "SELECT id, total FROM orders WHERE id = ANY(%s)", (list(acknowledged),)
            ).fetchall()
        held: dict[int, Decimal] = {row[0]: row[1] for row in rows}
        return float(
            len([order_id for order_id, total in acknowledged.items() if held.get(order_id) != total])
        )

    def _checkout(self, session: requests.Session, url: str, key: str) -> dict | None:
        """The order a checkout acknowledged (201), retried on 5xx or no answer; None if never."""
        import requests

        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.retry_pause_s)  # a shopper's pause before pressing "buy" again
            try:
                answer = session.post(url, headers={"Idempotency-Key": key}, timeout=self.timeout_s)
            except requests.RequestException:
                continue
            if answer.status_code == 201:
                return answer.json()
            if answer.status_code < 500:
                return None
        return None
