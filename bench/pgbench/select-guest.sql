-- SPDX-License-Identifier: MIT
-- Baseline (a): the database ceiling for guestd's cheapest guest read. One transaction = one
-- prepared single-row primary-key lookup of a random live guest, returning the basic info in the
-- same columns and text forms as guestd's guest representation (GUEST_COLUMNS and GUEST_REFS of
-- src/db/statements.c) — the very statement bench/peers/fastify runs per request — so the work
-- inside PostgreSQL is the same as for one basic-info GET; only HTTP, JSON and auth are missing.
-- The id comes from bench_ids (bench/pgbench/setup.sql): one more primary-key probe in the same
-- statement, a small cost that slightly lowers this ceiling (so it flatters guestd/pgbench a bit).
--
-- usage (after setup.sql; ids = SELECT count(*) FROM bench_ids):
--     pgbench -n -M prepared -f bench/pgbench/select-guest.sql -D ids=N -c C -j J -T S
-- with PGHOST (the unix socket directory), PGDATABASE and PGUSER set, and PGOPTIONS='-c jit=off'
-- (guestd's session setting, src/db/conn.c); -c is the same as wrk's
-- connection count, so "tps" compares with guestd's req/s.
\set n random(1, :ids)
SELECT g.id::text, g.version, g.family_name, g.given_name, g.gender, g.birth_date::text, g.nationality,
       g.ethnicity, g.native_place, g.address::text, g.phone, g.email, g.language, g.id_document::text,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('system', x.system, 'id', x.external_id)
                                  ORDER BY x.system, x.external_id), '[]')::text
          FROM guest_external_ref x WHERE x.guest_id = g.id),
       g.vip_code, g.marketing_consent, g.legal_hold, g.notes, rfc3339(g.created_at), rfc3339(g.updated_at)
  FROM bench_ids b JOIN guest g ON g.id = b.id
 WHERE b.n = :n::int AND g.deleted_at IS NULL;
