-- SPDX-License-Identifier: MIT
-- Setup for the pgbench baselines (bench/pgbench/*.sql), run once by the harness after the data
-- is loaded and before any load loop:
--     psql -v ON_ERROR_STOP=1 -X -q -f bench/pgbench/setup.sql
-- then `SELECT count(*) FROM bench_ids` is passed to every script as `-D ids=N`.
-- Idempotent: a rerun rebuilds the table (after a reseed the ids are new).
--
-- bench_ids numbers the live guests 1..N, so that a script can draw a random existing uuid with
-- `\set n random(1, :ids)` (pgbench has no arrays). It is not part of guestd's schema and is
-- dropped with the scratch cluster.
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_ids;
CREATE TABLE bench_ids (n int PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_ids (n, id)
    SELECT row_number() OVER (ORDER BY id), id FROM guest WHERE deleted_at IS NULL;
VACUUM ANALYZE bench_ids;

-- The writes of guestd store each POST's answer under the API key that sent it
-- (idempotency_key.api_key_id references api_key); the insert scripts file theirs under this key,
-- which cannot authenticate anyone (its digest is of no secret anybody holds: 32 zero bytes).
INSERT INTO api_key (name, role, prefix, digest)
    VALUES ('bench-pgbench', 'frontdesk', '000000000000', decode(repeat('00', 32), 'hex'))
    ON CONFLICT (prefix) DO NOTHING;
