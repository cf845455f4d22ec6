-- Deterministic catalog: the same :seed and :rows always produce identical rows.
--   psql -v ON_ERROR_STOP=1 -v seed=1 -v rows=1000000 -f schema.sql -f seed.sql
-- ~1000 categories (20 departments x 50, e.g. electronics-0042) of ~rows/1000 products each,
-- with ~200-byte rows so that a Seq Scan over 1M of them costs hundreds of ms.
\if :{?seed}
\else
  \set seed 1
\endif
\if :{?rows}
\else
  \set rows 1000000
\endif

-- setseed() takes [-1, 1]: fold any integer seed into that range exactly (no float rounding).
SELECT setseed((((:seed::bigint % 2000000) + 2000000) % 2000000) / 1000000.0 - 1) \g /dev/null

-- random() is volatile, so the subquery is not flattened: each call runs once per row, in
-- a fixed order, which is what makes the output a pure function of the seed.
INSERT INTO products (id, sku, name, category, price, stock, description)
SELECT i,
       'SKU-' || lpad(i::text, 8, '0'),
       initcap(adjective) || ' ' || initcap(noun) || ' ' || model,
       department || '-' || lpad(category_no::text, 4, '0'),
       price,
       stock,
       format('%s %s %s for %s, with %s. %s-month warranty.',
              initcap(quality), adjective, noun, purpose, feature, warranty)
FROM (
    SELECT i,
           (ARRAY['electronics', 'books', 'clothing', 'home', 'garden', 'toys', 'sports',
                  'beauty', 'grocery', 'automotive', 'music', 'movies', 'office', 'pets',
                  'health', 'jewelry', 'shoes', 'tools', 'baby', 'outdoors'])
               [1 + floor(random() * 20)::int] AS department,
           1 + floor(random() * 50)::int AS category_no,
           (ARRAY['compact', 'classic', 'deluxe', 'portable', 'wireless', 'vintage', 'smart',
                  'heavy-duty', 'ergonomic', 'organic', 'modular', 'premium', 'foldable',
                  'waterproof', 'lightweight', 'handmade'])[1 + floor(random() * 16)::int]
               AS adjective,
           (ARRAY['lamp', 'backpack', 'speaker', 'kettle', 'notebook', 'jacket', 'blender',
                  'drill', 'headset', 'planter', 'puzzle', 'racket', 'wallet', 'monitor',
                  'tent', 'stroller'])[1 + floor(random() * 16)::int] AS noun,
           (100 + floor(random() * 900)::int)::text AS model,
           round((1 + random() * 499)::numeric, 2) AS price,
           floor(random() * 500)::int AS stock,
           (ARRAY['durable', 'elegant', 'reliable', 'affordable', 'versatile', 'sturdy'])
               [1 + floor(random() * 6)::int] AS quality,
           (ARRAY['everyday use', 'travel', 'the office', 'outdoor adventures', 'small spaces',
                  'professionals', 'gifting', 'the whole family'])[1 + floor(random() * 8)::int]
               AS purpose,
           (ARRAY['a recycled-fabric finish', 'a two-year battery', 'stainless steel parts',
                  'a soft-touch grip', 'reinforced seams', 'a matte ceramic coat',
                  'quick-release clips', 'an adjustable strap'])[1 + floor(random() * 8)::int]
               AS feature,
           (ARRAY[6, 12, 24, 36])[1 + floor(random() * 4)::int] AS warranty
    FROM generate_series(1, :rows) AS i
) AS generated;

ANALYZE products;
