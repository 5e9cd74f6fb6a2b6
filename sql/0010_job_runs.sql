-- SPDX-License-Identifier: MIT
-- Run records for GET /metrics (issue 8). Purges and rescores also run from cron in processes of
-- their own, so what a scrape reports about the last runs must come from the database: purge runs
-- are recorded since 0006; rescores are recorded here from now on.

CREATE TABLE rescore_run (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    why             text NOT NULL CHECK (why IN ('rescore', 'config')),
    status          text NOT NULL CHECK (status IN ('done', 'failed')),
    jobs            integer NOT NULL CHECK (jobs > 0),
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL CHECK (finished_at >= started_at),
    guests          bigint NOT NULL CHECK (guests >= 0),
    moved_up        bigint NOT NULL CHECK (moved_up >= 0),
    moved_down      bigint NOT NULL CHECK (moved_down >= 0),
    batches         bigint NOT NULL CHECK (batches >= 0),
    formula_version integer,
    error           text
);
COMMENT ON TABLE rescore_run IS
    'Every finished rescore (guestd rescore, POST /v1/loyalty/rescore, PUT /v1/loyalty/config): counts only, '
    'written once at its end; a run whose process died leaves no row';
COMMENT ON COLUMN rescore_run.why IS 'rescore: the nightly recompute of live guests; config: after a configuration change';
COMMENT ON COLUMN rescore_run.error IS 'The error code of a failed run (its name, never a message with data)';

-- A scrape reads the latest run of each outcome: one index entry each, however many runs piled up.
CREATE INDEX rescore_run_latest ON rescore_run (status, finished_at DESC);
COMMENT ON INDEX rescore_run_latest IS 'for job_facts: the latest rescore by outcome';
CREATE INDEX purge_run_latest ON purge_run (status, finished_at DESC) WHERE NOT dry_run;
COMMENT ON INDEX purge_run_latest IS 'for job_facts: the latest real (not dry) purge by outcome';
