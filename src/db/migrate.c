/* SPDX-License-Identifier: MIT */
/* Schema migrations: the embedded sql/NNNN_*.sql files, each applied once, in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/embedded.h"
#include "internal.h"

/* pg_advisory_lock key: the bytes "guestdmg". */
#define MIGRATE_LOCK "7453475245464d67"

int gd_db_latest_version(void)
{
        return gd_embedded_migrations_len ? gd_embedded_migrations[gd_embedded_migrations_len - 1].version : 0;
}

/* Runs a fixed query and reads one integer from it. */
static enum gd_err query_int(struct gd_conn *c, const char *sql, long *ret, struct gd_error *reterr)
{
        enum gd_err e = gd_conn_ensure(c, reterr);
        if (e != GD_OK)
                return e;
        PGresult *r = NULL;
        e = gd_conn_query(c, sql, &r, reterr);
        if (e != GD_OK)
                return e;
        *ret = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : 0;
        PQclear(r);
        return GD_OK;
}

enum gd_err gd_db_schema_version(struct gd_conn *c, int *ret, struct gd_error *reterr)
{
        long v = 0, exists = 0;
        enum gd_err e = query_int(c, "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = 'schema_migrations'",
                                  &exists, reterr);
        if (e == GD_OK && exists)
                e = query_int(c, "SELECT max(version) FROM schema_migrations", &v, reterr);
        if (e == GD_OK)
                *ret = (int) v;
        return e;
}

static enum gd_err apply_one(struct gd_conn *c, const struct gd_migration *m, struct gd_error *reterr)
{
        enum gd_err e = gd_db_begin(c, reterr);
        if (e == GD_OK)
                e = gd_conn_exec_script(c, m->sql, reterr);
        if (e == GD_OK) {
                char record[160];
                /* version and name come from the build (scripts/embed.py checks their shape) */
                snprintf(record, sizeof(record), "INSERT INTO schema_migrations (version, name) VALUES (%d, '%s')",
                         m->version, m->name);
                e = gd_conn_exec_script(c, record, reterr);
        }
        if (e == GD_OK)
                e = gd_db_commit(c, reterr);
        if (e != GD_OK)
                gd_db_rollback(c);
        return e;
}

enum gd_err gd_db_migrate(struct gd_conn *c, int *ret_applied, int *ret_version, struct gd_error *reterr)
{
        enum gd_err e = gd_conn_exec_script(c, "SELECT pg_advisory_lock(x'" MIGRATE_LOCK "'::bigint)", reterr);
        if (e != GD_OK)
                return e;
        e = gd_conn_exec_script(c,
                                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                " version integer PRIMARY KEY, name text NOT NULL,"
                                " applied_at timestamptz NOT NULL DEFAULT now())",
                                reterr);
        int applied = 0;
        long current = 0;
        if (e == GD_OK)
                e = query_int(c, "SELECT coalesce(max(version), 0) FROM schema_migrations", &current, reterr);
        for (size_t i = 0; e == GD_OK && i < gd_embedded_migrations_len; i++) {
                const struct gd_migration *m = &gd_embedded_migrations[i];
                if (m->version <= current)
                        continue;
                e = apply_one(c, m, reterr);
                if (e == GD_OK) {
                        applied++;
                        current = m->version;
                } else {
                        gd_error_set_cause(reterr, "migration %04d_%s: %s", m->version, m->name, reterr->cause);
                }
        }
        struct gd_error ignored = {0};
        gd_conn_exec_script(c, "SELECT pg_advisory_unlock(x'" MIGRATE_LOCK "'::bigint)", &ignored);
        if (e != GD_OK)
                return e;
        *ret_applied = applied;
        *ret_version = (int) current;
        return GD_OK;
}
