/* SPDX-License-Identifier: MIT */
/* Marketing reads: the VIP list (a page, or a stream for exports) and the greeting feed. */
#include <stdlib.h>

#include "guestd/vip.h"
#include "internal.h"

struct gd_vip_stream {
        struct gd_conn *conn;
        PGresult *row;
        const char *values[GD_VIP_COLUMNS];
};

/* The statements' parameters $1..$7 (the list adds its limit as $8). */
#define VIP_FILTER_PARAMS 7

static void vip_params(const struct gd_vip_filter *f, const char *params[VIP_FILTER_PARAMS])
{
        const char *values[VIP_FILTER_PARAMS] = {f->min_tier,      f->min_score, f->nationality, f->consent,
                                                 f->upcoming_days, f->after_key, f->after_id};
        for (int i = 0; i < VIP_FILTER_PARAMS; i++)
                params[i] = values[i];
}

/* The columns of vip_list after enum gd_vip_column's. */
enum { VIP_LIST_LABEL = GD_VIP_COLUMNS, VIP_LIST_SCORE_KEY, VIP_LIST_ID };

static json_t *vip_item_from_row(const PGresult *r, int row)
{
        const char *values[GD_VIP_COLUMNS];
        for (int i = 0; i < GD_VIP_COLUMNS; i++)
                values[i] = PQgetisnull(r, row, i) ? NULL : PQgetvalue(r, row, i);
        return gd_vip_item(values, PQgetisnull(r, row, VIP_LIST_LABEL) ? NULL : PQgetvalue(r, row, VIP_LIST_LABEL));
}

enum gd_err gd_db_vip_list(struct gd_conn *c, const struct gd_vip_filter *f, json_t **ret_items,
                           char ret_next_key[64], char ret_next_id[64], struct gd_error *reterr)
{
        char limit[16];
        gd_db_limit_plus_one(f->limit, limit);
        const char *params[VIP_FILTER_PARAMS + 1];
        vip_params(f, params);
        params[VIP_FILTER_PARAMS] = limit;
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_VIP_LIST, params, &r, reterr);
        if (e != GD_OK)
                return e;
        return gd_db_page(r, f->limit, vip_item_from_row, VIP_LIST_SCORE_KEY, VIP_LIST_ID, ret_items, ret_next_key,
                          ret_next_id, reterr);
}

enum gd_err gd_db_vip_stream_open(const struct gd_db_config *cfg, const struct gd_vip_filter *f,
                                  struct gd_vip_stream **ret, struct gd_error *reterr)
{
        struct gd_vip_stream *s = calloc(1, sizeof(*s));
        if (!s)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        const char *params[VIP_FILTER_PARAMS];
        vip_params(f, params);
        /* the query lasts as long as the client takes to read the list: only the per-row
         * deadline applies, not the statement timeout of ordinary requests */
        struct gd_db_config export_cfg = *cfg;
        export_cfg.statement_timeout_ms = 0;
        enum gd_err e = gd_conn_open(&export_cfg, false, &s->conn, reterr);
        if (e == GD_OK)
                e = gd_conn_stream_start(s->conn, GD_STMT_VIP_EXPORT, params, reterr);
        if (e != GD_OK) {
                gd_db_vip_stream_free(s);
                return e;
        }
        *ret = s;
        return GD_OK;
}

enum gd_err gd_db_vip_stream_next(struct gd_vip_stream *s, const char *const **ret_values, struct gd_error *reterr)
{
        PQclear(s->row);
        s->row = NULL;
        enum gd_err e = gd_conn_next_row(s->conn, &s->row, reterr);
        if (e != GD_OK)
                return e;
        if (!s->row) {
                *ret_values = NULL;
                return GD_OK;
        }
        if (PQnfields(s->row) != GD_VIP_COLUMNS)
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        for (int i = 0; i < GD_VIP_COLUMNS; i++)
                s->values[i] = PQgetisnull(s->row, 0, i) ? NULL : PQgetvalue(s->row, 0, i);
        *ret_values = s->values;
        return GD_OK;
}

void gd_db_vip_stream_free(struct gd_vip_stream *s)
{
        if (!s)
                return;
        PQclear(s->row);
        gd_conn_free(s->conn); /* closing the session cancels what it was still sending */
        free(s);
}

enum gd_err gd_db_occasions(struct gd_conn *c, const char *first_day, const char *last_day, const char *kind,
                            const char *after_key, const char *after_id, int limit, json_t **ret_items,
                            char ret_next_key[64], char ret_next_id[64], struct gd_error *reterr)
{
        char lim[16];
        gd_db_limit_plus_one(limit, lim);
        const char *params[] = {first_day, last_day, kind, after_key, after_id, lim};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_OCCASIONS, params, &r, reterr);
        if (e != GD_OK)
                return e;
        return gd_db_page(r, limit, gd_db_json_column, 1, 2, ret_items, ret_next_key, ret_next_id, reterr);
}
