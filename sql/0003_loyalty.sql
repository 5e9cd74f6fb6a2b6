-- SPDX-License-Identifier: MIT
-- Loyalty: the configurable formula (defined once, here), each guest's score and tier, tier
-- history. Scores change in the same transaction as the history they come from.

ALTER TABLE settings
    ADD COLUMN formula_version integer NOT NULL DEFAULT 1,
    ADD COLUMN loyalty jsonb NOT NULL DEFAULT '{
        "window_days": 1095, "recency_days": 365, "frequency_cap": 20, "monetary_cap": "50000.00",
        "weights": {"recency": 0.25, "frequency": 0.25, "monetary": 0.30, "satisfaction": 0.10, "credit": 0.10},
        "tiers": [{"name": "standard", "min_score": 0, "colour": "#9E9E9E"},
                  {"name": "silver", "min_score": 30, "colour": "#C0C0C0"},
                  {"name": "gold", "min_score": 50, "colour": "#D4AF37"},
                  {"name": "platinum", "min_score": 70, "colour": "#E5E4E2"},
                  {"name": "diamond", "min_score": 85, "colour": "#B9F2FF"}],
        "vip_floor_tier": "gold"}',
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
COMMENT ON COLUMN settings.loyalty IS 'Loyalty formula parameters; validated by guestd before a PUT stores them';

CREATE TABLE guest_loyalty (
    guest_id        uuid PRIMARY KEY REFERENCES guest (id) ON DELETE CASCADE,
    score           numeric(4, 1) NOT NULL,
    tier            text NOT NULL,
    vip_lifted      boolean NOT NULL,
    components      jsonb NOT NULL,
    formula_version integer NOT NULL,
    computed_at     timestamptz NOT NULL,
    tier_since      timestamptz NOT NULL
);
COMMENT ON TABLE guest_loyalty IS 'Each guest''s current score, tier and the inputs behind them';
CREATE INDEX guest_loyalty_best ON guest_loyalty (score DESC, guest_id);
COMMENT ON INDEX guest_loyalty_best IS 'for VIP lists: best first, then id';

CREATE TABLE tier_change (
    guest_id        uuid NOT NULL REFERENCES guest (id) ON DELETE CASCADE,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    from_tier       text,
    to_tier         text NOT NULL,
    reason          text NOT NULL CHECK (reason IN ('created', 'history', 'vip_code', 'rescore', 'config')),
    score           numeric(4, 1) NOT NULL,
    formula_version integer NOT NULL,
    changed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (guest_id, id)
);
COMMENT ON TABLE tier_change IS 'Every change of a guest''s tier: from, to, why, when';

-- The formula of DESIGN §6 on one guest's inputs. Pure: the same inputs and configuration give
-- the same result, so it is tested directly (tests/integration/test_loyalty_formula.py).
CREATE FUNCTION loyalty_compute(days_since_last_stay integer, completed_stays bigint, spend numeric,
                                complaints_low_medium bigint, complaints_high_critical bigint,
                                resolved_with_good_feedback bigint, billed numeric, paid numeric, no_shows bigint,
                                has_vip_code boolean, cfg jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    WITH p AS (
        SELECT (cfg -> 'weights' ->> 'recency')::float8 AS wr, (cfg -> 'weights' ->> 'frequency')::float8 AS wf,
               (cfg -> 'weights' ->> 'monetary')::float8 AS wm, (cfg -> 'weights' ->> 'satisfaction')::float8 AS ws,
               (cfg -> 'weights' ->> 'credit')::float8 AS wc),
    c AS (
        SELECT CASE WHEN days_since_last_stay IS NULL OR completed_stays = 0 THEN 0
                    ELSE 100 * exp(-greatest(days_since_last_stay, 0) / (cfg ->> 'recency_days')::float8) END AS r,
               100 * least(1, ln(1 + coalesce(completed_stays, 0)) / ln(1 + (cfg ->> 'frequency_cap')::float8)) AS f,
               100 * least(1, ln(1 + greatest(coalesce(spend, 0), 0)::float8)
                              / ln(1 + (cfg ->> 'monetary_cap')::float8)) AS m,
               greatest(0, least(100, 100 - 10 * coalesce(complaints_low_medium, 0)
                                          - 25 * coalesce(complaints_high_critical, 0)
                                          + 5 * coalesce(resolved_with_good_feedback, 0)))::float8 AS s,
               greatest(0, least(100, CASE WHEN coalesce(billed, 0) > 0 THEN 100 * coalesce(paid, 0) / billed ELSE 100 END
                                      - 20 * coalesce(no_shows, 0)))::float8 AS cr),
    s AS (
        SELECT round((p.wr * c.r + p.wf * c.f + p.wm * c.m + p.ws * c.s + p.wc * c.cr)::numeric, 1) AS score
        FROM p, c),
    t AS (
        SELECT (SELECT tier ->> 'name' FROM jsonb_array_elements(cfg -> 'tiers') WITH ORDINALITY AS x(tier, n)
                WHERE (tier ->> 'min_score')::numeric <= s.score ORDER BY n DESC LIMIT 1) AS by_score,
               (SELECT n FROM jsonb_array_elements(cfg -> 'tiers') WITH ORDINALITY AS x(tier, n)
                WHERE (tier ->> 'min_score')::numeric <= s.score ORDER BY n DESC LIMIT 1) AS by_score_rank,
               (SELECT n FROM jsonb_array_elements(cfg -> 'tiers') WITH ORDINALITY AS x(tier, n)
                WHERE tier ->> 'name' = cfg ->> 'vip_floor_tier') AS floor_rank
        FROM s)
    SELECT jsonb_build_object(
        'score', s.score,
        'tier', CASE WHEN has_vip_code AND t.by_score_rank < t.floor_rank THEN cfg ->> 'vip_floor_tier' ELSE t.by_score END,
        'vip_lifted', coalesce(has_vip_code AND t.by_score_rank < t.floor_rank, false),
        'components', jsonb_build_object(
            'recency', jsonb_build_object('value', round(c.r::numeric, 1), 'weight', p.wr,
                                          'days_since_last_stay',
                                          CASE WHEN completed_stays > 0 THEN greatest(days_since_last_stay, 0) END),
            'frequency', jsonb_build_object('value', round(c.f::numeric, 1), 'weight', p.wf,
                                            'completed_stays', coalesce(completed_stays, 0)),
            'monetary', jsonb_build_object('value', round(c.m::numeric, 1), 'weight', p.wm,
                                           'spend', money_text(coalesce(spend, 0))),
            'satisfaction', jsonb_build_object('value', round(c.s::numeric, 1), 'weight', p.ws,
                                               'complaints_low_medium', coalesce(complaints_low_medium, 0),
                                               'complaints_high_critical', coalesce(complaints_high_critical, 0),
                                               'resolved_with_good_feedback', coalesce(resolved_with_good_feedback, 0)),
            'credit', jsonb_build_object('value', round(c.cr::numeric, 1), 'weight', p.wc,
                                         'billed', money_text(coalesce(billed, 0)), 'paid', money_text(coalesce(paid, 0)),
                                         'no_shows', coalesce(no_shows, 0))))
    FROM p, c, s, t
    $$;

-- Recomputes the scores of the given guests from their history inside the window, records tier
-- changes, and returns how many guests moved up and down. The one path for every recompute:
-- a write (triggers), a vip_code change, the nightly rescore and a configuration change.
CREATE FUNCTION refresh_loyalty(ids uuid[], why text, OUT moved_up integer, OUT moved_down integer)
    LANGUAGE sql VOLATILE
    AS $$
    WITH cfg AS (
        SELECT loyalty, formula_version, base_currency, fx_rates,
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
        SELECT i.id, loyalty_compute(i.days_since_last_stay, i.completed_stays, i.spend, i.low_medium,
                                     i.high_critical, i.good, i.billed, i.paid, i.no_shows, i.vip, cfg.loyalty) AS l,
               cfg.formula_version, cfg.loyalty, i.old_tier
        FROM inputs i CROSS JOIN cfg),
    saved AS (
        INSERT INTO guest_loyalty AS gl (guest_id, score, tier, vip_lifted, components, formula_version, computed_at,
                                         tier_since)
        SELECT id, (l ->> 'score')::numeric, l ->> 'tier', (l ->> 'vip_lifted')::boolean, l -> 'components',
               formula_version, now(), now()
        FROM computed
        ON CONFLICT (guest_id) DO UPDATE
            SET score = EXCLUDED.score, tier = EXCLUDED.tier, vip_lifted = EXCLUDED.vip_lifted,
                components = EXCLUDED.components, formula_version = EXCLUDED.formula_version,
                computed_at = EXCLUDED.computed_at,
                tier_since = CASE WHEN gl.tier = EXCLUDED.tier THEN gl.tier_since ELSE EXCLUDED.tier_since END
        RETURNING guest_id),
    changes AS (
        -- the tier before is read with the inputs (same snapshot), so no second join is needed
        SELECT c.id, c.old_tier AS from_tier, c.l ->> 'tier' AS to_tier, (c.l ->> 'score')::numeric AS score,
               c.formula_version,
               (SELECT n FROM jsonb_array_elements(c.loyalty -> 'tiers') WITH ORDINALITY x(t, n)
                WHERE t ->> 'name' = c.old_tier) AS from_rank,
               (SELECT n FROM jsonb_array_elements(c.loyalty -> 'tiers') WITH ORDINALITY x(t, n)
                WHERE t ->> 'name' = c.l ->> 'tier') AS to_rank
        FROM computed c
        WHERE c.old_tier IS DISTINCT FROM c.l ->> 'tier'),
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

-- Whatever refreshes a guest's statistics (history triggers, creation) now refreshes the score too.
CREATE OR REPLACE FUNCTION refresh_derived(ids uuid[], why text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM refresh_guest_stats(ids);
    PERFORM refresh_loyalty(ids, why);
END
$$;

-- A vip_code lifts the tier: setting or clearing one recomputes at once.
CREATE FUNCTION vip_code_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    ids uuid[];
BEGIN
    SELECT array_agg(n.id) INTO ids FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.vip_code IS DISTINCT FROM o.vip_code;
    IF ids IS NOT NULL THEN
        PERFORM refresh_loyalty(ids, 'vip_code');
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER guest_vip_code_changed AFTER UPDATE ON guest REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vip_code_changed();

SELECT refresh_loyalty(array_agg(id), 'created') FROM guest;

-- The loyalty object of the API for one guest: score, tier and colour, components with their
-- inputs, the formula version, and the latest tier changes.
CREATE FUNCTION loyalty_json(g uuid) RETURNS json
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

-- The loyalty configuration as the API shows it.
CREATE FUNCTION loyalty_config_json() RETURNS json
    LANGUAGE sql STABLE
    AS $$
    SELECT (jsonb_build_object('formula_version', formula_version, 'updated_at', rfc3339(updated_at),
                               'base_currency', base_currency, 'fx_rates', fx_rates) || loyalty
            || jsonb_build_object('monetary_cap', money_text((loyalty ->> 'monetary_cap')::numeric)))::json
    FROM settings
    $$;

-- One batch of the rescore: the next `batch` guests after `after` in id order.
CREATE FUNCTION rescore_batch(after uuid, batch integer, why text,
                              OUT last_id uuid, OUT guests integer, OUT moved_up integer, OUT moved_down integer)
    LANGUAGE plpgsql VOLATILE
    AS $$
DECLARE
    ids uuid[];
BEGIN
    SELECT array_agg(id ORDER BY id) INTO ids
    FROM (SELECT id FROM guest WHERE after IS NULL OR id > after ORDER BY id LIMIT batch) g;
    guests := coalesce(array_length(ids, 1), 0);
    last_id := ids[guests];
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
