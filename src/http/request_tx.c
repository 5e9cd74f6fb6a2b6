/* SPDX-License-Identifier: MIT */
/*
 * The request transaction: every write request runs its handler in one database transaction,
 * in this one place.
 *   - The transaction names its writer (guestd.actor = the API key's name, guestd.request_id)
 *     for the triggers that record what changed.
 *   - A serialization failure or a deadlock (SQLSTATE 40001, 40P01) rolls everything back and
 *     the whole handler runs again, a bounded number of times with a short random pause, so the
 *     client sees the outcome rather than a 5xx it would have to retry itself.
 *   - A POST with an Idempotency-Key stores its answer in the same transaction as its write, so
 *     the answer exists exactly when the write was committed. A repeat (same API key, same key,
 *     same request) replays it; a request that is still running holds the key's transaction
 *     lock, and a repeat meanwhile answers 409 with Retry-After instead of waiting for it.
 * Handlers that run long jobs in batches of their own (route.own_tx) stay outside.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guestd/http.h"
#include "guestd/sha256.h"

#define MAX_TX_ATTEMPTS 3
#define RETRY_PAUSE_MIN_US 5000
#define RETRY_PAUSE_SPREAD_US 20000
#define IDEMPOTENCY_KEY_HEADER "Idempotency-Key"

enum gd_err gd_idempotency_check_header(struct gd_req *req, struct gd_error *reterr)
{
        req->idempotency_key[0] = '\0';
        if (strcmp(req->method, "POST") != 0)
                return GD_OK;
        const char *h = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, IDEMPOTENCY_KEY_HEADER);
        if (!h)
                return GD_OK;
        /* a streamed body has no fingerprint to compare before it is all read, and its batches
         * commit one by one: such a route is idempotent by its own keys instead (the import) */
        if (req->route->body == GD_BODY_STREAM) {
                gd_error_add_field(reterr, IDEMPOTENCY_KEY_HEADER, "is not supported on this route");
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST,
                                    "Idempotency-Key is not supported here: re-sending the same body is safe.");
        }
        size_t len = strlen(h);
        bool visible = len > 0 && len < sizeof(req->idempotency_key);
        for (size_t i = 0; visible && i < len; i++)
                visible = h[i] > 0x20 && h[i] < 0x7f;
        if (!visible) {
                gd_error_add_field(reterr, IDEMPOTENCY_KEY_HEADER, "must be 1 to 255 visible ASCII characters");
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The Idempotency-Key header is malformed.");
        }
        memcpy(req->idempotency_key, h, len + 1);
        return GD_OK;
}

/* What makes two requests "the same": method, route, path and body, byte for byte. */
static void fingerprint(const struct gd_req *req, char out[65])
{
        size_t n = strlen(req->method) + strlen(req->route->pattern) + strlen(req->path) + req->body_len + 3;
        char *buf = malloc(n);
        uint8_t digest[GD_SHA256_LEN];
        if (!buf) {
                out[0] = '\0';
                return;
        }
        int head = snprintf(buf, n, "%s\n%s\n%s\n", req->method, req->route->pattern, req->path);
        if (req->body_len)
                memcpy(buf + head, req->body, req->body_len);
        gd_sha256(buf, (size_t) head + req->body_len, digest);
        free(buf);
        for (int i = 0; i < GD_SHA256_LEN; i++)
                snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static enum gd_err replay(struct gd_reply *reply, struct gd_idem_answer *a, struct gd_error *reterr)
{
        if (a->status == 409 && !a->body)
                return gd_error_set(reterr, GD_ERR_CONFLICT,
                                    "This Idempotency-Key already created %s; its secret was shown only once.",
                                    a->location);
        reply->status = a->status;
        reply->body = a->body;
        a->body = NULL;
        snprintf(reply->location, sizeof(reply->location), "%s", a->location);
        snprintf(reply->etag, sizeof(reply->etag), "%s", a->etag);
        reply->replayed = true;
        return GD_OK;
}

/* Before the handler, the key's lock tried (locked): GD_OK with *ret_done when the answer is
 * already known (a replay). */
static enum gd_err claim_key(struct gd_req *req, struct gd_reply *reply, const char *fp, bool locked, bool *ret_done,
                             struct gd_error *reterr)
{
        if (!locked) {
                reply->retry_after = 1;
                return gd_error_set(reterr, GD_ERR_CONFLICT,
                                    "A request with this Idempotency-Key is still in progress; retry later.");
        }
        struct gd_idem_answer a;
        enum gd_err e = gd_db_idem_get(req->db, req->who.key_id, req->idempotency_key, &a, reterr);
        if (e == GD_OK && a.found) {
                *ret_done = true;
                if (strcmp(a.fingerprint, fp) != 0) {
                        gd_error_add_field(reterr, IDEMPOTENCY_KEY_HEADER, "was already used for another request");
                        e = gd_error_set(reterr, GD_ERR_INVALID,
                                         "This Idempotency-Key was used with a different request.");
                } else {
                        e = replay(reply, &a, reterr);
                }
        }
        gd_idem_answer_clear(&a);
        return e;
}

/* After a successful handler: the answer, as a repeat will get it. */
static enum gd_err store_answer(struct gd_req *req, const struct gd_reply *reply, const char *fp,
                                struct gd_error *reterr)
{
        struct gd_idem_answer a = {.status = reply->status, .body = reply->secret ? NULL : reply->body};
        /* a body holding a secret is not kept: a repeat learns what was created, not the secret */
        if (reply->secret)
                a.status = 409;
        snprintf(a.fingerprint, sizeof(a.fingerprint), "%s", fp);
        snprintf(a.location, sizeof(a.location), "%s", reply->location);
        snprintf(a.etag, sizeof(a.etag), "%s", reply->etag);
        return gd_db_idem_put(req->db, req->who.key_id, req->idempotency_key, &a, reterr);
}

static enum gd_err run_once(struct gd_req *req, struct gd_reply *reply, const char *fp, struct gd_error *reterr)
{
        enum gd_err e = gd_db_begin(req->db, reterr);
        if (e != GD_OK)
                return e;
        const char *idem_key = req->idempotency_key[0] ? req->idempotency_key : NULL;
        bool locked = false, done = false;
        e = gd_db_set_actor(req->db, req->who.key_name, req->request_id, idem_key ? req->who.key_id : NULL, idem_key,
                            &locked, reterr);
        if (e == GD_OK && idem_key)
                e = claim_key(req, reply, fp, locked, &done, reterr);
        if (e == GD_OK && !done)
                e = req->route->handler(req, reply, reterr);
        /* only successes are kept: a refused request changed nothing, so doing it again is safe */
        if (e == GD_OK && !done && req->idempotency_key[0] && reply->status < 300)
                e = store_answer(req, reply, fp, reterr);
        if (e == GD_OK)
                e = gd_db_commit(req->db, reterr);
        if (e != GD_OK)
                gd_db_rollback(req->db);
        return e;
}

static void reset_reply(struct gd_reply *reply)
{
        json_decref(reply->body);
        free(reply->json_text);
        if (reply->response)
                MHD_destroy_response(reply->response);
        *reply = (struct gd_reply){.status = 200};
}

static bool runs_in_transaction(const struct gd_route *r)
{
        return r->needs_db && !r->own_tx && strcmp(r->method, "GET") != 0;
}

enum gd_err gd_request_run(struct gd_req *req, struct gd_reply *reply, struct gd_error *reterr)
{
        if (!runs_in_transaction(req->route))
                return req->route->handler(req, reply, reterr);
        char fp[65] = "";
        if (req->idempotency_key[0]) {
                fingerprint(req, fp);
                if (!fp[0])
                        return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        }
        unsigned seed = (unsigned) req->started_us;
        enum gd_err e = GD_OK;
        for (int attempt = 1;; attempt++) {
                e = run_once(req, reply, fp, reterr);
                if (e != GD_ERR_RETRY || attempt == MAX_TX_ATTEMPTS)
                        break;
                gd_log(req->app, GD_LOG_INFO, "transaction retried",
                       json_pack("{s:s, s:i, s:s}", "request_id", req->request_id, "attempt", attempt, "cause",
                                 reterr->cause));
                reset_reply(reply);
                gd_error_clear(reterr);
                usleep((useconds_t) (RETRY_PAUSE_MIN_US * attempt + rand_r(&seed) % RETRY_PAUSE_SPREAD_US));
        }
        return e;
}
