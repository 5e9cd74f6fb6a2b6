-- SPDX-License-Identifier: MIT
-- Marketing reads: the VIP list and the greeting feed of birthdays and special dates.

-- The day a date recurs in a given year; 29 February is kept on the 28th in other years.
CREATE FUNCTION recurrence_in(d date, year integer) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
    SELECT make_date(year, extract(month FROM d)::int,
                     least(extract(day FROM d)::int,
                           extract(day FROM (make_date(year, extract(month FROM d)::int, 1)
                                             + interval '1 month - 1 day'))::int))
    $$;

-- The first recurrence of d on or after `from`.
CREATE FUNCTION next_recurrence(d date, from_day date) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
    SELECT CASE WHEN recurrence_in(d, extract(year FROM from_day)::int) >= from_day
                THEN recurrence_in(d, extract(year FROM from_day)::int)
                ELSE recurrence_in(d, extract(year FROM from_day)::int + 1) END
    $$;

-- The guest's nearest birthday or special date within `days` days from `from_day`, or NULL.
CREATE FUNCTION next_occasion(g uuid, birth date, from_day date, days integer) RETURNS json
    LANGUAGE sql STABLE
    AS $$
    SELECT json_build_object('kind', o.kind, 'date', o.day, 'label', o.label)
    FROM (SELECT 'birthday' AS kind, next_recurrence(birth, from_day) AS day, NULL::text AS label
          WHERE birth IS NOT NULL
          UNION ALL
          SELECT d.kind, next_recurrence(d.date, from_day), d.label FROM special_date d WHERE d.guest_id = g) o
    WHERE o.day <= from_day + days
    ORDER BY o.day, o.kind
    LIMIT 1
    $$;

-- One VIP list entry before masking: guestd removes what marketing may not see (domain/guest.c),
-- so the rule stays in one place.
CREATE FUNCTION vip_json(g guest, l guest_loyalty, tiers jsonb, occasion json) RETURNS json
    LANGUAGE sql STABLE
    AS $$
    SELECT json_build_object(
        'id', g.id, 'family_name', g.family_name, 'given_name', g.given_name, 'nationality', g.nationality,
        'language', g.language, 'birth_date', g.birth_date, 'email', g.email, 'phone', g.phone,
        'marketing_consent', g.marketing_consent, 'vip_code', g.vip_code,
        'score', l.score, 'tier', l.tier,
        'colour', (SELECT t ->> 'colour' FROM jsonb_array_elements(tiers) t WHERE t ->> 'name' = l.tier),
        'next_occasion', occasion)
    $$;

-- The greeting feed: each birthday and special date of a consenting guest that recurs between two
-- days (at most a year apart, so each recurs at most twice: this year's and next year's).
CREATE FUNCTION occasions_between(first_day date, last_day date, only_kind text)
    RETURNS TABLE (day date, row_id uuid, item json)
    LANGUAGE sql STABLE
    AS $$
    WITH o AS (
        SELECT g.id AS guest_id, g.id AS row_id, 'birthday'::text AS kind, g.birth_date AS original, NULL::text AS label
        FROM guest g
        WHERE g.birth_date IS NOT NULL AND g.deleted_at IS NULL AND g.marketing_consent
          AND (only_kind IS NULL OR only_kind = 'birthday')
        UNION ALL
        SELECT d.guest_id, d.id, d.kind, d.date, d.label
        FROM special_date d JOIN guest g ON g.id = d.guest_id AND g.deleted_at IS NULL AND g.marketing_consent
        WHERE only_kind IS NULL OR only_kind = d.kind),
    r AS (
        SELECT o.*, x.day
        FROM o CROSS JOIN LATERAL (
            SELECT recurrence_in(o.original, y) AS day
            FROM generate_series(extract(year FROM first_day)::int, extract(year FROM last_day)::int) y) x
        WHERE x.day BETWEEN first_day AND last_day)
    SELECT r.day, r.row_id,
           json_build_object('guest_id', g.id, 'family_name', g.family_name, 'given_name', g.given_name,
                             'language', g.language, 'email', g.email, 'phone', g.phone,
                             'marketing_consent', g.marketing_consent, 'kind', r.kind, 'date', r.day,
                             'original_date', to_char(r.original, 'MM-DD'), 'label', r.label)
    FROM r JOIN guest g ON g.id = r.guest_id
    $$;
