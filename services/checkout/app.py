"""The checkout service: turns a shopper's cart into an order in PostgreSQL, once per request key."""

import logging
import os
import secrets
import time
from decimal import Decimal

import flask
import psycopg
from opentelemetry import trace
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from psycopg.rows import dict_row
from werkzeug.exceptions import HTTPException

from services.common.app_base import create_app
from services.common.database import Database, handle_database_errors

RELEASE = "1.4.2"
POOL_SIZE = int(os.environ.get("CHECKOUT_DB_POOL_SIZE", "8"))
POOL_TIMEOUT = float(os.environ.get("CHECKOUT_DB_POOL_TIMEOUT", "2.0"))
# The payment provider's sandbox answers an authorization in about this long.
PAYMENT_LATENCY_S = float(os.environ.get("CHECKOUT_PAYMENT_LATENCY_S", "0.03"))
MAX_KEY_LENGTH = 100
# The fraud model: a fixed weight per hashed feature, and how many features each cart line has.
FRAUD_WEIGHTS = [((i * 7919) % 1000 - 500) / 100_000 for i in range(20_000)]
FRAUD_FEATURES_PER_LINE = int(os.environ.get("CHECKOUT_FRAUD_FEATURES_PER_LINE", "6000"))
FRAUD_THRESHOLD = 5.0
# os._exit status when an unforeseen error stops the worker (EX_SOFTWARE).
CRASH_EXIT_STATUS = 70

CART_SQL = (
    "SELECT c.product_id, c.qty, p.price FROM carts c JOIN products p ON p.id = c.product_id "
    "WHERE c.user_id = %s ORDER BY c.product_id FOR UPDATE OF c"
)
ORDER_BY_KEY_SQL = "SELECT id, total FROM orders WHERE idempotency_key = %s"

log = logging.getLogger("checkout")
# First: it sets the semconv opt-in the instrumentors read.
app, meter = create_app(__name__, "checkout", release=RELEASE)
PsycopgInstrumentor().instrument()
tracer = trace.get_tracer("checkout")

# Its pool's metrics and wait spans stay off (Database.observe), as they always were here: the
# chapter is about the process, and no rule reads the checkout's pool.
database = Database("checkout", size=POOL_SIZE, timeout=POOL_TIMEOUT, row_factory=dict_row)
# A database error rolled the order back, so nothing was ordered: 503, the shop may retry. The
# shop passes a failed checkout's answer on to the shopper, so it names the error and no more.
handle_database_errors(app, log, error_status=503, details=False)

orders_counter = meter.create_counter(
    "checkout.orders", unit="{order}", description="Checkout requests by outcome."
)
for outcome in ("placed", "replayed", "empty_cart", "rejected"):
    orders_counter.add(0, {"outcome": outcome})  # export 0 from the start so rate() sees the first


def line_total(qty: int, price: Decimal) -> Decimal:
    """What one cart line costs."""
    return qty * price


def fraud_score(user_id: int, lines: list[dict]) -> float:
    """The in-process fraud model's score of a checkout: hashed cart features times weights (CPU-bound)."""
    with tracer.start_as_current_span("fraud.score"):
        score = 0.0
        for line in lines:
            for feature in range(FRAUD_FEATURES_PER_LINE):
                score += FRAUD_WEIGHTS[hash((user_id, line["product_id"], feature)) % len(FRAUD_WEIGHTS)]
        return score


def authorize_payment(user_id: int, total: Decimal) -> str:
    """Ask the payment provider to authorize ``total``; returns the authorization id."""
    with tracer.start_as_current_span("payment.authorize", attributes={"payment.amount": float(total)}):
        time.sleep(PAYMENT_LATENCY_S)
    return f"auth-{user_id}-{secrets.token_hex(6)}"


@app.errorhandler(Exception)
def crash(err: Exception) -> tuple[dict, int] | HTTPException:
    """Crash-only: an error nobody foresaw leaves the worker in a state nobody reasoned about.

    Rather than keep taking payments in it, log the error and exit; the open transaction
    rolls back with the connection, and the platform restarts a clean process.
    """
    if isinstance(err, HTTPException):
        return err
    request = {"method": flask.request.method, "path": flask.request.path}
    log.critical(
        "unhandled error in checkout: exiting",
        exc_info=err,
        extra={"release": RELEASE, "request": request, "body": flask.request.get_json(silent=True)},
    )
    logging.shutdown()
    os._exit(CRASH_EXIT_STATUS)


@app.get("/readyz")
def readyz() -> tuple[dict, int]:
    """Readiness: PostgreSQL answers through the pool."""
    try:
        with database.connection(timeout=1.0) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as err:
        return {"status": "unavailable", "failed": {"database": f"{type(err).__name__}: {err}"}}, 503
    return {"status": "ready", "release": RELEASE}, 200


@app.post("/orders")
def place_order() -> tuple[dict, int]:
    """Turn the user's cart into an order; the same ``idempotency_key`` never orders twice."""
    body = flask.request.get_json(silent=True) or {}
    user_id, key = body.get("user_id"), body.get("idempotency_key")
    if not isinstance(user_id, int) or not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH:
        return {"error": f"expected JSON {{user_id: int, idempotency_key: str of 1-{MAX_KEY_LENGTH}}}"}, 400
    # One transaction: committed when the block ends, before the 201 leaves; rolled back on error.
    with database.connection() as conn:
        # The cart lock first: a retry of the same key waits here until the first attempt commits.
        lines = conn.execute(CART_SQL, (user_id,)).fetchall()
        placed = conn.execute(ORDER_BY_KEY_SQL, (key,)).fetchone()
        if placed is not None:
            orders_counter.add(1, {"outcome": "replayed"})
            return {"order_id": placed["id"], "total": placed["total"], "replayed": True}, 201
        if not lines:
            orders_counter.add(1, {"outcome": "empty_cart"})
            return {"error": "cart is empty", "user_id": user_id}, 409
        total = sum((line_total(line["qty"], line["price"]) for line in lines), Decimal(0))
        if fraud_score(user_id, lines) > FRAUD_THRESHOLD:
            orders_counter.add(1, {"outcome": "rejected"})
            return {"error": "payment declined", "user_id": user_id}, 402
        authorization = authorize_payment(user_id, total)
        order_id = conn.execute(
            "INSERT INTO orders (user_id, total, idempotency_key) VALUES (%s, %s, %s) RETURNING id",
            (user_id, total, key),
        ).fetchone()["id"]
        conn.cursor().executemany(
            "INSERT INTO order_items (order_id, product_id, qty, price) VALUES (%s, %s, %s, %s)",
            [(order_id, line["product_id"], line["qty"], line["price"]) for line in lines],
        )
        conn.execute("DELETE FROM carts WHERE user_id = %s", (user_id,))
    orders_counter.add(1, {"outcome": "placed"})
    log.info("order placed", extra={"order_id": order_id, "user_id": user_id, "authorization": authorization})
    return {"order_id": order_id, "total": total, "replayed": False}, 201
