-- SPDX-License-Identifier: MIT
-- Bulk import (POST /v1/guests/import, guestd import): one set-based call per batch of lines.
--
-- guestd validates and normalizes every line in C first (the rules of POST /v1/guests and of the
-- section POSTs) and sends a batch as one JSON array; import_batch() then writes the whole batch
-- with one statement per table, so the cost per guest is a share of a few statements, not a round
-- trip. Lines of one batch never share an external reference (guestd starts a new batch instead).
--
-- The upsert rules (README "Bulk import", openapi ImportLine):
--   * a line whose external references match no guest creates one; matching one guest updates it;
--     matching two guests, or a soft-deleted guest, is rejected (409) and nothing of it is stored;
--   * an update is a merge: the members the line names replace the stored ones (null clears),
--     the ones it leaves out are kept; its external references are added to the guest's;
--     version and updated_at move only when a value changed;
--   * section items are matched to the guest's stored ones by a natural key, so that running the
--     same file again adds nothing: stays by external_ref (else check_in, check_out and
--     room_number), preferences by (category, key), charges by (occurred_at, category, amount,
--     currency, description), special dates by (kind, date, label), complaints by (received_at
--     when given, category, description). A matched stay or preference takes the line's values; a
--     matched charge, special date or complaint is left as it is; an unmatched item is inserted.

-- The batch being written, one row per line (and one per stay); lives in the session, emptied at
-- each call.
-- (guest, sections) are the normalized documents; `absent` the writable members the line left out.
CREATE FUNCTION import_prepare() RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF to_regclass('pg_temp.import_line') IS NULL THEN
        CREATE TEMP TABLE import_line (
            n        bigint PRIMARY KEY,
            guest    jsonb NOT NULL,
            absent   text[] NOT NULL,
            sections jsonb NOT NULL,
            guest_id uuid,
            created  boolean NOT NULL DEFAULT false,
            problem  text,   -- NULL, or 'conflict: <detail>'
            field    text
        ) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE import_stay (n bigint, guest_id uuid, ord bigint, doc jsonb, stay_id uuid)
            ON COMMIT DELETE ROWS;
    ELSE
        -- rows survive a call that ended in a savepoint of a longer transaction
        DELETE FROM pg_temp.import_line;
        DELETE FROM pg_temp.import_stay;
    END IF;
END
$$;

CREATE FUNCTION import_batch(p_lines jsonb)
    RETURNS TABLE (line bigint, status text, guest_id uuid, detail text, field text)
    LANGUAGE plpgsql
    SET jit = off
    AS $$
#variable_conflict use_column
DECLARE
    -- a statement that has nothing to do still costs its scan and its statement triggers
    any_created boolean;
    any_updated boolean;
    has jsonb; -- the sections some line of the batch carries
BEGIN
    PERFORM import_prepare();
    INSERT INTO pg_temp.import_line (n, guest, absent, sections)
    SELECT (e ->> 'n')::bigint, e -> 'guest',
           ARRAY(SELECT jsonb_array_elements_text(e -> 'absent')), e -> 'sections'
    FROM jsonb_array_elements(p_lines) e;

    -- which guests the references name (soft-deleted ones too: a reference stays theirs)
    UPDATE pg_temp.import_line l
    SET guest_id = m.gid,
        problem = CASE WHEN m.guests > 1 THEN 'The external references belong to different guests.'
                       WHEN m.deleted THEN 'The external references belong to a deleted guest; restore it first.' END,
        field = CASE WHEN m.guests > 1 OR m.deleted THEN '/external_refs' END
    FROM (SELECT l2.n, min(x.guest_id::text)::uuid AS gid, count(DISTINCT x.guest_id) AS guests,
                 bool_or(g.deleted_at IS NOT NULL) AS deleted
          FROM pg_temp.import_line l2
          CROSS JOIN jsonb_array_elements(l2.guest -> 'external_refs') r
          JOIN guest_external_ref x ON x.system = r ->> 'system' AND x.external_id = r ->> 'id'
          JOIN guest g ON g.id = x.guest_id
          GROUP BY l2.n) m
    WHERE m.n = l.n;
    UPDATE pg_temp.import_line SET guest_id = NULL WHERE problem IS NOT NULL;
    UPDATE pg_temp.import_line SET guest_id = gen_random_uuid(), created = true
    WHERE guest_id IS NULL AND problem IS NULL;
    SELECT coalesce(bool_or(l.created), false), coalesce(bool_or(NOT l.created AND l.problem IS NULL), false),
           coalesce(jsonb_object_agg(k.key, true) FILTER (WHERE k.key IS NOT NULL), '{}')
    INTO any_created, any_updated, has
    FROM pg_temp.import_line l LEFT JOIN LATERAL jsonb_object_keys(l.sections) AS k(key) ON l.problem IS NULL;

    IF any_created THEN
        INSERT INTO guest (id, family_name, given_name, gender, birth_date, nationality, ethnicity, native_place,
                           address, phone, email, language, id_document, vip_code, marketing_consent, legal_hold, notes)
        SELECT l.guest_id, r.family_name, r.given_name, r.gender, r.birth_date, r.nationality, r.ethnicity,
               r.native_place, r.address, r.phone, r.email, r.language, r.id_document, r.vip_code,
               r.marketing_consent, r.legal_hold, r.notes
        FROM pg_temp.import_line l, jsonb_populate_record(NULL::guest, l.guest) r
        WHERE l.created
        ORDER BY l.n;
    END IF;

    -- a merge: jsonb_populate_record keeps the stored value of every member the line left out
    IF any_updated THEN
        UPDATE guest t
        SET (family_name, given_name, gender, birth_date, nationality, ethnicity, native_place, address, phone, email,
             language, id_document, vip_code, marketing_consent, legal_hold, notes) =
            (SELECT r.family_name, r.given_name, r.gender, r.birth_date, r.nationality, r.ethnicity, r.native_place,
                    r.address, r.phone, r.email, r.language, r.id_document, r.vip_code, r.marketing_consent,
                    r.legal_hold, r.notes
             FROM jsonb_populate_record(t, l.guest - l.absent) r),
            version = t.version + 1, updated_at = now()
        FROM pg_temp.import_line l
        WHERE t.id = l.guest_id AND NOT l.created AND l.problem IS NULL
          AND jsonb_populate_record(t, l.guest - l.absent) IS DISTINCT FROM t;
    END IF;

    INSERT INTO guest_external_ref (guest_id, system, external_id)
    SELECT l.guest_id, r ->> 'system', r ->> 'id'
    FROM pg_temp.import_line l CROSS JOIN jsonb_array_elements(l.guest -> 'external_refs') r
    WHERE l.problem IS NULL
    ON CONFLICT (system, external_id) DO NOTHING;

    -- ---- stays: matched by external_ref, else by (check_in, check_out, room_number) ----
    IF has ? 'stays' THEN
        INSERT INTO pg_temp.import_stay (n, guest_id, ord, doc)
        SELECT l.n, l.guest_id, e.ord, e.doc
        FROM pg_temp.import_line l, jsonb_array_elements(l.sections -> 'stays') WITH ORDINALITY AS e(doc, ord)
        WHERE l.problem IS NULL;
        UPDATE pg_temp.import_stay i SET stay_id = (
            SELECT s.id FROM stay s
            WHERE s.guest_id = i.guest_id
              AND CASE WHEN i.doc ->> 'external_ref' IS NOT NULL THEN s.external_ref = i.doc ->> 'external_ref'
                       ELSE s.check_in = (i.doc ->> 'check_in')::date AND s.check_out = (i.doc ->> 'check_out')::date
                            AND s.room_number IS NOT DISTINCT FROM i.doc ->> 'room_number' END
            ORDER BY s.id LIMIT 1)
        WHERE NOT EXISTS (SELECT 1 FROM pg_temp.import_line l WHERE l.n = i.n AND l.created);
        UPDATE stay s
        SET (check_in, check_out, status, room_type, room_number, booking_channel, purpose, adults, children,
             rate_amount, currency, amenities_used, external_ref) =
            (r.check_in, r.check_out, r.status, r.room_type, r.room_number, r.booking_channel, r.purpose, r.adults,
             r.children, r.rate_amount, r.currency, r.amenities_used, r.external_ref),
            version = s.version + 1, updated_at = now()
        FROM pg_temp.import_stay i,
             jsonb_to_record(i.doc) AS r(check_in date, check_out date, status text, room_type text, room_number text,
                                         booking_channel text, purpose text, adults int, children int,
                                         rate_amount numeric, currency text, amenities_used jsonb, external_ref text)
        WHERE s.guest_id = i.guest_id AND s.id = i.stay_id
          AND (s.check_in, s.check_out, s.status, s.room_type, s.room_number, s.booking_channel, s.purpose, s.adults,
               s.children, s.rate_amount, s.currency, s.amenities_used, s.external_ref)
              IS DISTINCT FROM
              (r.check_in, r.check_out, r.status, r.room_type, r.room_number, r.booking_channel, r.purpose, r.adults,
               r.children, r.rate_amount, r.currency, r.amenities_used, r.external_ref);
        INSERT INTO stay (guest_id, check_in, check_out, status, room_type, room_number, booking_channel, purpose,
                          adults, children, rate_amount, currency, amenities_used, external_ref)
        SELECT i.guest_id, r.check_in, r.check_out, r.status, r.room_type, r.room_number, r.booking_channel, r.purpose,
               r.adults, r.children, r.rate_amount, r.currency, r.amenities_used, r.external_ref
        FROM pg_temp.import_stay i,
             jsonb_to_record(i.doc) AS r(check_in date, check_out date, status text, room_type text, room_number text,
                                         booking_channel text, purpose text, adults int, children int,
                                         rate_amount numeric, currency text, amenities_used jsonb, external_ref text)
        WHERE i.stay_id IS NULL
        ORDER BY i.n, i.ord;
    END IF;

    -- ---- charges: a stored charge with the same key is left as it is ----
    IF has ? 'consumptions' THEN
        INSERT INTO consumption (guest_id, occurred_at, category, dining_type, covers, amount, currency, discount_rate,
                                 payment_method, payment_status, revenue, stay_id, description)
        SELECT l.guest_id, r.occurred_at, r.category, r.dining_type, r.covers, r.amount, r.currency, r.discount_rate,
               r.payment_method, r.payment_status, r.revenue, r.stay_id, r.description
        FROM pg_temp.import_line l, jsonb_array_elements(l.sections -> 'consumptions') WITH ORDINALITY AS e(doc, ord),
             jsonb_to_record(e.doc) AS r(occurred_at timestamptz, category text, dining_type text, covers int,
                                         amount numeric, currency text, discount_rate numeric, payment_method text,
                                         payment_status text, revenue numeric, stay_id uuid, description text)
        WHERE l.problem IS NULL
          AND (l.created OR NOT EXISTS (
                SELECT 1 FROM consumption c
                WHERE c.guest_id = l.guest_id AND c.occurred_at = r.occurred_at AND c.category = r.category
                  AND c.amount = r.amount AND c.currency = r.currency
                  AND c.description IS NOT DISTINCT FROM r.description))
        ORDER BY l.n, e.ord;
    END IF;

    -- ---- preferences: one per (category, key), the line's value wins ----
    IF has ? 'preferences' THEN
        INSERT INTO preference AS p (guest_id, category, key, value, source, note)
        SELECT DISTINCT ON (l.guest_id, r.category, r.key) l.guest_id, r.category, r.key, r.value, r.source, r.note
        FROM pg_temp.import_line l, jsonb_array_elements(l.sections -> 'preferences') WITH ORDINALITY AS e(doc, ord),
             jsonb_to_record(e.doc) AS r(category text, key text, value text, source text, note text)
        WHERE l.problem IS NULL
        ORDER BY l.guest_id, r.category, r.key, e.ord DESC
        ON CONFLICT (guest_id, category, key) DO UPDATE
            SET value = EXCLUDED.value, source = EXCLUDED.source, note = EXCLUDED.note, evidence = NULL,
                version = p.version + 1, updated_at = now()
            WHERE (p.value, p.source, p.note) IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.source, EXCLUDED.note);
    END IF;

    -- ---- special dates ----
    IF has ? 'special_dates' THEN
        INSERT INTO special_date (guest_id, kind, date, label)
        SELECT l.guest_id, r.kind, r.date, r.label
        FROM pg_temp.import_line l, jsonb_array_elements(l.sections -> 'special_dates') WITH ORDINALITY AS e(doc, ord),
             jsonb_to_record(e.doc) AS r(kind text, date date, label text)
        WHERE l.problem IS NULL
          AND (l.created OR NOT EXISTS (
                SELECT 1 FROM special_date d
                WHERE d.guest_id = l.guest_id AND d.kind = r.kind AND d.date = r.date
                  AND d.label IS NOT DISTINCT FROM r.label))
        ORDER BY l.n, e.ord;
    END IF;

    -- ---- complaints: received_at defaults to now and resolved_at is stamped, as on POST ----
    IF has ? 'complaints' THEN
        INSERT INTO complaint (guest_id, received_at, stay_id, category, severity, description, status, resolution,
                               compensation_amount, compensation_currency, feedback_score, resolved_at)
        SELECT l.guest_id, coalesce(r.received_at, now()), r.stay_id, r.category, r.severity, r.description, r.status,
               r.resolution, r.compensation_amount, r.compensation_currency, r.feedback_score,
               CASE WHEN r.status IN ('resolved', 'closed') THEN now() END
        FROM pg_temp.import_line l, jsonb_array_elements(l.sections -> 'complaints') WITH ORDINALITY AS e(doc, ord),
             jsonb_to_record(e.doc) AS r(received_at timestamptz, stay_id uuid, category text, severity text,
                                         description text, status text, resolution text, compensation_amount numeric,
                                         compensation_currency text, feedback_score int)
        WHERE l.problem IS NULL
          AND (l.created OR NOT EXISTS (
                SELECT 1 FROM complaint c
                WHERE c.guest_id = l.guest_id AND c.category = r.category AND c.description = r.description
                  AND (r.received_at IS NULL OR c.received_at = r.received_at)))
        ORDER BY l.n, e.ord;
    END IF;

    RETURN QUERY
    SELECT l.n, CASE WHEN l.problem IS NOT NULL THEN 'rejected' WHEN l.created THEN 'created' ELSE 'updated' END,
           l.guest_id, l.problem, l.field
    FROM pg_temp.import_line l ORDER BY l.n;
END
$$;
COMMENT ON FUNCTION import_batch(jsonb) IS
    'One batch of POST /v1/guests/import and guestd import: [{n, guest, absent, sections}] -> a result per line';
