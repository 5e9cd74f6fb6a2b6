-- SPDX-License-Identifier: MIT
-- Baseline (b2) for the write path: the rows one `POST /v1/guests/{id}/stays` (with an
-- Idempotency-Key) writes, for a random live guest, written straight by pgbench. One transaction:
--   - sets the transaction-local actor and request id (read by the audit trigger);
--   - inserts a reserved stay (check-in within the next year, 1-7 nights, a room type, channel,
--     purpose, two adults, a rate in EUR) within guestd's CHECKs (sql/0002), through the same
--     INSERT … SELECT on the live guest as guestd's stay_insert; the triggers then update the
--     guest's guest_stats row and write the audit_event and change_event, as for guestd;
--   - stores the answer in idempotency_key under the 'bench-pgbench' key of setup.sql.
-- The guest's uuid is read from bench_ids in the same statement (one primary-key probe more).
-- Not included, so charged to guestd in the ratio: the API-key lookup, the Idempotency-Key
-- advisory lock and lookup, validation and the JSON answer.
--
-- usage (after setup.sql; ids = SELECT count(*) FROM bench_ids):
--     pgbench -n -M prepared -f bench/pgbench/insert-stay.sql -D ids=N -c C -j J -T S
-- with PGHOST, PGDATABASE and PGUSER set, and PGOPTIONS='-c jit=off' as guestd's sessions have it
-- (src/db/conn.c: without it, the loyalty refresh the triggers run is JIT-compiled, ~0.8 s a
-- transaction); "tps" compares with guestd's stays/s.
\set n random(1, :ids)
\set d random(1, 365)
\set nights random(1, 7)
\set k random(1, 7)
\set rate random(60, 600)
BEGIN;
SELECT set_config('guestd.actor', 'bench-pgbench', true), set_config('guestd.request_id', gen_random_uuid()::text, true);
INSERT INTO stay AS t (guest_id, check_in, check_out, status, room_type, booking_channel, purpose, adults,
                       children, rate_amount, currency)
SELECT g.id, current_date + :d::int, current_date + :d::int + :nights::int, 'reserved',
       (ARRAY['standard', 'superior', 'deluxe', 'junior_suite', 'suite', 'family', 'accessible'])[:k::int],
       (ARRAY['phone', 'web', 'walk_in', 'ota', 'travel_agent', 'corporate', 'group'])[:k::int],
       (ARRAY['leisure', 'business', 'conference', 'event', 'family', 'medical', 'other'])[:k::int],
       2, 0, :rate::numeric, 'EUR'
  FROM bench_ids b JOIN guest g ON g.id = b.id
 WHERE b.n = :n::int AND g.deleted_at IS NULL
RETURNING t.guest_id AS stay_guest, t.id AS stay_id \gset
INSERT INTO idempotency_key (api_key_id, key, fingerprint, status, location, etag, body)
SELECT a.id, gen_random_uuid()::text, repeat('0', 64), 201,
       '/v1/guests/' || :stay_guest || '/stays/' || :stay_id, '"1"', repeat('x', 500)
  FROM api_key a WHERE a.prefix = '000000000000';
COMMIT;
