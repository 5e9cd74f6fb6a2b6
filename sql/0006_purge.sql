-- SPDX-License-Identifier: MIT
-- The stale-record purge (DESIGN §7): each guest's last activity, kept with its statistics so
-- that finding stale guests reads one index and no history; who deleted a guest and why; the
-- purge runs; the tombstones that hard-deleted guests leave behind.

CREATE TABLE purge_run (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    status                 text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    dry_run                boolean NOT NULL,
    started_by             text NOT NULL CHECK (char_length(started_by) BETWEEN 1 AND 100),
    inactive_days          integer NOT NULL CHECK (inactive_days > 0),
    grace_days             integer NOT NULL CHECK (grace_days >= 0),
    batch_size             integer NOT NULL CHECK (batch_size > 0),
    include_vip            boolean NOT NULL,
    run_limit              integer CHECK (run_limit > 0),
    cutoff                 timestamptz NOT NULL,
    grace_cutoff           timestamptz,
    started_at             timestamptz NOT NULL,
    finished_at            timestamptz,
    candidates             bigint NOT NULL DEFAULT 0,
    soft_purged            bigint NOT NULL DEFAULT 0,
    expired                bigint NOT NULL DEFAULT 0,
    hard_deleted           bigint NOT NULL DEFAULT 0,
    skipped_legal_hold     bigint NOT NULL DEFAULT 0,
    skipped_vip            bigint NOT NULL DEFAULT 0,
    skipped_open_stay      bigint NOT NULL DEFAULT 0,
    skipped_open_complaint bigint NOT NULL DEFAULT 0,
    batches                integer NOT NULL DEFAULT 0,
    sample                 jsonb CHECK (jsonb_typeof(sample) = 'array'),
    error                  text,
    CHECK ((status = 'running') = (finished_at IS NULL))
);
COMMENT ON TABLE purge_run IS 'Every purge run, dry or not: its parameters and what it did; counts only, no personal data';
COMMENT ON COLUMN purge_run.cutoff IS 'Guests whose last activity is before this instant were stale for the run';
COMMENT ON COLUMN purge_run.grace_cutoff IS 'Guests deleted before this instant had no grace left (set when that phase starts)';
COMMENT ON COLUMN purge_run.sample IS 'Dry runs: up to 20 ids of candidates';
CREATE INDEX purge_run_newest ON purge_run (started_at DESC, id DESC);
COMMENT ON INDEX purge_run_newest IS 'for purge_run_list: newest first';

-- Who took a guest out of service and why. A delete from the front desk is 'request'; the
-- purge's soft delete is 'purge' and names its run. Existing deletions were requests.
ALTER TABLE guest
    ADD COLUMN deleted_reason text CHECK (deleted_reason IN ('request', 'purge')),
    ADD COLUMN purge_run_id uuid REFERENCES purge_run (id);
UPDATE guest SET deleted_reason = 'request' WHERE deleted_at IS NOT NULL;
ALTER TABLE guest
    ADD CONSTRAINT guest_deleted_reason CHECK ((deleted_at IS NULL) = (deleted_reason IS NULL)),
    ADD CONSTRAINT guest_purge_run CHECK (purge_run_id IS NULL OR deleted_reason = 'purge');
COMMENT ON COLUMN guest.deleted_reason IS 'Why deleted_at is set: request (DELETE /v1/guests/{id}) or purge';
COMMENT ON COLUMN guest.purge_run_id IS 'The purge run that soft-purged the guest';
CREATE INDEX guest_deleted ON guest (deleted_at, id) WHERE deleted_at IS NOT NULL;
COMMENT ON INDEX guest_deleted IS 'for purge_expired: deleted guests whose grace period is over';

-- What remains of a hard-deleted guest: ids and instants, nothing personal.
CREATE TABLE guest_tombstone (
    guest_id          uuid PRIMARY KEY,
    deleted_at        timestamptz NOT NULL,
    reason            text NOT NULL CHECK (reason IN ('request', 'purge')),
    soft_purge_run_id uuid REFERENCES purge_run (id),
    hard_deleted_at   timestamptz NOT NULL,
    run_id            uuid NOT NULL REFERENCES purge_run (id)
);
COMMENT ON TABLE guest_tombstone IS 'Guests deleted for good by a purge run, with no personal data';
COMMENT ON COLUMN guest_tombstone.deleted_at IS 'When the guest was soft-deleted or soft-purged';
COMMENT ON COLUMN guest_tombstone.soft_purge_run_id IS 'The run that soft-purged it (reason purge)';
COMMENT ON COLUMN guest_tombstone.run_id IS 'The run that hard-deleted it';

-- The activity the purge judges by, and the stays that protect a guest, beside the statistics
-- the triggers already keep current.
ALTER TABLE guest_stats
    ADD COLUMN last_activity_at timestamptz,
    ADD COLUMN open_stays integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN guest_stats.last_activity_at
    IS 'Latest of: any stay''s check-out (midnight UTC starting that day), charge, complaint; else the guest''s creation';
COMMENT ON COLUMN guest_stats.open_stays IS 'Stays reserved or in house: such a guest is never purged';

-- refresh_guest_stats() of sql/0002 with the two new columns: the stays of every status are read
-- (a cancelled or no-show booking is activity too), charges including written-off ones.
CREATE OR REPLACE FUNCTION refresh_guest_stats(ids uuid[]) RETURNS void
    LANGUAGE sql VOLATILE
    AS $$
    INSERT INTO guest_stats AS gs (guest_id, stays, nights, last_stay_at, total_spend, currency, complaints,
                                   open_complaints, open_stays, last_activity_at, updated_at)
    SELECT g.id, coalesce(s.stays, 0), coalesce(s.nights, 0), s.last_stay_at, coalesce(c.spend, 0), cfg.base_currency,
           coalesce(k.complaints, 0), coalesce(k.open_complaints, 0), coalesce(s.open_stays, 0),
           -- greatest() passes over NULLs: a guest without any history falls back to its creation
           coalesce(greatest(s.last_check_out::timestamp AT TIME ZONE 'UTC', c.last_charge, k.last_complaint),
                    g.created_at),
           now()
    -- unnest, not "= ANY (ids)": a parameter array is searched linearly for every row
    FROM unnest(ids) AS u(id)
    JOIN guest g ON g.id = u.id
    CROSS JOIN settings cfg
    LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE status = 'completed') AS stays,
               sum(check_out - check_in) FILTER (WHERE status = 'completed') AS nights,
               max(check_out) FILTER (WHERE status = 'completed') AS last_stay_at,
               max(check_out) AS last_check_out,
               count(*) FILTER (WHERE status IN ('reserved', 'in_house')) AS open_stays
        FROM stay WHERE guest_id = g.id) s ON true
    LEFT JOIN LATERAL (
        -- a charge in a currency without a rate into the base currency does not count
        SELECT round(sum(x.amount * CASE WHEN x.currency = cfg.base_currency THEN 1
                                         ELSE (cfg.fx_rates ->> x.currency)::numeric END)
                         FILTER (WHERE x.payment_status <> 'written_off'), 2) AS spend,
               max(x.occurred_at) AS last_charge
        FROM consumption x WHERE x.guest_id = g.id) c ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS complaints, count(*) FILTER (WHERE status IN ('open', 'in_progress')) AS open_complaints,
               max(received_at) AS last_complaint
        FROM complaint WHERE guest_id = g.id) k ON true
    ON CONFLICT (guest_id) DO UPDATE
        SET stays = EXCLUDED.stays, nights = EXCLUDED.nights, last_stay_at = EXCLUDED.last_stay_at,
            total_spend = EXCLUDED.total_spend, currency = EXCLUDED.currency, complaints = EXCLUDED.complaints,
            open_complaints = EXCLUDED.open_complaints, open_stays = EXCLUDED.open_stays,
            last_activity_at = EXCLUDED.last_activity_at, updated_at = EXCLUDED.updated_at
    $$;

SELECT refresh_guest_stats(array_agg(id)) FROM guest;
ALTER TABLE guest_stats ALTER COLUMN last_activity_at SET NOT NULL;
CREATE INDEX guest_stats_last_activity ON guest_stats (last_activity_at, guest_id);
COMMENT ON INDEX guest_stats_last_activity IS 'for purge_candidates: the stale guests, least recently active first';

-- A run as the API and `guestd purge` show it.
CREATE FUNCTION purge_run_json(r purge_run) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'run_id', r.id, 'status', r.status, 'dry_run', r.dry_run, 'started_by', r.started_by,
        'inactive_days', r.inactive_days, 'grace_days', r.grace_days, 'batch_size', r.batch_size,
        'include_vip', r.include_vip, 'limit', r.run_limit,
        'cutoff', rfc3339(r.cutoff), 'grace_cutoff', rfc3339(r.grace_cutoff),
        'started_at', rfc3339(r.started_at), 'finished_at', rfc3339(r.finished_at),
        'duration_ms', round(extract(epoch FROM r.finished_at - r.started_at) * 1000)::bigint,
        'candidates', r.candidates, 'soft_purged', r.soft_purged, 'expired', r.expired,
        'hard_deleted', r.hard_deleted,
        'skipped', json_build_object('legal_hold', r.skipped_legal_hold, 'vip', r.skipped_vip,
                                     'open_stay', r.skipped_open_stay, 'open_complaint', r.skipped_open_complaint),
        'batches', r.batches, 'sample', r.sample, 'error', r.error) $$;
