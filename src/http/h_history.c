/* SPDX-License-Identifier: MIT */
/* Handle /v1/guests/{id}/history (the audit trail) and /v1/changes (the change feed). */
#include <stdio.h>
#include <string.h>

#include "guestd/validate.h"
#include "handlers.h"

static const char *const history_params[] = {"limit", "cursor", NULL};

GD_HANDLER(gd_h_guest_history)
{
        if (!gd_valid_uuid(req->params[0]))
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No guest has this id.");
        int limit;
        struct gd_cursor cursor;
        enum gd_err e = gd_query_check_names(req, history_params, reterr);
        if (e == GD_OK)
                e = gd_query_limit(req, &limit, reterr);
        if (e == GD_OK)
                e = gd_query_cursor(req, "history", GD_CURSOR_KEY_INTEGER, &cursor, reterr);
        if (e != GD_OK)
                return e;
        json_t *items = NULL;
        char next_key[64], next_id[64];
        e = gd_db_guest_history(req->db, req->params[0], cursor.n ? cursor.fields[1] : NULL,
                                cursor.n ? cursor.fields[2] : NULL, limit, &items, next_key, next_id, reterr);
        if (e != GD_OK)
                return e;
        reply->body = gd_page_new(items, "history", next_key, next_id);
        return reply->body ? GD_OK : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
}

static const char *const changes_params[] = {"after", "limit", NULL};

/* A feed position is "<xid>-<event id>", as each event's `cursor` shows it. */
static bool parse_position(const char *s, char xid[24], char id[24])
{
        size_t a = strspn(s, "0123456789");
        if (a == 0 || a > 19 || s[a] != '-')
                return false;
        size_t b = strspn(s + a + 1, "0123456789");
        if (b == 0 || b > 18 || s[a + 1 + b] != '\0')
                return false;
        snprintf(xid, 24, "%.*s", (int) a, s);
        snprintf(id, 24, "%s", s + a + 1);
        return true;
}

GD_HANDLER(gd_h_changes)
{
        int limit;
        enum gd_err e = gd_query_check_names(req, changes_params, reterr);
        if (e == GD_OK)
                e = gd_query_limit(req, &limit, reterr);
        if (e != GD_OK)
                return e;
        const char *after = gd_query_get(req, "after");
        char xid[24] = "", id[24] = "";
        if (after && !parse_position(after, xid, id)) {
                gd_error_add_field(reterr, "after", "must be the cursor of an event (\"<number>-<number>\")");
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "after is not a feed position.");
        }
        json_t *items = NULL;
        e = gd_db_changes(req->db, after ? xid : NULL, after ? id : NULL, limit, &items, reterr);
        if (e != GD_OK)
                return e;
        /* where to go on from: the last event shown, else where the client was */
        size_t n = json_array_size(items);
        json_t *next = n ? json_incref(json_object_get(json_array_get(items, n - 1), "cursor"))
                         : after ? json_string(after) : json_null();
        reply->body = json_pack("{s:o, s:o}", "items", items, "next_after", next ? next : json_null());
        return reply->body ? GD_OK : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
}
