-- SPDX-License-Identifier: MIT
-- Duplicates and merge, data-subject export and erasure (issue 6): the indexes that find likely
-- duplicates, the merge journal that makes a merge undoable, and the erasure tombstone.

-- ---- duplicates: one indexed lookup per reason (guest_duplicates in src/db/statements.c) ----

-- e-mail addresses compare trimmed and lower-cased (guest_email_lower of sql/0001 only lower-cases)
CREATE INDEX guest_email_norm ON guest (lower(btrim(email))) WHERE deleted_at IS NULL AND email IS NOT NULL;
COMMENT ON INDEX guest_email_norm IS 'for guest_duplicates: same normalized e-mail';
CREATE INDEX guest_id_document ON guest ((id_document ->> 'type'), (id_document ->> 'number'), (id_document ->> 'country'))
    WHERE deleted_at IS NULL AND id_document IS NOT NULL;
COMMENT ON INDEX guest_id_document IS 'for guest_duplicates: same identity document (type, number, country)';
-- the birth date leads: few guests share one, and the similar-name reason reads the same range
CREATE INDEX guest_birth_name ON guest (birth_date, search_fold(family_name), search_fold(coalesce(given_name, '')))
    WHERE deleted_at IS NULL AND birth_date IS NOT NULL;
COMMENT ON INDEX guest_birth_name IS 'for guest_duplicates: same name and birth date, and similar names born the same day';

-- ---- merge ----

-- A merged guest is a deleted one that points at the guest it went into; its id then answers 404
-- with merged_into. A purge may hard-delete it after the grace period like any deleted guest.
ALTER TABLE guest DROP CONSTRAINT guest_deleted_reason_check;
ALTER TABLE guest
    ADD CONSTRAINT guest_deleted_reason_check CHECK (deleted_reason IN ('request', 'purge', 'merge')),
    ADD COLUMN merged_into uuid,
    ADD CONSTRAINT guest_merged_into CHECK ((merged_into IS NOT NULL) = (deleted_reason IS NOT DISTINCT FROM 'merge'));
COMMENT ON COLUMN guest.merged_into IS 'The surviving guest this one was merged into (deleted_reason merge); no foreign key, so erasure and purge stay free';
CREATE INDEX guest_merged_into ON guest (merged_into) WHERE merged_into IS NOT NULL;
COMMENT ON INDEX guest_merged_into IS 'for guest_erase: the guests merged into an erased one go with it';

CREATE TABLE merge_journal (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    survivor_id   uuid NOT NULL,
    source_id     uuid NOT NULL CHECK (source_id <> survivor_id),
    merged_at     timestamptz NOT NULL DEFAULT now(),
    merged_by     text NOT NULL CHECK (char_length(merged_by) BETWEEN 1 AND 100),
    moved         jsonb NOT NULL CHECK (jsonb_typeof(moved) = 'object'),
    filled        jsonb NOT NULL CHECK (jsonb_typeof(filled) = 'object'),
    source_before jsonb NOT NULL CHECK (jsonb_typeof(source_before) = 'object'),
    undone_at     timestamptz,
    undone_by     text CHECK (char_length(undone_by) BETWEEN 1 AND 100),
    undo_result   jsonb,
    CHECK ((undone_at IS NULL) = (undone_by IS NULL))
);
COMMENT ON TABLE merge_journal IS 'Every merge: what moved and what was filled, so POST /v1/merges/{id}/undo can reverse exactly that';
COMMENT ON COLUMN merge_journal.moved IS 'Ids of the rows moved from source to survivor, per section; external_refs as {system, id}';
COMMENT ON COLUMN merge_journal.filled IS 'Survivor fields that were empty and got the source''s value: field -> value written';
COMMENT ON COLUMN merge_journal.source_before IS 'The source guest row as it was before the merge';
CREATE INDEX merge_journal_survivor ON merge_journal (survivor_id, merged_at);
COMMENT ON INDEX merge_journal_survivor IS 'for guest_export and guest_erase: the merges a guest survived';
CREATE INDEX merge_journal_source ON merge_journal (source_id, merged_at);
COMMENT ON INDEX merge_journal_source IS 'for guest_export and guest_erase: the merges a guest went into another one';

-- Basic-info fields a merge fills on the survivor when they are empty there. family_name is
-- required (never empty); marketing_consent is not taken over (consent is given per record);
-- legal_hold is taken over when the source has it, because the held data now lives on the survivor.
CREATE FUNCTION merge_fillable() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ARRAY['given_name', 'gender', 'birth_date', 'nationality', 'ethnicity', 'native_place', 'address',
                       'phone', 'email', 'language', 'id_document', 'vip_code', 'notes'] $$;

-- Writes the basic-info fields of `r` onto guest `g`, bumping its version.
CREATE FUNCTION merge_write_basic(g uuid, r guest) RETURNS void
    LANGUAGE sql VOLATILE
    AS $$
    UPDATE guest SET given_name = r.given_name, gender = r.gender, birth_date = r.birth_date,
        nationality = r.nationality, ethnicity = r.ethnicity, native_place = r.native_place, address = r.address,
        phone = r.phone, email = r.email, language = r.language, id_document = r.id_document,
        vip_code = r.vip_code, notes = r.notes, legal_hold = r.legal_hold,
        version = version + 1, updated_at = now()
    WHERE id = g
    $$;

CREATE FUNCTION merge_counts(moved jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(jsonb_object_agg(k, jsonb_array_length(v)), '{}') FROM jsonb_each(moved) AS e(k, v) $$;

-- Merges guest `source` into guest `survivor` (DESIGN §5), or previews it when `dry`. Returns
-- {"error": code} without changing anything when the merge cannot be done; otherwise the result
-- plus "version_before" (the survivor's version, for the caller's If-Match check: a mismatch rolls
-- the transaction back).
CREATE FUNCTION merge_guests(p_survivor uuid, p_source uuid, p_dry boolean, p_actor text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
    s guest;
    src guest;
    fills jsonb := '{}';
    f text;
    moved jsonb;
    kept integer;
    jid uuid;
    at timestamptz := now();
BEGIN
    IF p_survivor = p_source THEN
        RETURN jsonb_build_object('error', 'same');
    END IF;
    -- both rows locked in id order: two merges of one pair in opposite directions cannot deadlock
    PERFORM 1 FROM guest WHERE id IN (p_survivor, p_source) ORDER BY id FOR UPDATE;
    SELECT * INTO s FROM guest WHERE id = p_survivor AND deleted_at IS NULL;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'not_found');
    END IF;
    SELECT * INTO src FROM guest WHERE id = p_source AND deleted_at IS NULL;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'source_not_found', 'version_before', s.version);
    END IF;

    FOREACH f IN ARRAY merge_fillable() LOOP
        IF jsonb_typeof(to_jsonb(s) -> f) = 'null' AND jsonb_typeof(to_jsonb(src) -> f) <> 'null' THEN
            fills := fills || jsonb_build_object(f, to_jsonb(src) -> f);
        END IF;
    END LOOP;
    IF src.legal_hold AND NOT s.legal_hold THEN
        fills := fills || '{"legal_hold": true}';
    END IF;
    -- a preference of the source whose (category, key) the survivor already has stays on the source
    SELECT count(*) INTO kept FROM preference p WHERE p.guest_id = p_source
        AND EXISTS (SELECT 1 FROM preference q WHERE q.guest_id = p_survivor AND q.category = p.category AND q.key = p.key);

    IF p_dry THEN
        SELECT jsonb_build_object(
            'stays', (SELECT count(*) FROM stay WHERE guest_id = p_source),
            'consumptions', (SELECT count(*) FROM consumption WHERE guest_id = p_source),
            'preferences', (SELECT count(*) FROM preference WHERE guest_id = p_source) - kept,
            'special_dates', (SELECT count(*) FROM special_date WHERE guest_id = p_source),
            'complaints', (SELECT count(*) FROM complaint WHERE guest_id = p_source),
            'external_refs', (SELECT count(*) FROM guest_external_ref WHERE guest_id = p_source))
        INTO moved;
        RETURN jsonb_build_object('merge_id', NULL, 'survivor_id', p_survivor, 'source_id', p_source, 'dry_run', true,
            'moved', moved, 'kept_on_source', jsonb_build_object('preferences', kept),
            'filled', (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]') FROM jsonb_object_keys(fills) k),
            'merged_at', NULL, 'version_before', s.version);
    END IF;

    -- One statement for the history, so the (guest_id, stay_id) foreign keys of charges and
    -- complaints are checked once every row has moved.
    WITH st AS (UPDATE stay SET guest_id = p_survivor WHERE guest_id = p_source RETURNING id),
         co AS (UPDATE consumption SET guest_id = p_survivor WHERE guest_id = p_source RETURNING id),
         cm AS (UPDATE complaint SET guest_id = p_survivor WHERE guest_id = p_source RETURNING id),
         pr AS (UPDATE preference p SET guest_id = p_survivor WHERE p.guest_id = p_source AND NOT EXISTS
                  (SELECT 1 FROM preference q WHERE q.guest_id = p_survivor AND q.category = p.category AND q.key = p.key)
                RETURNING id),
         sd AS (UPDATE special_date SET guest_id = p_survivor WHERE guest_id = p_source RETURNING id),
         xr AS (UPDATE guest_external_ref SET guest_id = p_survivor WHERE guest_id = p_source
                RETURNING jsonb_build_object('system', system, 'id', external_id) AS ref)
    SELECT jsonb_build_object(
        'stays', (SELECT coalesce(jsonb_agg(id ORDER BY id), '[]') FROM st),
        'consumptions', (SELECT coalesce(jsonb_agg(id ORDER BY id), '[]') FROM co),
        'preferences', (SELECT coalesce(jsonb_agg(id ORDER BY id), '[]') FROM pr),
        'special_dates', (SELECT coalesce(jsonb_agg(id ORDER BY id), '[]') FROM sd),
        'complaints', (SELECT coalesce(jsonb_agg(id ORDER BY id), '[]') FROM cm),
        'external_refs', (SELECT coalesce(jsonb_agg(ref), '[]') FROM xr))
    INTO moved;

    PERFORM merge_write_basic(p_survivor, jsonb_populate_record(s, fills));
    UPDATE guest SET deleted_at = at, deleted_reason = 'merge', merged_into = p_survivor, purge_run_id = NULL,
        version = version + 1, updated_at = at
    WHERE id = p_source;
    INSERT INTO merge_journal (survivor_id, source_id, merged_at, merged_by, moved, filled, source_before)
    VALUES (p_survivor, p_source, at, p_actor, moved, fills, to_jsonb(src) - 'search_name')
    RETURNING id INTO jid;
    -- the moved history's triggers refreshed both already; preferences and dates have none
    PERFORM refresh_derived(ARRAY[p_survivor, p_source], 'history');

    RETURN jsonb_build_object('merge_id', jid, 'survivor_id', p_survivor, 'source_id', p_source, 'dry_run', false,
        'moved', merge_counts(moved), 'kept_on_source', jsonb_build_object('preferences', kept),
        'filled', (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]') FROM jsonb_object_keys(fills) k),
        'merged_at', rfc3339(at), 'version_before', s.version);
END
$$;
COMMENT ON FUNCTION merge_guests(uuid, uuid, boolean, text) IS 'POST /v1/guests/{id}/merge: move, fill, journal, mark the source merged';

-- Reverses one merge: the rows it moved that are still on the survivor go back to the source,
-- the fields it filled that still hold the filled value are emptied again (a field changed since
-- is left as it is and reported under "kept"), the source is live again. {"error": code} when it
-- cannot be undone.
CREATE FUNCTION merge_undo(p_merge uuid, p_actor text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
    j merge_journal;
    s guest;
    src guest;
    patch jsonb := '{}';
    unfilled text[] := '{}';
    kept text[] := '{}';
    f text;
    back jsonb;
    result jsonb;
    at timestamptz := now();
BEGIN
    SELECT * INTO j FROM merge_journal WHERE id = p_merge FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'not_found');
    END IF;
    IF j.undone_at IS NOT NULL THEN
        RETURN jsonb_build_object('error', 'already_undone');
    END IF;
    PERFORM 1 FROM guest WHERE id IN (j.survivor_id, j.source_id) ORDER BY id FOR UPDATE;
    SELECT * INTO s FROM guest WHERE id = j.survivor_id AND deleted_at IS NULL;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'survivor_gone');
    END IF;
    SELECT * INTO src FROM guest WHERE id = j.source_id AND merged_into = j.survivor_id;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'source_gone');
    END IF;

    FOR f IN SELECT k FROM jsonb_object_keys(j.filled) AS k ORDER BY k LOOP
        IF to_jsonb(s) -> f = j.filled -> f THEN
            patch := patch || jsonb_build_object(f, CASE WHEN f = 'legal_hold' THEN 'false'::jsonb ELSE 'null'::jsonb END);
            unfilled := unfilled || f;
        ELSE
            kept := kept || f;
        END IF;
    END LOOP;

    BEGIN
        WITH st AS (UPDATE stay SET guest_id = j.source_id WHERE guest_id = j.survivor_id
                      AND id IN (SELECT (jsonb_array_elements_text(j.moved -> 'stays'))::uuid) RETURNING 1),
             co AS (UPDATE consumption SET guest_id = j.source_id WHERE guest_id = j.survivor_id
                      AND id IN (SELECT (jsonb_array_elements_text(j.moved -> 'consumptions'))::uuid) RETURNING 1),
             cm AS (UPDATE complaint SET guest_id = j.source_id WHERE guest_id = j.survivor_id
                      AND id IN (SELECT (jsonb_array_elements_text(j.moved -> 'complaints'))::uuid) RETURNING 1),
             pr AS (UPDATE preference SET guest_id = j.source_id WHERE guest_id = j.survivor_id
                      AND id IN (SELECT (jsonb_array_elements_text(j.moved -> 'preferences'))::uuid) RETURNING 1),
             sd AS (UPDATE special_date SET guest_id = j.source_id WHERE guest_id = j.survivor_id
                      AND id IN (SELECT (jsonb_array_elements_text(j.moved -> 'special_dates'))::uuid) RETURNING 1),
             xr AS (UPDATE guest_external_ref x SET guest_id = j.source_id WHERE x.guest_id = j.survivor_id
                      AND EXISTS (SELECT 1 FROM jsonb_array_elements(j.moved -> 'external_refs') e
                                  WHERE e ->> 'system' = x.system AND e ->> 'id' = x.external_id) RETURNING 1)
        SELECT jsonb_build_object('stays', (SELECT count(*) FROM st), 'consumptions', (SELECT count(*) FROM co),
            'preferences', (SELECT count(*) FROM pr), 'special_dates', (SELECT count(*) FROM sd),
            'complaints', (SELECT count(*) FROM cm), 'external_refs', (SELECT count(*) FROM xr))
        INTO back;
    EXCEPTION
        WHEN foreign_key_violation THEN
            -- a moved charge or complaint was linked to one of the survivor's own stays since (or
            -- the other way round): moving them apart would break that link
            RETURN jsonb_build_object('error', 'linked');
        WHEN unique_violation THEN
            -- a moved preference was given the category and key of one the source kept
            RETURN jsonb_build_object('error', 'clash');
    END;

    PERFORM merge_write_basic(j.survivor_id, jsonb_populate_record(s, patch));
    UPDATE guest SET deleted_at = NULL, deleted_reason = NULL, merged_into = NULL,
        version = version + 1, updated_at = at
    WHERE id = j.source_id;
    PERFORM refresh_derived(ARRAY[j.survivor_id, j.source_id], 'history');

    result := jsonb_build_object('merge_id', j.id, 'survivor_id', j.survivor_id, 'source_id', j.source_id,
        'undone_at', rfc3339(at), 'moved_back', back, 'unfilled', to_jsonb(unfilled), 'kept', to_jsonb(kept));
    UPDATE merge_journal SET undone_at = at, undone_by = p_actor, undo_result = result WHERE id = j.id;
    RETURN result;
END
$$;
COMMENT ON FUNCTION merge_undo(uuid, text) IS 'POST /v1/merges/{id}/undo';

-- ---- export: everything held on one guest (GET /v1/guests/{id}/export) ----

CREATE FUNCTION guest_export(gid uuid) RETURNS json
    LANGUAGE sql STABLE
    AS $$
    SELECT json_build_object(
        'exported_at', rfc3339(now()),
        'guest', (to_jsonb(g) - 'search_name' - 'deleted_at' - 'deleted_reason' - 'purge_run_id' - 'merged_into'
                  - 'created_at' - 'updated_at')
                 || jsonb_build_object('created_at', rfc3339(g.created_at), 'updated_at', rfc3339(g.updated_at),
                    'external_refs', (SELECT coalesce(jsonb_agg(jsonb_build_object('system', x.system, 'id', x.external_id)
                                       ORDER BY x.system, x.external_id), '[]')
                                      FROM guest_external_ref x WHERE x.guest_id = g.id)),
        'consent', json_build_object('marketing_consent', g.marketing_consent),
        'deletion', json_build_object('deleted', g.deleted_at IS NOT NULL, 'deleted_at', rfc3339(g.deleted_at),
                                      'reason', g.deleted_reason, 'purge_run_id', g.purge_run_id,
                                      'merged_into', g.merged_into, 'legal_hold', g.legal_hold),
        'stays', (SELECT coalesce(json_agg(stay_json(t) ORDER BY t.check_in, t.id), '[]') FROM stay t WHERE t.guest_id = g.id),
        'consumptions', (SELECT coalesce(json_agg(consumption_json(t) ORDER BY t.occurred_at, t.id), '[]')
                         FROM consumption t WHERE t.guest_id = g.id),
        'preferences', (SELECT coalesce(json_agg(preference_json(t) ORDER BY t.category, t.key), '[]')
                        FROM preference t WHERE t.guest_id = g.id),
        'special_dates', (SELECT coalesce(json_agg(special_date_json(t) ORDER BY t.date, t.id), '[]')
                          FROM special_date t WHERE t.guest_id = g.id),
        'complaints', (SELECT coalesce(json_agg(complaint_json(t) ORDER BY t.received_at, t.id), '[]')
                       FROM complaint t WHERE t.guest_id = g.id),
        'stats', (SELECT guest_stats_json(st) FROM guest_stats st WHERE st.guest_id = g.id),
        'loyalty', loyalty_json(g.id),
        'tier_changes', (SELECT coalesce(json_agg(json_build_object('from', t.from_tier, 'to', t.to_tier,
                                   'reason', t.reason, 'score', t.score, 'at', rfc3339(t.changed_at))
                                 ORDER BY t.changed_at, t.id), '[]')
                         FROM tier_change t WHERE t.guest_id = g.id),
        'merges', (SELECT coalesce(json_agg(json_build_object(
                        'merge_id', m.id, 'role', CASE WHEN m.survivor_id = g.id THEN 'survivor' ELSE 'source' END,
                        'survivor_id', m.survivor_id, 'source_id', m.source_id, 'merged_at', rfc3339(m.merged_at),
                        'merged_by', m.merged_by, 'moved', m.moved, 'filled', m.filled,
                        'source_before', m.source_before, 'undone_at', rfc3339(m.undone_at), 'undone_by', m.undone_by)
                        ORDER BY m.merged_at, m.id), '[]')
                   FROM merge_journal m WHERE m.survivor_id = g.id OR m.source_id = g.id),
        -- the audit trail of sql/0007, oldest first (sensitive values are never stored there)
        'history', (SELECT coalesce(json_agg(audit_event_json(a) ORDER BY a.id), '[]')
                    FROM audit_event a WHERE a.guest_id = g.id))
    FROM guest g WHERE g.id = gid
    $$;
COMMENT ON FUNCTION guest_export(uuid) IS 'GET /v1/guests/{id}/export: a data-subject access request, soft-deleted guests included';

-- ---- erasure ----

ALTER TABLE guest_tombstone DROP CONSTRAINT guest_tombstone_reason_check;
ALTER TABLE guest_tombstone
    ADD CONSTRAINT guest_tombstone_reason_check CHECK (reason IN ('request', 'purge', 'merge', 'erasure')),
    ALTER COLUMN run_id DROP NOT NULL,
    ADD CONSTRAINT guest_tombstone_run CHECK ((run_id IS NULL) = (reason = 'erasure'));
COMMENT ON TABLE guest_tombstone IS 'Guests deleted for good (by a purge run or an erasure), with no personal data';
COMMENT ON COLUMN guest_tombstone.run_id IS 'The run that hard-deleted it; NULL for an erasure (DELETE ?erase=true)';
