-- SPDX-License-Identifier: MIT
-- 0009: the per-request costs that bench/run measured.
--
-- A LANGUAGE sql function that PostgreSQL cannot inline is planned again each time the statement
-- calling it runs. The history triggers call three such functions on every write of a guest or a
-- section, for one guest: refresh_loyalty()'s statement alone took ~5 ms to plan and ~0.6 ms to
-- run (EXPLAIN, 20,000 guests), so a front-desk write cost ~13 ms of database CPU and 16 writers
-- managed ~450 writes/s on two cores. PL/pgSQL keeps the plans of its statements for the session,
-- so these functions are PL/pgSQL now, with the same statements as before: refresh_loyalty() of
-- 0005, refresh_guest_stats() of 0006 and section_events() of 0007 (and, after a stay or a
-- charge, apply_inferred_preferences() of 0002).
--
-- A kept plan is only used if it is generic, and PostgreSQL's own choice would keep planning
-- afresh: a generic plan assumes 10 elements in `ids`, so it looks ten times dearer than a plan for
-- the one guest of a trigger. The triggers' entry points therefore ask for generic plans (their
-- statements are index lookups per guest whatever the count), and the batch jobs, which pass
-- thousands of guests at a time, for a plan made for each batch, as the SQL functions had: a
-- generic plan made for 10 guests took up to twice as long for 10,000 (the nightly rescore here,
-- `guestd seed`'s derive phase on its own session).
-- Single-session pgbench insert of one guest (bench/pgbench/insert-guest.sql), 20,000 guests:
-- 316 → 716 transactions/s.

CREATE OR REPLACE FUNCTION refresh_loyalty(ids uuid[], why text, OUT moved_up integer, OUT moved_down integer)
    LANGUAGE plpgsql VOLATILE
    AS $$
BEGIN
        WITH cfg AS (
            SELECT loyalty_parameters(loyalty) AS p, formula_version, base_currency, fx_rates,
                   now() - make_interval(days => (loyalty ->> 'window_days')::int) AS since
            FROM settings),
        inputs AS (
            SELECT g.id, g.vip_code IS NOT NULL AS vip, old.tier AS old_tier, st.*, ch.*, co.*
            FROM unnest(ids) AS u(id) JOIN guest g ON g.id = u.id CROSS JOIN cfg
            LEFT JOIN guest_loyalty old ON old.guest_id = g.id
            LEFT JOIN LATERAL (
                -- the window conditions are filters, so the lookup stays on the guest's own stays
                SELECT count(*) FILTER (WHERE s.status = 'completed' AND s.check_out >= cfg.since::date) AS completed_stays,
                       current_date - max(s.check_out) FILTER (WHERE s.status = 'completed'
                                                               AND s.check_out >= cfg.since::date) AS days_since_last_stay,
                       count(*) FILTER (WHERE s.status = 'no_show' AND s.check_in >= cfg.since::date) AS no_shows
                FROM stay s
                WHERE s.guest_id = g.id AND s.status IN ('completed', 'no_show')) st ON true
            LEFT JOIN LATERAL (
                SELECT sum(x.amount * r.rate) FILTER (WHERE x.payment_status <> 'written_off') AS spend,
                       sum(x.amount * r.rate) AS billed,
                       sum(x.amount * r.rate) FILTER (WHERE x.payment_status = 'paid') AS paid
                FROM consumption x
                CROSS JOIN LATERAL (SELECT CASE WHEN x.currency = cfg.base_currency THEN 1
                                                ELSE (cfg.fx_rates ->> x.currency)::numeric END AS rate) r
                WHERE x.guest_id = g.id AND x.occurred_at >= cfg.since) ch ON true
            LEFT JOIN LATERAL (
                SELECT count(*) FILTER (WHERE severity IN ('low', 'medium')) AS low_medium,
                       count(*) FILTER (WHERE severity IN ('high', 'critical')) AS high_critical,
                       count(*) FILTER (WHERE status IN ('resolved', 'closed') AND feedback_score >= 4) AS good
                FROM complaint k WHERE k.guest_id = g.id AND k.received_at >= cfg.since) co ON true),
        computed AS (
            SELECT i.id, i.old_tier, l.score, l.tier, l.tier_rank, l.vip_lifted, l.components, cfg.formula_version,
                   array_position((cfg.p).tier_names, i.old_tier) AS old_rank
            FROM inputs i CROSS JOIN cfg
            CROSS JOIN LATERAL loyalty_score(i.days_since_last_stay, i.completed_stays, i.spend, i.low_medium,
                                             i.high_critical, i.good, i.billed, i.paid, i.no_shows, i.vip, cfg.p) l),
        saved AS (
            INSERT INTO guest_loyalty AS gl (guest_id, score, tier, tier_rank, vip_lifted, components, formula_version,
                                             computed_at, tier_since)
            SELECT id, score, tier, tier_rank, vip_lifted, components, formula_version, now(), now()
            FROM computed
            ON CONFLICT (guest_id) DO UPDATE
                SET score = EXCLUDED.score, tier = EXCLUDED.tier, tier_rank = EXCLUDED.tier_rank,
                    vip_lifted = EXCLUDED.vip_lifted, components = EXCLUDED.components,
                    formula_version = EXCLUDED.formula_version, computed_at = EXCLUDED.computed_at,
                    tier_since = CASE WHEN gl.tier = EXCLUDED.tier THEN gl.tier_since ELSE EXCLUDED.tier_since END
            RETURNING guest_id),
        changes AS (
            -- the tier before is read with the inputs (same snapshot), so no second join is needed
            SELECT id, old_tier AS from_tier, tier AS to_tier, score, formula_version, old_rank AS from_rank,
                   tier_rank AS to_rank
            FROM computed
            WHERE old_tier IS DISTINCT FROM tier),
        logged AS (
            INSERT INTO tier_change (guest_id, from_tier, to_tier, reason, score, formula_version)
            SELECT id, from_tier, to_tier, CASE WHEN from_tier IS NULL THEN 'created' ELSE why END, score,
                   formula_version
            FROM changes
            RETURNING 1)
        SELECT (count(*) FILTER (WHERE from_tier IS NOT NULL AND (to_rank > from_rank OR from_rank IS NULL)))::integer,
               (count(*) FILTER (WHERE from_tier IS NOT NULL AND to_rank < from_rank))::integer
        INTO moved_up, moved_down
        FROM changes;
END
$$;

-- refresh_guest_stats() of 0006, section_events() of 0007 and apply_inferred_preferences() of 0002
-- keep their statements word for word: each body is taken from the function as it stands and run
-- as PL/pgSQL under the same name and arguments.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOREACH f IN ARRAY ARRAY['refresh_guest_stats(uuid[])', 'section_events(text, text, uuid[], uuid[])',
                             'apply_inferred_preferences(uuid, jsonb)']::regprocedure[] LOOP
        EXECUTE (SELECT format('CREATE OR REPLACE FUNCTION %I(%s) RETURNS void LANGUAGE plpgsql VOLATILE AS %L',
                               p.proname, pg_get_function_arguments(p.oid),
                               'BEGIN ' || rtrim(rtrim(p.prosrc), E'; \n') || '; END')
                 FROM pg_proc p WHERE p.oid = f);
    END LOOP;
END
$$;
-- apply_inferred_preferences() runs after every write of a stay or a charge (domain/infer.c)
ALTER FUNCTION apply_inferred_preferences(uuid, jsonb) SET plan_cache_mode = force_generic_plan;

-- The loyalty object of the profile card, as a set-returning SQL function: the planner inlines it
-- into the statement that reads it (a scalar SQL function with a FROM clause is not inlined, and
-- was planned again for every card: ~0.23 ms of the card's ~0.35 ms in the database).
-- loyalty_json() stays, for the callers outside the hot path, and returns the same document.
CREATE FUNCTION loyalty_doc(g uuid) RETURNS TABLE (doc json)
    LANGUAGE sql STABLE
    AS $$
    SELECT json_build_object(
        'score', l.score, 'tier', l.tier,
        'colour', (SELECT t ->> 'colour' FROM jsonb_array_elements(s.loyalty -> 'tiers') t WHERE t ->> 'name' = l.tier),
        'vip_lifted', l.vip_lifted,
        'components', l.components || jsonb_build_object('monetary', (l.components -> 'monetary')
                                                                      || jsonb_build_object('currency', s.base_currency)),
        'formula_version', l.formula_version, 'computed_at', rfc3339(l.computed_at), 'tier_since', rfc3339(l.tier_since),
        'tier_changes', (SELECT coalesce(json_agg(json_build_object('from', c.from_tier, 'to', c.to_tier,
                                                                    'reason', c.reason, 'score', c.score,
                                                                    'at', rfc3339(c.changed_at)) ORDER BY c.id DESC), '[]')
                         FROM (SELECT * FROM tier_change WHERE guest_id = g ORDER BY id DESC LIMIT 10) c))
    FROM guest_loyalty l CROSS JOIN settings s
    WHERE l.guest_id = g
    $$;

CREATE OR REPLACE FUNCTION loyalty_json(g uuid) RETURNS json
    LANGUAGE sql STABLE
    AS $$ SELECT doc FROM loyalty_doc(g) $$;

ALTER FUNCTION refresh_derived(uuid[], text) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION vip_code_changed() SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION rescore_batch(uuid, uuid, text) SET plan_cache_mode = force_custom_plan;
