-- SPDX-License-Identifier: MIT
-- Exactly-once POSTs (DESIGN §4): the answer to each Idempotency-Key, per API key. The row is
-- written in the same transaction as the write it answers, so it exists exactly when the write
-- was committed; a retry of the request then replays it instead of writing again.

CREATE TABLE idempotency_key (
    api_key_id  uuid NOT NULL REFERENCES api_key (id) ON DELETE CASCADE,
    key         text NOT NULL CHECK (key ~ '^[\x21-\x7e]{1,255}$'),
    -- SHA-256 (hex) of method, route, path and body: the same key with another request is refused
    fingerprint text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    status      integer NOT NULL CHECK (status BETWEEN 200 AND 599),
    location    text,
    etag        text,
    body        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, key)
);
-- the expiry job reads the oldest rows first
CREATE INDEX idempotency_key_created_at ON idempotency_key (created_at);

COMMENT ON TABLE idempotency_key IS 'The stored answer of each POST sent with an Idempotency-Key, kept >= 24 h';
COMMENT ON COLUMN idempotency_key.body IS 'The JSON answer as sent; NULL when it held a secret (a new API key)';

-- ---- The audit trail and the change feed (issue 6), both written by the triggers below in
-- the same transaction as the change they record ----

-- Who writes: the request transaction sets guestd.actor to the API key's name (transaction-local,
-- so it reads '' afterwards in the same session); anything else — the CLI, a migration, psql — is
-- 'system'.
CREATE FUNCTION audit_actor() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(nullif(current_setting('guestd.actor', true), ''), 'system') $$;

CREATE TABLE audit_event (
    guest_id   uuid NOT NULL REFERENCES guest (id) ON DELETE CASCADE,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    request_id text,
    action     text NOT NULL CHECK (action IN ('created', 'updated', 'deleted', 'restored', 'purged', 'merged')),
    entity     text NOT NULL CHECK (entity IN ('guest', 'stay', 'consumption', 'preference', 'special_date',
                                               'complaint')),
    entity_id  uuid NOT NULL,
    -- basic info only: [{field, before, after}], or {field, changed: true} for a sensitive field
    changes    jsonb CHECK (jsonb_typeof(changes) = 'array'),
    PRIMARY KEY (guest_id, id)
);
COMMENT ON TABLE audit_event IS 'Every change of a dossier: who, when, what; rows go only with their guest (hard delete)';

-- Append-only: no UPDATE ever; a DELETE only as the cascade of the guest's own hard delete (the
-- purge), when the guest row is already gone. (TRUNCATE, an owner's operation that a TRUNCATE of
-- guest cascades to, is not guarded.)
CREATE FUNCTION audit_event_immutable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM guest WHERE id = OLD.guest_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are never changed or deleted' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_event_immutable BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_immutable();
CREATE FUNCTION audit_event_json(a audit_event) RETURNS json
    LANGUAGE sql STABLE
    AS $$
    SELECT json_build_object('id', a.id::text, 'at', rfc3339(a.at), 'actor', a.actor, 'request_id', a.request_id,
                             'action', a.action, 'entity', a.entity, 'entity_id', a.entity_id,
                             'changes', coalesce(a.changes, '[]'::jsonb))
$$;

-- The change feed's outbox. No personal data and no foreign key: an event outlives its guest
-- (a consumer must learn of a purge). `xid` is the writing transaction: the feed is read in
-- (xid, id) order and only below the oldest transaction still running, so an event can never
-- appear behind a cursor that was already handed out (see GET /v1/changes).
CREATE TABLE change_event (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at        timestamptz NOT NULL DEFAULT now(),
    type      text NOT NULL CHECK (type IN ('created', 'updated', 'deleted', 'restored', 'purged', 'merged',
                                            'tier_changed', 'complaint')),
    guest_id  uuid NOT NULL,
    entity    text NOT NULL,
    entity_id uuid NOT NULL,
    data      jsonb CHECK (jsonb_typeof(data) = 'object')
);
CREATE UNIQUE INDEX change_event_feed ON change_event (xid, id);
CREATE INDEX change_event_guest ON change_event (guest_id);
COMMENT ON INDEX change_event_guest IS 'for the hard delete, which removes a guest''s earlier events';
COMMENT ON TABLE change_event IS 'Outbox of GET /v1/changes: one row per change, written in the change''s transaction';

CREATE FUNCTION change_event_json(e change_event) RETURNS json
    LANGUAGE sql STABLE
    AS $$
    SELECT json_build_object('cursor', e.xid::text || '-' || e.id::text, 'at', rfc3339(e.at), 'type', e.type,
                             'guest_id', e.guest_id, 'entity', e.entity, 'entity_id', e.entity_id,
                             'data', coalesce(e.data, '{}'::jsonb))
$$;

-- Basic-info fields whose values the history never shows, only that they changed (the fields the
-- marketing view hides).
CREATE FUNCTION audit_sensitive(field text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT field IN ('ethnicity', 'id_document', 'notes') $$;

-- Per-field changes of a guest's basic info between two row images (NULL: no row).
CREATE FUNCTION guest_changes(old_row jsonb, new_row jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT coalesce(jsonb_agg(CASE WHEN audit_sensitive(f)
                                   THEN jsonb_build_object('field', f, 'changed', true)
                                   ELSE jsonb_build_object('field', f, 'before', old_row -> f, 'after', new_row -> f)
                              END ORDER BY f), '[]'::jsonb)
    FROM unnest(ARRAY['family_name', 'given_name', 'gender', 'birth_date', 'nationality', 'ethnicity',
                      'native_place', 'address', 'phone', 'email', 'language', 'id_document', 'vip_code',
                      'marketing_consent', 'legal_hold', 'notes']) AS u(f)
    WHERE (old_row -> f) IS DISTINCT FROM (new_row -> f)
      AND NOT (old_row IS NULL AND new_row -> f = 'null'::jsonb)
$$;

CREATE FUNCTION guest_audited() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    who text := audit_actor();
    rid text := nullif(current_setting('guestd.request_id', true), '');
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO audit_event (guest_id, actor, request_id, action, entity, entity_id, changes)
            SELECT n.id, who, rid, 'created', 'guest', n.id, guest_changes(NULL, to_jsonb(n)) FROM new_rows n;
        INSERT INTO change_event (type, guest_id, entity, entity_id)
            SELECT 'created', n.id, 'guest', n.id FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        WITH c AS (
            SELECT n.id,
                   CASE WHEN o.deleted_at IS NULL AND n.deleted_at IS NOT NULL
                        THEN CASE n.deleted_reason WHEN 'purge' THEN 'purged' WHEN 'merge' THEN 'merged'
                             ELSE 'deleted' END
                        WHEN o.deleted_at IS NOT NULL AND n.deleted_at IS NULL THEN 'restored'
                        ELSE 'updated' END AS action,
                   guest_changes(to_jsonb(o), to_jsonb(n)) AS changes, o.version <> n.version AS written,
                   -- a merge (sql/0008) names the guest that took this one's dossier
                   to_jsonb(n) -> 'merged_into' AS merged_into
            FROM new_rows n JOIN old_rows o USING (id)
        ), kept AS (
            -- an update of the basic info bumps the version; one whose guest columns all stayed
            -- the same changed the external references (kept in their own table)
            SELECT id, action, merged_into,
                   CASE WHEN changes = '[]'::jsonb AND written
                        THEN '[{"field": "external_refs", "changed": true}]'::jsonb ELSE changes END AS changes
            FROM c WHERE action <> 'updated' OR changes <> '[]'::jsonb OR written
        ), audited AS (
            INSERT INTO audit_event (guest_id, actor, request_id, action, entity, entity_id, changes)
                SELECT id, who, rid, action, 'guest', id, CASE WHEN action = 'updated' THEN changes END FROM kept
        )
        INSERT INTO change_event (type, guest_id, entity, entity_id, data)
            SELECT action, id, 'guest', id,
                   CASE WHEN action = 'merged' THEN jsonb_build_object('merged_into', merged_into) END
            FROM kept;
    ELSE
        -- A hard delete (the purge): the audit rows went with the guest (cascade) and its earlier
        -- feed events go too, so that besides the tombstone only the announcement of the purge
        -- holds the id — ids and an instant, like the tombstone, nothing personal.
        DELETE FROM change_event e USING old_rows o WHERE e.guest_id = o.id;
        INSERT INTO change_event (type, guest_id, entity, entity_id, data)
            SELECT 'purged', o.id, 'guest', o.id, '{"hard_deleted": true}'::jsonb FROM old_rows o;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER guest_audit_insert AFTER INSERT ON guest REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION guest_audited();
CREATE TRIGGER guest_audit_update AFTER UPDATE ON guest REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION guest_audited();
CREATE TRIGGER guest_audit_delete AFTER DELETE ON guest REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION guest_audited();

-- A section item created, changed or deleted: an audit row (no per-field values) and a feed event
-- ('complaint' for complaints, else 'updated' naming the item). Rows deleted with their guest by
-- the purge's cascade record nothing: the guest's own 'purged' event says it all.
CREATE FUNCTION section_events(entity text, action text, guest_ids uuid[], ids uuid[]) RETURNS void
    LANGUAGE sql VOLATILE
    AS $$
    WITH live AS (
        SELECT u.guest_id, u.id FROM unnest(guest_ids, ids) AS u(guest_id, id) JOIN guest g ON g.id = u.guest_id
    ), audited AS (
        INSERT INTO audit_event (guest_id, actor, request_id, action, entity, entity_id)
            SELECT guest_id, audit_actor(), nullif(current_setting('guestd.request_id', true), ''), action,
                   entity, id FROM live
    )
    INSERT INTO change_event (type, guest_id, entity, entity_id, data)
        SELECT CASE entity WHEN 'complaint' THEN 'complaint' ELSE 'updated' END, guest_id, entity, id,
               jsonb_build_object('action', action) FROM live
$$;

CREATE FUNCTION section_audited() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    gids uuid[];
    ids uuid[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(o.guest_id ORDER BY o.id), array_agg(o.id ORDER BY o.id) INTO gids, ids FROM old_rows o;
    ELSE
        SELECT array_agg(n.guest_id ORDER BY n.id), array_agg(n.id ORDER BY n.id) INTO gids, ids FROM new_rows n;
    END IF;
    PERFORM section_events(TG_TABLE_NAME,
                           CASE TG_OP WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END,
                           gids, ids);
    RETURN NULL;
END
$$;
-- The same three statement-level triggers on each of the five sections.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stay', 'consumption', 'preference', 'special_date', 'complaint'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION section_audited()', t || '_audit_insert', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION section_audited()', t || '_audit_update', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION section_audited()', t || '_audit_delete', t);
    END LOOP;
END
$$;

-- A tier change (from any recompute) is a feed event of its own.
CREATE FUNCTION tier_change_announced() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO change_event (type, guest_id, entity, entity_id, data)
        SELECT 'tier_changed', n.guest_id, 'guest', n.guest_id,
               jsonb_build_object('from', n.from_tier, 'to', n.to_tier, 'reason', n.reason)
        FROM new_rows n;
    RETURN NULL;
END
$$;
CREATE TRIGGER tier_change_announced AFTER INSERT ON tier_change REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tier_change_announced();
