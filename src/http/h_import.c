/* SPDX-License-Identifier: MIT */
/*
 * Handle POST /v1/guests/import: an NDJSON body of any length fed to db/import.c while it
 * uploads, in constant memory. libmicrohttpd answers only once the upload is complete, so the
 * per-line results are spooled to an unlinked temporary file (tmpfile(3), some 60-300 bytes a
 * line) and that file is the response body, followed by a summary line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "guestd/import.h"
#include "guestd/problem.h"
#include "handlers.h"

struct import_stream {
        struct gd_req *req;
        struct gd_importer *im;
        struct gd_conn *own; /* the second writer's session, outside the pool */
        FILE *spool;
};

static void stream_free(void *p)
{
        struct import_stream *st = p;
        gd_importer_free(st->im);
        gd_conn_free(st->own);
        if (st->spool)
                fclose(st->spool);
        free(st);
}

/* One result line; a spool that cannot be written stops the import (answered as 500). */
static int spool_result(void *ctx, unsigned long long line, const char *status, const char *guest_id,
                        const struct gd_error *problem)
{
        struct import_stream *st = ctx;
        json_t *o = json_pack("{s:I, s:s}", "line", (json_int_t) line, "status", status);
        if (o && guest_id)
                json_object_set_new(o, "id", json_string(guest_id));
        if (o && problem)
                json_object_set_new(o, "problem", gd_problem_body(problem, st->req->path, st->req->request_id));
        int bad = !o || json_dumpf(o, st->spool, JSON_COMPACT) != 0 || fputc('\n', st->spool) == EOF;
        json_decref(o);
        return bad;
}

static enum gd_err start(struct gd_req *req, struct import_stream **ret, struct gd_error *reterr)
{
        if (req->stream) {
                struct import_stream *have = req->stream;
                if (!have->im) /* a start that failed: its error was answered already */
                        return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
                *ret = have;
                return GD_OK;
        }
        struct import_stream *st = calloc(1, sizeof(*st));
        if (!st)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        st->req = req;
        req->stream = st;
        req->stream_free = stream_free;
        st->spool = tmpfile();
        if (!st->spool) {
                gd_error_set_cause(reterr, "cannot create the spool file of the results");
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        }
        /* the route holds no pooled session of dispatch(): the upload calls need it first */
        enum gd_err e = req->db ? GD_OK : gd_pool_acquire(req->app->pool, &req->db, reterr);
        /* A second writer gets a session of its own, as an export does: one taken from the pool
         * would be missing to the other requests for the whole upload. Without it the import
         * still runs, one batch at a time. */
        struct gd_error no_second = {0};
        struct gd_conn *conns[2] = {req->db, NULL};
        if (e == GD_OK && gd_conn_open(&req->app->db, true, &st->own, &no_second) == GD_OK)
                conns[1] = st->own;
        if (e == GD_OK)
                e = gd_importer_new(conns, st->own ? 2 : 1, req->who.key_name, req->request_id, GD_IMPORT_HTTP_BATCH,
                                    req->now, spool_result, st, &st->im, reterr);
        if (e == GD_OK)
                *ret = st;
        return e;
}

enum gd_err gd_h_guest_import_feed(struct gd_req *req, const char *data, size_t len, struct gd_error *reterr)
{
        struct import_stream *st = NULL;
        enum gd_err e = start(req, &st, reterr);
        return e != GD_OK ? e : gd_importer_feed(st->im, data, len, reterr);
}

static double seconds_since(long long started_us)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        long long now = (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        return (double) (now - started_us) / 1e6;
}

/* The last call: the last line and batch, the summary, the spool as the body. */
GD_HANDLER(gd_h_guest_import)
{
        struct import_stream *st = NULL;
        enum gd_err e = start(req, &st, reterr);
        if (e == GD_OK)
                e = gd_importer_finish(st->im, reterr);
        if (e != GD_OK)
                return e;
        struct gd_import_counts n;
        gd_importer_counts(st->im, &n);
        json_t *summary = json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:f}}", "summary", "lines", (json_int_t) n.lines,
                                    "created", (json_int_t) n.created, "updated", (json_int_t) n.updated, "rejected",
                                    (json_int_t) n.rejected, "batches", (json_int_t) n.batches, "bytes",
                                    (json_int_t) n.bytes, "seconds", seconds_since(req->started_us));
        bool bad = !summary || json_dumpf(summary, st->spool, JSON_COMPACT | JSON_REAL_PRECISION(6)) != 0 || fputc('\n', st->spool) == EOF ||
                   fflush(st->spool) != 0 || ferror(st->spool);
        json_decref(summary);
        long size = bad ? -1 : ftell(st->spool);
        int fd = size < 0 ? -1 : dup(fileno(st->spool));
        struct MHD_Response *r = fd < 0 ? NULL : MHD_create_response_from_fd((size_t) size, fd);
        if (!r) {
                if (fd >= 0)
                        close(fd);
                gd_error_set_cause(reterr, "cannot write or send the spool file of the results");
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        }
        reply->response = r;
        reply->status = 200;
        reply->content_type = "application/x-ndjson";
        return GD_OK;
}
