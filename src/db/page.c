/* SPDX-License-Identifier: MIT */
/* Keyset pages out of query results, for every list. */
#include <stdio.h>

#include "internal.h"

void gd_db_limit_plus_one(int limit, char out[16])
{
        snprintf(out, 16, "%d", limit + 1);
}

enum gd_err gd_db_page(PGresult *r, int limit, gd_row_to_json row_to_json, int key_col, int id_col,
                       json_t **ret_items, char ret_next_key[64], char ret_next_id[64], struct gd_error *reterr)
{
        json_t *items = json_array();
        int n = PQntuples(r), shown = n > limit ? limit : n;
        for (int i = 0; items && i < shown; i++) {
                json_t *item = row_to_json(r, i);
                if (!item || json_array_append_new(items, item) != 0) {
                        json_decref(items);
                        items = NULL;
                }
        }
        ret_next_key[0] = ret_next_id[0] = '\0';
        if (items && n > limit) {
                snprintf(ret_next_key, 64, "%s", PQgetvalue(r, shown - 1, key_col));
                snprintf(ret_next_id, 64, "%s", PQgetvalue(r, shown - 1, id_col));
        }
        PQclear(r);
        if (!items)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        *ret_items = items;
        return GD_OK;
}

enum gd_err gd_db_list(struct gd_conn *c, enum gd_stmt stmt, const char *after_key, const char *after_id, int limit,
                       gd_row_to_json row_to_json, int key_col, int id_col, json_t **ret_items,
                       char ret_next_key[64], char ret_next_id[64], struct gd_error *reterr)
{
        char lim[16];
        gd_db_limit_plus_one(limit, lim);
        const char *params[] = {after_key, after_id, lim};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, stmt, params, &r, reterr);
        if (e != GD_OK)
                return e;
        return gd_db_page(r, limit, row_to_json, key_col, id_col, ret_items, ret_next_key, ret_next_id, reterr);
}

json_t *gd_db_json_column(const PGresult *r, int row)
{
        return json_loads(PQgetvalue(r, row, 0), 0, NULL);
}
