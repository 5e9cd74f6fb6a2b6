-- SPDX-License-Identifier: MIT
-- Loyalty at scale. The formula of 0003 is unchanged, but it is now evaluated set-based: the
-- configuration is read into a record once per recompute, and the formula is a SQL function the
-- planner inlines into the recompute's query, instead of a function call (with its own executor
-- start-up and three scans of the tier list) per guest. It is still defined once: loyalty_score().

-- Money as the API shows it. round() keeps two decimals in numeric's text form; unlike to_char()
-- it is immutable, so the planner inlines it, also into the immutable formula.
CREATE OR REPLACE FUNCTION money_text(v numeric) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT round(v, 2)::text $$;

-- The formula's parameters, read out of settings.loyalty once per recompute. The tiers become
-- arrays in configuration order: min_scores ascend strictly (guestd validates it), so the tier of
-- a score is width_bucket() over them.
CREATE TYPE loyalty_parameters AS (
    w_recency        float8,
    w_frequency      float8,
    w_monetary       float8,
    w_satisfaction   float8,
    w_credit         float8,
    recency_days     float8,
    ln_frequency_cap float8,
    ln_monetary_cap  float8,
    tier_names       text[],
    tier_min_scores  numeric[],
    tier_colours     text[],
    floor_rank       integer
);

CREATE FUNCTION loyalty_parameters(cfg jsonb) RETURNS loyalty_parameters
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT ROW((cfg -> 'weights' ->> 'recency')::float8, (cfg -> 'weights' ->> 'frequency')::float8,
               (cfg -> 'weights' ->> 'monetary')::float8, (cfg -> 'weights' ->> 'satisfaction')::float8,
               (cfg -> 'weights' ->> 'credit')::float8,
               (cfg ->> 'recency_days')::float8,
               ln(1 + (cfg ->> 'frequency_cap')::float8), ln(1 + (cfg ->> 'monetary_cap')::float8),
               ARRAY(SELECT t ->> 'name' FROM jsonb_array_elements(cfg -> 'tiers') WITH ORDINALITY x(t, n) ORDER BY n),
               ARRAY(SELECT (t ->> 'min_score')::numeric
                     FROM jsonb_array_elements(cfg -> 'tiers') WITH ORDINALITY x(t, n) ORDER BY n),
               ARRAY(SELECT t ->> 'colour' FROM jsonb_array_elements(cfg -> 'tiers') WITH ORDINALITY x(t, n) ORDER BY n),
               (SELECT n FROM jsonb_array_elements(cfg -> 'tiers') WITH ORDINALITY x(t, n)
                WHERE t ->> 'name' = cfg ->> 'vip_floor_tier'))::loyalty_parameters
    $$;

-- The formula of DESIGN §6 on one guest's inputs, the one definition of it. Pure: the same inputs
-- and parameters give the same result. A set-returning SQL function with a single SELECT and no
-- STRICT, so that, called in FROM, the planner inlines it into the caller's query.
CREATE FUNCTION loyalty_score(days_since_last_stay integer, completed_stays bigint, spend numeric,
                              complaints_low_medium bigint, complaints_high_critical bigint,
                              resolved_with_good_feedback bigint, billed numeric, paid numeric, no_shows bigint,
                              has_vip_code boolean, p loyalty_parameters)
    RETURNS TABLE (score numeric, tier text, tier_rank integer, vip_lifted boolean, components jsonb)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 1
    AS $$
    SELECT v.score, (p).tier_names[t.rank], t.rank, t.lifted,
           jsonb_build_object(
               'recency', jsonb_build_object('value', round(v.r::numeric, 1), 'weight', (p).w_recency,
                                             'days_since_last_stay',
                                             CASE WHEN completed_stays > 0 THEN greatest(days_since_last_stay, 0) END),
               'frequency', jsonb_build_object('value', round(v.f::numeric, 1), 'weight', (p).w_frequency,
                                               'completed_stays', coalesce(completed_stays, 0)),
               'monetary', jsonb_build_object('value', round(v.m::numeric, 1), 'weight', (p).w_monetary,
                                              'spend', money_text(coalesce(spend, 0))),
               'satisfaction', jsonb_build_object('value', round(v.sat::numeric, 1), 'weight', (p).w_satisfaction,
                                                  'complaints_low_medium', coalesce(complaints_low_medium, 0),
                                                  'complaints_high_critical', coalesce(complaints_high_critical, 0),
                                                  'resolved_with_good_feedback',
                                                  coalesce(resolved_with_good_feedback, 0)),
               'credit', jsonb_build_object('value', round(v.cr::numeric, 1), 'weight', (p).w_credit,
                                            'billed', money_text(coalesce(billed, 0)),
                                            'paid', money_text(coalesce(paid, 0)), 'no_shows', coalesce(no_shows, 0)))
    FROM (SELECT c.*, round(((p).w_recency * c.r + (p).w_frequency * c.f + (p).w_monetary * c.m
                             + (p).w_satisfaction * c.sat + (p).w_credit * c.cr)::numeric, 1) AS score
          FROM (SELECT CASE WHEN days_since_last_stay IS NULL OR completed_stays = 0 THEN 0
                            ELSE 100 * exp(-greatest(days_since_last_stay, 0) / (p).recency_days) END AS r,
                       100 * least(1, ln(1 + coalesce(completed_stays, 0)) / (p).ln_frequency_cap) AS f,
                       100 * least(1, ln(1 + greatest(coalesce(spend, 0), 0)::float8) / (p).ln_monetary_cap) AS m,
                       greatest(0, least(100, 100 - 10 * coalesce(complaints_low_medium, 0)
                                                  - 25 * coalesce(complaints_high_critical, 0)
                                                  + 5 * coalesce(resolved_with_good_feedback, 0)))::float8 AS sat,
                       greatest(0, least(100, CASE WHEN coalesce(billed, 0) > 0 THEN 100 * coalesce(paid, 0) / billed
                                                   ELSE 100 END
                                              - 20 * coalesce(no_shows, 0)))::float8 AS cr) c
          -- OFFSET 0 keeps this a subquery: pulled up, the score's expression would be copied into
          -- every place that uses it and evaluated once per copy
          OFFSET 0) v
    CROSS JOIN LATERAL (SELECT width_bucket(v.score, (p).tier_min_scores) AS by_score) b
    CROSS JOIN LATERAL (SELECT CASE WHEN has_vip_code AND b.by_score < (p).floor_rank THEN (p).floor_rank
                                    ELSE b.by_score END AS rank,
                               coalesce(has_vip_code AND b.by_score < (p).floor_rank, false) AS lifted) t
    $$;

-- The formula as one JSON value for a configuration document (kept for callers of 0003's
-- function; the formula itself is loyalty_score()).
CREATE OR REPLACE FUNCTION loyalty_compute(days_since_last_stay integer, completed_stays bigint, spend numeric,
                                           complaints_low_medium bigint, complaints_high_critical bigint,
                                           resolved_with_good_feedback bigint, billed numeric, paid numeric,
                                           no_shows bigint, has_vip_code boolean, cfg jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT jsonb_build_object('score', l.score, 'tier', l.tier, 'vip_lifted', l.vip_lifted, 'components', l.components)
    FROM loyalty_score(days_since_last_stay, completed_stays, spend, complaints_low_medium, complaints_high_critical,
                       resolved_with_good_feedback, billed, paid, no_shows, has_vip_code, loyalty_parameters(cfg)) l
    $$;

-- The tier's position in the configuration, kept with the tier: the VIP list compares tiers by
-- it without reading the configuration per row. A configuration change rescores every guest.
ALTER TABLE guest_loyalty ADD COLUMN tier_rank smallint;
UPDATE guest_loyalty l SET tier_rank = array_position((loyalty_parameters(s.loyalty)).tier_names, l.tier)
FROM settings s;
ALTER TABLE guest_loyalty ALTER COLUMN tier_rank SET NOT NULL;
COMMENT ON COLUMN guest_loyalty.tier_rank IS 'Position of the tier in the configuration''s tiers, from 1';
-- The nightly rescore rewrites every row; room on the page lets an unchanged score stay a
-- heap-only update, without new entries in the table's indexes.
ALTER TABLE guest_loyalty SET (fillfactor = 70);

-- The one path for every recompute, as in 0003, with the formula inlined (see above).
CREATE OR REPLACE FUNCTION refresh_loyalty(ids uuid[], why text, OUT moved_up integer, OUT moved_down integer)
    LANGUAGE sql VOLATILE
    AS $$
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
    FROM changes
    $$;

-- The rescore in batches that several sessions run side by side (guestd rescore --jobs): one
-- session at a time takes the next batch's range of ids, each then recomputes its own range.
-- A nightly rescore leaves soft-deleted guests alone: a restore within the grace period brings a
-- guest back exactly as it was, score included. A configuration change still reaches them, so
-- every stored tier is one of the configuration's.
DROP FUNCTION rescore_batch(uuid, integer, text);

-- The last id of the next batch of `batch` guests after `after` (NULL: from the start), or NULL
-- when no guest is left. "id > after" is written so that it stays an index range when after is
-- NULL (a plan made for any value of the parameter otherwise reads every guest, every batch).
CREATE FUNCTION rescore_batch_end(after uuid, batch integer, why text) RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
    SELECT id
    FROM (SELECT id FROM guest
          WHERE id >= coalesce(after, '00000000-0000-0000-0000-000000000000') AND id IS DISTINCT FROM after
            AND (deleted_at IS NULL OR why = 'config')
          ORDER BY id LIMIT batch) g
    ORDER BY id DESC LIMIT 1
    $$;

-- Recomputes the guests whose ids lie after `after` (NULL: from the start) up to `upto`.
CREATE FUNCTION rescore_batch(after uuid, upto uuid, why text,
                              OUT guests integer, OUT moved_up integer, OUT moved_down integer)
    LANGUAGE plpgsql VOLATILE
    AS $$
DECLARE
    ids uuid[];
BEGIN
    SELECT array_agg(id ORDER BY id) INTO ids
    FROM guest
    WHERE id >= coalesce(after, '00000000-0000-0000-0000-000000000000') AND id IS DISTINCT FROM after AND id <= upto
      AND (deleted_at IS NULL OR why = 'config');
    guests := coalesce(array_length(ids, 1), 0);
    -- the same lock as a history write takes: a write to one of these guests either commits
    -- before the recompute reads (and is counted) or waits for this batch to commit
    PERFORM 1 FROM unnest(ids) AS u(id) JOIN guest g ON g.id = u.id ORDER BY g.id FOR NO KEY UPDATE OF g;
    moved_up := 0;
    moved_down := 0;
    IF guests > 0 THEN
        -- a new base currency or new rates change what the spend totals mean, too
        IF why = 'config' THEN
            PERFORM refresh_guest_stats(ids);
        END IF;
        SELECT r.moved_up, r.moved_down INTO moved_up, moved_down FROM refresh_loyalty(ids, why) r;
    END IF;
END
$$;

-- The VIP list's statement (src/db/statements.c) now builds its entries itself, from the columns
-- it reads: passing whole rows to a function made every row be copied once more.
DROP FUNCTION vip_json(guest, guest_loyalty, jsonb, json);
