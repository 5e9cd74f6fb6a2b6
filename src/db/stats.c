/* SPDX-License-Identifier: MIT */
/*
 * What GET /metrics reads from the db layer. The counters of this process's database work are
 * relaxed atomics: they are bumped on error paths, on connects and at the end of jobs, never
 * under a lock, and a reader needs no more than each value on its own. The facts about the last
 * purge and rescore runs come from the database, where every process records its runs.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"

static atomic_uint_fast64_t errors[_GD_DB_ERROR_KIND_MAX];
static atomic_uint_fast64_t connections_opened, reconnects, connect_failures;
static atomic_uint_fast64_t purge_runs[_GD_JOB_OUTCOME_MAX], soft_purged, hard_deleted;
static atomic_uint_fast64_t rescore_runs[_GD_JOB_OUTCOME_MAX], rescored;
static atomic_uint_fast64_t cards_stored_read, cards_built_read;

static const char *const error_kind_names[_GD_DB_ERROR_KIND_MAX] = {
        [GD_DB_ERROR_SERIALIZATION] = "serialization",
        [GD_DB_ERROR_DEADLOCK] = "deadlock",
        [GD_DB_ERROR_TIMEOUT] = "timeout",
        [GD_DB_ERROR_CONNECTION] = "connection",
        [GD_DB_ERROR_CONSTRAINT] = "constraint",
        [GD_DB_ERROR_DATA] = "data",
        [GD_DB_ERROR_OTHER] = "other",
};

static const char *const outcome_names[_GD_JOB_OUTCOME_MAX] = {
        [GD_JOB_DONE] = "done",
        [GD_JOB_DRY_RUN] = "dry_run",
        [GD_JOB_FAILED] = "failed",
        [GD_JOB_LOCKED] = "locked",
};

const char *gd_db_error_kind_name(enum gd_db_error_kind k)
{
        return (unsigned) k < _GD_DB_ERROR_KIND_MAX ? error_kind_names[k] : "other";
}

const char *gd_job_outcome_name(enum gd_job_outcome o)
{
        return (unsigned) o < _GD_JOB_OUTCOME_MAX ? outcome_names[o] : "failed";
}

static void add(atomic_uint_fast64_t *c, uint64_t n)
{
        atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(atomic_uint_fast64_t *c)
{
        return atomic_load_explicit(c, memory_order_relaxed);
}

void gd_db_count_error(enum gd_db_error_kind k)
{
        add(&errors[(unsigned) k < _GD_DB_ERROR_KIND_MAX ? k : GD_DB_ERROR_OTHER], 1);
}

void gd_db_count_connect(bool ok, bool replaces_earlier)
{
        if (!ok) {
                add(&connect_failures, 1);
                return;
        }
        add(&connections_opened, 1);
        if (replaces_earlier)
                add(&reconnects, 1);
}

void gd_db_count_purge(enum gd_job_outcome o, int64_t soft, int64_t hard)
{
        add(&purge_runs[o], 1);
        add(&soft_purged, soft > 0 ? (uint64_t) soft : 0);
        add(&hard_deleted, hard > 0 ? (uint64_t) hard : 0);
}

void gd_db_count_rescore(enum gd_job_outcome o, int64_t guests)
{
        add(&rescore_runs[o], 1);
        add(&rescored, guests > 0 ? (uint64_t) guests : 0);
}

void gd_db_count_card_read(bool stored)
{
        add(stored ? &cards_stored_read : &cards_built_read, 1);
}

void gd_db_counters_read(struct gd_db_counters *ret)
{
        for (int k = 0; k < _GD_DB_ERROR_KIND_MAX; k++)
                ret->errors[k] = get(&errors[k]);
        ret->connections_opened = get(&connections_opened);
        ret->reconnects = get(&reconnects);
        ret->connect_failures = get(&connect_failures);
        for (int o = 0; o < _GD_JOB_OUTCOME_MAX; o++) {
                ret->purge_runs[o] = get(&purge_runs[o]);
                ret->rescore_runs[o] = get(&rescore_runs[o]);
        }
        ret->guests_soft_purged = get(&soft_purged);
        ret->guests_hard_deleted = get(&hard_deleted);
        ret->guests_rescored = get(&rescored);
        ret->cards_stored_read = get(&cards_stored_read);
        ret->cards_built_read = get(&cards_built_read);
}

static double epoch_or_zero(const PGresult *r, int col)
{
        return PQgetisnull(r, 0, col) ? 0 : strtod(PQgetvalue(r, 0, col), NULL);
}

static int64_t int_or_zero(const PGresult *r, int col)
{
        return PQgetisnull(r, 0, col) ? 0 : strtoll(PQgetvalue(r, 0, col), NULL, 10);
}

enum gd_err gd_db_job_facts(struct gd_conn *c, struct gd_job_facts *ret, struct gd_error *reterr)
{
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_JOB_FACTS, NULL, &r, reterr);
        if (e != GD_OK)
                return e;
        *ret = (struct gd_job_facts){0};
        if (PQntuples(r) == 1) {
                ret->purge_last[GD_JOB_DONE] = epoch_or_zero(r, 0);
                ret->purge_last_duration_s = epoch_or_zero(r, 1);
                ret->purge_last_soft_purged = int_or_zero(r, 2);
                ret->purge_last_hard_deleted = int_or_zero(r, 3);
                ret->purge_last[GD_JOB_FAILED] = epoch_or_zero(r, 4);
                ret->purge_running = int_or_zero(r, 5);
                ret->rescore_last[GD_JOB_DONE] = epoch_or_zero(r, 6);
                ret->rescore_last_duration_s = epoch_or_zero(r, 7);
                ret->rescore_last_guests = int_or_zero(r, 8);
                ret->rescore_last[GD_JOB_FAILED] = epoch_or_zero(r, 9);
        }
        PQclear(r);
        return GD_OK;
}
