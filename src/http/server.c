/* SPDX-License-Identifier: MIT */
/*
 * The libmicrohttpd daemon and the access handler's three phases:
 *   1. first call: route, framing, authentication, media type and size checks (errors answer at once);
 *   2. upload calls: the body is collected under the size cap (a streamed route's body goes to
 *      its feed chunk by chunk instead, see body.c);
 *   3. last call: JSON parsing, a database connection, the handler (for a write, inside the
 *      request transaction of request_tx.c), the reply.
 * Successful replies are queued only in phase 3: a response queued in the first call makes
 * libmicrohttpd close the connection instead of keeping it alive.
 * Connections come from the gate (gate.c), which accepts them and checks each one's first request
 * head before libmicrohttpd reads it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate.h"
#include "guestd/http.h"
#include "metrics.h"

/* Memory per connection: bounds the request line and headers (larger ones get 431 or 414); a body
 * is held apart, under max_body_bytes. */
#define CONNECTION_MEMORY_LIMIT (16 * 1024)

static long long monotonic_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A head that breaks a framing rule is answered, then the connection closed: where its request
 * ends is in doubt. */
static enum gd_err check_head(struct gd_req *req, const char *version)
{
        enum gd_err e = gd_gate_check_head(req->connection, version, &req->err);
        req->close_connection = e != GD_OK;
        return e;
}

static enum gd_err first_call_checks(struct gd_req *req, const char *version)
{
        enum gd_err e = check_head(req, version);
        if (e == GD_OK)
                e = gd_route_match(req->method, req->path, &req->route, req->params, req->allow, &req->err);
        if (e == GD_OK)
                e = gd_auth_check(req, &req->err);
        if (e == GD_OK)
                e = gd_idempotency_check_header(req, &req->err);
        if (e == GD_OK)
                e = gd_body_precheck(req, &req->err);
        return e;
}

static enum MHD_Result dispatch(struct gd_req *req)
{
        struct gd_reply reply = {.status = 200};
        enum gd_err e = gd_body_parse(req, &req->err);
        if (e == GD_OK && req->route->needs_db)
                e = gd_pool_acquire(req->app->pool, &req->db, &req->err);
        if (e == GD_OK)
                e = gd_request_run(req, &reply, &req->err);
        if (req->db) {
                gd_pool_release(req->app->pool, req->db);
                req->db = NULL;
        }
        return gd_reply_send(req, &reply, e);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
        struct gd_app *app = cls;
        struct gd_req *req = *req_cls;

        if (!req) {
                req = calloc(1, sizeof(*req));
                if (!req)
                        return MHD_NO;
                *req_cls = req;
                atomic_fetch_add(&app->in_flight, 1);
                req->app = app;
                req->connection = connection;
                req->started_us = monotonic_us();
                req->now = time(NULL);
                snprintf(req->method, sizeof(req->method), "%s", method);
                snprintf(req->path, sizeof(req->path), "%s", url);
                snprintf(req->request_id, sizeof(req->request_id), "%08x%08lx", app->boot_id,
                         (unsigned long) atomic_fetch_add(&app->next_request, 1) & 0xffffffffUL);
                req->status = 0;
                gd_gate_head_received(connection);
                enum gd_err e = first_call_checks(req, version);
                if (e != GD_OK) {
                        struct gd_reply reply = {0};
                        req->answered = true;
                        return gd_reply_send(req, &reply, e);
                }
                return MHD_YES;
        }
        if (req->answered) {
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                if (req->route->body == GD_BODY_STREAM)
                        gd_body_stream(req, upload_data, *upload_data_size);
                else
                        gd_body_append(req, upload_data, *upload_data_size);
                *upload_data_size = 0;
                return MHD_YES;
        }
        req->answered = true;
        return dispatch(req);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
        (void) toe;
        struct gd_app *app = cls;
        struct gd_req *req = *req_cls;
        if (!req)
                return;
        gd_gate_head_awaited(connection);
        *req_cls = NULL;
        if (req->status) {
                /* the one place a request is counted: its answer has been sent (or the client left) */
                gd_metrics_observe(app->metrics, req->route, req->method, req->status,
                                   monotonic_us() - req->started_us);
                gd_log_request(req);
        }
        if (req->stream)
                req->stream_free(req->stream);
        if (req->db)
                gd_pool_release(app->pool, req->db);
        json_decref(req->json);
        free(req->body);
        free(req);
        atomic_fetch_sub(&app->in_flight, 1);
}

/* libmicrohttpd's own messages go to the JSON log instead of plain stderr. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
        char msg[256];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        msg[strcspn(msg, "\n")] = '\0';
        gd_log(cls, GD_LOG_WARN, "libmicrohttpd", json_pack("{s:s}", "detail", msg));
}

static enum gd_err write_port_file(const char *path, unsigned port, struct gd_error *reterr)
{
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
                return gd_error_set(reterr, GD_ERR_INTERNAL, "Cannot write the port file %s: %s", path,
                                    strerror(errno));
        return GD_OK;
}

void gd_server_block_signals(void)
{
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
}

enum gd_err gd_server_run(struct gd_app *app, struct gd_error *reterr)
{
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        app->started_at = (double) now.tv_sec + (double) now.tv_nsec / 1e9;
        struct gd_gate *gate = NULL;
        unsigned port = 0;
        enum gd_err e = gd_gate_new(app, &gate, &port, reterr);
        if (e != GD_OK)
                return e;
        app->metrics = gd_metrics_new();
        if (!app->metrics) {
                gd_gate_free(gate);
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        }

        struct MHD_Daemon *d = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                        MHD_USE_NO_LISTEN_SOCKET,
                0, NULL, NULL, &on_request, app,
                /* first, so that libmicrohttpd's messages about the other options reach it too */
                MHD_OPTION_EXTERNAL_LOGGER, &on_mhd_log, app,
                MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) app->cfg.threads,
                MHD_OPTION_CONNECTION_LIMIT, (unsigned int) app->cfg.max_connections,
                MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int) app->cfg.max_connections_per_ip,
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) app->cfg.connection_timeout_s,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) CONNECTION_MEMORY_LIMIT,
                /* Not strict: when strict, 0.9.75 answers a request without Host itself, with its
                 * headers written twice; check_head refuses it with one problem+json instead. */
                MHD_OPTION_STRICT_FOR_CLIENT, (int) 0,
                MHD_OPTION_NOTIFY_CONNECTION, &gd_gate_on_connection, gate,
                MHD_OPTION_NOTIFY_COMPLETED, &on_completed, app,
                MHD_OPTION_END);
        if (d)
                e = gd_gate_start(gate, d, reterr);
        else
                e = gd_error_set(reterr, GD_ERR_INTERNAL, "Cannot start the HTTP server: %s", strerror(errno));
        if (e == GD_OK && app->cfg.port_file)
                e = write_port_file(app->cfg.port_file, port, reterr);
        if (e != GD_OK) {
                gd_gate_stop(gate);
                if (d)
                        MHD_stop_daemon(d);
                gd_gate_free(gate);
                gd_metrics_free(app->metrics);
                app->metrics = NULL;
                return e;
        }
        gd_log(app, GD_LOG_INFO, "listening",
               json_pack("{s:s, s:i, s:i}", "host", app->cfg.listen_host, "port", (int) port, "threads",
                         (int) app->cfg.threads));

        sigset_t set;
        int sig = 0;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        while (sigwait(&set, &sig) != 0)
                ;
        gd_log(app, GD_LOG_INFO, "stopping", json_pack("{s:s}", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));

        /* stop accepting, let the requests in flight finish, then close everything */
        gd_gate_stop(gate);
        for (unsigned i = 0; i < app->cfg.drain_timeout_s * 20 && atomic_load(&app->in_flight) > 0; i++)
                usleep(50 * 1000);
        int cut = atomic_load(&app->in_flight);
        if (cut > 0)
                gd_log(app, GD_LOG_WARN, "drain deadline passed; closing the connections still busy",
                       json_pack("{s:i, s:i}", "in_flight", cut, "drain_timeout_s", (int) app->cfg.drain_timeout_s));
        /* waits for handlers still running: each database round trip of theirs is bounded */
        MHD_stop_daemon(d);
        gd_gate_free(gate);
        gd_metrics_free(app->metrics);
        app->metrics = NULL;
        gd_log(app, GD_LOG_INFO, "stopped", NULL);
        return GD_OK;
}
