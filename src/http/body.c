/* SPDX-License-Identifier: MIT */
/* Request bodies: framing and media-type checks, a capped upload buffer, strict JSON parsing. */
#include <stdlib.h>
#include <string.h>

#include "guestd/decimal.h"
#include "guestd/http.h"
#include "guestd/parse.h"

enum gd_err gd_body_precheck(struct gd_req *req, struct gd_error *reterr)
{
        if (req->route->body == GD_BODY_NONE)
                return GD_OK;
        if (req->route->body == GD_BODY_STREAM) {
                /* no Content-Length cap: the feed holds one line and one batch at a time */
                const char *nd = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
                                                             MHD_HTTP_HEADER_CONTENT_TYPE);
                if (!nd || !gd_parse_media_type_is(nd, "application/x-ndjson"))
                        return gd_error_set(reterr, GD_ERR_MEDIA_TYPE, "Send the body as application/x-ndjson.");
                return GD_OK;
        }

        const char *ct = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        bool ok = ct && (gd_parse_media_type_is(ct, "application/json") ||
                         (req->route->body == GD_BODY_MERGE_PATCH && gd_parse_media_type_is(ct, "application/merge-patch+json")));
        if (!ok)
                return gd_error_set(reterr, GD_ERR_MEDIA_TYPE, "%s",
                                    req->route->body == GD_BODY_MERGE_PATCH
                                            ? "Send the body as application/merge-patch+json or application/json."
                                            : "Send the body as application/json.");

        const char *cl = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
                unsigned long long n;
                if (!gd_parse_content_length(cl, &n))
                        return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The Content-Length header is not a number.");
                if (n > req->app->cfg.max_body_bytes)
                        return gd_error_set(reterr, GD_ERR_TOO_LARGE, "The body is larger than %zu bytes.",
                                            req->app->cfg.max_body_bytes);
        }
        return GD_OK;
}

void gd_body_append(struct gd_req *req, const char *data, size_t len)
{
        if (req->route->body == GD_BODY_NONE || req->body_too_large)
                return;
        if (req->body_len + len > req->app->cfg.max_body_bytes) {
                req->body_too_large = true;
                free(req->body);
                req->body = NULL;
                req->body_len = req->body_cap = 0;
                return;
        }
        if (req->body_len + len > req->body_cap) {
                size_t cap = req->body_cap ? req->body_cap : 1024;
                while (cap < req->body_len + len)
                        cap *= 2;
                char *grown = realloc(req->body, cap);
                if (!grown) {
                        req->body_too_large = true; /* answered as 413: the body cannot be held */
                        return;
                }
                req->body = grown;
                req->body_cap = cap;
        }
        memcpy(req->body + req->body_len, data, len);
        req->body_len += len;
}

void gd_body_stream(struct gd_req *req, const char *data, size_t len)
{
        if (req->stream_failed)
                return;
        gd_feed_fn feed = gd_route_feed(req->route);
        enum gd_err e = feed ? feed(req, data, len, &req->err) : gd_error_set(&req->err, GD_ERR_INTERNAL, NULL);
        if (e != GD_OK)
                req->stream_failed = e;
}

enum gd_err gd_body_parse(struct gd_req *req, struct gd_error *reterr)
{
        if (req->route->body == GD_BODY_NONE)
                return GD_OK;
        if (req->route->body == GD_BODY_STREAM)
        {
                /* the feed wrote its error into req->err already */
                if (req->stream_failed && reterr != &req->err)
                        *reterr = req->err;
                return req->stream_failed;
        }
        if (req->body_too_large)
                return gd_error_set(reterr, GD_ERR_TOO_LARGE, "The body is larger than %zu bytes.",
                                    req->app->cfg.max_body_bytes);
        json_error_t jerr;
        /* Scalars are parsed too, so that they get the same 422 "must be an object" as arrays. */
        req->json = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                               &jerr);
        if (!req->json)
                return gd_error_set(reterr, GD_ERR_BAD_JSON, "The body is not valid JSON: %s (line %d, column %d).",
                                    jerr.text, jerr.line, jerr.column);
        if (gd_json_check_number_precision(req->body, req->body_len, req->json, reterr) > 0)
                return gd_error_set(reterr, GD_ERR_INVALID, "A number is too long to be read exactly.");
        return GD_OK;
}
