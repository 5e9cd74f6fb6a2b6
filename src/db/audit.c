/* SPDX-License-Identifier: MIT */
/* Reads of the audit trail and of the change feed; sql/0007's triggers write both. */
#include <stdio.h>

#include "internal.h"

enum gd_err gd_db_guest_history(struct gd_conn *c, const char *guest_id, const char *after_key, const char *after_id,
                                int limit, json_t **ret_items, char ret_next_key[64], char ret_next_id[64],
                                struct gd_error *reterr)
{
        /* a deleted guest keeps its history readable: who deleted it is part of it */
        const char *id[] = {guest_id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_GUEST_EXISTS, id, &r, reterr);
        if (e != GD_OK)
                return e;
        int n = PQntuples(r);
        PQclear(r);
        if (n != 1)
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No guest has this id.");
        char lim[16];
        gd_db_limit_plus_one(limit, lim);
        const char *params[] = {guest_id, after_key, after_id, lim};
        e = gd_db_exec(c, GD_STMT_GUEST_HISTORY, params, &r, reterr);
        if (e != GD_OK)
                return e;
        return gd_db_page(r, limit, gd_db_json_column, 1, 2, ret_items, ret_next_key, ret_next_id, reterr);
}

enum gd_err gd_db_changes(struct gd_conn *c, const char *after_xid, const char *after_id, int limit,
                          json_t **ret_items, struct gd_error *reterr)
{
        char lim[16];
        snprintf(lim, sizeof(lim), "%d", limit);
        const char *params[] = {after_xid, after_id, lim};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_CHANGES, params, &r, reterr);
        if (e != GD_OK)
                return e;
        json_t *items = json_array();
        for (int i = 0; items && i < PQntuples(r); i++) {
                json_t *item = gd_db_json_column(r, i);
                if (!item || json_array_append_new(items, item) != 0) {
                        json_decref(items);
                        items = NULL;
                }
        }
        PQclear(r);
        if (!items)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        *ret_items = items;
        return GD_OK;
}
