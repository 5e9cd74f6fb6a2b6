-- SPDX-License-Identifier: MIT
-- The profile card, kept once built: GET /v1/guests/{id} stores the card it built, and later
-- reads answer with the stored text until a write changes something the card shows.
--
-- Why: the card gathers seven parts (basic info, external refs, statistics, loyalty with its tier
-- changes, preferences, special dates, recent stays). Built per read it costs PostgreSQL ~4-6
-- times a primary-key read of the guest (pgbench, the card statement against the basic one), so
-- a card could never be served at the rate of basic info. A stored card is one primary-key probe.
--
-- How it stays right (no stale card is ever answered):
-- * every statement that changes a part of the card stamps the guests it touched: their row here
--   gets stamp + 1 and loses its body (card_stale(), from statement-level triggers below);
-- * a read that finds no body builds the card and stores it only if the stamp is still the one
--   its snapshot saw. A write that commits while the card is being built has moved the stamp
--   (or holds the row, and the store waits for it and then sees the new stamp), so the store is
--   skipped and the next read builds again;
-- * the configuration (tier colours, base currency) is in every card: changing it moves
--   settings.card_epoch, and a body built under another epoch is not answered;
-- * a statement touching more guests than card_stale() stamps one by one (a rescore batch, an
--   import batch) moves the epoch instead: every card is built again at its next read.
-- The seed loads with triggers off and stores no card; cards appear as guests are read.

ALTER TABLE settings ADD COLUMN card_epoch bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN settings.card_epoch IS 'Moves when every stored profile card must be built again';

CREATE TABLE guest_card (
    guest_id uuid PRIMARY KEY REFERENCES guest (id) ON DELETE CASCADE,
    stamp    bigint NOT NULL,
    epoch    bigint,
    version  integer,
    body     text COMPRESSION lz4
);
COMMENT ON TABLE guest_card IS 'Each read guest''s profile card as GET answers it, while still current';
COMMENT ON COLUMN guest_card.stamp IS 'Moves with every write to a part of the card; a build stores only under the stamp it saw';
COMMENT ON COLUMN guest_card.epoch IS 'settings.card_epoch when the body was built';
COMMENT ON COLUMN guest_card.version IS 'guest.version when the body was built (the ETag)';
COMMENT ON COLUMN guest_card.body IS 'The card''s JSON text; NULL until the next read builds it';
-- a body is rewritten in place often: room on the page keeps those updates HOT
ALTER TABLE guest_card SET (fillfactor = 70);

-- Marks the cards of these guests as out of date, inside the writing transaction. Guests that
-- are gone (deleted in this statement, cascades included) are skipped: their card went with them.
CREATE FUNCTION card_stale(gids uuid[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF current_setting('guestd.card_epoch_moved', true) = 'on' THEN
        -- this transaction already retired every card built before it commits
        RETURN;
    END IF;
    IF cardinality(gids) > 1000 THEN
        UPDATE settings SET card_epoch = card_epoch + 1;
        PERFORM set_config('guestd.card_epoch_moved', 'on', true);
        RETURN;
    END IF;
    -- in id order, so that two writers stamping the same guests cannot deadlock
    INSERT INTO guest_card AS c (guest_id, stamp)
        SELECT g.id, 1 FROM unnest(gids) u (id) JOIN guest g ON g.id = u.id ORDER BY g.id
        ON CONFLICT (guest_id) DO UPDATE SET stamp = c.stamp + 1, body = NULL
        -- once per transaction is enough (a write's triggers stamp the same guest several times)
        WHERE c.xmin <> pg_current_xact_id()::xid;
END
$$;
ALTER FUNCTION card_stale(uuid[]) SET plan_cache_mode = force_generic_plan;
COMMENT ON FUNCTION card_stale(uuid[]) IS 'Stamps the stored cards of these guests out of date';

-- One trigger function for every table a card is made of; the guest id is in column guest_id,
-- or id for the guest table itself.
CREATE FUNCTION card_part_written() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    gids uuid[];
BEGIN
    IF TG_TABLE_NAME = 'guest' THEN
        SELECT array_agg(DISTINCT n.id) INTO gids FROM new_rows n;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.guest_id) INTO gids FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.guest_id) INTO gids FROM old_rows o;
    ELSE
        -- a row that moved to another guest (a merge) changes both cards
        SELECT array_agg(DISTINCT x.guest_id) INTO gids
            FROM (SELECT guest_id FROM new_rows UNION SELECT guest_id FROM old_rows) x;
    END IF;
    IF gids IS NOT NULL THEN
        PERFORM card_stale(gids);
    END IF;
    RETURN NULL;
END
$$;

-- A new guest has no stored card yet and a deleted one takes its card along, so the guest table
-- needs its updates only. Consumption and complaints show on the card through guest_stats.
CREATE TRIGGER guest_card_part AFTER UPDATE ON guest REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION card_part_written();
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['guest_external_ref', 'guest_stats', 'guest_loyalty', 'tier_change',
                             'stay', 'preference', 'special_date'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION card_part_written()', t || '_card_insert', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION card_part_written()', t || '_card_update', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION card_part_written()', t || '_card_delete', t);
    END LOOP;
END
$$;

-- The configuration shows on every card (tier colours, the base currency).
CREATE FUNCTION settings_card_epoch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.card_epoch := OLD.card_epoch + 1;
    RETURN NEW;
END
$$;
CREATE TRIGGER settings_card_epoch BEFORE UPDATE ON settings FOR EACH ROW
    WHEN (OLD.loyalty IS DISTINCT FROM NEW.loyalty OR OLD.base_currency IS DISTINCT FROM NEW.base_currency)
    EXECUTE FUNCTION settings_card_epoch();
