-- Shop schema. products.category is deliberately NOT indexed: the "browse by category"
-- feature filters on it, and that missing index is the incident this service reproduces.
CREATE TABLE products (
    id          bigint PRIMARY KEY,
    sku         text NOT NULL UNIQUE,
    name        text NOT NULL,
    category    text NOT NULL,
    price       numeric(10,2) NOT NULL,
    stock       int NOT NULL,
    description text NOT NULL
);

CREATE TABLE carts (
    user_id    bigint,
    product_id bigint REFERENCES products,
    qty        int,
    PRIMARY KEY (user_id, product_id)
);

CREATE TABLE orders (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL,
    total      numeric(12,2) NOT NULL,
    created_at timestamptz DEFAULT now(),
    -- Set by the checkout service: a retried checkout finds its order instead of placing another.
    idempotency_key text UNIQUE
);

CREATE TABLE order_items (
    order_id   bigint REFERENCES orders,
    product_id bigint,
    qty        int,
    price      numeric(10,2)
);
