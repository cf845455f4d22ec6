-- Deterministic users: the same :seed always produces identical rows.
--   psql -v ON_ERROR_STOP=1 -v seed=1 -f schema.sql -f seed.sql
-- The count must match SEEDED_USERS in users.py (a test checks it).
\if :{?seed}
\else
  \set seed 1
\endif
\set users 10000

-- Its own setseed: the rows do not depend on what other seed files drew before.
SELECT setseed((((:seed::bigint % 2000000) + 2000000) % 2000000) / 1000000.0 - 1) \g /dev/null

-- random() is volatile, so the subquery is not flattened: one draw per row, in a fixed order.
INSERT INTO users (id, name, avatar_url, password_hash, updated_at, version)
SELECT i,
       first_name || ' ' || last_name,
       format('https://avatars.example.test/%s/%s.png', i, substr(md5(i::text || salt), 1, 12)),
       format('pbkdf2_sha256$20000$%s$%s', salt, md5(salt || i::text)),
       timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => floor(random() * 5184000)),
       1
FROM (
    SELECT i,
           (ARRAY['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken',
                  'Radia', 'Edsger', 'Frances', 'Donald', 'Katherine', 'John', 'Hedy', 'Tim'])
               [1 + floor(random() * 16)::int] AS first_name,
           (ARRAY['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov',
                  'Thompson', 'Perlman', 'Dijkstra', 'Allen', 'Knuth', 'Johnson', 'McCarthy',
                  'Lamarr', 'Berners-Lee'])[1 + floor(random() * 16)::int] AS last_name,
           md5(random()::text) AS salt
    FROM generate_series(1, :users) AS i
) AS generated;

ANALYZE users;
