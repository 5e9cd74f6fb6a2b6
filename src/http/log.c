/* SPDX-License-Identifier: MIT */
/*
 * JSON-lines logs on stderr, one write(2) per line so that lines from different threads never
 * interleave. Request lines carry ids, route templates and timings only: never a key, a body or
 * a value from a guest's record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guestd/http.h"

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static void timestamp(char out[32])
{
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void gd_log(const struct gd_app *app, enum gd_log_level level, const char *msg, json_t *fields_new)
{
        if (app && level < app->cfg.log_level) {
                json_decref(fields_new);
                return;
        }
        char ts[32];
        timestamp(ts);
        json_t *line = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", level_names[level], "msg", msg);
        if (line && fields_new)
                json_object_update(line, fields_new);
        json_decref(fields_new);
        char *text = line ? json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6)) : NULL;
        json_decref(line);
        if (!text)
                return;
        size_t len = strlen(text);
        text[len] = '\n'; /* replaces the NUL: written by length */
        ssize_t ignored = write(STDERR_FILENO, text, len + 1);
        (void) ignored;
        free(text);
}

void gd_log_request(struct gd_req *req)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long us = (long long) now.tv_sec * 1000000 + now.tv_nsec / 1000 - req->started_us;
        json_t *f = json_pack("{s:s, s:s, s:s, s:i, s:f}", "request_id", req->request_id, "method",
                              req->method, "route",
                              req->route ? req->route->pattern : "(unmatched)", "status", (int) req->status,
                              "duration_ms", (double) us / 1000.0);
        if (!f)
                return;
        if (req->who.authenticated)
                json_object_set_new(f, "actor", json_string(req->who.key_name));
        enum gd_log_level level = GD_LOG_INFO;
        if (req->status >= 500) {
                level = GD_LOG_ERROR;
                json_object_set_new(f, "error", json_string(gd_err_to_string(req->err.code)));
                if (req->err.cause[0])
                        json_object_set_new(f, "cause", json_string(req->err.cause));
        } else if (gd_db_error_unchecked(&req->err)) {
                /* a 422 the checks should have given before the database: a bug to fix, so an error
                 * line, with the SQLSTATE and not the database's message (it quotes the value) */
                level = GD_LOG_ERROR;
                json_object_set_new(f, "error", json_string("unchecked_input"));
                json_object_set_new(f, "sqlstate", json_string(req->err.sqlstate));
        }
        gd_log(req->app, level, "request", f);
}
