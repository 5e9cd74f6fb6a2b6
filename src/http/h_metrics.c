/* SPDX-License-Identifier: MIT */
/*
 * Handle GET /metrics: the Prometheus text format. Everything is read here, at scrape time:
 * the request counters (metrics.c), the pool and database counters of this process (db/), and
 * what the database records about the last purge and rescore runs of any process.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <libpq-fe.h>

#include "handlers.h"
#include "metrics.h"

static void gauge(struct gd_prom *w, const char *name, const char *help, double value)
{
        gd_prom_family(w, name, "gauge", help);
        gd_prom_sample(w, name, NULL, 0, value);
}

static void counter(struct gd_prom *w, const char *name, const char *help, uint64_t value)
{
        gd_prom_family(w, name, "counter", help);
        gd_prom_sample_u64(w, name, NULL, 0, value);
}

/* One family with one label: values[i] under the label value names[i]. */
static void labelled(struct gd_prom *w, const char *name, const char *type, const char *help, const char *label,
                     const char *const *names, const uint64_t *values, size_t n)
{
        gd_prom_family(w, name, type, help);
        for (size_t i = 0; i < n; i++) {
                const struct gd_prom_label l[] = {{label, names[i]}};
                gd_prom_sample_u64(w, name, l, 1, values[i]);
        }
}

static void write_build(struct gd_prom *w, const struct gd_app *app)
{
        char libpq[16];
        snprintf(libpq, sizeof(libpq), "%d.%d", PQlibVersion() / 10000, PQlibVersion() % 10000);
        const struct gd_prom_label l[] = {{"version", GUESTD_VERSION},
                                          {"libmicrohttpd", MHD_get_version()},
                                          {"jansson", jansson_version_str()},
                                          {"libpq", libpq}};
        gd_prom_family(w, "guestd_build_info", "gauge",
                       "Always 1: guestd's version and the library versions it runs with.");
        gd_prom_sample(w, "guestd_build_info", l, 4, 1);
        gauge(w, "process_start_time_seconds", "When this guestd started serving, seconds since the epoch.",
              app->started_at);
}

static void write_pool(struct gd_prom *w, struct gd_pool *pool)
{
        struct gd_pool_stats st;
        gd_pool_stats(pool, &st);
        gauge(w, "guestd_db_pool_size", "Database connections in the request pool (one per server thread).", st.size);
        gauge(w, "guestd_db_pool_connections_in_use", "Pool connections held by a request now.", st.in_use);
        gauge(w, "guestd_db_pool_connections_idle", "Pool connections free now (connected or not yet).", st.idle);
        gauge(w, "guestd_db_pool_waiting_requests", "Requests waiting for a free pool connection now.", st.waiting);
        counter(w, "guestd_db_pool_wait_timeouts_total",
                "Requests answered 503 because no pool connection became free in time.", st.wait_timeouts);
}

static void write_db_counters(struct gd_prom *w)
{
        struct gd_db_counters c;
        gd_db_counters_read(&c);
        const char *kinds[_GD_DB_ERROR_KIND_MAX];
        for (int k = 0; k < _GD_DB_ERROR_KIND_MAX; k++)
                kinds[k] = gd_db_error_kind_name(k);
        labelled(w, "guestd_db_errors_total", "counter",
                 "Failed database round trips of this process by kind: serialization (40001), deadlock (40P01), "
                 "timeout (statement, lock or client deadline), connection (lost or refused session), constraint "
                 "(class 23), data (class 22), other. Retried transactions count each failed attempt.",
                 "kind", kinds, c.errors, _GD_DB_ERROR_KIND_MAX);
        counter(w, "guestd_db_connections_opened_total",
                "Database sessions this process established (pool, exports, imports, purge runs), reconnects included.",
                c.connections_opened);
        counter(w, "guestd_db_reconnects_total", "Sessions established to replace a lost or closed one.", c.reconnects);
        counter(w, "guestd_db_connect_failures_total", "Attempts to establish a database session that failed.",
                c.connect_failures);

        const char *purge_outcomes[] = {gd_job_outcome_name(GD_JOB_DONE), gd_job_outcome_name(GD_JOB_DRY_RUN),
                                        gd_job_outcome_name(GD_JOB_FAILED), gd_job_outcome_name(GD_JOB_LOCKED)};
        const uint64_t purge_runs[] = {c.purge_runs[GD_JOB_DONE], c.purge_runs[GD_JOB_DRY_RUN],
                                       c.purge_runs[GD_JOB_FAILED], c.purge_runs[GD_JOB_LOCKED]};
        labelled(w, "guestd_purge_runs_total", "counter",
                 "Purge runs started by this process (POST /v1/purge-runs) by outcome; CLI runs are other processes.",
                 "outcome", purge_outcomes, purge_runs, 4);
        const char *actions[] = {"soft_purged", "hard_deleted"};
        const uint64_t guests[] = {c.guests_soft_purged, c.guests_hard_deleted};
        labelled(w, "guestd_purge_guests_total", "counter",
                 "Guests soft-purged and hard-deleted by this process's finished purge runs.", "action", actions,
                 guests, 2);
        const uint64_t rescore_runs[] = {c.rescore_runs[GD_JOB_DONE], c.rescore_runs[GD_JOB_FAILED]};
        const char *rescore_outcomes[] = {gd_job_outcome_name(GD_JOB_DONE), gd_job_outcome_name(GD_JOB_FAILED)};
        labelled(w, "guestd_rescore_runs_total", "counter",
                 "Rescores run by this process (POST /v1/loyalty/rescore, PUT /v1/loyalty/config) by outcome.",
                 "outcome", rescore_outcomes, rescore_runs, 2);
        counter(w, "guestd_rescore_guests_total", "Guests rescored by this process's rescores.", c.guests_rescored);
        const char *card_sources[] = {"stored", "built"};
        const uint64_t card_reads[] = {c.cards_stored_read, c.cards_built_read};
        labelled(w, "guestd_card_reads_total", "counter",
                 "Profile cards this process answered (GET /v1/guests/{id}): stored by an earlier read, or built "
                 "(and stored) by this one.",
                 "source", card_sources, card_reads, 2);
}

/* A run time of 0 means "never": the series is left out rather than reported as 1970. */
static void last_runs(struct gd_prom *w, const char *name, const char *help, const double *last)
{
        gd_prom_family(w, name, "gauge", help);
        const enum gd_job_outcome shown[] = {GD_JOB_DONE, GD_JOB_FAILED};
        for (size_t i = 0; i < 2; i++) {
                if (last[shown[i]] <= 0)
                        continue;
                const struct gd_prom_label l[] = {{"outcome", gd_job_outcome_name(shown[i])}};
                gd_prom_sample(w, name, l, 1, last[shown[i]]);
        }
}

static void write_job_facts(struct gd_prom *w, const struct gd_job_facts *f)
{
        last_runs(w, "guestd_purge_last_run_timestamp_seconds",
                  "When the latest purge run (not a dry run) of any process finished, by outcome.", f->purge_last);
        if (f->purge_last[GD_JOB_DONE] > 0) {
                gauge(w, "guestd_purge_last_run_duration_seconds", "How long the latest finished purge run took.",
                      f->purge_last_duration_s);
                const char *actions[] = {"soft_purged", "hard_deleted"};
                const uint64_t guests[] = {(uint64_t) f->purge_last_soft_purged, (uint64_t) f->purge_last_hard_deleted};
                labelled(w, "guestd_purge_last_run_guests", "gauge",
                         "Guests soft-purged and hard-deleted by the latest finished purge run.", "action", actions,
                         guests, 2);
        }
        gauge(w, "guestd_purge_running", "Purge runs recorded as running now (at most one holds the lock).",
              (double) f->purge_running);
        last_runs(w, "guestd_rescore_last_run_timestamp_seconds",
                  "When the latest rescore of any process (CLI or HTTP) finished, by outcome.", f->rescore_last);
        if (f->rescore_last[GD_JOB_DONE] > 0) {
                gauge(w, "guestd_rescore_last_run_duration_seconds", "How long the latest finished rescore took.",
                      f->rescore_last_duration_s);
                gauge(w, "guestd_rescore_last_run_guests", "Guests scored by the latest finished rescore.",
                      (double) f->rescore_last_guests);
        }
}

/*
 * The route needs no pooled connection from dispatch(): a scrape must answer while the database is
 * down, since that is when it matters. The run facts are read on a pool connection taken here if
 * one is free in time, and guestd_db_up says whether they could be.
 */
GD_HANDLER(gd_h_metrics)
{
        struct gd_app *app = req->app;
        struct gd_prom w;
        gd_prom_init(&w);
        write_build(&w, app);
        gd_metrics_write_http(app->metrics, &w);
        gauge(&w, "guestd_http_requests_in_flight", "Requests being served now, this scrape included.",
              atomic_load(&app->in_flight));
        write_pool(&w, app->pool);
        struct gd_conn *c = NULL;
        struct gd_job_facts facts;
        struct gd_error ignored = {0};
        bool read = gd_pool_acquire(app->pool, &c, &ignored) == GD_OK &&
                    gd_db_job_facts(c, &facts, &ignored) == GD_OK;
        gd_pool_release(app->pool, c);
        /* counted after the read above, so that a failure of that read is in this scrape */
        write_db_counters(&w);
        gauge(&w, "guestd_db_up", "1 when this scrape read the run records from the database, else 0.", read);
        if (read)
                write_job_facts(&w, &facts);

        if (w.failed || !w.text.data) {
                gd_prom_free(&w);
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        }
        reply->response = MHD_create_response_from_buffer_with_free_callback(w.text.len, w.text.data, &free);
        if (!reply->response) {
                gd_prom_free(&w);
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        }
        reply->content_type = GD_PROM_CONTENT_TYPE;
        return GD_OK;
}
