"""The shop: an e-commerce JSON API on PostgreSQL (pooled) and Redis, run by gunicorn."""

import logging
import os
import secrets
from decimal import Decimal

import flask
import psycopg
import redis
import requests
from opentelemetry import trace
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.metrics import NoOpMeterProvider
from psycopg.rows import dict_row

from services.common.app_base import create_app
from services.common.database import Database, handle_database_errors
from services.common.flags import flag_enabled

POOL_SIZE = int(os.environ.get("SHOP_DB_POOL_SIZE", "10"))
POOL_TIMEOUT = float(os.environ.get("SHOP_DB_POOL_TIMEOUT", "2.0"))
STATEMENT_TIMEOUT_MS = int(os.environ.get("SHOP_STATEMENT_TIMEOUT_MS", "30000"))
READINESS_TIMEOUT = 1.0
RECENTLY_VIEWED_LENGTH = 10
# Set when the lab runs the recommender: the shop then serves its recommendations.
RECOMMENDER_URL = os.environ.get("CHAOSLAB_RECOMMENDER_URL", "")
RECOMMENDER_TIMEOUT = 2.0
# Set when the lab runs the checkout service: orders are then placed there, not here.
CHECKOUT_URL = os.environ.get("CHAOSLAB_CHECKOUT_URL", "")
# (connect, read): a checkout that does not answer within these is unavailable to the shopper.
CHECKOUT_TIMEOUT = (1.0, float(os.environ.get("SHOP_CHECKOUT_TIMEOUT_S", "5")))

FEATURED_SQL = "SELECT id, sku, name, category, price FROM products ORDER BY id DESC LIMIT 20"
CATEGORY_SQL = (
    "SELECT id, sku, name, category, price FROM products WHERE category = %s ORDER BY price DESC LIMIT 20"
)
CATEGORY_COUNT_SQL = "SELECT count(*) AS total FROM products WHERE category = %s"

log = logging.getLogger("shop")
# First: it sets the semconv opt-in the instrumentors read.
app, meter = create_app(__name__, "shop")
PsycopgInstrumentor().instrument()
tracer = trace.get_tracer("shop")

# ClientCursor binds parameters client-side so that pg_stat_activity shows the category
# literal an incident responder needs to see.
database = Database(
    "shop",
    size=POOL_SIZE,
    timeout=POOL_TIMEOUT,
    cursor_factory=psycopg.ClientCursor,
    row_factory=dict_row,
    options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
)
# The shop's pool is watched: db-pool-exhaustion's recording rules and alert read its metrics,
# and the wait for a connection is a span of its own in the traces.
database.observe(meter, tracer)
handle_database_errors(app, log)
cache = redis.Redis.from_url(
    os.environ.get("CHAOSLAB_REDIS_URL", "redis://127.0.0.1:6379/0"),
    socket_timeout=1.0,
    socket_connect_timeout=1.0,
)


def _viewer_id() -> int:
    viewer = flask.request.args.get("user", type=int)
    return flask.request.headers.get("X-User-Id", 0, type=int) if viewer is None else viewer


@app.get("/readyz")
def readyz() -> tuple[dict, int]:
    """Readiness: PostgreSQL (through the pool) and Redis both answer."""
    failed = {}
    with suppress_instrumentation():  # probes are not traffic: keep them out of the traces
        try:
            with database.connection(timeout=READINESS_TIMEOUT) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as err:
            failed["database"] = f"{type(err).__name__}: {err}"
        try:
            cache.ping()
        except redis.RedisError as err:
            failed["redis"] = f"{type(err).__name__}: {err}"
    if failed:
        return {"status": "unavailable", "failed": failed}, 503
    return {"status": "ready"}, 200


@app.get("/products")
def list_products() -> dict:
    """Featured products, or one category's when the browse-by-category flag is on."""
    category = flask.request.args.get("category")
    browse = category is not None and flag_enabled("browse-by-category")
    with database.connection() as conn:
        if browse:
            rows = conn.execute(CATEGORY_SQL, (category,)).fetchall()
            # The page shows "N products in this category": a second filter on category.
            total = conn.execute(CATEGORY_COUNT_SQL, (category,)).fetchone()
            return {
                "products": rows,
                "category": category,
                "total": total["total"] if total else 0,
                "feature": "on",
            }
        rows = conn.execute(FEATURED_SQL).fetchall()
    return {"products": rows} if category is None else {"products": rows, "feature": "off"}


@app.get("/products/<int:product_id>")
def get_product(product_id: int) -> tuple[dict, int]:
    """One product; also remembered in the viewer's recently-viewed list in Redis."""
    with database.connection() as conn:
        product = conn.execute(
            "SELECT id, sku, name, category, price, stock, description FROM products WHERE id = %s",
            (product_id,),
        ).fetchone()
    if product is None:
        return {"error": "no such product", "id": product_id}, 404
    key = f"recently_viewed:{_viewer_id()}"
    try:
        cache.pipeline(transaction=False).lpush(key, product_id).ltrim(
            key, 0, RECENTLY_VIEWED_LENGTH - 1
        ).execute()
    except redis.RedisError as err:
        # A recommendation nicety must not fail the product page.
        log.warning("recently-viewed update failed", extra={"detail": str(err)})
    return product, 200


@app.get("/cart/<int:user_id>")
def get_cart(user_id: int) -> dict:
    """The user's cart lines with product name and price."""
    with database.connection() as conn:
        items = conn.execute(
            "SELECT c.product_id, p.name, p.price, c.qty FROM carts c "
            "JOIN products p ON p.id = c.product_id WHERE c.user_id = %s ORDER BY c.product_id",
            (user_id,),
        ).fetchall()
    return {"user_id": user_id, "items": items}


@app.post("/cart/<int:user_id>")
def add_to_cart(user_id: int) -> tuple[dict, int]:
    """Add `qty` of `product_id` to the cart (adding to any quantity already there)."""
    body = flask.request.get_json(silent=True) or {}
    product_id, qty = body.get("product_id"), body.get("qty", 1)
    if not isinstance(product_id, int) or not isinstance(qty, int) or qty < 1:
        return {"error": "expected JSON {product_id: int, qty: int >= 1}"}, 400
    try:
        with database.connection() as conn:
            row = conn.execute(
                "INSERT INTO carts (user_id, product_id, qty) VALUES (%s, %s, %s) "
                "ON CONFLICT (user_id, product_id) DO UPDATE SET qty = carts.qty + EXCLUDED.qty "
                "RETURNING qty",
                (user_id, product_id, qty),
            ).fetchone()
    except psycopg.errors.ForeignKeyViolation:
        return {"error": "no such product", "id": product_id}, 404
    return {"user_id": user_id, "product_id": product_id, "qty": row["qty"]}, 200


if RECOMMENDER_URL or CHECKOUT_URL:
    # Only in labs with a service behind the shop: every other lab's shop stays exactly as it was.
    RequestsInstrumentor().instrument(meter_provider=NoOpMeterProvider())

if RECOMMENDER_URL:
    recommender = requests.Session()

    def ask_recommender(method: str, path: str, **kwargs: object) -> tuple[dict, int]:
        """The recommender's answer, or a 503 naming why it gave none."""
        try:
            answer = recommender.request(
                method, f"{RECOMMENDER_URL}{path}", timeout=RECOMMENDER_TIMEOUT, **kwargs
            )
            return answer.json(), answer.status_code
        except (requests.RequestException, ValueError) as err:
            log.error("recommender unavailable", extra={"detail": f"{type(err).__name__}: {err}"})
            return {"error": "recommender unavailable", "detail": type(err).__name__}, 503

    @app.get("/recommendations/<int:user_id>")
    def get_recommendations(user_id: int) -> tuple[dict, int]:
        """Products recommended for the user, from the recommender service."""
        return ask_recommender("GET", f"/recommendations/{user_id}", params=flask.request.args)

    @app.post("/recommendations/<int:user_id>/clicks")
    def report_clicks(user_id: int) -> tuple[dict, int]:
        """Pass the recommended products the user clicked on to the recommender."""
        return ask_recommender(
            "POST", f"/recommendations/{user_id}/clicks", json=flask.request.get_json(silent=True)
        )


def place_order_with_checkout_service(user_id: int) -> tuple[dict, int]:
    """Ask the checkout service to place the order: 201 only for an order it committed, else 503."""
    # The shopper's key makes a retry find its order; without one, each attempt is a new order.
    key = flask.request.headers.get("Idempotency-Key") or secrets.token_hex(16)
    try:
        answer = requests.post(
            f"{CHECKOUT_URL}/orders",
            json={"user_id": user_id, "idempotency_key": key},
            timeout=CHECKOUT_TIMEOUT,
        )
        body = answer.json()
    except (requests.RequestException, ValueError) as err:
        # Refused, reset or timed out: the order may or may not exist, so nothing is acknowledged.
        log.error(
            "checkout service unavailable",
            extra={"user_id": user_id, "idempotency_key": key, "error_type": type(err).__name__},
        )
        return {"error": "checkout service unavailable", "idempotency_key": key}, 503
    if answer.status_code >= 500:
        log.error("checkout service failed", extra={"user_id": user_id, "status": answer.status_code})
        return {"error": "checkout service failed", "idempotency_key": key, "detail": body}, 503
    return body, answer.status_code


@app.post("/checkout/<int:user_id>")
def checkout(user_id: int) -> tuple[dict, int]:
    """Turn the cart into an order, all in one transaction."""
    if CHECKOUT_URL:
        return place_order_with_checkout_service(user_id)
    # One transaction: the pooled connection commits when the block ends, rolls back on error.
    with database.connection() as conn:
        lines = conn.execute(
            "SELECT c.product_id, c.qty, p.price FROM carts c "
            "JOIN products p ON p.id = c.product_id WHERE c.user_id = %s FOR UPDATE OF c",
            (user_id,),
        ).fetchall()
        if not lines:
            return {"error": "cart is empty", "user_id": user_id}, 409
        total = sum((line["qty"] * line["price"] for line in lines), Decimal(0))
        order_id = conn.execute(
            "INSERT INTO orders (user_id, total) VALUES (%s, %s) RETURNING id", (user_id, total)
        ).fetchone()["id"]
        conn.cursor().executemany(
            "INSERT INTO order_items (order_id, product_id, qty, price) VALUES (%s, %s, %s, %s)",
            [(order_id, line["product_id"], line["qty"], line["price"]) for line in lines],
        )
        conn.execute("DELETE FROM carts WHERE user_id = %s", (user_id,))
    return {"order_id": order_id, "total": total}, 201
