-- SPDX-License-Identifier: MIT
-- The rest of the dossier: stays, consumption, preferences, special dates, complaints; the
-- per-guest statistics the profile card reads; the JSON representations, defined once here.

-- Settings that are not per guest. Loyalty configuration extends this row later.
CREATE TABLE settings (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    base_currency text NOT NULL DEFAULT 'EUR' CHECK (base_currency ~ '^[A-Z]{3}$'),
    fx_rates      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(fx_rates) = 'object')
);
INSERT INTO settings DEFAULT VALUES;
COMMENT ON TABLE settings IS 'One row: the base currency and the rates into it (currency -> rate)';

CREATE TABLE stay (
    guest_id        uuid NOT NULL REFERENCES guest (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    version         integer NOT NULL DEFAULT 1,
    check_in        date NOT NULL,
    check_out       date NOT NULL,
    status          text NOT NULL DEFAULT 'reserved'
                    CHECK (status IN ('reserved', 'in_house', 'completed', 'no_show', 'cancelled')),
    room_type       text CHECK (room_type IN ('standard', 'superior', 'deluxe', 'junior_suite', 'suite', 'family',
                                              'accessible', 'other')),
    room_number     text CHECK (char_length(room_number) BETWEEN 1 AND 20),
    booking_channel text CHECK (booking_channel IN ('phone', 'web', 'walk_in', 'ota', 'travel_agent', 'corporate',
                                                    'group')),
    purpose         text CHECK (purpose IN ('leisure', 'business', 'conference', 'event', 'family', 'medical',
                                            'other')),
    adults          integer NOT NULL DEFAULT 1 CHECK (adults BETWEEN 1 AND 50),
    children        integer NOT NULL DEFAULT 0 CHECK (children BETWEEN 0 AND 50),
    rate_amount     numeric(14, 2) CHECK (rate_amount >= 0),
    currency        text CHECK (currency ~ '^[A-Z]{3}$'),
    amenities_used  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(amenities_used) = 'object'),
    external_ref    text CHECK (char_length(external_ref) BETWEEN 1 AND 100),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (guest_id, id),
    CHECK (check_out > check_in),
    CHECK (rate_amount IS NULL OR currency IS NOT NULL)
);
COMMENT ON TABLE stay IS 'A guest''s stays; guest_id leads every key so a dossier stays on one shard';
CREATE UNIQUE INDEX stay_id ON stay (id);
COMMENT ON INDEX stay_id IS 'ids are unique on their own too, for references from other rows';
CREATE INDEX stay_newest ON stay (guest_id, check_in DESC, id DESC);
COMMENT ON INDEX stay_newest IS 'for stay_list and the recent stays of guest_card';

CREATE TABLE consumption (
    guest_id       uuid NOT NULL REFERENCES guest (id) ON DELETE CASCADE,
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    version        integer NOT NULL DEFAULT 1,
    occurred_at    timestamptz NOT NULL,
    category       text NOT NULL CHECK (category IN ('room', 'dining', 'bar', 'spa', 'minibar', 'laundry', 'event',
                                                     'transport', 'other')),
    dining_type    text CHECK (dining_type IN ('breakfast', 'lunch', 'dinner', 'banquet', 'room_service')),
    covers         integer NOT NULL DEFAULT 1 CHECK (covers BETWEEN 1 AND 1000),
    amount         numeric(14, 2) NOT NULL CHECK (amount >= 0),
    currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    discount_rate  numeric(5, 4) NOT NULL DEFAULT 0 CHECK (discount_rate BETWEEN 0 AND 1),
    payment_method text CHECK (payment_method IN ('cash', 'card', 'room_charge', 'bank_transfer', 'voucher', 'other')),
    payment_status text NOT NULL DEFAULT 'pending'
                   CHECK (payment_status IN ('paid', 'pending', 'unpaid', 'disputed', 'written_off')),
    revenue        numeric(14, 2) CHECK (revenue >= 0),
    stay_id        uuid,
    description    text CHECK (char_length(description) BETWEEN 1 AND 200),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (guest_id, id),
    CHECK (dining_type IS NULL OR category = 'dining'),
    -- the stay must be one of the same guest's: the key includes guest_id
    CONSTRAINT consumption_stay_fk FOREIGN KEY (guest_id, stay_id) REFERENCES stay (guest_id, id)
        ON DELETE SET NULL (stay_id)
);
COMMENT ON TABLE consumption IS 'Charges; amounts are exact (numeric) and shown as decimal strings';
CREATE INDEX consumption_newest ON consumption (guest_id, occurred_at DESC, id DESC);
COMMENT ON INDEX consumption_newest IS 'for consumption_list and the dining history of inference';
CREATE INDEX consumption_stay ON consumption (guest_id, stay_id) WHERE stay_id IS NOT NULL;
COMMENT ON INDEX consumption_stay IS 'for ON DELETE SET NULL when a stay is deleted';

CREATE TABLE preference (
    guest_id   uuid NOT NULL REFERENCES guest (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    version    integer NOT NULL DEFAULT 1,
    category   text NOT NULL CHECK (category IN ('room', 'dining', 'amenity', 'hygiene', 'taboo', 'allergy', 'hobby',
                                                 'habit', 'reading', 'travel_purpose', 'communication', 'other')),
    key        text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 50),
    value      text NOT NULL CHECK (char_length(value) BETWEEN 1 AND 200),
    source     text NOT NULL DEFAULT 'staff' CHECK (source IN ('staff', 'guest', 'inferred')),
    note       text CHECK (char_length(note) <= 500),
    evidence   text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (guest_id, id),
    CONSTRAINT preference_one_per_key UNIQUE (guest_id, category, key)
);
COMMENT ON TABLE preference IS 'Preferences and special info; source inferred rows are written by guestd only';
COMMENT ON CONSTRAINT preference_one_per_key ON preference IS 'one preference per (category, key) per guest';
CREATE INDEX preference_newest ON preference (guest_id, created_at DESC, id DESC);
COMMENT ON INDEX preference_newest IS 'for preference_list';

CREATE TABLE special_date (
    guest_id   uuid NOT NULL REFERENCES guest (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    version    integer NOT NULL DEFAULT 1,
    kind       text NOT NULL CHECK (kind IN ('birthday', 'anniversary', 'other')),
    date       date NOT NULL CHECK (date BETWEEN DATE '1900-01-01' AND DATE '2100-12-31'),
    label      text CHECK (char_length(label) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (guest_id, id)
);
COMMENT ON TABLE special_date IS 'Birthdays beyond birth_date, anniversaries and other dates to greet';
CREATE INDEX special_date_newest ON special_date (guest_id, created_at DESC, id DESC);
COMMENT ON INDEX special_date_newest IS 'for special_date_list';

CREATE TABLE complaint (
    guest_id              uuid NOT NULL REFERENCES guest (id) ON DELETE CASCADE,
    id                    uuid NOT NULL DEFAULT gen_random_uuid(),
    version               integer NOT NULL DEFAULT 1,
    received_at           timestamptz NOT NULL DEFAULT now(),
    stay_id               uuid,
    category              text NOT NULL CHECK (category IN ('room', 'service', 'cleanliness', 'noise', 'food',
                                                            'billing', 'staff', 'amenities', 'other')),
    severity              text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    description           text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 4000),
    status                text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
    resolution            text CHECK (char_length(resolution) <= 4000),
    compensation_amount   numeric(14, 2) CHECK (compensation_amount >= 0),
    compensation_currency text CHECK (compensation_currency ~ '^[A-Z]{3}$'),
    feedback_score        integer CHECK (feedback_score BETWEEN 1 AND 5),
    resolved_at           timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (guest_id, id),
    CHECK (compensation_amount IS NULL OR compensation_currency IS NOT NULL),
    CHECK (feedback_score IS NULL OR status IN ('resolved', 'closed')),
    CONSTRAINT complaint_stay_fk FOREIGN KEY (guest_id, stay_id) REFERENCES stay (guest_id, id)
        ON DELETE SET NULL (stay_id)
);
COMMENT ON TABLE complaint IS 'Complaints and their handling; status only moves forward';
CREATE INDEX complaint_newest ON complaint (guest_id, received_at DESC, id DESC);
COMMENT ON INDEX complaint_newest IS 'for complaint_list';
CREATE INDEX complaint_received ON complaint (received_at);
COMMENT ON INDEX complaint_received IS 'for complaint_report over a date range';
CREATE INDEX stay_completed_checkout ON stay (check_out) WHERE status = 'completed';
COMMENT ON INDEX stay_completed_checkout IS 'for complaint_report: completed stays in a date range';
CREATE INDEX complaint_stay ON complaint (guest_id, stay_id) WHERE stay_id IS NOT NULL;
COMMENT ON INDEX complaint_stay IS 'for ON DELETE SET NULL when a stay is deleted';

-- What the profile card shows of a guest's history, kept current by the triggers below, so the
-- card costs the same for a guest with ten thousand charges as for a new one.
CREATE TABLE guest_stats (
    guest_id        uuid PRIMARY KEY REFERENCES guest (id) ON DELETE CASCADE,
    stays           integer NOT NULL DEFAULT 0,
    nights          integer NOT NULL DEFAULT 0,
    last_stay_at    date,
    total_spend     numeric(16, 2) NOT NULL DEFAULT 0,
    currency        text NOT NULL DEFAULT 'EUR',
    complaints      integer NOT NULL DEFAULT 0,
    open_complaints integer NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE guest_stats IS 'Derived per-guest totals for the profile card; rebuilt by refresh_guest_stats()';

-- Recomputes the statistics of the given guests from their history (set-based).
CREATE FUNCTION refresh_guest_stats(ids uuid[]) RETURNS void
    LANGUAGE sql VOLATILE
    AS $$
    INSERT INTO guest_stats AS gs (guest_id, stays, nights, last_stay_at, total_spend, currency, complaints,
                                   open_complaints, updated_at)
    SELECT g.id, coalesce(s.stays, 0), coalesce(s.nights, 0), s.last_stay_at, coalesce(c.spend, 0), cfg.base_currency,
           coalesce(k.complaints, 0), coalesce(k.open_complaints, 0), now()
    -- unnest, not "= ANY (ids)": a parameter array is searched linearly for every row
    FROM unnest(ids) AS u(id)
    JOIN guest g ON g.id = u.id
    CROSS JOIN settings cfg
    LEFT JOIN LATERAL (
        SELECT count(*) AS stays, sum(check_out - check_in) AS nights, max(check_out) AS last_stay_at
        FROM stay WHERE guest_id = g.id AND status = 'completed') s ON true
    LEFT JOIN LATERAL (
        -- a charge in a currency without a rate into the base currency does not count
        SELECT round(sum(x.amount * CASE WHEN x.currency = cfg.base_currency THEN 1
                                         ELSE (cfg.fx_rates ->> x.currency)::numeric END), 2) AS spend
        FROM consumption x WHERE x.guest_id = g.id AND x.payment_status <> 'written_off') c ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS complaints, count(*) FILTER (WHERE status IN ('open', 'in_progress')) AS open_complaints
        FROM complaint WHERE guest_id = g.id) k ON true
    ON CONFLICT (guest_id) DO UPDATE
        SET stays = EXCLUDED.stays, nights = EXCLUDED.nights, last_stay_at = EXCLUDED.last_stay_at,
            total_spend = EXCLUDED.total_spend, currency = EXCLUDED.currency, complaints = EXCLUDED.complaints,
            open_complaints = EXCLUDED.open_complaints, updated_at = EXCLUDED.updated_at
    $$;

-- Everything derived from a guest's history, refreshed for the given guests. Later migrations
-- add to it (the loyalty score), so every trigger below stays as it is.
CREATE FUNCTION refresh_derived(ids uuid[], why text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM refresh_guest_stats(ids);
END
$$;

-- Statement-level triggers: one refresh per statement for all the guests it touched. The guest
-- rows are locked first, so two transactions writing one guest's history refresh one after the
-- other, each seeing the other's committed rows (plpgsql takes a new snapshot per query).
CREATE FUNCTION history_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    ids uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT guest_id) INTO ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT guest_id) INTO ids FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT guest_id) INTO ids FROM (SELECT guest_id FROM new_rows UNION SELECT guest_id FROM old_rows) t;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM 1 FROM unnest(ids) AS u(id) JOIN guest g ON g.id = u.id ORDER BY g.id FOR NO KEY UPDATE OF g;
        PERFORM refresh_derived(ids, 'history');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER stay_inserted AFTER INSERT ON stay REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION history_changed();
CREATE TRIGGER stay_updated AFTER UPDATE ON stay REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION history_changed();
CREATE TRIGGER stay_deleted AFTER DELETE ON stay REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION history_changed();
CREATE TRIGGER consumption_inserted AFTER INSERT ON consumption REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION history_changed();
CREATE TRIGGER consumption_updated AFTER UPDATE ON consumption REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION history_changed();
CREATE TRIGGER consumption_deleted AFTER DELETE ON consumption REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION history_changed();
CREATE TRIGGER complaint_inserted AFTER INSERT ON complaint REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION history_changed();
CREATE TRIGGER complaint_updated AFTER UPDATE ON complaint REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION history_changed();
CREATE TRIGGER complaint_deleted AFTER DELETE ON complaint REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION history_changed();

-- Every guest has its derived rows from its creation on.
CREATE FUNCTION guest_created() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    ids uuid[];
BEGIN
    SELECT array_agg(id) INTO ids FROM new_rows;
    PERFORM refresh_derived(ids, 'created');
    RETURN NULL;
END
$$;
CREATE TRIGGER guest_inserted AFTER INSERT ON guest REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION guest_created();
SELECT refresh_guest_stats(array_agg(id)) FROM guest;

-- ---- JSON representations: the one definition of what each item looks like in the API ----

-- STABLE like the to_char() it wraps: a function marked stricter than its body is never inlined.
CREATE FUNCTION money_text(v numeric) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE STRICT
    AS $$ SELECT to_char(v, 'FM999999999999990.00') $$;
COMMENT ON FUNCTION money_text(numeric) IS 'Money as the API shows it: a string with two decimals';

CREATE FUNCTION stay_json(s stay) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', s.id, 'guest_id', s.guest_id, 'version', s.version,
        'check_in', s.check_in, 'check_out', s.check_out,
        'nights', s.check_out - s.check_in, 'month', to_char(s.check_in, 'YYYY-MM'),
        'status', s.status, 'room_type', s.room_type, 'room_number', s.room_number,
        'booking_channel', s.booking_channel, 'purpose', s.purpose, 'adults', s.adults, 'children', s.children,
        'rate_amount', money_text(s.rate_amount), 'currency', s.currency, 'amenities_used', s.amenities_used,
        'external_ref', s.external_ref, 'created_at', rfc3339(s.created_at), 'updated_at', rfc3339(s.updated_at)) $$;

CREATE FUNCTION consumption_json(c consumption) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', c.id, 'guest_id', c.guest_id, 'version', c.version,
        'occurred_at', rfc3339(c.occurred_at), 'category', c.category, 'dining_type', c.dining_type,
        'covers', c.covers, 'amount', money_text(c.amount), 'currency', c.currency,
        'per_person', money_text(round(c.amount / c.covers, 2)),
        'discount_rate', to_char(c.discount_rate, 'FM0.0000'), 'payment_method', c.payment_method,
        'payment_status', c.payment_status, 'revenue', money_text(c.revenue), 'stay_id', c.stay_id,
        'description', c.description, 'created_at', rfc3339(c.created_at), 'updated_at', rfc3339(c.updated_at)) $$;

CREATE FUNCTION preference_json(p preference) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', p.id, 'guest_id', p.guest_id, 'version', p.version,
        'category', p.category, 'key', p.key, 'value', p.value, 'source', p.source, 'note', p.note,
        'evidence', p.evidence, 'created_at', rfc3339(p.created_at), 'updated_at', rfc3339(p.updated_at)) $$;

CREATE FUNCTION special_date_json(d special_date) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', d.id, 'guest_id', d.guest_id, 'version', d.version,
        'kind', d.kind, 'date', d.date, 'label', d.label,
        'created_at', rfc3339(d.created_at), 'updated_at', rfc3339(d.updated_at)) $$;

CREATE FUNCTION complaint_json(k complaint) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', k.id, 'guest_id', k.guest_id, 'version', k.version,
        'received_at', rfc3339(k.received_at), 'stay_id', k.stay_id, 'category', k.category,
        'severity', k.severity, 'description', k.description, 'status', k.status, 'resolution', k.resolution,
        'compensation_amount', money_text(k.compensation_amount), 'compensation_currency', k.compensation_currency,
        'feedback_score', k.feedback_score, 'resolved_at', rfc3339(k.resolved_at),
        'created_at', rfc3339(k.created_at), 'updated_at', rfc3339(k.updated_at)) $$;

CREATE FUNCTION guest_stats_json(s guest_stats) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'stays', coalesce(s.stays, 0), 'nights', coalesce(s.nights, 0),
        'total_spend', money_text(coalesce(s.total_spend, 0)), 'currency', coalesce(s.currency, 'EUR'),
        'average_spend_per_stay', money_text(round(s.total_spend / nullif(s.stays, 0), 2)),
        'last_stay_at', s.last_stay_at, 'complaints', coalesce(s.complaints, 0),
        'open_complaints', coalesce(s.open_complaints, 0),
        'complaint_ratio', round(s.complaints::numeric / nullif(s.stays, 0), 4)) $$;

-- ---- writes with more than one step ----

-- A new preference; an inferred one with the same (category, key) gives way to it.
CREATE FUNCTION preference_create(g uuid, doc jsonb) RETURNS SETOF preference
    LANGUAGE sql VOLATILE
    AS $$
    DELETE FROM preference p
    WHERE p.guest_id = g AND p.source = 'inferred'
      AND p.category = doc ->> 'category' AND p.key = doc ->> 'key';
    INSERT INTO preference (guest_id, category, key, value, source, note)
    SELECT x.id, r.category, r.key, r.value, r.source, r.note
    FROM guest x, jsonb_to_record(doc) AS r(category text, key text, value text, source text, note text)
    WHERE x.id = g AND x.deleted_at IS NULL
    RETURNING *;
    $$;

-- Replaces a guest's inferred preferences with `items` ([{category, key, value, evidence}]):
-- the ones whose evidence is gone are removed, staff and guest entries are never touched.
CREATE FUNCTION apply_inferred_preferences(g uuid, items jsonb) RETURNS void
    LANGUAGE sql VOLATILE
    AS $$
    DELETE FROM preference p
    WHERE p.guest_id = g AND p.source = 'inferred'
      AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(items) AS i(category text, key text)
                      WHERE i.category = p.category AND i.key = p.key);
    INSERT INTO preference AS p (guest_id, category, key, value, source, evidence)
    SELECT g, i.category, i.key, i.value, 'inferred', i.evidence
    FROM jsonb_to_recordset(items) AS i(category text, key text, value text, evidence text)
    ON CONFLICT (guest_id, category, key) DO UPDATE
        SET value = EXCLUDED.value, evidence = EXCLUDED.evidence, version = p.version + 1, updated_at = now()
        WHERE p.source = 'inferred' AND (p.value, p.evidence) IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.evidence);
    $$;

-- ---- reports ----

CREATE FUNCTION ratio(n numeric, d numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT round(n / nullif(d, 0), 4) $$;

-- Complaints received and stays completed between two days (inclusive), by category, severity and month.
CREATE FUNCTION complaint_report(first_day date, last_day date) RETURNS json
    LANGUAGE sql STABLE
    AS $$
    WITH k AS (
        SELECT c.* FROM complaint c JOIN guest g ON g.id = c.guest_id AND g.deleted_at IS NULL
        WHERE c.received_at >= first_day::timestamp AT TIME ZONE 'UTC'
          AND c.received_at < (last_day + 1)::timestamp AT TIME ZONE 'UTC'),
    s AS (
        SELECT st.check_out FROM stay st JOIN guest g ON g.id = st.guest_id AND g.deleted_at IS NULL
        WHERE st.status = 'completed' AND st.check_out BETWEEN first_day AND last_day),
    months AS (
        SELECT to_char(m, 'YYYY-MM') AS month
        FROM generate_series(date_trunc('month', first_day), date_trunc('month', last_day), interval '1 month') m)
    SELECT json_build_object(
        'from', first_day, 'to', last_day,
        'complaints', (SELECT count(*) FROM k),
        'completed_stays', (SELECT count(*) FROM s),
        'complaint_ratio', ratio((SELECT count(*) FROM k), (SELECT count(*) FROM s)),
        'resolved_share', ratio((SELECT count(*) FILTER (WHERE status IN ('resolved', 'closed')) FROM k),
                                (SELECT count(*) FROM k)),
        'mean_feedback_score', (SELECT round(avg(feedback_score), 4) FROM k),
        'by_category', (SELECT coalesce(json_agg(json_build_object(
                'category', category, 'complaints', n, 'resolved_share', ratio(resolved, n),
                'mean_feedback_score', mean) ORDER BY n DESC, category), '[]')
            FROM (SELECT category, count(*) AS n,
                         count(*) FILTER (WHERE status IN ('resolved', 'closed')) AS resolved,
                         round(avg(feedback_score), 4) AS mean
                  FROM k GROUP BY category) c),
        'by_severity', (SELECT coalesce(json_agg(json_build_object(
                'severity', severity, 'complaints', n, 'resolved_share', ratio(resolved, n),
                'mean_feedback_score', mean)
                ORDER BY array_position(ARRAY['low', 'medium', 'high', 'critical'], severity)), '[]')
            FROM (SELECT severity, count(*) AS n,
                         count(*) FILTER (WHERE status IN ('resolved', 'closed')) AS resolved,
                         round(avg(feedback_score), 4) AS mean
                  FROM k GROUP BY severity) v),
        'by_month', (SELECT json_agg(json_build_object(
                'month', m.month, 'complaints', coalesce(kc.n, 0), 'completed_stays', coalesce(sc.n, 0),
                'complaint_ratio', ratio(coalesce(kc.n, 0), coalesce(sc.n, 0))) ORDER BY m.month)
            FROM months m
            LEFT JOIN (SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*) AS n
                       FROM k GROUP BY 1) kc ON kc.month = m.month
            LEFT JOIN (SELECT to_char(check_out, 'YYYY-MM') AS month, count(*) AS n FROM s GROUP BY 1) sc
                ON sc.month = m.month))
    $$;
