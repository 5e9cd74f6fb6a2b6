/* SPDX-License-Identifier: MIT */
/* Loyalty reads, the configuration, and the batched rescore. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* A statement whose only column is a JSON text. Clears r. */
static enum gd_err json_result(PGresult *r, const char *missing, json_t **ret, struct gd_error *reterr)
{
        json_t *v = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
        bool empty = PQntuples(r) == 0;
        PQclear(r);
        if (empty)
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "%s", missing);
        if (!v)
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        *ret = v;
        return GD_OK;
}

enum gd_err gd_db_loyalty_get(struct gd_conn *c, const char *guest_id, json_t **ret, struct gd_error *reterr)
{
        const char *params[] = {guest_id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_LOYALTY_GET, params, &r, reterr);
        return e != GD_OK ? e : json_result(r, "No guest has this id.", ret, reterr);
}

enum gd_err gd_db_loyalty_config_get(struct gd_conn *c, json_t **ret, struct gd_error *reterr)
{
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_LOYALTY_CONFIG_GET, NULL, &r, reterr);
        return e != GD_OK ? e : json_result(r, "No configuration.", ret, reterr);
}

enum gd_err gd_db_loyalty_config_put(struct gd_conn *c, const json_t *normalized, struct gd_error *reterr)
{
        char *rates = json_dumps(json_object_get(normalized, "fx_rates"), JSON_COMPACT);
        char *loyalty = json_dumps(json_object_get(normalized, "loyalty"), JSON_COMPACT);
        const char *params[] = {json_string_value(json_object_get(normalized, "base_currency")), rates, loyalty};
        PGresult *r = NULL;
        enum gd_err e = rates && loyalty ? gd_db_exec(c, GD_STMT_LOYALTY_CONFIG_PUT, params, &r, reterr)
                                         : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        PQclear(r);
        free(rates);
        free(loyalty);
        return e;
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum gd_err gd_db_rescore(struct gd_conn *c, int batch_size, const char *why, struct gd_rescore_summary *ret,
                          struct gd_error *reterr)
{
        struct gd_rescore_summary s = {0};
        long long started = now_ms();
        char after[40] = "", batch[16];
        snprintf(batch, sizeof(batch), "%d", batch_size);
        for (;;) {
                const char *params[] = {after[0] ? after : NULL, batch, why};
                PGresult *r = NULL;
                enum gd_err e = gd_db_exec(c, GD_STMT_RESCORE_BATCH, params, &r, reterr);
                if (e != GD_OK)
                        return e;
                long guests = strtol(PQgetvalue(r, 0, 1), NULL, 10);
                s.moved_up += strtol(PQgetvalue(r, 0, 2), NULL, 10);
                s.moved_down += strtol(PQgetvalue(r, 0, 3), NULL, 10);
                s.formula_version = atoi(PQgetvalue(r, 0, 4));
                snprintf(after, sizeof(after), "%s", PQgetvalue(r, 0, 0));
                PQclear(r);
                s.guests += guests;
                if (guests > 0)
                        s.batches++;
                if (guests < batch_size)
                        break;
        }
        s.duration_ms = now_ms() - started;
        *ret = s;
        return GD_OK;
}

json_t *gd_rescore_summary_json(const struct gd_rescore_summary *s)
{
        return json_pack("{s:I, s:{s:I, s:I}, s:I, s:i, s:I}", "guests", (json_int_t) s->guests, "tier_changes", "up",
                         (json_int_t) s->moved_up, "down", (json_int_t) s->moved_down, "batches",
                         (json_int_t) s->batches, "formula_version", s->formula_version, "duration_ms",
                         (json_int_t) s->duration_ms);
}
