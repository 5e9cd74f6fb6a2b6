/* SPDX-License-Identifier: MIT */
/* guestd serve: configuration → struct gd_app → the HTTP server, until SIGINT or SIGTERM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cli.h"
#include "guestd/http.h"

static const char usage[] =
        "Usage: guestd serve [OPTIONS]\n"
        "\n"
        "Runs the HTTP API. Requests are served by a fixed pool of threads, each with its own\n"
        "database connection; a lost database connection is re-established on its next use.\n"
        "\n"
        "Options (environment variable in brackets):\n"
        "  --listen HOST:PORT      address to listen on [GUESTD_LISTEN, default 127.0.0.1:8080];\n"
        "                          port 0 picks a free port\n"
        "  --database-url URL      libpq conninfo or URI [GUESTD_DATABASE_URL, default: PG* variables]\n"
        "  --threads N             worker threads and database connections [GUESTD_THREADS, default: 2 per core]\n"
        "  --log-level LEVEL       debug, info, warn or error [GUESTD_LOG_LEVEL, default info]\n"
        "  --port-file FILE        write the bound port number to FILE once listening\n"
        "\n"
        "Limits (environment variable in brackets; README \"Limits\" has the whole list):\n"
        "  --max-connections N     open connections in all [GUESTD_MAX_CONNECTIONS, default 1024];\n"
        "                          past it, new ones wait in the kernel's backlog\n"
        "  --max-connections-per-ip N\n"
        "                          open connections from one client address, refused past it\n"
        "                          [GUESTD_MAX_CONNECTIONS_PER_IP, default 512]; leave headroom over\n"
        "                          a client's concurrency: a reconnect can race the count\n"
        "  --connection-timeout S  close a connection idle for S seconds [GUESTD_CONNECTION_TIMEOUT, default 30]\n"
        "  --header-timeout S      close a connection whose request head is not whole S seconds after it\n"
        "                          opened or after the previous response (a kept-alive connection left\n"
        "                          idle too) [GUESTD_HEADER_TIMEOUT, default 10]\n"
        "  --max-body-bytes N      largest request body, else 413 [GUESTD_MAX_BODY_BYTES, default 1048576]\n"
        "  --statement-timeout MS  PostgreSQL statement_timeout, else 503 + Retry-After; lock_timeout is\n"
        "                          half of it and each round trip has a deadline 1000 ms longer\n"
        "                          [GUESTD_STATEMENT_TIMEOUT, default 4000]\n"
        "  --drain-timeout S       on SIGTERM/SIGINT, how long requests in flight may finish\n"
        "                          [GUESTD_DRAIN_TIMEOUT, default 10]\n"
        "  Fixed: 16 KiB per connection for the request line and headers (else 431/414), pages of\n"
        "  1 to 500 items (default 50), 2000 ms wait for a free database connection (else 503).\n"
        "  --threads N also sizes the database pool: one connection per thread.\n"
        "\n"
        "On SIGTERM or SIGINT guestd stops accepting connections, lets the requests in flight finish\n"
        "(up to --drain-timeout), closes its database connections and exits 0.\n"
        "\n"
        "Examples:\n"
        "  guestd serve --database-url 'postgresql:///guestd?host=/run/postgresql'\n"
        "  GUESTD_LISTEN=0.0.0.0:8080 GUESTD_THREADS=4 guestd serve\n"
        "\n"
        "Exit codes: 0 stopped by SIGINT/SIGTERM, 1 cannot start (port in use, schema behind), 2 bad usage.\n";

/* Refuses to serve a database whose schema is behind this binary; an unreachable database is
 * fine (the server starts, /readyz says 503 until it is back). */
static int check_schema(struct gd_app *app)
{
        struct gd_db_config dbc = gd_cli_db_config(&app->cfg);
        struct gd_conn *c = NULL;
        struct gd_error err = {0};
        int version = 0;
        if (gd_conn_open(&dbc, false, &c, &err) != GD_OK) {
                gd_log(app, GD_LOG_WARN, "database unreachable at start; serving 503 until it answers",
                       json_pack("{s:s}", "cause", err.cause));
                return GD_EXIT_OK;
        }
        enum gd_err e = gd_db_schema_version(c, &version, &err);
        gd_conn_free(c);
        if (e == GD_OK && version < gd_db_latest_version()) {
                gd_cli_error("the database schema is at version %d, this guestd needs %d: run 'guestd migrate'", version,
                             gd_db_latest_version());
                return GD_EXIT_FAILURE;
        }
        return GD_EXIT_OK;
}

int gd_cmd_serve(int argc, char **argv)
{
        struct gd_cli_overrides o = {0};
        const struct gd_option opts[] = {
                {"listen", &o.listen, NULL},       {"database-url", &o.database_url, NULL},
                {"threads", &o.threads, NULL},     {"max-body-bytes", &o.max_body_bytes, NULL},
                {"log-level", &o.log_level, NULL}, {"port-file", &o.port_file, NULL},
                {"connection-timeout", &o.connection_timeout, NULL},
                {"header-timeout", &o.header_timeout, NULL},
                {"max-connections", &o.max_connections, NULL},
                {"max-connections-per-ip", &o.max_connections_per_ip, NULL},
                {"statement-timeout", &o.statement_timeout, NULL},
                {"drain-timeout", &o.drain_timeout, NULL},
                {NULL, NULL, NULL},
        };
        int first = argc > 1 && strcmp(argv[1], "serve") == 0 ? 2 : 1, n_pos;
        int exit_code;
        if (!gd_cli_args(argc, argv, first, opts, NULL, 0, &n_pos, usage, &exit_code))
                return exit_code;

        struct gd_app *app = calloc(1, sizeof(*app));
        if (!app || !gd_config_load(&app->cfg, &o)) {
                free(app);
                return GD_EXIT_USAGE;
        }
        if (getrandom(&app->boot_id, sizeof(app->boot_id), 0) != (ssize_t) sizeof(app->boot_id))
                app->boot_id = (unsigned) time(NULL);

        int rc = check_schema(app);
        struct gd_error err = {0};
        struct gd_db_config dbc = gd_cli_db_config(&app->cfg);
        app->db = dbc;
        if (rc == GD_EXIT_OK) {
                gd_server_block_signals();
                app->auth = gd_auth_cache_new();
                if (!app->auth || gd_pool_new(&dbc, &app->pool, &err) != GD_OK ||
                    gd_server_run(app, &err) != GD_OK) {
                        gd_cli_error("cannot start: %s", err.cause[0] ? err.cause : err.detail[0] ? err.detail : "unknown reason");
                        rc = GD_EXIT_FAILURE;
                }
        }
        gd_pool_free(app->pool);
        gd_auth_cache_free(app->auth);
        free(app);
        return rc;
}
