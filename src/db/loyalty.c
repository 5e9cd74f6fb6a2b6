/* SPDX-License-Identifier: MIT */
/* Loyalty reads, the configuration, and the batched rescore. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* A statement whose only column is a JSON text. Clears r. */
static enum gd_err json_result(PGresult *r, const char *missing, json_t **ret, struct gd_error *reterr)
{
        json_t *v = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
        bool empty = PQntuples(r) == 0;
        PQclear(r);
        if (empty)
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "%s", missing);
        if (!v)
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        *ret = v;
        return GD_OK;
}

enum gd_err gd_db_loyalty_get(struct gd_conn *c, const char *guest_id, json_t **ret, struct gd_error *reterr)
{
        const char *params[] = {guest_id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_LOYALTY_GET, params, &r, reterr);
        if (e == GD_OK)
                e = json_result(r, "No guest has this id.", ret, reterr);
        return e == GD_ERR_NOT_FOUND ? gd_db_guest_not_found(c, guest_id, reterr) : e;
}

enum gd_err gd_db_loyalty_config_get(struct gd_conn *c, json_t **ret, struct gd_error *reterr)
{
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_LOYALTY_CONFIG_GET, NULL, &r, reterr);
        return e != GD_OK ? e : json_result(r, "No configuration.", ret, reterr);
}

enum gd_err gd_db_loyalty_tier_exists(struct gd_conn *c, const char *name, bool *ret_exists, struct gd_error *reterr)
{
        const char *params[] = {name};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_LOYALTY_TIER_EXISTS, params, &r, reterr);
        if (e == GD_OK)
                *ret_exists = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "true") == 0;
        PQclear(r);
        return e;
}

enum gd_err gd_db_loyalty_config_put(struct gd_conn *c, const json_t *normalized, struct gd_error *reterr)
{
        char *rates = json_dumps(json_object_get(normalized, "fx_rates"), JSON_COMPACT);
        char *loyalty = json_dumps(json_object_get(normalized, "loyalty"), JSON_COMPACT);
        const char *params[] = {json_string_value(json_object_get(normalized, "base_currency")), rates, loyalty};
        PGresult *r = NULL;
        enum gd_err e = rates && loyalty ? gd_db_exec(c, GD_STMT_LOYALTY_CONFIG_PUT, params, &r, reterr)
                                         : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        PQclear(r);
        free(rates);
        free(loyalty);
        return e;
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A rescore shared by its workers: each takes the next batch's range of ids under the lock (one
 * short index read), then recomputes that range in a transaction of its own, side by side with
 * the others. Ranges are handed out in id order and never overlap.
 */
struct rescore_run {
        pthread_mutex_t lock;
        char after[40]; /* the last id handed out; "" before the first batch */
        bool done;      /* no guest left after `after`, or a worker failed */
        char batch_size[16];
        const char *why;
        struct gd_rescore_summary sum;
        enum gd_err failure;
        struct gd_error error;
};

struct rescore_worker {
        struct rescore_run *run;
        struct gd_conn *conn;
        pthread_t thread;
};

static void record_failure(struct rescore_run *run, enum gd_err e, const struct gd_error *err)
{
        pthread_mutex_lock(&run->lock);
        if (run->failure == GD_OK) {
                run->failure = e;
                run->error = *err;
        }
        run->done = true;
        pthread_mutex_unlock(&run->lock);
}

/* Takes the next range (after, upto]; false when there is none left. */
static bool next_range(struct rescore_worker *w, char after[40], char upto[40])
{
        struct rescore_run *run = w->run;
        struct gd_error err = {0};
        enum gd_err e = GD_OK;
        bool taken = false;
        pthread_mutex_lock(&run->lock);
        if (!run->done) {
                const char *params[] = {run->after[0] ? run->after : NULL, run->batch_size, run->why};
                PGresult *r = NULL;
                e = gd_db_exec(w->conn, GD_STMT_RESCORE_BATCH_END, params, &r, &err);
                if (e == GD_OK) /* also when there is no guest at all */
                        run->sum.formula_version = atoi(PQgetvalue(r, 0, 1));
                if (e == GD_OK && PQgetisnull(r, 0, 0)) {
                        run->done = true;
                } else if (e == GD_OK) {
                        memcpy(after, run->after, 40);
                        snprintf(upto, 40, "%s", PQgetvalue(r, 0, 0));
                        memcpy(run->after, upto, 40);
                        taken = true;
                }
                PQclear(r);
        }
        pthread_mutex_unlock(&run->lock);
        if (e != GD_OK)
                record_failure(run, e, &err);
        return taken;
}

static void *rescore_worker_main(void *arg)
{
        struct rescore_worker *w = arg;
        struct rescore_run *run = w->run;
        char after[40], upto[40];
        while (next_range(w, after, upto)) {
                const char *params[] = {after[0] ? after : NULL, upto, run->why};
                PGresult *r = NULL;
                struct gd_error err = {0};
                enum gd_err e = gd_db_exec(w->conn, GD_STMT_RESCORE_BATCH, params, &r, &err);
                if (e != GD_OK) {
                        record_failure(run, e, &err);
                        break;
                }
                long guests = strtol(PQgetvalue(r, 0, 0), NULL, 10);
                pthread_mutex_lock(&run->lock);
                run->sum.guests += guests;
                run->sum.batches += guests > 0;
                run->sum.moved_up += strtol(PQgetvalue(r, 0, 1), NULL, 10);
                run->sum.moved_down += strtol(PQgetvalue(r, 0, 2), NULL, 10);
                pthread_mutex_unlock(&run->lock);
                PQclear(r);
        }
        return NULL;
}

/*
 * Counts the run in this process and records it in rescore_run for every other one (a scrape of
 * any guestd shows when the nightly CLI run last finished). Best effort: a failed run's session
 * may be gone, and the record never changes the run's own outcome.
 */
static void record_run(struct gd_conn *c, const char *why, int jobs, const struct gd_rescore_summary *sum,
                       enum gd_err failure)
{
        gd_db_count_rescore(failure == GD_OK ? GD_JOB_DONE : GD_JOB_FAILED, sum->guests);
        char n_jobs[16], ms[24], guests[24], up[24], down[24], batches[24], version[16];
        snprintf(n_jobs, sizeof(n_jobs), "%d", jobs);
        snprintf(ms, sizeof(ms), "%lld", sum->duration_ms);
        snprintf(guests, sizeof(guests), "%ld", sum->guests);
        snprintf(up, sizeof(up), "%ld", sum->moved_up);
        snprintf(down, sizeof(down), "%ld", sum->moved_down);
        snprintf(batches, sizeof(batches), "%ld", sum->batches);
        snprintf(version, sizeof(version), "%d", sum->formula_version);
        const char *params[] = {why, failure == GD_OK ? "done" : "failed", n_jobs, ms, guests, up, down, batches,
                                sum->formula_version ? version : NULL,
                                failure == GD_OK ? NULL : gd_err_to_string(failure)};
        struct gd_error ignored = {0};
        PGresult *r = NULL;
        if (gd_db_exec(c, GD_STMT_RESCORE_RUN_RECORD, params, &r, &ignored) == GD_OK)
                PQclear(r);
}

enum gd_err gd_db_rescore(struct gd_conn *const *conns, int n_conns, int batch_size, const char *why,
                          struct gd_rescore_summary *ret, struct gd_error *reterr)
{
        if (n_conns < 1 || n_conns > GD_RESCORE_MAX_JOBS)
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        struct rescore_run run = {.why = why};
        struct rescore_worker workers[GD_RESCORE_MAX_JOBS];
        long long started = now_ms();
        snprintf(run.batch_size, sizeof(run.batch_size), "%d", batch_size);
        pthread_mutex_init(&run.lock, NULL);
        /* the calling thread is worker 0; a worker that cannot start leaves its share to the others */
        bool started_thread[GD_RESCORE_MAX_JOBS] = {false};
        for (int i = 0; i < n_conns; i++) {
                workers[i] = (struct rescore_worker){.run = &run, .conn = conns[i]};
                if (i > 0)
                        started_thread[i] =
                                pthread_create(&workers[i].thread, NULL, rescore_worker_main, &workers[i]) == 0;
        }
        rescore_worker_main(&workers[0]);
        for (int i = 1; i < n_conns; i++)
                if (started_thread[i])
                        pthread_join(workers[i].thread, NULL);
        pthread_mutex_destroy(&run.lock);
        run.sum.duration_ms = now_ms() - started;
        record_run(conns[0], why, n_conns, &run.sum, run.failure);
        if (run.failure != GD_OK) {
                *reterr = run.error;
                return run.failure;
        }
        *ret = run.sum;
        return GD_OK;
}

json_t *gd_rescore_summary_json(const struct gd_rescore_summary *s)
{
        return json_pack("{s:I, s:{s:I, s:I}, s:I, s:i, s:I}", "guests", (json_int_t) s->guests, "tier_changes", "up",
                         (json_int_t) s->moved_up, "down", (json_int_t) s->moved_down, "batches",
                         (json_int_t) s->batches, "formula_version", s->formula_version, "duration_ms",
                         (json_int_t) s->duration_ms);
}
