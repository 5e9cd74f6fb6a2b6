/* SPDX-License-Identifier: MIT */
/*
 * One PostgreSQL session: connect, prepare, and round trips bounded by a client-side deadline.
 * A frozen backend answers neither queries nor cancels, and statement_timeout is measured by
 * that same backend, so only our own poll() deadline keeps a request from hanging: on expiry
 * the connection is closed and the next use reconnects and re-prepares.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

struct gd_conn {
        PGconn *pg;             /* NULL after a deadline expired */
        struct gd_db_config cfg;
        bool want_prepared;
        bool prepared;
        char constraint[64];
        /* gd_db_begin() calls not yet matched. The outermost sends BEGIN/COMMIT; inner levels are
         * savepoints, so a helper that needs a transaction joins the request's, and one that expects
         * a statement to fail can roll back just that and go on in the same transaction */
        int tx_depth;
        /* the session ended inside a transaction: nothing may run (a reconnect would run the rest
         * of the transaction's statements on their own) until the transaction is rolled back */
        bool tx_lost;
        bool had_session; /* connected before: the next connect is a reconnect */
};

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mark_broken(struct gd_conn *c)
{
        if (c->pg)
                PQfinish(c->pg);
        c->pg = NULL;
        c->prepared = false;
        if (c->tx_depth > 0)
                c->tx_lost = true;
}

static enum gd_err lost(struct gd_conn *c, struct gd_error *reterr, const char *what, enum gd_db_error_kind kind)
{
        gd_db_count_error(kind);
        gd_error_set_cause(reterr, "%s: %s", what, c->pg ? PQerrorMessage(c->pg) : "connection closed");
        mark_broken(c);
        return gd_error_set(reterr, GD_ERR_UNAVAILABLE, "The database is unavailable.");
}

static enum gd_err unavailable(struct gd_conn *c, struct gd_error *reterr, const char *what)
{
        return lost(c, reterr, what, GD_DB_ERROR_CONNECTION);
}

/* our own deadline passed: the session is given up like a lost one, but counted as a timeout */
static enum gd_err timed_out(struct gd_conn *c, struct gd_error *reterr, const char *what)
{
        return lost(c, reterr, what, GD_DB_ERROR_TIMEOUT);
}

/* Waits until the socket is ready for `events` or the deadline passes. */
static bool wait_socket(PGconn *pg, short events, long long deadline)
{
        struct pollfd p = {.fd = PQsocket(pg), .events = events};
        for (;;) {
                long long left = deadline - now_ms();
                if (left <= 0 || p.fd < 0)
                        return false;
                int r = poll(&p, 1, (int) left);
                if (r > 0)
                        return true;
                if (r == 0 || errno != EINTR)
                        return false;
        }
}

/* Collects the results of the query just sent. Keeps the first error, else the last result. */
static enum gd_err await_result(struct gd_conn *c, PGresult **ret, struct gd_error *reterr)
{
        long long deadline = now_ms() + c->cfg.timeout_ms;
        int f;
        while ((f = PQflush(c->pg)) == 1)
                if (!wait_socket(c->pg, POLLOUT | POLLIN, deadline) || !PQconsumeInput(c->pg))
                        return timed_out(c, reterr, "sending the query timed out");
        if (f < 0)
                return unavailable(c, reterr, "sending the query failed");

        PGresult *keep = NULL;
        bool keep_is_error = false;
        for (;;) {
                while (PQisBusy(c->pg)) {
                        if (!wait_socket(c->pg, POLLIN, deadline)) {
                                PQclear(keep);
                                return timed_out(c, reterr, "the database did not answer in time");
                        }
                        if (!PQconsumeInput(c->pg)) {
                                PQclear(keep);
                                return unavailable(c, reterr, "reading the answer failed");
                        }
                }
                PGresult *r = PQgetResult(c->pg);
                if (!r)
                        break;
                ExecStatusType st = PQresultStatus(r);
                bool is_error = st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY;
                if (keep_is_error) {
                        PQclear(r);
                        continue;
                }
                PQclear(keep);
                keep = r;
                keep_is_error = is_error;
        }
        if (!keep)
                return unavailable(c, reterr, "no result");
        if (!keep_is_error) {
                *ret = keep;
                return GD_OK;
        }

        /* copied: the field lives in `keep`, cleared before the error is set */
        char state[6];
        const char *sqlstate = PQresultErrorField(keep, PG_DIAG_SQLSTATE);
        snprintf(state, sizeof(state), "%s", sqlstate ? sqlstate : "");
        const char *constraint = PQresultErrorField(keep, PG_DIAG_CONSTRAINT_NAME);
        snprintf(c->constraint, sizeof(c->constraint), "%s", constraint ? constraint : "");
        /* the primary message only: DETAIL lines can quote row values, which must not reach a log */
        const char *primary = PQresultErrorField(keep, PG_DIAG_MESSAGE_PRIMARY);
        gd_error_set_cause(reterr, "SQLSTATE %s: %s", state[0] ? state : "none", primary ? primary : "");
        enum gd_err e = gd_sqlstate_classify(sqlstate);
        bool session_lost = PQstatus(c->pg) == CONNECTION_BAD;
        gd_db_count_error(session_lost ? GD_DB_ERROR_CONNECTION : gd_sqlstate_kind(sqlstate));
        if (session_lost)
                e = GD_ERR_UNAVAILABLE;
        /* 26000: our prepared statements are gone (the session was reset by someone else) */
        if (strcmp(state, "26000") == 0) {
                c->prepared = false;
                e = GD_ERR_UNAVAILABLE;
        }
        PQclear(keep);
        if (e == GD_ERR_UNAVAILABLE && PQstatus(c->pg) == CONNECTION_BAD)
                mark_broken(c);
        return gd_sqlstate_fail(reterr, state, e);
}

enum gd_err gd_conn_query(struct gd_conn *c, const char *sql, PGresult **ret, struct gd_error *reterr)
{
        *ret = NULL; /* as gd_db_exec: no stale result after a failure */
        if (!c->pg)
                return unavailable(c, reterr, "not connected");
        if (!PQsendQuery(c->pg, sql))
                return unavailable(c, reterr, "sending the query failed");
        return await_result(c, ret, reterr);
}

enum gd_err gd_conn_stream_start(struct gd_conn *c, enum gd_stmt stmt, const char *const *params,
                                 struct gd_error *reterr)
{
        if (!c->pg)
                return unavailable(c, reterr, "not connected");
        if (!PQsendQueryParams(c->pg, gd_stmts[stmt].sql, gd_stmts[stmt].n_params, NULL, params, NULL, NULL, 0) ||
            !PQsetSingleRowMode(c->pg))
                return unavailable(c, reterr, "sending the query failed");
        long long deadline = now_ms() + c->cfg.timeout_ms;
        int f;
        while ((f = PQflush(c->pg)) == 1)
                if (!wait_socket(c->pg, POLLOUT | POLLIN, deadline) || !PQconsumeInput(c->pg))
                        return timed_out(c, reterr, "sending the query timed out");
        return f < 0 ? unavailable(c, reterr, "sending the query failed") : GD_OK;
}

enum gd_err gd_conn_next_row(struct gd_conn *c, PGresult **ret_row, struct gd_error *reterr)
{
        long long deadline = now_ms() + c->cfg.timeout_ms;
        while (PQisBusy(c->pg))
                if (!wait_socket(c->pg, POLLIN, deadline) || !PQconsumeInput(c->pg))
                        return timed_out(c, reterr, "the database did not answer in time");
        PGresult *r = PQgetResult(c->pg);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_TUPLES_OK;
        if (st == PGRES_SINGLE_TUPLE) {
                *ret_row = r;
                return GD_OK;
        }
        if (st != PGRES_TUPLES_OK) {
                /* copied: the field lives in r, cleared before the error is set */
                char state[6];
                const char *sqlstate = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
                snprintf(state, sizeof(state), "%s", sqlstate ? sqlstate : "");
                enum gd_err e = gd_sqlstate_classify(sqlstate);
                gd_db_count_error(gd_sqlstate_kind(sqlstate));
                gd_error_set_cause(reterr, "SQLSTATE %s", state[0] ? state : "none");
                PQclear(r);
                return gd_sqlstate_fail(reterr, state, e);
        }
        PQclear(r);
        /* the end: collect the terminating NULL so the connection is idle again */
        while ((r = PQgetResult(c->pg)))
                PQclear(r);
        *ret_row = NULL;
        return GD_OK;
}

enum gd_err gd_conn_exec_script(struct gd_conn *c, const char *sql, struct gd_error *reterr)
{
        PGresult *r = NULL;
        enum gd_err e = gd_conn_query(c, sql, &r, reterr);
        PQclear(r);
        return e;
}

enum gd_err gd_db_exec(struct gd_conn *c, enum gd_stmt stmt, const char *const *params, PGresult **ret,
                       struct gd_error *reterr)
{
        /* a failed call leaves no result behind: callers reuse one variable for several
         * statements, and a stale pointer from the previous one must never be cleared twice */
        *ret = NULL;
        enum gd_err e = gd_conn_ensure(c, reterr);
        if (e != GD_OK)
                return e;
        if (!PQsendQueryPrepared(c->pg, gd_stmts[stmt].name, gd_stmts[stmt].n_params, params, NULL, NULL, 0))
                return unavailable(c, reterr, "sending the query failed");
        return await_result(c, ret, reterr);
}

static enum gd_err prepare_all(struct gd_conn *c, struct gd_error *reterr)
{
        for (int i = 0; i < _GD_STMT_MAX; i++) {
                if (!PQsendPrepare(c->pg, gd_stmts[i].name, gd_stmts[i].sql, gd_stmts[i].n_params, NULL))
                        return unavailable(c, reterr, "sending a prepare failed");
                PGresult *r = NULL;
                enum gd_err e = await_result(c, &r, reterr);
                PQclear(r);
                if (e != GD_OK) {
                        /* a statement that does not prepare is a bug or a schema behind the binary */
                        char cause[sizeof(reterr->cause)];
                        memcpy(cause, reterr->cause, sizeof(cause)); /* the format reads what it writes */
                        gd_error_set_cause(reterr, "preparing %s: %s", gd_stmts[i].name, cause);
                        return e == GD_ERR_UNAVAILABLE ? e : gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
                }
        }
        c->prepared = true;
        return GD_OK;
}

static enum gd_err setup_session(struct gd_conn *c, struct gd_error *reterr)
{
        char sql[512];
        /* Session settings: re-applied after every reconnect, since a reset starts a new session.
         * Dates read as text (the VIP export's columns) must not follow the server's DateStyle. */
        snprintf(sql, sizeof(sql),
                 "SET statement_timeout = %d; SET lock_timeout = %d; "
                 "SET idle_in_transaction_session_timeout = 60000; SET TIME ZONE 'UTC'; "
                 "SET DateStyle = 'ISO, YMD'; "
                 "SET client_min_messages = warning; "
                 /* compiling a plan costs more than our short statements ever run */
                 "SET jit = off; "
                 /* nor do they gain from parallel workers: starting two cost ~8 ms, more than a whole
                 * search page, and the server's cores already serve the other requests */
                 "SET max_parallel_workers_per_gather = 0; "
                 "SET pg_trgm.word_similarity_threshold = 0.5",
                 c->cfg.statement_timeout_ms, c->cfg.statement_timeout_ms / 2);
        enum gd_err e = gd_conn_exec_script(c, sql, reterr);
        if (e != GD_OK)
                return e;
        return c->want_prepared ? prepare_all(c, reterr) : GD_OK;
}

static enum gd_err connect_now(struct gd_conn *c, struct gd_error *reterr)
{
        /* Entries before "dbname" are defaults that the caller's conninfo may override. */
        const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
        const char *vals[] = {"2", "guestd", c->cfg.conninfo ? c->cfg.conninfo : "", NULL};
        c->pg = PQconnectdbParams(keys, vals, 1);
        if (!c->pg)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        bool ok = PQstatus(c->pg) == CONNECTION_OK;
        gd_db_count_connect(ok, c->had_session);
        if (!ok)
                return unavailable(c, reterr, "connecting failed");
        c->had_session = true;
        if (PQsetnonblocking(c->pg, 1) != 0)
                return unavailable(c, reterr, "non-blocking mode failed");
        return setup_session(c, reterr);
}

/* An idle session has nothing to say; input waiting on its socket means the server ended it (a
 * restart, pg_terminate_backend). Reading it now turns a doomed request into a reconnect. */
static void notice_if_ended(struct gd_conn *c)
{
        if (!c->pg || PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
                return;
        struct pollfd p = {.fd = PQsocket(c->pg), .events = POLLIN};
        if (poll(&p, 1, 0) > 0 && (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK))
                mark_broken(c);
}

enum gd_err gd_conn_ensure(struct gd_conn *c, struct gd_error *reterr)
{
        if (c->tx_lost)
                return unavailable(c, reterr, "the session ended in a transaction");
        notice_if_ended(c);
        if (c->pg && PQstatus(c->pg) == CONNECTION_OK && (c->prepared || !c->want_prepared))
                return GD_OK;
        if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
                return setup_session(c, reterr);
        mark_broken(c);
        return connect_now(c, reterr);
}

enum gd_err gd_conn_open(const struct gd_db_config *cfg, bool prepare, struct gd_conn **ret,
                         struct gd_error *reterr)
{
        struct gd_conn *c = calloc(1, sizeof(*c));
        if (!c)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        c->cfg = *cfg;
        c->want_prepared = prepare;
        enum gd_err e = connect_now(c, reterr);
        if (e != GD_OK) {
                gd_conn_free(c);
                return e;
        }
        *ret = c;
        return GD_OK;
}

/* A pool slot starts unconnected and connects on first use, so guestd can start while the
 * database is still down. */
struct gd_conn *gd_conn_new_lazy(const struct gd_db_config *cfg)
{
        struct gd_conn *c = calloc(1, sizeof(*c));
        if (c) {
                c->cfg = *cfg;
                c->want_prepared = true;
        }
        return c;
}

bool gd_conn_is_idle(struct gd_conn *c)
{
        return c->tx_depth == 0 && (!c->pg || PQtransactionStatus(c->pg) == PQTRANS_IDLE);
}

void gd_conn_free(struct gd_conn *c)
{
        if (!c)
                return;
        if (c->pg)
                PQfinish(c->pg);
        free(c);
}

const char *gd_db_last_constraint(struct gd_conn *c)
{
        return c->constraint;
}

int gd_conn_backend_pid(struct gd_conn *c)
{
        return c->pg && PQstatus(c->pg) == CONNECTION_OK ? PQbackendPID(c->pg) : 0;
}

static enum gd_err savepoint(struct gd_conn *c, const char *verb, int level, struct gd_error *reterr)
{
        char sql[64];
        snprintf(sql, sizeof(sql), "%s gd_level_%d", verb, level);
        return gd_conn_exec_script(c, sql, reterr);
}

enum gd_err gd_db_begin(struct gd_conn *c, struct gd_error *reterr)
{
        if (c->tx_depth > 0) {
                enum gd_err e = savepoint(c, "SAVEPOINT", c->tx_depth + 1, reterr);
                if (e == GD_OK)
                        c->tx_depth++;
                return e;
        }
        enum gd_err e = gd_conn_ensure(c, reterr);
        if (e == GD_OK)
                e = gd_conn_exec_script(c, "BEGIN", reterr);
        if (e == GD_OK)
                c->tx_depth = 1;
        return e;
}

enum gd_err gd_db_commit(struct gd_conn *c, struct gd_error *reterr)
{
        if (c->tx_depth > 1) {
                enum gd_err e = savepoint(c, "RELEASE SAVEPOINT", c->tx_depth, reterr);
                if (e == GD_OK)
                        c->tx_depth--;
                return e;
        }
        if (c->tx_lost)
                return unavailable(c, reterr, "the session ended in a transaction");
        c->tx_depth = 0;
        /* COMMIT of a transaction that had failed "succeeds" with the tag ROLLBACK: not a commit */
        PGresult *r = NULL;
        enum gd_err e = gd_conn_query(c, "COMMIT", &r, reterr);
        if (e == GD_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0)
                e = gd_error_set(reterr, GD_ERR_INTERNAL, "The transaction had failed and was rolled back.");
        PQclear(r);
        return e;
}

void gd_db_rollback(struct gd_conn *c)
{
        struct gd_error ignored = {0};
        if (c->tx_depth > 1) {
                /* back to the level's start, and the savepoint gone, as if it had never begun */
                if (c->tx_lost || !c->pg ||
                    savepoint(c, "ROLLBACK TO SAVEPOINT", c->tx_depth, &ignored) != GD_OK ||
                    savepoint(c, "RELEASE SAVEPOINT", c->tx_depth, &ignored) != GD_OK)
                        mark_broken(c);
                c->tx_depth--;
                return;
        }
        c->tx_depth = 0;
        c->tx_lost = false;
        if (c->pg && PQtransactionStatus(c->pg) != PQTRANS_IDLE &&
            gd_conn_exec_script(c, "ROLLBACK", &ignored) != GD_OK)
                mark_broken(c);
}

void gd_conn_rollback_all(struct gd_conn *c)
{
        c->tx_depth = 1;
        gd_db_rollback(c);
}

enum gd_err gd_db_ping(struct gd_conn *c, struct gd_error *reterr)
{
        enum gd_err e = gd_conn_ensure(c, reterr);
        return e != GD_OK ? e : gd_conn_exec_script(c, "SELECT 1", reterr);
}
