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
