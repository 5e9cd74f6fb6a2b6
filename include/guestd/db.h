/* SPDX-License-Identifier: MIT */
/* Database access: connections with a client-side deadline, the pool, migrations, repositories. */
#ifndef GUESTD_DB_H
#define GUESTD_DB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guestd/config.h"
#include "guestd/erasure.h"
#include "guestd/date.h"
#include "guestd/error.h"
#include "guestd/infer.h"
#include "guestd/purge.h"
#include "guestd/role.h"
#include "guestd/section.h"
#include "guestd/sha256.h"

struct gd_conn;
struct gd_pool;

struct gd_db_config {
        const char *conninfo;  /* libpq conninfo or URI; NULL uses the PG* environment */
        int timeout_ms;        /* client-side deadline for one round trip */
        int statement_timeout_ms;
        int pool_size;
        int pool_wait_ms;      /* how long a request waits for a free connection before 503 */
};

/* ---- connections (db/conn.c) ---- */

/* Opens a connection; with `prepare`, also prepares every statement of db/statements.c.
 * A refused or unreachable server is GD_ERR_UNAVAILABLE. */
enum gd_err gd_conn_open(const struct gd_db_config *cfg, bool prepare, struct gd_conn **ret,
                         struct gd_error *reterr);
void gd_conn_free(struct gd_conn *c);

/* Makes a broken connection usable again (reset and re-prepare), or fails with UNAVAILABLE. */
enum gd_err gd_conn_ensure(struct gd_conn *c, struct gd_error *reterr);

/* Runs fixed SQL text (no parameters) such as a migration; the result is discarded. */
enum gd_err gd_conn_exec_script(struct gd_conn *c, const char *sql, struct gd_error *reterr);

/* Transactions nest: inside a transaction, begin/commit/rollback work on a savepoint, so code that
 * needs a transaction opens one whether or not the request already runs in one. */
enum gd_err gd_db_begin(struct gd_conn *c, struct gd_error *reterr);
enum gd_err gd_db_commit(struct gd_conn *c, struct gd_error *reterr);
/* Best effort: a connection that cannot roll back is marked broken. */
void gd_db_rollback(struct gd_conn *c);

/* Names who writes for the audit triggers: transaction-local settings guestd.actor and
 * guestd.request_id. Inside a transaction. With an idempotency_key (of api_key_id), also tries the
 * key's transaction lock, in the same round trip: *ret_locked false when another request holds it
 * (true without a key; ret_locked may be NULL then). */
enum gd_err gd_db_set_actor(struct gd_conn *c, const char *actor, const char *request_id, const char *api_key_id,
                            const char *idempotency_key, bool *ret_locked, struct gd_error *reterr);

/* ---- idempotency.c: stored answers of POSTs with an Idempotency-Key (per API key) ---- */
#define GD_IDEMPOTENCY_TTL_HOURS 24    /* an answer is replayed this long, then expired */
#define GD_IDEMPOTENCY_EXPIRE_BATCH 20 /* expired answers removed by each keyed write */

struct gd_idem_answer {
        bool found;
        char fingerprint[65]; /* hex SHA-256 of the request */
        unsigned status;
        char location[160];
        char etag[24];
        json_t *body; /* NULL: none stored */
};
void gd_idem_answer_clear(struct gd_idem_answer *a);
/* The answer stored for the key within its lifetime (ret->found false: none). */
enum gd_err gd_db_idem_get(struct gd_conn *c, const char *api_key_id, const char *key, struct gd_idem_answer *ret,
                           struct gd_error *reterr);
/* Stores the answer (replacing an expired one) and expires a few old answers. */
enum gd_err gd_db_idem_put(struct gd_conn *c, const char *api_key_id, const char *key,
                           const struct gd_idem_answer *a, struct gd_error *reterr);

/* ---- audit.c: the history of a dossier and the change feed ---- */
/* One page of a guest's audit events, newest first (404 when no such guest, even deleted, exists). */
enum gd_err gd_db_guest_history(struct gd_conn *c, const char *guest_id, const char *after_key, const char *after_id,
                                int limit, json_t **ret_items, char ret_next_key[64], char ret_next_id[64],
                                struct gd_error *reterr);
/* Up to `limit` feed events after the position (after_xid, after_id) (both NULL: from the start). */
enum gd_err gd_db_changes(struct gd_conn *c, const char *after_xid, const char *after_id, int limit,
                          json_t **ret_items, struct gd_error *reterr);

/* Round trip "SELECT 1", for readiness. */
enum gd_err gd_db_ping(struct gd_conn *c, struct gd_error *reterr);

/* ---- pool (db/pool.c) ---- */

struct gd_pool_stats {
        int size, in_use, idle, waiting;
        uint64_t wait_timeouts; /* acquisitions that gave up after pool_wait_ms (503) */
};

enum gd_err gd_pool_new(const struct gd_db_config *cfg, struct gd_pool **ret, struct gd_error *reterr);
void gd_pool_free(struct gd_pool *p);
/* Hands out a connection used by no other thread, reconnected if it had dropped. */
enum gd_err gd_pool_acquire(struct gd_pool *p, struct gd_conn **ret, struct gd_error *reterr);
void gd_pool_release(struct gd_pool *p, struct gd_conn *c);
void gd_pool_stats(struct gd_pool *p, struct gd_pool_stats *ret);

/* ---- what this process's database code counted (db/stats.c), for GET /metrics ---- */

/* Failed round trips by cause, classified in one place (db/sqlstate.c). */
enum gd_db_error_kind {
        GD_DB_ERROR_SERIALIZATION, /* 40001 */
        GD_DB_ERROR_DEADLOCK,      /* 40P01 */
        GD_DB_ERROR_TIMEOUT,       /* statement or lock timeout, or our own round-trip deadline */
        GD_DB_ERROR_CONNECTION,    /* no session, lost session, server shutting down, too many clients */
        GD_DB_ERROR_CONSTRAINT,    /* class 23: unique, foreign key, check, not null */
        GD_DB_ERROR_DATA,          /* class 22: a value the database refused */
        GD_DB_ERROR_OTHER,
        _GD_DB_ERROR_KIND_MAX,
};
const char *gd_db_error_kind_name(enum gd_db_error_kind k);

/* True when err is PostgreSQL refusing a value as data (SQLSTATE class 22): a value the checks
 * before the database should have refused let through, which is a bug. The client gets a 422; the
 * request's log line reports it at error level. */
bool gd_db_error_unchecked(const struct gd_error *err);

/* How a purge or a rescore run ended. */
enum gd_job_outcome {
        GD_JOB_DONE,
        GD_JOB_DRY_RUN, /* a purge's dry run, finished */
        GD_JOB_FAILED,
        GD_JOB_LOCKED, /* a purge refused because another run held the lock */
        _GD_JOB_OUTCOME_MAX,
};
const char *gd_job_outcome_name(enum gd_job_outcome o);

struct gd_db_counters {
        uint64_t errors[_GD_DB_ERROR_KIND_MAX];
        uint64_t connections_opened; /* sessions established, first ones and reconnects */
        uint64_t reconnects;         /* of those, sessions that replaced a lost or closed one */
        uint64_t connect_failures;
        uint64_t purge_runs[_GD_JOB_OUTCOME_MAX];
        uint64_t guests_soft_purged, guests_hard_deleted; /* by runs that finished (not dry) */
        uint64_t rescore_runs[_GD_JOB_OUTCOME_MAX];
        uint64_t guests_rescored;
        uint64_t cards_stored_read, cards_built_read; /* GET card: answered from guest_card, or built */
};
/* A snapshot of the counters (each read atomically; together, not one instant). */
void gd_db_counters_read(struct gd_db_counters *ret);

/* What the database records about the latest runs, whichever process ran them (the CLI from
 * cron, or any guestd): finished_at as seconds since the epoch, 0 when there was none. Dry purge
 * runs are left out. */
struct gd_job_facts {
        double purge_last[_GD_JOB_OUTCOME_MAX]; /* DONE and FAILED */
        double purge_last_duration_s;           /* of the latest done run */
        int64_t purge_last_soft_purged, purge_last_hard_deleted;
        int64_t purge_running;
        double rescore_last[_GD_JOB_OUTCOME_MAX];
        double rescore_last_duration_s;
        int64_t rescore_last_guests;
};
enum gd_err gd_db_job_facts(struct gd_conn *c, struct gd_job_facts *ret, struct gd_error *reterr);

/* ---- migrations (db/migrate.c) ---- */

/* Applies the embedded migrations not yet recorded in schema_migrations, each in its own
 * transaction, under an advisory lock so that concurrent runs apply each one once. */
enum gd_err gd_db_migrate(struct gd_conn *c, int *ret_applied, int *ret_version, struct gd_error *reterr);
/* The highest applied version (0 for an empty database). */
enum gd_err gd_db_schema_version(struct gd_conn *c, int *ret, struct gd_error *reterr);
int gd_db_latest_version(void);

/* ---- guests (db/guests.c) ---- */

/* A guest as stored: the JSON representation plus what the caller needs for ETags. */
struct gd_guest_search {
        const char *q;
        const char *email;
        const char *phone;
        const char *external_system;
        const char *external_id;
        const char *updated_since; /* RFC 3339, checked by the caller */
        const char *after_key;     /* cursor: rank or microseconds, NULL for the first page */
        const char *after_id;
        int limit;
};

/* `doc` is the normalized document (gd_guest_normalize). A clash of external references is
 * GD_ERR_CONFLICT with one field error per clashing reference. */
enum gd_err gd_db_guest_create(struct gd_conn *c, const json_t *doc, json_t **ret_guest, struct gd_error *reterr);
/* Soft-deleted guests are GD_ERR_NOT_FOUND. */
enum gd_err gd_db_guest_get(struct gd_conn *c, const char *id, json_t **ret_guest, struct gd_error *reterr);
/* The profile card (or with `basic`, the basic info alone) as the database writes it: JSON text to
 * free(), and the guest's version. The same answers as gd_db_guest_get (404, merged_into). */
enum gd_err gd_db_guest_card_text(struct gd_conn *c, const char *id, bool basic, char **ret_text, long *ret_version,
                                  struct gd_error *reterr);
/* Replaces the writable fields when the stored version equals expected_version, else
 * GD_ERR_PRECONDITION (GD_ERR_NOT_FOUND when the guest is gone). */
enum gd_err gd_db_guest_replace(struct gd_conn *c, const char *id, long expected_version, const json_t *doc,
                                json_t **ret_guest, struct gd_error *reterr);
/* expected_version < 0 means unconditional. */
enum gd_err gd_db_guest_soft_delete(struct gd_conn *c, const char *id, long expected_version,
                                    struct gd_error *reterr);
/* GD_ERR_CONFLICT when the guest is not deleted. */
enum gd_err gd_db_guest_restore(struct gd_conn *c, const char *id, json_t **ret_guest, struct gd_error *reterr);
/* Fills ret_items (new array) and ret_next ("" at the end: a key and an id, see cursor.h). */
enum gd_err gd_db_guest_search(struct gd_conn *c, const struct gd_guest_search *s, json_t **ret_items,
                               char ret_next_key[64], char ret_next_id[64], struct gd_error *reterr);

/* ---- dossier sections (db/sections.c) ---- */

/* Items come back as their API representation (one definition, in sql/0002). A guest that is
 * unknown or soft-deleted, or an item of another guest, is GD_ERR_NOT_FOUND. A stay_id that is not
 * one of the guest's stays is GD_ERR_INVALID on /stay_id; a second preference with the same
 * (category, key) is GD_ERR_CONFLICT on /key. */
enum gd_err gd_db_section_create(struct gd_conn *c, enum gd_section s, const char *guest_id, const json_t *doc,
                                 json_t **ret_item, struct gd_error *reterr);
enum gd_err gd_db_section_get(struct gd_conn *c, enum gd_section s, const char *guest_id, const char *item_id,
                              json_t **ret_item, struct gd_error *reterr);
enum gd_err gd_db_section_list(struct gd_conn *c, enum gd_section s, const char *guest_id, const char *after_key,
                               const char *after_id, int limit, json_t **ret_items, char ret_next_key[64],
                               char ret_next_id[64], struct gd_error *reterr);
/* GD_ERR_PRECONDITION when the stored version is not expected_version. */
enum gd_err gd_db_section_replace(struct gd_conn *c, enum gd_section s, const char *guest_id, const char *item_id,
                                  long expected_version, const json_t *doc, json_t **ret_item,
                                  struct gd_error *reterr);
/* expected_version < 0 deletes unconditionally. */
enum gd_err gd_db_section_delete(struct gd_conn *c, enum gd_section s, const char *guest_id, const char *item_id,
                                 long expected_version, struct gd_error *reterr);

/* Makes the guest's inferred preferences exactly `items` (others are never touched). */
enum gd_err gd_db_infer_apply(struct gd_conn *c, const char *guest_id, const struct gd_inferred *items, size_t n,
                              struct gd_error *reterr);
/* Recomputes a guest's inferred preferences from its history (facts, domain/infer.c, apply): after
 * a write to stays or charges, and after a merge or its undo moved history between guests. */
enum gd_err gd_db_infer_refresh(struct gd_conn *c, const char *guest_id, struct gd_error *reterr);

/* ---- reports (db/sections.c) ---- */
/* first_day and last_day are valid YYYY-MM-DD dates, first_day <= last_day. */
enum gd_err gd_db_complaint_report(struct gd_conn *c, const char *first_day, const char *last_day, json_t **ret,
                                   struct gd_error *reterr);

/* ---- loyalty (db/loyalty.c): the formula lives in sql/0003 ---- */

enum gd_err gd_db_loyalty_get(struct gd_conn *c, const char *guest_id, json_t **ret, struct gd_error *reterr);
enum gd_err gd_db_loyalty_config_get(struct gd_conn *c, json_t **ret, struct gd_error *reterr);
/* Whether the configuration in force has a tier called `name`. */
enum gd_err gd_db_loyalty_tier_exists(struct gd_conn *c, const char *name, bool *ret_exists, struct gd_error *reterr);
/* Stores a normalized configuration (gd_loyalty_config_normalize) and bumps formula_version. */
enum gd_err gd_db_loyalty_config_put(struct gd_conn *c, const json_t *normalized, struct gd_error *reterr);

struct gd_rescore_summary {
        long guests;
        long moved_up, moved_down;
        long batches;
        int formula_version;
        long long duration_ms;
};

#define GD_RESCORE_MAX_JOBS 16

/* Recomputes every guest's score, batch_size guests per transaction; `why` is "rescore" (live
 * guests) or "config" (every guest, and the spend totals too). Each connection is a worker
 * running batches side by side with the others (1 to GD_RESCORE_MAX_JOBS). */
enum gd_err gd_db_rescore(struct gd_conn *const *conns, int n_conns, int batch_size, const char *why,
                          struct gd_rescore_summary *ret, struct gd_error *reterr);
json_t *gd_rescore_summary_json(const struct gd_rescore_summary *s);

/* ---- marketing reads (db/vip.c) ---- */

/* Filters of the VIP list, as validated text (NULL: not given). */
struct gd_vip_filter {
        const char *min_tier;
        const char *min_score;
        const char *nationality;
        const char *consent; /* "true" or "false" */
        const char *upcoming_days;
        const char *after_key, *after_id; /* cursor */
        int limit;
};

/* Items come unmasked (with birth_date, email, phone): the caller masks them per role. */
enum gd_err gd_db_vip_list(struct gd_conn *c, const struct gd_vip_filter *f, json_t **ret_items,
                           char ret_next_key[64], char ret_next_id[64], struct gd_error *reterr);

/* The whole list, row by row, on a connection of its own (an export may take a while and must not
 * hold one of the request pool's). */
struct gd_vip_stream;
enum gd_err gd_db_vip_stream_open(const struct gd_db_config *cfg, const struct gd_vip_filter *f,
                                  struct gd_vip_stream **ret, struct gd_error *reterr);
/* The next row's values in the column order of include/guestd/vip.h (NULL for SQL NULL), valid
 * until the next call; *ret_values = NULL after the last row. */
enum gd_err gd_db_vip_stream_next(struct gd_vip_stream *s, const char *const **ret_values, struct gd_error *reterr);
void gd_db_vip_stream_free(struct gd_vip_stream *s);

/* Birthdays and special dates of consenting guests recurring between two days (kind may be NULL). */
enum gd_err gd_db_occasions(struct gd_conn *c, const char *first_day, const char *last_day, const char *kind,
                            const char *after_key, const char *after_id, int limit, json_t **ret_items,
                            char ret_next_key[64], char ret_next_id[64], struct gd_error *reterr);

/* ---- the purge (db/purge.c): the policy is domain/purge.c ---- */

/* Where a run reports what it does, for the caller's log (counts and ids, never personal data);
 * `log` takes fields_new. */
struct gd_purge_log {
        void (*log)(void *ctx, enum gd_log_level level, const char *msg, json_t *fields_new);
        void *ctx;
};

/*
 * Runs one purge on a session of its own (cfg's timeouts are raised to fit a batch): takes the
 * purge's advisory lock for the whole run (GD_ERR_CONFLICT at once, nothing done or recorded,
 * when another run holds it), marks runs left 'running' by a dead process failed, records the run,
 * soft-purges the stale live guests, then hard-deletes the deleted guests whose grace is over,
 * batch_size guests per transaction each, the run's counts updated in the same transactions.
 * ret_run is the finished run (as GET /v1/purge-runs/{id} shows it). On a failure after the run
 * was recorded, the run is marked failed if the database still answers.
 */
enum gd_err gd_db_purge(const struct gd_db_config *cfg, const struct gd_purge_params *p, const char *started_by,
                        const struct gd_purge_log *log, json_t **ret_run, struct gd_error *reterr);
enum gd_err gd_db_purge_run_get(struct gd_conn *c, const char *id, json_t **ret, struct gd_error *reterr);
/* Newest first; the cursor is (started_at in microseconds, id). */
enum gd_err gd_db_purge_run_list(struct gd_conn *c, const char *after_key, const char *after_id, int limit,
                                 json_t **ret_items, char ret_next_key[64], char ret_next_id[64],
                                 struct gd_error *reterr);

/* ---- API keys (db/apikeys.c) ---- */

struct gd_key_info {
        char id[37];
        char name[101];
        enum gd_role role;
        uint8_t digest[GD_SHA256_LEN];
};

/* Active (not revoked) key with this prefix, or GD_ERR_NOT_FOUND. */
enum gd_err gd_db_apikey_find(struct gd_conn *c, const char *prefix, struct gd_key_info *ret,
                              struct gd_error *reterr);
/* Generates a fresh key, stores its digest; ret_row is the public view, ret_key the secret. */
enum gd_err gd_db_apikey_create(struct gd_conn *c, const char *name, enum gd_role role, json_t **ret_row,
                                char ret_key[64], struct gd_error *reterr);
enum gd_err gd_db_apikey_list(struct gd_conn *c, const char *after_key, const char *after_id, int limit,
                              json_t **ret_items, char ret_next_key[64], char ret_next_id[64],
                              struct gd_error *reterr);
/* GD_ERR_NOT_FOUND for an unknown or already revoked key. */
enum gd_err gd_db_apikey_revoke(struct gd_conn *c, const char *id, struct gd_error *reterr);
enum gd_err gd_db_apikey_count_active(struct gd_conn *c, enum gd_role role, long *ret, struct gd_error *reterr);

/* ---- db/merge.c: duplicates, merge, export, erasure (sql/0008) ---- */
/* NOT_FOUND for a guest id that a read did not find; sets merged_into when it was merged away. */
enum gd_err gd_db_guest_not_found(struct gd_conn *c, const char *id, struct gd_error *reterr);
/* The candidates of live guest `id` with their reasons, unscored (domain/duplicates.c ranks them). */
enum gd_err gd_db_guest_duplicates(struct gd_conn *c, const char *id, json_t **ret_items, struct gd_error *reterr);
/* Merges (or previews) source into survivor; the caller holds a transaction and checks If-Match
 * against *ret_version_before (the survivor's version before the merge) before committing. */
enum gd_err gd_db_merge(struct gd_conn *c, const char *survivor, const char *source, bool dry_run, const char *actor,
                        json_t **ret, long *ret_version_before, struct gd_error *reterr);
enum gd_err gd_db_merge_undo(struct gd_conn *c, const char *merge_id, const char *actor, json_t **ret,
                             struct gd_error *reterr);
/* Everything held on a guest, live or soft-deleted. */
enum gd_err gd_db_guest_export(struct gd_conn *c, const char *id, json_t **ret, struct gd_error *reterr);
/* Locks the guest (live or soft-deleted) and reads what domain/erasure.c judges; in a transaction. */
enum gd_err gd_db_erasure_facts(struct gd_conn *c, const char *id, struct gd_erasure_facts *ret, long *ret_version,
                                struct gd_error *reterr);
/* Deletes the guest, its sections and the guests merged into it, leaving tombstones (reason erasure). */
enum gd_err gd_db_guest_erase(struct gd_conn *c, const char *id, struct gd_error *reterr);

/* ---- bulk import (db/import.c): NDJSON lines checked by domain/import.c, written in batches ---- */
struct gd_importer;
/* One result per non-empty line: status "created", "updated" or "rejected" (then problem is set and
 * guest_id NULL). Results of lines rejected by the checks come at once, the others when their batch
 * is written; each carries its line number. A non-zero return stops the import. */
typedef int (*gd_import_sink)(void *ctx, unsigned long long line, const char *status, const char *guest_id,
                              const struct gd_error *problem);
struct gd_import_counts {
        unsigned long long lines, created, updated, rejected, batches, bytes;
};
/*
 * An import writing over the n_conns connections in conns (idle ones: every batch is a transaction
 * of its own, attributed to `actor` for the audit trail). With more than one, batches are written
 * side by side, one per connection, by threads of the importer; results still come in the file's
 * order, on the caller's thread, and each guest ends up as the file's lines, in order, make it.
 * `now` (Unix seconds) is the moment the date and timestamp rules read. batch_size lines at most go into
 * one batch.
 */
enum gd_err gd_importer_new(struct gd_conn *const *conns, size_t n_conns, const char *actor, const char *request_id,
                            size_t batch_size, time_t now, gd_import_sink sink, void *sink_ctx,
                            struct gd_importer **ret, struct gd_error *reterr);
/* Takes the next bytes of the stream; writes each batch as it fills. A failure of the database
 * (GD_ERR_UNAVAILABLE, ...) stops the import: the batches before it stay committed, and so may
 * those written alongside it. */
enum gd_err gd_importer_feed(struct gd_importer *im, const char *data, size_t len, struct gd_error *reterr);
/* The last line and the last batch. */
enum gd_err gd_importer_finish(struct gd_importer *im, struct gd_error *reterr);
void gd_importer_counts(const struct gd_importer *im, struct gd_import_counts *ret);
void gd_importer_free(struct gd_importer *im);

#endif
