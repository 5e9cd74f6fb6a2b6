/* SPDX-License-Identifier: MIT */
/* The request transaction's rows: who writes, and the stored answers of Idempotency-Keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum gd_err gd_db_set_actor(struct gd_conn *c, const char *actor, const char *request_id, const char *api_key_id,
                            const char *idempotency_key, bool *ret_locked, struct gd_error *reterr)
{
        const char *params[] = {actor, request_id, api_key_id, idempotency_key};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_TX_ACTOR, params, &r, reterr);
        if (e == GD_OK && ret_locked)
                *ret_locked = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 2), "true") == 0;
        PQclear(r);
        return e;
}

static void hours_text(char out[16])
{
        snprintf(out, 16, "%d", GD_IDEMPOTENCY_TTL_HOURS);
}

enum gd_err gd_db_idem_get(struct gd_conn *c, const char *api_key_id, const char *key, struct gd_idem_answer *ret,
                           struct gd_error *reterr)
{
        char hours[16];
        hours_text(hours);
        const char *params[] = {api_key_id, key, hours};
        PGresult *r = NULL;
        memset(ret, 0, sizeof(*ret));
        enum gd_err e = gd_db_exec(c, GD_STMT_IDEM_GET, params, &r, reterr);
        if (e != GD_OK || PQntuples(r) != 1) {
                PQclear(r);
                return e;
        }
        ret->found = true;
        snprintf(ret->fingerprint, sizeof(ret->fingerprint), "%s", PQgetvalue(r, 0, 0));
        ret->status = (unsigned) strtoul(PQgetvalue(r, 0, 1), NULL, 10);
        snprintf(ret->location, sizeof(ret->location), "%s", PQgetvalue(r, 0, 2));
        snprintf(ret->etag, sizeof(ret->etag), "%s", PQgetvalue(r, 0, 3));
        if (!PQgetisnull(r, 0, 4)) {
                ret->body = json_loads(PQgetvalue(r, 0, 4), 0, NULL);
                if (!ret->body)
                        e = gd_error_set(reterr, GD_ERR_INTERNAL, "A stored answer is not JSON.");
        }
        PQclear(r);
        return e;
}

enum gd_err gd_db_idem_put(struct gd_conn *c, const char *api_key_id, const char *key,
                           const struct gd_idem_answer *a, struct gd_error *reterr)
{
        char status[16], hours[16], expire[16];
        snprintf(status, sizeof(status), "%u", a->status);
        hours_text(hours);
        snprintf(expire, sizeof(expire), "%d", GD_IDEMPOTENCY_EXPIRE_BATCH);
        char *body = a->body ? json_dumps(a->body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
        if (a->body && !body)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        const char *params[] = {api_key_id, key, a->fingerprint, status, a->location[0] ? a->location : NULL,
                                a->etag[0] ? a->etag : NULL, body, hours, expire};
        PGresult *r = NULL;
        /* with the answer, the expiry job, a few rows at a time: every keyed POST removes some
         * answers past their lifetime, so the table holds about one lifetime of writes */
        enum gd_err e = gd_db_exec(c, GD_STMT_IDEM_PUT, params, &r, reterr);
        /* no row: a live answer with this key appeared although we held its lock (another guestd
         * build without the lock?): the write must not count twice */
        if (e == GD_OK && (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "1") != 0))
                e = gd_error_set(reterr, GD_ERR_CONFLICT, "A request with this Idempotency-Key is in progress.");
        PQclear(r);
        free(body);
        return e;
}

void gd_idem_answer_clear(struct gd_idem_answer *a)
{
        json_decref(a->body);
        a->body = NULL;
}
