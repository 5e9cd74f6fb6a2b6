-- SPDX-License-Identifier: MIT
-- Baseline (b1) for the write path: the rows one `POST /v1/guests` (with an Idempotency-Key)
-- writes, written straight by pgbench. One transaction:
--   - sets the transaction-local actor and request id, as guestd's request transaction does
--     (the audit trigger reads them);
--   - inserts a guest with the columns a typical front-desk create sets (name, gender, birth date,
--     nationality, phone, e-mail, language, consent), within guestd's CHECKs (sql/0001); the
--     triggers of sql/0002 and sql/0007 then write its guest_stats row, its audit_event and its
--     change_event, exactly as for guestd;
--   - stores the answer in idempotency_key (a body of guestd's answer's size) under the
--     'bench-pgbench' key of setup.sql.
-- Not included, so charged to guestd in the ratio: the API-key lookup, the Idempotency-Key
-- advisory lock and lookup, validation and the JSON answer.
--
-- The family name is drawn from FAMILIES, a text[] literal of the seeded family names (bench/run
-- passes `SELECT DISTINCT family_name FROM guest`, as it does to the create scenario): new guests
-- named like the others, so that the searches of the same run meet them as often as seeded ones.
--
-- usage (after setup.sql):
--     pgbench -n -M prepared -f bench/pgbench/insert-guest.sql -D families='{Müller,Rossi}' -c C -j J -T S
-- with PGHOST, PGDATABASE and PGUSER set, and PGOPTIONS='-c jit=off' as guestd's sessions have it
-- (src/db/conn.c: without it, the loyalty refresh the triggers run is JIT-compiled, ~0.8 s a
-- transaction); "tps" compares with guestd's creates/s.
\set r random(1, 999999999)
\set k random(1, 8)
\set yob random(1940, 2005)
BEGIN;
SELECT set_config('guestd.actor', 'bench-pgbench', true), set_config('guestd.request_id', gen_random_uuid()::text, true);
INSERT INTO guest (family_name, given_name, gender, birth_date, nationality, phone, email, language,
                   marketing_consent)
VALUES ((:families::text[])[1 + :r::int % cardinality(:families::text[])],
        (ARRAY['Anna', 'Jan', 'María', 'Luca', 'Claire', 'Petr', 'John', 'Ewa'])[:k::int],
        (ARRAY['female', 'male', 'female', 'male', 'female', 'male', 'unknown', 'other'])[:k::int],
        make_date(:yob::int, 1 + :r::int % 12, 1 + :r::int % 28),
        (ARRAY['DE', 'DE', 'ES', 'IT', 'FR', 'CZ', 'GB', 'PL'])[:k::int],
        '+4930' || lpad(:r::text, 9, '0'),
        'guest' || :r || '@example.com',
        (ARRAY['de', 'de', 'es', 'it', 'fr', 'cs', 'en', 'pl'])[:k::int],
        :r::int % 2 = 0)
RETURNING id AS guest_id \gset
INSERT INTO idempotency_key (api_key_id, key, fingerprint, status, location, etag, body)
SELECT a.id, gen_random_uuid()::text, repeat('0', 64), 201, '/v1/guests/' || :guest_id, '"1"', repeat('x', 700)
  FROM api_key a WHERE a.prefix = '000000000000';
COMMIT;
