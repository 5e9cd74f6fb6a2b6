/* SPDX-License-Identifier: MIT */
/* Handle GET /v1/vip (JSON pages, or a CSV export streamed row by row) and GET /v1/special-dates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/decimal.h"
#include "guestd/parse.h"
#include "guestd/validate.h"
#include "guestd/vip.h"
#include "handlers.h"

#define EXPORT_BLOCK (32 * 1024) /* bytes handed to libmicrohttpd per call: memory stays flat */
#define MAX_EXPORTS 4            /* each export holds a database session of its own */

static const char *const vip_params[] = {"min_tier", "min_score", "nationality", "consent", "upcoming_days",
                                         "limit", "cursor", NULL};

static bool tier_name_shape(const char *s)
{
        size_t n = strlen(s);
        return n >= 1 && n <= 30 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static void add_unknown_tier(struct gd_error *reterr)
{
        gd_error_add_field(reterr, "min_tier", "must be the name of a tier of the loyalty configuration");
}

/* 400 when no tier of the loyalty configuration has this name. */
static enum gd_err check_tier_exists(struct gd_req *req, const char *name, struct gd_error *reterr)
{
        bool known = false;
        enum gd_err e = gd_db_loyalty_tier_exists(req->db, name, &known, reterr);
        if (e != GD_OK || known)
                return e;
        add_unknown_tier(reterr);
        return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The VIP filters are not valid.");
}

static enum gd_err parse_vip_filter(struct gd_req *req, struct gd_vip_filter *f, struct gd_cursor *cursor,
                                    struct gd_error *reterr)
{
        enum gd_err e = gd_query_check_names(req, vip_params, reterr);
        if (e != GD_OK)
                return e;
        f->min_tier = gd_query_get(req, "min_tier");
        f->min_score = gd_query_get(req, "min_score");
        f->nationality = gd_query_get(req, "nationality");
        f->consent = gd_query_get(req, "consent");
        f->upcoming_days = gd_query_get(req, "upcoming_days");
        char text[GD_DECIMAL_MAX];
        json_t *score = f->min_score ? json_string(f->min_score) : NULL;
        if (f->min_tier && !tier_name_shape(f->min_tier))
                add_unknown_tier(reterr);
        if (score && (gd_decimal_parse(score, 3, 1, text) != GD_DECIMAL_OK || gd_decimal_compare_int(text, 0) < 0 ||
                      gd_decimal_compare_int(text, 100) > 0))
                gd_error_add_field(reterr, "min_score", "must be a number from 0 to 100 with at most one decimal");
        json_decref(score);
        if (f->nationality && !gd_valid_country(f->nationality))
                gd_error_add_field(reterr, "nationality", "must be an ISO 3166-1 alpha-2 country code");
        if (f->consent && strcmp(f->consent, "true") != 0 && strcmp(f->consent, "false") != 0)
                gd_error_add_field(reterr, "consent", "must be true or false");
        long days;
        if (f->upcoming_days && !gd_parse_count(f->upcoming_days, 366, &days))
                gd_error_add_field(reterr, "upcoming_days", "must be a whole number from 0 to 366");
        if (reterr->n_fields > 0) {
                /* a refusal lists every broken filter, an unknown tier too (a valid request's tier
                 * is checked only when its page comes back empty: see gd_h_vip_list) */
                bool known = true;
                if (f->min_tier && tier_name_shape(f->min_tier) &&
                    (e = gd_db_loyalty_tier_exists(req->db, f->min_tier, &known, reterr)) != GD_OK)
                        return e;
                if (!known)
                        add_unknown_tier(reterr);
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The VIP filters are not valid.");
        }
        e = gd_query_limit(req, &f->limit, reterr);
        if (e == GD_OK)
                e = gd_query_cursor(req, "vip", GD_CURSOR_KEY_DECIMAL, cursor, reterr);
        if (e == GD_OK && cursor->n) {
                json_t *key = json_string(cursor->fields[1]);
                bool score_ok = key && gd_decimal_parse(key, 3, 1, text) == GD_DECIMAL_OK;
                json_decref(key);
                if (!score_ok) {
                        gd_error_add_field(reterr, "cursor", "must be a next_cursor value returned by this list");
                        return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The cursor parameter is not valid.");
                }
                f->after_key = cursor->fields[1];
                f->after_id = cursor->fields[2];
        }
        return e;
}

/* ---- the CSV export: rows go from PostgreSQL to the socket one block at a time ---- */

struct vip_export {
        struct gd_vip_stream *stream;
        struct gd_strbuf block;
        size_t sent;
        bool finished;
        struct gd_app *app;
        char request_id[24];
};

static bool fill_block(struct vip_export *x)
{
        x->block.len = 0;
        x->sent = 0;
        while (!x->finished && x->block.len < EXPORT_BLOCK) {
                const char *const *values = NULL;
                struct gd_error err = {0};
                if (gd_db_vip_stream_next(x->stream, &values, &err) != GD_OK) {
                        gd_log(x->app, GD_LOG_ERROR, "export failed",
                               json_pack("{s:s, s:s}", "request_id", x->request_id, "cause", err.cause));
                        return false;
                }
                if (!values) {
                        x->finished = true;
                        break;
                }
                if (!gd_vip_csv_row(&x->block, values))
                        return false;
        }
        return true;
}

static ssize_t export_read(void *cls, uint64_t pos, char *out, size_t max)
{
        (void) pos;
        struct vip_export *x = cls;
        if (x->sent == x->block.len) {
                if (x->finished)
                        return MHD_CONTENT_READER_END_OF_STREAM;
                if (!fill_block(x))
                        return MHD_CONTENT_READER_END_WITH_ERROR;
                if (x->block.len == 0)
                        return MHD_CONTENT_READER_END_OF_STREAM;
        }
        size_t n = x->block.len - x->sent < max ? x->block.len - x->sent : max;
        memcpy(out, x->block.data + x->sent, n);
        x->sent += n;
        return (ssize_t) n;
}

static void export_free(void *cls)
{
        struct vip_export *x = cls;
        atomic_fetch_sub(&x->app->exports, 1);
        gd_db_vip_stream_free(x->stream);
        gd_strbuf_clear(&x->block);
        free(x);
}

static enum gd_err start_export(struct gd_req *req, const struct gd_vip_filter *f, struct gd_reply *reply,
                                struct gd_error *reterr)
{
        if (atomic_fetch_add(&req->app->exports, 1) >= MAX_EXPORTS) {
                atomic_fetch_sub(&req->app->exports, 1);
                gd_error_set_cause(reterr, "%d exports already running", MAX_EXPORTS);
                return gd_error_set(reterr, GD_ERR_UNAVAILABLE, "Too many exports at once; retry shortly.");
        }
        struct vip_export *x = calloc(1, sizeof(*x));
        if (!x) {
                atomic_fetch_sub(&req->app->exports, 1);
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        }
        x->app = req->app;
        memcpy(x->request_id, req->request_id, sizeof(x->request_id));
        /* a HEAD gets the headers of the export and no rows (libmicrohttpd sends no body to a HEAD): the
         * query, with the session of its own it holds until the response is freed, is not started */
        bool head = strcmp(req->method, MHD_HTTP_METHOD_HEAD) == 0;
        x->finished = head;
        enum gd_err e = head ? GD_OK : gd_db_vip_stream_open(&req->app->db, f, &x->stream, reterr);
        if (e == GD_OK && !gd_vip_csv_header(&x->block))
                e = gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        if (e == GD_OK) {
                reply->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, EXPORT_BLOCK, export_read, x,
                                                                    export_free);
                if (!reply->response)
                        e = gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        }
        if (e != GD_OK) {
                export_free(x);
                return e;
        }
        /* libmicrohttpd 0.9.75 ends a chunked answer to a HEAD with the last chunk ("0\r\n\r\n"): bytes
         * the client takes for the start of the next answer. Unchunked, the HEAD carries no length at
         * all (RFC 9110 §9.3.2 lets it leave out what only the body tells), and the connection closes
         * after it. Setting flags without options cannot fail. */
        if (head)
                (void) MHD_set_response_options(reply->response, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT,
                                                MHD_RO_END);
        reply->content_type = "text/csv; charset=utf-8";
        snprintf(reply->disposition, sizeof(reply->disposition), "attachment; filename=\"vip.csv\"");
        return GD_OK;
}

static bool wants_csv(struct gd_req *req)
{
        const char *accept = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
        return accept && strstr(accept, "text/csv");
}

GD_HANDLER(gd_h_vip_list)
{
        struct gd_vip_filter f = {0};
        struct gd_cursor cursor;
        enum gd_err e = parse_vip_filter(req, &f, &cursor, reterr);
        if (e != GD_OK)
                return e;
        if (wants_csv(req)) {
                /* an export is the whole list: paging does not apply; the tier is checked before
                 * the first byte goes out */
                f.after_key = f.after_id = NULL;
                e = f.min_tier ? check_tier_exists(req, f.min_tier, reterr) : GD_OK;
                return e == GD_OK ? start_export(req, &f, reply, reterr) : e;
        }
        json_t *items = NULL;
        char next_key[64], next_id[64];
        /* the VIP list is a marketing product: every role gets the marketing view (domain/vip.c) */
        e = gd_db_vip_list(req->db, &f, &items, next_key, next_id, reterr);
        /* an unknown tier matches no guest: only an empty page needs the configuration read */
        if (e == GD_OK && f.min_tier && json_array_size(items) == 0)
                e = check_tier_exists(req, f.min_tier, reterr);
        if (e != GD_OK) {
                json_decref(items);
                return e;
        }
        reply->body = gd_page_new(items, "vip", next_key, next_id);
        return reply->body ? GD_OK : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
}

/* ---- the greeting feed ---- */

#define FEED_DEFAULT_DAYS 30
#define FEED_MAX_DAYS 366

static const char *const feed_params[] = {"from", "to", "kind", "limit", "cursor", NULL};
static const char *const feed_kinds[] = {"birthday", "anniversary", "other", NULL};

GD_HANDLER(gd_h_special_dates_feed)
{
        enum gd_err e = gd_query_check_names(req, feed_params, reterr);
        if (e != GD_OK)
                return e;
        struct gd_date today = gd_date_from_unix(req->now), from = today, to;
        const char *from_text = gd_query_get(req, "from"), *to_text = gd_query_get(req, "to");
        const char *kind = gd_query_get(req, "kind");
        if (from_text && !gd_date_parse(from_text, &from))
                gd_error_add_field(reterr, "from", "must be a date formatted YYYY-MM-DD");
        to = gd_date_from_unix((time_t) (gd_date_to_days(&from) + FEED_DEFAULT_DAYS) * 86400);
        if (to_text && !gd_date_parse(to_text, &to))
                gd_error_add_field(reterr, "to", "must be a date formatted YYYY-MM-DD");
        static const struct gd_date first_day = {1900, 1, 1}, last_day = {2100, 12, 31};
        if (reterr->n_fields == 0 && (gd_date_compare(&from, &first_day) < 0 || gd_date_compare(&to, &last_day) > 0))
                gd_error_add_field(reterr, "from", "the range must lie between 1900-01-01 and 2100-12-31");
        else if (reterr->n_fields == 0 && gd_date_compare(&from, &to) > 0)
                gd_error_add_field(reterr, "from", "must not be after to");
        else if (reterr->n_fields == 0 && gd_date_to_days(&to) - gd_date_to_days(&from) > FEED_MAX_DAYS - 1)
                gd_error_add_field(reterr, "to", "the range may span at most %d days", FEED_MAX_DAYS);
        bool kind_ok = !kind;
        for (size_t i = 0; kind && feed_kinds[i]; i++)
                kind_ok |= strcmp(kind, feed_kinds[i]) == 0;
        if (!kind_ok)
                gd_error_add_field(reterr, "kind", "must be birthday, anniversary or other");
        if (reterr->n_fields > 0)
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The feed parameters are not valid.");

        int limit;
        struct gd_cursor cursor;
        e = gd_query_limit(req, &limit, reterr);
        if (e == GD_OK)
                e = gd_query_cursor(req, "occasions", GD_CURSOR_KEY_INTEGER, &cursor, reterr);
        if (e != GD_OK)
                return e;
        /* the key is a day number: within the years above */
        if (cursor.n && !gd_parse_key_within(cursor.fields[1], -100000, 100000)) {
                gd_error_add_field(reterr, "cursor", "must be a next_cursor value returned by this list");
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The cursor parameter is not valid.");
        }
        char first[11], last[11], next_key[64], next_id[64];
        gd_date_format(&from, first);
        gd_date_format(&to, last);
        json_t *items = NULL;
        e = gd_db_occasions(req->db, first, last, kind, cursor.n ? cursor.fields[1] : NULL,
                            cursor.n ? cursor.fields[2] : NULL, limit, &items, next_key, next_id, reterr);
        if (e != GD_OK)
                return e;
        reply->body = gd_page_new(items, "occasions", next_key, next_id);
        return reply->body ? GD_OK : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
}
