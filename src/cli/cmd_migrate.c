/* SPDX-License-Identifier: MIT */
/* guestd migrate: apply the migrations compiled into this binary. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "guestd/embedded.h"

static const char usage[] =
        "Usage: guestd migrate [--database-url URL]\n"
        "\n"
        "Applies the schema migrations this guestd carries that the database does not have yet,\n"
        "each in its own transaction, recorded in the schema_migrations table. Concurrent runs\n"
        "wait for each other (an advisory lock), so each migration is applied exactly once.\n"
        "\n"
        "Options:\n"
        "  --database-url URL   libpq conninfo or URI [GUESTD_DATABASE_URL, default: PG* variables]\n"
        "\n"
        "Examples:\n"
        "  guestd migrate --database-url 'postgresql://guestd@db.internal/guestd'\n"
        "  GUESTD_DATABASE_URL='host=/run/postgresql dbname=guestd' guestd migrate\n"
        "\n"
        "Exit codes: 0 the schema is current, 1 the database is unreachable or a migration failed,\n"
        "2 bad usage.\n";

int gd_cmd_migrate(int argc, char **argv)
{
        struct gd_cli_overrides o = {0};
        const struct gd_option opts[] = {{"database-url", &o.database_url, NULL}, {NULL, NULL, NULL}};
        int n_pos;
        struct gd_config cfg;
        int exit_code;
        if (!gd_cli_args(argc, argv, 2, opts, NULL, 0, &n_pos, usage, &exit_code))
                return exit_code;
        if (!gd_config_load(&cfg, &o))
                return GD_EXIT_USAGE;

        struct gd_db_config dbc = gd_cli_db_config(&cfg);
        dbc.timeout_ms = 600000;          /* building an index on a large table takes a while */
        dbc.statement_timeout_ms = 600000;
        struct gd_conn *c = NULL;
        struct gd_error err = {0};
        int applied = 0, version = 0;
        enum gd_err e = gd_conn_open(&dbc, false, &c, &err);
        if (e == GD_OK)
                e = gd_db_migrate(c, &applied, &version, &err);
        gd_conn_free(c);
        if (e != GD_OK)
                return gd_cli_db_failure("migrate failed", e, &err);
        printf("applied %d migration(s); schema version %d\n", applied, version);
        return GD_EXIT_OK;
}
