/* SPDX-License-Identifier: MIT */
/* Query-string parameters shared by every list: allowed names, limit, cursor, the page envelope. */
#include <stdlib.h>
#include <string.h>

#include "guestd/http.h"
#include "guestd/parse.h"
#include "guestd/validate.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 500

const char *gd_query_get(struct gd_req *req, const char *name)
{
        return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}

struct name_check {
        const char *const *allowed;
        struct gd_error *err;
        unsigned seen[16];
        size_t not_utf8;
};

static enum MHD_Result check_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
        (void) kind;
        struct name_check *nc = cls;
        for (size_t i = 0; nc->allowed[i] && i < 16; i++) {
                if (strcmp(nc->allowed[i], key) != 0)
                        continue;
                if (++nc->seen[i] == 2)
                        gd_error_add_field(nc->err, nc->allowed[i], "is given more than once");
                /* values arrive percent-decoded, as raw bytes: %FF would reach PostgreSQL, which
                 * refuses it as a data error (a bare 422), or be echoed back in a page */
                if (value && !gd_utf8_valid(value)) {
                        gd_error_add_field(nc->err, nc->allowed[i], "must be valid UTF-8 text");
                        nc->not_utf8++;
                }
                return MHD_YES;
        }
        /* the name is client text: keep it out of the message, it may not even be UTF-8 */
        gd_error_add_field(nc->err, "", "unknown query parameter");
        return MHD_YES;
}

/* Every handler that reads the query string starts here, so the checks that hold for every value
 * live here too. */
enum gd_err gd_query_check_names(struct gd_req *req, const char *const *allowed, struct gd_error *reterr)
{
        struct name_check nc = {.allowed = allowed, .err = reterr};
        size_t before = reterr->n_fields;
        MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, check_one, &nc);
        if (reterr->n_fields == before)
                return GD_OK;
        if (nc.not_utf8 == reterr->n_fields - before)
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "A query parameter is not valid UTF-8.");
        return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The query string has parameters this resource does not take.");
}

enum gd_err gd_query_limit(struct gd_req *req, int *ret, struct gd_error *reterr)
{
        const char *s = gd_query_get(req, "limit");
        if (!s) {
                *ret = LIMIT_DEFAULT;
                return GD_OK;
        }
        if (!gd_parse_limit(s, LIMIT_MAX, ret)) {
                gd_error_add_field(reterr, "limit", "must be an integer from 1 to %d", LIMIT_MAX);
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The limit parameter is not valid.");
        }
        return GD_OK;
}

enum gd_err gd_query_cursor(struct gd_req *req, const char *kind, enum gd_cursor_key key,
                            struct gd_cursor *ret, struct gd_error *reterr)
{
        const char *s = gd_query_get(req, "cursor");
        ret->n = 0;
        if (!s)
                return GD_OK;
        if (!gd_parse_cursor_of(s, kind, key, ret)) {
                gd_error_add_field(reterr, "cursor", "must be a next_cursor value returned by this list");
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The cursor parameter is not valid.");
        }
        return GD_OK;
}

enum gd_err gd_reply_list(struct gd_req *req, struct gd_reply *reply, const char *kind, gd_list_fn list,
                          struct gd_error *reterr)
{
        static const char *const names[] = {"limit", "cursor", NULL};
        int limit;
        struct gd_cursor cursor;
        enum gd_err e = gd_query_check_names(req, names, reterr);
        if (e == GD_OK)
                e = gd_query_limit(req, &limit, reterr);
        if (e == GD_OK)
                e = gd_query_cursor(req, kind, GD_CURSOR_KEY_MICROS, &cursor, reterr);
        if (e != GD_OK)
                return e;
        json_t *items = NULL;
        char next_key[64], next_id[64];
        e = list(req->db, cursor.n ? cursor.fields[1] : NULL, cursor.n ? cursor.fields[2] : NULL, limit, &items,
                 next_key, next_id, reterr);
        if (e != GD_OK)
                return e;
        reply->body = gd_page_new(items, kind, next_key, next_id);
        return reply->body ? GD_OK : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
}

json_t *gd_page_new(json_t *items, const char *kind, const char *next_key, const char *next_id)
{
        json_t *next = json_null();
        if (next_key[0]) {
                struct gd_cursor c = {.n = 3};
                char text[GD_CURSOR_MAX_LEN];
                strncpy(c.fields[0], kind, sizeof(c.fields[0]) - 1);
                strncpy(c.fields[1], next_key, sizeof(c.fields[1]) - 1);
                strncpy(c.fields[2], next_id, sizeof(c.fields[2]) - 1);
                if (gd_cursor_encode(&c, text))
                        next = json_string(text);
        }
        return json_pack("{s:o, s:o}", "items", items, "next_cursor", next);
}
