/* SPDX-License-Identifier: MIT */
/* The only code that queues responses, and the only mapping from enum gd_err to a problem. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/http.h"
#include "guestd/parse.h"
#include "guestd/problem.h"

static const struct gd_problem problems[_GD_ERR_MAX] = {
        [GD_ERR_BAD_REQUEST] = {400, "/problems/bad-request", "Bad request"},
        [GD_ERR_BAD_JSON] = {400, "/problems/malformed-json", "Request body is not valid JSON"},
        [GD_ERR_UNAUTHORIZED] = {401, "/problems/unauthorized", "Authentication required"},
        [GD_ERR_FORBIDDEN] = {403, "/problems/forbidden", "Not allowed for this role"},
        [GD_ERR_NOT_FOUND] = {404, "/problems/not-found", "Resource not found"},
        [GD_ERR_METHOD] = {405, "/problems/method-not-allowed", "Method not allowed"},
        [GD_ERR_CONFLICT] = {409, "/problems/conflict", "Conflicting resource state"},
        [GD_ERR_PRECONDITION] = {412, "/problems/precondition-failed", "Precondition failed"},
        [GD_ERR_TOO_LARGE] = {413, "/problems/payload-too-large", "Request body too large"},
        [GD_ERR_MEDIA_TYPE] = {415, "/problems/unsupported-media-type", "Unsupported media type"},
        [GD_ERR_INVALID] = {422, "/problems/invalid-field", "Request field is invalid"},
        [GD_ERR_TIMEOUT] = {408, "/problems/request-timeout", "Request head not received in time"},
        [GD_ERR_HEADERS_TOO_LARGE] = {431, "/problems/headers-too-large", "Request header fields too large"},
        [GD_ERR_NOT_IMPLEMENTED] = {501, "/problems/not-implemented", "Transfer coding not implemented"},
        /* RETRY never leaves the db layer unless retries ran out: then the client should retry */
        [GD_ERR_RETRY] = {503, "/problems/unavailable", "Service temporarily unavailable"},
        [GD_ERR_UNAVAILABLE] = {503, "/problems/unavailable", "Service temporarily unavailable"},
        [GD_ERR_NOMEM] = {500, "/problems/internal", "Internal server error"},
        [GD_ERR_INTERNAL] = {500, "/problems/internal", "Internal server error"},
};

const struct gd_problem *gd_problem_for(enum gd_err code)
{
        if ((int) code <= 0 || code >= _GD_ERR_MAX || problems[code].status == 0)
                return &problems[GD_ERR_INTERNAL];
        return &problems[code];
}

/* The request path as a URI reference: libmicrohttpd hands it over percent-decoded. */
static void encode_path(const char *in, char *out, size_t cap)
{
        static const char keep[] = "-._~!$&'()*+,;=:@/";
        static const char hex[] = "0123456789ABCDEF";
        size_t o = 0;
        for (const unsigned char *p = (const unsigned char *) in; *p && o + 4 < cap; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                    strchr(keep, *p)) {
                        out[o++] = (char) *p;
                } else {
                        out[o++] = '%';
                        out[o++] = hex[*p >> 4];
                        out[o++] = hex[*p & 15];
                }
        }
        out[o] = '\0';
}

json_t *gd_problem_body(const struct gd_error *err, const char *instance, const char *request_id)
{
        const struct gd_problem *p = gd_problem_for(err->code);
        json_t *body = json_pack("{s:s, s:s, s:i, s:s}", "type", p->type, "title", p->title, "status",
                                 (int) p->status, "request_id", request_id ? request_id : "");
        if (!body)
                return NULL;
        char encoded[3 * 512 + 1];
        encode_path(instance ? instance : "", encoded, sizeof(encoded));
        json_object_set_new(body, "instance", json_string(encoded));
        /* a 5xx says nothing of its cause: that goes to the log with the request id */
        if (p->status < 500 && err->detail[0]) {
                json_t *detail = json_string(err->detail);
                if (detail)
                        json_object_set_new(body, "detail", detail);
        }
        if (err->n_fields > 0) {
                json_t *errors = json_array();
                for (size_t i = 0; errors && i < err->n_fields; i++) {
                        json_t *f = json_pack("{s:s, s:s}", "field", err->fields[i].pointer, "message",
                                              err->fields[i].message);
                        if (f)
                                json_array_append_new(errors, f);
                }
                if (errors)
                        json_object_set_new(body, "errors", errors);
        }
        if (err->merged_into[0])
                json_object_set_new(body, "merged_into", json_string(err->merged_into));
        return body;
}

void gd_reply_set_etag(struct gd_reply *reply, long version)
{
        snprintf(reply->etag, sizeof(reply->etag), "\"%ld\"", version);
}

void gd_reply_created(struct gd_reply *reply, const char *collection, const char *id_member, json_t *body_new)
{
        const char *id = json_string_value(json_object_get(body_new, id_member));
        snprintf(reply->location, sizeof(reply->location), "%s/%s", collection, id ? id : "");
        reply->status = 201;
        reply->body = body_new;
}

bool gd_if_match_allows(struct gd_req *req, long version, bool *ret_present)
{
        const char *h = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MATCH);
        *ret_present = h != NULL;
        if (!h)
                return true;
        return gd_parse_if_match(h, version);
}

/* A read of a GET route (a GET, or a HEAD: see router.c) whose If-None-Match names the current ETag:
 * the client's copy is current (304). */
static bool not_modified(struct gd_req *req, const struct gd_reply *reply)
{
        if (strcmp(req->route->method, "GET") != 0 || reply->status != 200 || !reply->etag[0])
                return false;
        const char *h = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        return h && gd_parse_etag_listed(h, reply->etag, true);
}

static void add_header(struct MHD_Response *r, const char *name, const char *value)
{
        if (value && value[0])
                (void) MHD_add_response_header(r, name, value);
}

enum MHD_Result gd_reply_send(struct gd_req *req, struct gd_reply *reply, enum gd_err e)
{
        const char *content_type = reply->content_type ? reply->content_type : "application/json";
        unsigned status = reply->status;
        json_t *body = reply->body;
        reply->body = NULL;
        char *json_text = reply->json_text;
        reply->json_text = NULL;

        if (e == GD_OK && not_modified(req, reply)) {
                json_decref(body);
                body = NULL;
                free(json_text);
                json_text = NULL;
                status = 304;
                content_type = NULL;
                reply->raw = NULL; /* a 304 has no body: an embedded document is not sent either */
        }
        if (e != GD_OK) {
                json_decref(body);
                free(json_text);
                json_text = NULL;
                if (reply->response)
                        MHD_destroy_response(reply->response);
                reply->response = NULL;
                req->err.code = e;
                const char *instance = req->path;
                body = gd_problem_body(&req->err, instance, req->request_id);
                status = gd_problem_for(e)->status;
                content_type = "application/problem+json";
                reply->raw = NULL;
        }

        struct MHD_Response *r = NULL;
        if (e == GD_OK && reply->response) {
                r = reply->response;
                reply->response = NULL;
        } else if (reply->raw) {
                r = MHD_create_response_from_buffer(reply->raw_len, (void *) reply->raw, MHD_RESPMEM_PERSISTENT);
        } else if (json_text) {
                r = MHD_create_response_from_buffer_with_free_callback(strlen(json_text), json_text, &free);
                if (!r)
                        free(json_text);
        } else if (body) {
                /* 15 digits: what a double holds exactly, so 47.3 is written "47.3", not 47.299999999999997 */
                char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
                json_decref(body);
                if (text) {
                        r = MHD_create_response_from_buffer_with_free_callback(strlen(text), text, &free);
                        if (!r)
                                free(text);
                }
        } else {
                r = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
                content_type = NULL;
        }
        if (!r)
                return MHD_NO;

        add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        add_header(r, "X-Request-Id", req->request_id);
        if (req->close_connection)
                add_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
        if (strncmp(req->path, "/v1/", 4) == 0)
                add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        if (e == GD_OK) {
                add_header(r, MHD_HTTP_HEADER_ETAG, reply->etag);
                add_header(r, MHD_HTTP_HEADER_LOCATION, reply->location);
                add_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, reply->disposition);
                add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, reply->cache_control);
                if (reply->csp) {
                        add_header(r, "Content-Security-Policy", reply->csp);
                        add_header(r, "X-Content-Type-Options", "nosniff");
                        add_header(r, "Referrer-Policy", "no-referrer");
                }
                if (reply->replayed)
                        add_header(r, "Idempotent-Replayed", "true");
        } else if (reply->retry_after) {
                char seconds[16];
                snprintf(seconds, sizeof(seconds), "%u", reply->retry_after);
                add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
        } else if (status == 503) {
                add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
        } else if (status == 401) {
                add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
        } else if (status == 405) {
                add_header(r, MHD_HTTP_HEADER_ALLOW, req->allow);
        }

        req->status = status;
        enum MHD_Result ret = MHD_queue_response(req->connection, status, r);
        MHD_destroy_response(r);
        return ret;
}
