-- SPDX-License-Identifier: MIT
-- Guest basic info, external PMS references and API keys.
-- Applied by `guestd migrate` inside one transaction that also records the version.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE FUNCTION rfc3339(t timestamptz) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE STRICT
    AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;
COMMENT ON FUNCTION rfc3339(timestamptz) IS 'Timestamps as the API shows them: RFC 3339, UTC, microseconds';

-- unaccent() is only STABLE (its dictionary could be reloaded); naming the dictionary makes the
-- folding fixed, so it can feed a stored generated column and an index.
-- The search_path is pinned to the one of the migration, where the extension was created.
CREATE FUNCTION search_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    SET search_path FROM CURRENT
    AS $$ SELECT lower(unaccent('unaccent'::regdictionary, t)) $$;
COMMENT ON FUNCTION search_fold(text) IS 'Case- and accent-insensitive form of a name, for search';

CREATE TABLE guest (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    version           integer NOT NULL DEFAULT 1 CHECK (version > 0),
    family_name       text NOT NULL CHECK (char_length(family_name) BETWEEN 1 AND 100),
    given_name        text CHECK (char_length(given_name) BETWEEN 1 AND 100),
    gender            text CHECK (gender IN ('female', 'male', 'other', 'unknown')),
    birth_date        date CHECK (birth_date >= DATE '1900-01-01'),
    nationality       text CHECK (nationality ~ '^[A-Z]{2}$'),
    ethnicity         text CHECK (char_length(ethnicity) BETWEEN 1 AND 100),
    native_place      text CHECK (char_length(native_place) BETWEEN 1 AND 200),
    address           jsonb CHECK (jsonb_typeof(address) = 'object'),
    phone             text CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    email             text CHECK (char_length(email) <= 254),
    language          text CHECK (char_length(language) <= 35),
    id_document       jsonb CHECK (jsonb_typeof(id_document) = 'object'),
    vip_code          text CHECK (char_length(vip_code) BETWEEN 1 AND 50),
    marketing_consent boolean NOT NULL DEFAULT false,
    legal_hold        boolean NOT NULL DEFAULT false,
    notes             text CHECK (char_length(notes) <= 2000),
    search_name       text GENERATED ALWAYS AS (search_fold(coalesce(given_name, '') || ' ' || family_name)) STORED,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);
COMMENT ON TABLE guest IS 'Basic info of a guest dossier; every other section references it';
COMMENT ON COLUMN guest.version IS 'Optimistic-concurrency counter, sent as the ETag';
COMMENT ON COLUMN guest.id_document IS 'Sensitive: shown only to frontdesk, ops and admin';
COMMENT ON COLUMN guest.ethnicity IS 'Sensitive: shown only to frontdesk, ops and admin';
COMMENT ON COLUMN guest.deleted_at IS 'Set by a soft delete; the guest is hidden everywhere and restorable';

CREATE INDEX guest_search_name_trgm ON guest USING gin (search_name gin_trgm_ops) WHERE deleted_at IS NULL;
COMMENT ON INDEX guest_search_name_trgm IS 'for guest_search_q: prefix and fuzzy name search';
CREATE INDEX guest_email_lower ON guest (lower(email)) WHERE deleted_at IS NULL;
COMMENT ON INDEX guest_email_lower IS 'for guest_search_email and q matching an e-mail address';
CREATE INDEX guest_phone ON guest (phone) WHERE deleted_at IS NULL;
COMMENT ON INDEX guest_phone IS 'for guest_search_phone and q matching a phone number';
CREATE INDEX guest_updated_at ON guest (updated_at, id) WHERE deleted_at IS NULL;
COMMENT ON INDEX guest_updated_at IS 'for guest_search_all: delta sync by updated_since, keyset order';

CREATE TABLE guest_external_ref (
    guest_id    uuid NOT NULL REFERENCES guest (id) ON DELETE CASCADE,
    system      text NOT NULL CHECK (char_length(system) BETWEEN 1 AND 50),
    external_id text NOT NULL CHECK (char_length(external_id) BETWEEN 1 AND 100),
    PRIMARY KEY (guest_id, system, external_id),
    CONSTRAINT guest_external_ref_unique UNIQUE (system, external_id)
);
COMMENT ON TABLE guest_external_ref IS 'PMS archive numbers: one guest per (system, id), soft-deleted guests included';
COMMENT ON CONSTRAINT guest_external_ref_unique ON guest_external_ref
    IS 'no duplicate archive numbers; also serves guest_search_external';

CREATE TABLE api_key (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    role       text NOT NULL CHECK (role IN ('frontdesk', 'marketing', 'ops', 'admin')),
    prefix     text NOT NULL UNIQUE CHECK (prefix ~ '^[0-9a-f]{12}$'),
    digest     bytea NOT NULL CHECK (octet_length(digest) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
COMMENT ON TABLE api_key IS 'Client keys: only a SHA-256 digest of the secret is stored';
COMMENT ON COLUMN api_key.prefix IS 'Non-secret part of the key, for lookup (apikey_find)';
