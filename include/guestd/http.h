/* SPDX-License-Identifier: MIT */
/* The HTTP layer: application state, the request context, replies, routes and handlers. */
#ifndef GUESTD_HTTP_H
#define GUESTD_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "guestd/config.h"
#include "guestd/cursor.h"
#include "guestd/db.h"
#include "guestd/error.h"
#include "guestd/parse.h"
#include "guestd/role.h"

struct gd_auth_cache;
struct gd_metrics;

/* Everything a request may reach; passed to MHD as the closure. Only counters and the
 * (locked) auth cache change after start. */
struct gd_app {
        struct gd_config cfg;
        struct gd_db_config db; /* for connections of their own (exports) */
        struct gd_pool *pool;
        struct gd_auth_cache *auth;
        unsigned boot_id;
        atomic_ulong next_request;
        atomic_int in_flight; /* requests between the first call and completion */
        atomic_int exports;   /* CSV exports streaming now */
        struct gd_metrics *metrics; /* request counters for GET /metrics (http/metrics.c) */
        double started_at;          /* when serving began, seconds since the epoch */
};

struct gd_req;
struct gd_reply;

typedef enum gd_err (*gd_handler)(struct gd_req *req, struct gd_reply *reply, struct gd_error *reterr);

enum gd_route_body {
        GD_BODY_NONE,       /* a body, if any, is ignored */
        GD_BODY_JSON,       /* application/json */
        GD_BODY_MERGE_PATCH, /* application/merge-patch+json or application/json */
        GD_BODY_STREAM       /* application/x-ndjson of any length, handed to route.feed chunk by chunk
                                and never held whole: no body cap, no Idempotency-Key (400) */
};

/* A GD_BODY_STREAM route's upload function (router.c, gd_route_feed): takes the next bytes of the body in the upload calls.
 * An error ends the feeding; the rest of the body is read and dropped, and the final call answers it. */
typedef enum gd_err (*gd_feed_fn)(struct gd_req *req, const char *data, size_t len, struct gd_error *reterr);

struct gd_route {
        const char *method;
        const char *pattern; /* "/v1/guests/{id}": also the route label in logs and metrics */
        gd_handler handler;
        unsigned roles;      /* GD_ROLE_BIT()s; GD_ROLES_PUBLIC needs no key; admin may do everything */
        enum gd_route_body body;
        bool needs_db;
        int arg; /* handler-specific: the enum gd_section of a section route */
        bool own_tx; /* a long job in batches of its own: not run in the request transaction */
};

#define GD_MAX_PATH_PARAMS 2

struct gd_principal {
        bool authenticated;
        enum gd_role role;
        char key_id[37];
        char key_name[101];
};

/* Lives from the first access-handler call to MHD's completion callback. */
struct gd_req {
        struct gd_app *app;
        struct MHD_Connection *connection;
        char method[16];
        char path[512];
        const struct gd_route *route;
        char params[GD_MAX_PATH_PARAMS][128];
        struct gd_principal who;
        char request_id[24];
        long long started_us;
        time_t now;
        char *body;
        size_t body_len, body_cap;
        bool body_too_large;
        bool answered; /* a response was queued early (before the body was read) */
        bool close_connection; /* the head broke a framing rule: answer, then close the connection */
        enum gd_err stream_failed; /* a GD_BODY_STREAM feed failed: the final call answers req->err */
        void *stream;              /* the feed's state, released by stream_free at completion */
        void (*stream_free)(void *stream);
        json_t *json;
        struct gd_conn *db;
        unsigned status;
        char allow[64]; /* for a 405 */
        char idempotency_key[256]; /* the POST's Idempotency-Key header ("" when none) */
        struct gd_error err;
};

struct gd_reply {
        unsigned status;
        json_t *body;           /* NULL: no body (204) */
        char *json_text;        /* or a JSON body written elsewhere (malloc'd, taken): sent as it is */
        const char *raw;        /* static body served as is (the OpenAPI document, the API page) */
        size_t raw_len;
        const char *cache_control; /* Cache-Control of a 200 (the /v1 answers are always no-store) */
        const char *csp;           /* a page for browsers: its Content-Security-Policy, sent with
                                    * X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer */
        char etag[24];
        char location[160];
        const char *content_type; /* default application/json */
        struct MHD_Response *response; /* a body made elsewhere (a streamed export); queued as it is */
        char disposition[96];          /* Content-Disposition, for downloads */
        bool replayed;        /* the stored answer to an earlier request with this Idempotency-Key */
        bool secret;          /* the body holds a secret, which an Idempotency-Key replay must not keep */
        unsigned retry_after; /* seconds, sent with an error answer (0: the default of the status) */
};

/* ---- router.c ---- */
extern const struct gd_route gd_routes[];
extern const size_t gd_routes_len;
/* Finds the route for method + path and fills req->params; GD_ERR_NOT_FOUND or GD_ERR_METHOD
 * (then `allow` lists the methods of that path, comma-separated). */
enum gd_err gd_route_match(const char *method, const char *path, const struct gd_route **ret,
                           char params[GD_MAX_PATH_PARAMS][128], char allow[64], struct gd_error *reterr);

/* The upload function of a GD_BODY_STREAM route (NULL for others). */
gd_feed_fn gd_route_feed(const struct gd_route *r);

/* ---- server.c ---- */
/* Serves until SIGINT or SIGTERM, then lets requests in flight finish (bounded) and returns.
 * The caller must have blocked both signals in every thread (gd_server_block_signals). */
enum gd_err gd_server_run(struct gd_app *app, struct gd_error *reterr);
void gd_server_block_signals(void);

/* ---- request_tx.c ---- */
/* First call: a POST's Idempotency-Key must be 1..255 visible ASCII characters (400). */
enum gd_err gd_idempotency_check_header(struct gd_req *req, struct gd_error *reterr);
/* Runs the route's handler; a write in the request transaction (actor set, retried on
 * serialization failures and deadlocks, Idempotency-Key claimed, stored or replayed). */
enum gd_err gd_request_run(struct gd_req *req, struct gd_reply *reply, struct gd_error *reterr);

/* ---- auth.c ---- */
struct gd_auth_cache *gd_auth_cache_new(void);
void gd_auth_cache_free(struct gd_auth_cache *c);
/* Forgets a revoked key at once in this process (others see it within the cache lifetime). */
void gd_auth_cache_forget(struct gd_auth_cache *c, const char *key_id);
/* Authenticates the Authorization header and checks the route's roles: 401 or 403. */
enum gd_err gd_auth_check(struct gd_req *req, struct gd_error *reterr);

/* ---- body.c ---- */
/* First-call checks of Content-Type and Content-Length for routes with a body: 415, 413. */
enum gd_err gd_body_precheck(struct gd_req *req, struct gd_error *reterr);
/* Appends upload data, dropping it past the cap (the final call then answers 413). */
void gd_body_append(struct gd_req *req, const char *data, size_t len);
/* Hands upload data of a GD_BODY_STREAM route to its feed, until the feed fails. */
void gd_body_stream(struct gd_req *req, const char *data, size_t len);
/* Parses the collected body into req->json: 400 for bad JSON, 413 when over the cap (for a
 * GD_BODY_STREAM route: the feed's failure, if any). */
enum gd_err gd_body_parse(struct gd_req *req, struct gd_error *reterr);

/* ---- query.c ---- */
const char *gd_query_get(struct gd_req *req, const char *name);
/* 400 for a parameter not in `allowed` (NULL-terminated) or given twice. */
enum gd_err gd_query_check_names(struct gd_req *req, const char *const *allowed, struct gd_error *reterr);
/* ?limit= (default 50, 1..500). */
enum gd_err gd_query_limit(struct gd_req *req, int *ret, struct gd_error *reterr);
/* ?cursor= as made by gd_page_new: [kind, key, id], where key is a value of `key` (gd_parse_cursor_of)
 * and id a UUID; 400 otherwise. ret->n = 0 when absent. */
enum gd_err gd_query_cursor(struct gd_req *req, const char *kind, enum gd_cursor_key key,
                            struct gd_cursor *ret, struct gd_error *reterr);
/* A repository's keyset list: one page after (after_key, after_id), both NULL for the first. */
typedef enum gd_err (*gd_list_fn)(struct gd_conn *c, const char *after_key, const char *after_id, int limit,
                                  json_t **ret_items, char ret_next_key[64], char ret_next_id[64],
                                  struct gd_error *reterr);
/* Answers a list that takes ?limit= and ?cursor= (keys: microseconds of an instant, cursors of `kind`)
 * and nothing else (400 for any other parameter) with one page of `list`. */
enum gd_err gd_reply_list(struct gd_req *req, struct gd_reply *reply, const char *kind, gd_list_fn list,
                          struct gd_error *reterr);
/* {"items": items, "next_cursor": ...} from a page's last key and id ("" = last page). */
json_t *gd_page_new(json_t *items, const char *kind, const char *next_key, const char *next_id);

/* ---- reply.c ---- */
/* Queues reply (taking its body) or, when e != GD_OK, the problem for err. */
enum MHD_Result gd_reply_send(struct gd_req *req, struct gd_reply *reply, enum gd_err e);
/* True when the If-Match header allows writing over `version` (absent header: true). */
bool gd_if_match_allows(struct gd_req *req, long version, bool *ret_present);
void gd_reply_set_etag(struct gd_reply *reply, long version);
/* 201 with body_new (taken) and Location: `collection`/<the body's member id_member>. */
void gd_reply_created(struct gd_reply *reply, const char *collection, const char *id_member, json_t *body_new);

/* ---- write.c: the read → check → merge → validate → write cycle shared by every resource ---- */
struct gd_write_ops {
        /* the stored item, as the API shows it (with "version") */
        enum gd_err (*load)(struct gd_req *req, json_t **ret_current, struct gd_error *reterr);
        /* its writable members, normalized: the document a write replaces */
        json_t *(*writable)(struct gd_req *req, const json_t *current);
        /* the patch as it takes effect (NULL: the body as sent) */
        json_t *(*effective_patch)(struct gd_req *req, const json_t *current, const json_t *patch);
        enum gd_err (*validate)(struct gd_req *req, const json_t *merged, const json_t *current,
                                struct gd_error *reterr);
        enum gd_err (*store)(struct gd_req *req, long version, const json_t *doc, json_t **ret_item,
                             struct gd_error *reterr);
        enum gd_err (*remove)(struct gd_req *req, long version, struct gd_error *reterr);
};
/* Merge-patches the item with req->json: If-Match (412), validation of the whole result (422), a
 * write only if something changed and only over the version read (a lost race is redone). */
enum gd_err gd_write_patch(struct gd_req *req, const struct gd_write_ops *ops, json_t **ret_item,
                           struct gd_error *reterr);
/* Deletes the item, over the If-Match version when one is given. */
enum gd_err gd_write_delete(struct gd_req *req, const struct gd_write_ops *ops, struct gd_error *reterr);
long gd_item_version(const json_t *item);

/* ---- log.c ---- */
void gd_log(const struct gd_app *app, enum gd_log_level level, const char *msg, json_t *fields_new);
void gd_log_request(struct gd_req *req);

#endif
