/* SPDX-License-Identifier: MIT */
/*
 * The purge run: one session holds the purge's advisory lock from start to end; stale guests are
 * soft-purged, then deleted guests past their grace period are hard-deleted, in batches of one
 * transaction each. A batch commits the guests' rows and the run's counts together, so a run
 * killed at any point leaves every guest wholly done or untouched, counts that match, and a rerun
 * that carries on where it stopped (the cut-offs select what is left).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A batch may lock, update or delete up to GD_PURGE_MAX_BATCH_SIZE guests with their sections. */
#define BATCH_TIMEOUT_MS 120000

struct purge_job {
        struct gd_conn *conn;
        const struct gd_purge_params *p;
        const struct gd_purge_log *log;
        int backend_pid; /* the session that holds the lock */
        char run_id[40];
        long soft_seen, hard_seen; /* candidates and expired guests so far, for the limit */
        long batches;
        json_t *sample; /* dry runs: candidate ids */
        const char *started_by; /* the audit trail's actor of the run's soft purges */
};

/* Where the next batch starts: after the last guest of the one before, in the phase's order. */
struct keyset {
        char after_us[24], after_id[40]; /* "" before the first batch */
};

/* What one batch found and did. */
struct batch {
        long guests, candidates, soft_purged, expired, hard_deleted;
        long skipped[_GD_PURGE_VERDICT_MAX];
        json_t *ids; /* the guests to act on */
        bool more;
};

static void job_log(struct purge_job *j, enum gd_log_level level, const char *msg, json_t *fields_new)
{
        if (j->log && j->log->log && fields_new)
                j->log->log(j->log->ctx, level, msg, fields_new);
        else
                json_decref(fields_new);
}

static void text_long(char out[24], long v)
{
        snprintf(out, 24, "%ld", v);
}

static enum gd_err query_text(struct gd_conn *c, enum gd_stmt stmt, const char *const *params, char *out,
                              size_t cap, struct gd_error *reterr)
{
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, stmt, params, &r, reterr);
        if (e != GD_OK)
                return e;
        snprintf(out, cap, "%s", PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "");
        PQclear(r);
        return GD_OK;
}

/* The database's clock, in microseconds since the epoch. */
static enum gd_err db_now(struct purge_job *j, int64_t *ret, struct gd_error *reterr)
{
        char text[24];
        enum gd_err e = query_text(j->conn, GD_STMT_PURGE_CLOCK, NULL, text, sizeof(text), reterr);
        if (e == GD_OK)
                *ret = strtoll(text, NULL, 10);
        return e;
}

static enum gd_err take_lock(struct purge_job *j, struct gd_error *reterr)
{
        char got[8], holder[40];
        enum gd_err e = query_text(j->conn, GD_STMT_PURGE_LOCK, NULL, got, sizeof(got), reterr);
        if (e != GD_OK)
                return e;
        if (strcmp(got, "t") == 0) {
                j->backend_pid = gd_conn_backend_pid(j->conn);
                return GD_OK;
        }
        /* the holder is named when it is a run (the lock may also be held by hand, from psql) */
        if (query_text(j->conn, GD_STMT_PURGE_RUN_RUNNING, NULL, holder, sizeof(holder), reterr) != GD_OK)
                holder[0] = '\0';
        if (holder[0])
                return gd_error_set(reterr, GD_ERR_CONFLICT, "Another purge run is in progress (run %s).", holder);
        return gd_error_set(reterr, GD_ERR_CONFLICT, "Another purge run is in progress.");
}

/* A session lock lives as long as its session: a batch on a new session (after a reconnect) would
 * run without it, beside a run that may have started meanwhile. */
static enum gd_err begin_batch(struct purge_job *j, struct gd_error *reterr)
{
        enum gd_err e = gd_db_begin(j->conn, reterr);
        if (e == GD_OK && gd_conn_backend_pid(j->conn) != j->backend_pid) {
                gd_db_rollback(j->conn);
                gd_error_set_cause(reterr, "the session holding the purge lock ended");
                e = gd_error_set(reterr, GD_ERR_UNAVAILABLE, "The database connection was lost.");
        }
        if (e == GD_OK)
                e = gd_db_set_actor(j->conn, j->started_by, "", NULL, NULL, NULL, reterr);
        return e;
}

static enum gd_err record_progress(struct purge_job *j, const struct batch *b, struct gd_error *reterr)
{
        char v[8][24];
        const long counts[8] = {b->candidates, b->soft_purged, b->expired, b->hard_deleted,
                                b->skipped[GD_PURGE_LEGAL_HOLD], b->skipped[GD_PURGE_VIP],
                                b->skipped[GD_PURGE_OPEN_STAY], b->skipped[GD_PURGE_OPEN_COMPLAINT]};
        for (int i = 0; i < 8; i++)
                text_long(v[i], counts[i]);
        const char *params[] = {j->run_id, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(j->conn, GD_STMT_PURGE_RUN_PROGRESS, params, &r, reterr);
        PQclear(r);
        return e;
}

/* Runs the statement that acts on b->ids with the run id; *ret = the rows it changed. */
static enum gd_err act(struct purge_job *j, enum gd_stmt stmt, const struct batch *b, long *ret,
                       struct gd_error *reterr)
{
        *ret = 0;
        if (j->p->dry_run || json_array_size(b->ids) == 0)
                return GD_OK;
        char *ids = json_dumps(b->ids, JSON_COMPACT);
        if (!ids)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        const char *params[] = {ids, j->run_id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(j->conn, stmt, params, &r, reterr);
        free(ids);
        if (e == GD_OK)
                *ret = strtol(PQcmdTuples(r), NULL, 10);
        PQclear(r);
        return e;
}

static void log_batch(struct purge_job *j, const char *phase, const struct batch *b)
{
        json_t *f = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}}", "run_id", j->run_id,
                              "phase", phase, "batch", (json_int_t) j->batches, "guests", (json_int_t) b->guests,
                              "candidates", (json_int_t) b->candidates, "soft_purged", (json_int_t) b->soft_purged,
                              "expired", (json_int_t) b->expired, "hard_deleted", (json_int_t) b->hard_deleted,
                              "skipped", "legal_hold", (json_int_t) b->skipped[GD_PURGE_LEGAL_HOLD], "vip",
                              (json_int_t) b->skipped[GD_PURGE_VIP], "open_stay",
                              (json_int_t) b->skipped[GD_PURGE_OPEN_STAY], "open_complaint",
                              (json_int_t) b->skipped[GD_PURGE_OPEN_COMPLAINT]);
        job_log(j, GD_LOG_INFO, "purge batch", f);
}

/* Sorts one row's guest by the policy. False once the run's limit is reached: the rest of the
 * batch is left alone. */
typedef bool (*sort_row)(struct purge_job *j, struct batch *b, const PGresult *r, int row, int64_t cutoff_us);

static bool over_limit(const struct purge_job *j, long seen)
{
        return j->p->limit > 0 && seen >= j->p->limit;
}

/* An eligible guest joins b->ids (and, with `sampled`, a dry run's sample), counted in *count and
 * *seen; a protected one is counted under its reason. */
static void tally(struct purge_job *j, struct batch *b, enum gd_purge_verdict v, const char *id, long *count,
                  long *seen, bool sampled)
{
        if (v == GD_PURGE_RECENT)
                return;
        if (v != GD_PURGE_ELIGIBLE) {
                b->skipped[v]++;
                return;
        }
        json_t *item = json_string(id);
        (*count)++;
        (*seen)++;
        if (sampled && j->p->dry_run && json_array_size(j->sample) < GD_PURGE_SAMPLE_MAX)
                json_array_append(j->sample, item);
        json_array_append_new(b->ids, item);
}

/* Columns of purge_candidates: id, last activity, legal hold, vip_code, open stays, open complaints. */
static bool sort_candidate(struct purge_job *j, struct batch *b, const PGresult *r, int row, int64_t cutoff_us)
{
        if (over_limit(j, j->soft_seen))
                return false;
        const struct gd_purge_facts f = {
                .last_activity_us = strtoll(PQgetvalue(r, row, 1), NULL, 10),
                .legal_hold = PQgetvalue(r, row, 2)[0] == 't',
                .vip_code = PQgetvalue(r, row, 3)[0] == 't',
                .open_stays = strtol(PQgetvalue(r, row, 4), NULL, 10),
                .open_complaints = strtol(PQgetvalue(r, row, 5), NULL, 10),
        };
        tally(j, b, gd_purge_classify(&f, cutoff_us, j->p->include_vip), PQgetvalue(r, row, 0), &b->candidates,
              &j->soft_seen, true);
        return true;
}

/* Columns of purge_expired: id, deleted_at, legal hold. */
static bool sort_expired(struct purge_job *j, struct batch *b, const PGresult *r, int row, int64_t cutoff_us)
{
        if (over_limit(j, j->hard_seen))
                return false;
        const struct gd_purge_facts f = {
                .last_activity_us = strtoll(PQgetvalue(r, row, 1), NULL, 10),
                .legal_hold = PQgetvalue(r, row, 2)[0] == 't',
        };
        tally(j, b, gd_purge_classify_expired(&f, cutoff_us), PQgetvalue(r, row, 0), &b->expired, &j->hard_seen,
              false);
        return true;
}

/* What differs between the two phases. */
struct phase {
        const char *name;
        enum gd_stmt select, select_dry, act;
        sort_row sort;
};

/* One batch of a phase, in one transaction: select and lock, sort, act, count, commit. */
static enum gd_err run_batch(struct purge_job *j, const struct phase *ph, int64_t cutoff_us, struct keyset *k,
                             struct batch *b, struct gd_error *reterr)
{
        char cutoff[24], size[24];
        snprintf(cutoff, sizeof(cutoff), "%lld", (long long) cutoff_us);
        text_long(size, j->p->batch_size);
        const char *params[] = {cutoff, k->after_us[0] ? k->after_us : NULL, k->after_id[0] ? k->after_id : NULL, size};
        PGresult *r = NULL;
        enum gd_err e = begin_batch(j, reterr);
        if (e == GD_OK)
                e = gd_db_exec(j->conn, j->p->dry_run ? ph->select_dry : ph->select, params, &r, reterr);
        if (e == GD_OK) {
                int n = PQntuples(r), i = 0;
                for (; i < n && ph->sort(j, b, r, i, cutoff_us); i++) {
                        snprintf(k->after_id, sizeof(k->after_id), "%s", PQgetvalue(r, i, 0));
                        snprintf(k->after_us, sizeof(k->after_us), "%s", PQgetvalue(r, i, 1));
                }
                b->guests = i;
                b->more = i == j->p->batch_size;
                PQclear(r);
        }
        if (e == GD_OK)
                e = act(j, ph->act, b, ph->act == GD_STMT_PURGE_SOFT ? &b->soft_purged : &b->hard_deleted, reterr);
        if (e == GD_OK && b->guests > 0)
                e = record_progress(j, b, reterr);
        if (e == GD_OK)
                e = gd_db_commit(j->conn, reterr);
        if (e != GD_OK)
                gd_db_rollback(j->conn);
        return e;
}

static enum gd_err run_phase(struct purge_job *j, const struct phase *ph, int64_t cutoff_us, struct gd_error *reterr)
{
        struct keyset k = {"", ""};
        bool more = true;
        enum gd_err e = GD_OK;
        while (e == GD_OK && more) {
                struct batch b = {.ids = json_array()};
                e = b.ids ? run_batch(j, ph, cutoff_us, &k, &b, reterr) : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
                json_decref(b.ids);
                more = b.more;
                if (e == GD_OK && b.guests > 0) {
                        j->batches++;
                        log_batch(j, ph->name, &b);
                }
        }
        return e;
}

static const struct phase soft_phase = {"soft_purge", GD_STMT_PURGE_CANDIDATES, GD_STMT_PURGE_CANDIDATES_DRY,
                                        GD_STMT_PURGE_SOFT, sort_candidate};
static const struct phase hard_phase = {"hard_delete", GD_STMT_PURGE_EXPIRED, GD_STMT_PURGE_EXPIRED_DRY,
                                        GD_STMT_PURGE_ERASE, sort_expired};

static enum gd_err start_run(struct purge_job *j, const char *started_by, int64_t *ret_cutoff,
                             struct gd_error *reterr)
{
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(j->conn, GD_STMT_PURGE_RUN_ABANDON, NULL, &r, reterr);
        if (e != GD_OK)
                return e;
        for (int i = 0; i < PQntuples(r); i++)
                job_log(j, GD_LOG_WARN, "purge run abandoned",
                        json_pack("{s:s, s:s}", "run_id", PQgetvalue(r, i, 0), "status", "failed"));
        PQclear(r);

        int64_t now = 0;
        e = db_now(j, &now, reterr);
        if (e != GD_OK)
                return e;
        int64_t cutoff = gd_purge_cutoff(now, j->p->inactive_days);
        char v[6][24];
        text_long(v[0], j->p->inactive_days);
        text_long(v[1], j->p->grace_days);
        text_long(v[2], j->p->batch_size);
        text_long(v[3], j->p->limit);
        snprintf(v[4], sizeof(v[4]), "%lld", (long long) cutoff);
        snprintf(v[5], sizeof(v[5]), "%lld", (long long) now);
        const char *params[] = {j->p->dry_run ? "true" : "false", started_by, v[0], v[1], v[2],
                                j->p->include_vip ? "true" : "false", j->p->limit > 0 ? v[3] : NULL, v[4], v[5]};
        e = query_text(j->conn, GD_STMT_PURGE_RUN_INSERT, params, j->run_id, sizeof(j->run_id), reterr);
        if (e != GD_OK)
                return e;
        *ret_cutoff = cutoff;
        job_log(j, GD_LOG_INFO, "purge started",
                json_pack("{s:s, s:b, s:i, s:i, s:i, s:b, s:I}", "run_id", j->run_id, "dry_run", j->p->dry_run,
                          "inactive_days", j->p->inactive_days, "grace_days", j->p->grace_days, "batch_size",
                          j->p->batch_size, "include_vip", j->p->include_vip, "limit", (json_int_t) j->p->limit));
        return GD_OK;
}

/* The grace period is measured when the hard deletes start, so that with grace_days 0 the guests
 * this run soft-purged are deleted too. */
static enum gd_err hard_deletes(struct purge_job *j, struct gd_error *reterr)
{
        int64_t now = 0;
        enum gd_err e = db_now(j, &now, reterr);
        if (e != GD_OK)
                return e;
        int64_t grace_cutoff = gd_purge_cutoff(now, j->p->grace_days);
        char cutoff[24];
        snprintf(cutoff, sizeof(cutoff), "%lld", (long long) grace_cutoff);
        const char *params[] = {j->run_id, cutoff};
        PGresult *r = NULL;
        e = gd_db_exec(j->conn, GD_STMT_PURGE_RUN_GRACE, params, &r, reterr);
        PQclear(r);
        return e == GD_OK ? run_phase(j, &hard_phase, grace_cutoff, reterr) : e;
}

static enum gd_err finish_run(struct purge_job *j, const char *status, const char *error, json_t **ret,
                              struct gd_error *reterr)
{
        char *sample = j->p->dry_run ? json_dumps(j->sample, JSON_COMPACT) : NULL;
        const char *params[] = {j->run_id, status, sample, error};
        PGresult *r = NULL;
        enum gd_err e = j->p->dry_run && !sample ? gd_error_set(reterr, GD_ERR_NOMEM, NULL)
                                                 : gd_db_exec(j->conn, GD_STMT_PURGE_RUN_FINISH, params, &r, reterr);
        free(sample);
        json_t *run = e == GD_OK && PQntuples(r) == 1 ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
        PQclear(r);
        if (e == GD_OK && !run)
                e = gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        if (e == GD_OK && ret)
                *ret = run;
        else
                json_decref(run);
        return e;
}

/* The run in this process's counters (purge_run holds it for every process). */
static void count_run(const struct gd_purge_params *p, enum gd_err e, const json_t *run)
{
        enum gd_job_outcome o = e == GD_ERR_CONFLICT ? GD_JOB_LOCKED
                                : e != GD_OK          ? GD_JOB_FAILED
                                : p->dry_run          ? GD_JOB_DRY_RUN
                                                      : GD_JOB_DONE;
        bool purged = o == GD_JOB_DONE;
        gd_db_count_purge(o, purged ? json_integer_value(json_object_get(run, "soft_purged")) : 0,
                          purged ? json_integer_value(json_object_get(run, "hard_deleted")) : 0);
}

enum gd_err gd_db_purge(const struct gd_db_config *cfg, const struct gd_purge_params *p, const char *started_by,
                        const struct gd_purge_log *log, json_t **ret_run, struct gd_error *reterr)
{
        struct gd_db_config run_cfg = *cfg;
        if (run_cfg.timeout_ms < BATCH_TIMEOUT_MS)
                run_cfg.timeout_ms = BATCH_TIMEOUT_MS;
        run_cfg.statement_timeout_ms = BATCH_TIMEOUT_MS;
        struct purge_job j = {.p = p, .log = log, .sample = json_array(), .started_by = started_by};
        json_t *run = NULL;
        int64_t cutoff = 0;
        enum gd_err e = j.sample ? gd_conn_open(&run_cfg, true, &j.conn, reterr) : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        if (e == GD_OK)
                e = take_lock(&j, reterr);
        if (e != GD_OK)
                goto out;
        e = start_run(&j, started_by, &cutoff, reterr);
        if (e == GD_OK)
                e = run_phase(&j, &soft_phase, cutoff, reterr);
        if (e == GD_OK)
                e = hard_deletes(&j, reterr);
        if (e == GD_OK)
                e = finish_run(&j, "done", NULL, &run, reterr);
        /* the lock is the only conflict a run knows: anything else that clashes is unexpected */
        if (e == GD_ERR_CONFLICT)
                e = gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        if (e != GD_OK && j.run_id[0]) {
                struct gd_error ignored = {0};
                gd_db_rollback(j.conn);
                if (gd_conn_backend_pid(j.conn) == j.backend_pid)
                        finish_run(&j, "failed", gd_err_to_string(e), NULL, &ignored);
                job_log(&j, GD_LOG_ERROR, "purge failed",
                        json_pack("{s:s, s:s, s:s}", "run_id", j.run_id, "error", gd_err_to_string(e), "cause",
                                  reterr->cause));
        }
        /* closing the session would free the lock too, but only eventually: the next run must find
         * it free as soon as this one has answered */
        if (j.backend_pid && gd_conn_backend_pid(j.conn) == j.backend_pid) {
                struct gd_error ignored = {0};
                PGresult *r = NULL;
                if (gd_db_exec(j.conn, GD_STMT_PURGE_UNLOCK, NULL, &r, &ignored) == GD_OK)
                        PQclear(r);
        }
out:
        gd_conn_free(j.conn);
        json_decref(j.sample);
        count_run(p, e, run);
        if (e == GD_OK) {
                json_t *f = json_deep_copy(run);
                json_object_del(f, "sample");
                job_log(&j, GD_LOG_INFO, "purge finished", f);
                *ret_run = run;
        }
        return e;
}

enum gd_err gd_db_purge_run_get(struct gd_conn *c, const char *id, json_t **ret, struct gd_error *reterr)
{
        const char *params[] = {id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_PURGE_RUN_GET, params, &r, reterr);
        if (e != GD_OK)
                return e;
        json_t *run = PQntuples(r) == 1 ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
        bool missing = PQntuples(r) == 0;
        PQclear(r);
        if (missing)
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No purge run has this id.");
        if (!run)
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        *ret = run;
        return GD_OK;
}

enum gd_err gd_db_purge_run_list(struct gd_conn *c, const char *after_key, const char *after_id, int limit,
                                 json_t **ret_items, char ret_next_key[64], char ret_next_id[64],
                                 struct gd_error *reterr)
{
        return gd_db_list(c, GD_STMT_PURGE_RUN_LIST, after_key, after_id, limit, gd_db_json_column, 1, 2, ret_items,
                          ret_next_key, ret_next_id, reterr);
}
