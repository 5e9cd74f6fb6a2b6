/* SPDX-License-Identifier: MIT */
/* guestd rescore: recompute every loyalty score (recency decays with time: run it nightly). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char usage[] =
        "Usage: guestd rescore [--batch-size N] [--database-url URL]\n"
        "\n"
        "Recomputes every guest's loyalty score and tier with the current configuration, N guests\n"
        "(default 5000) per transaction, so front-desk writes never wait for more than one batch.\n"
        "Recency decays with time: run it nightly. Prints a JSON summary on stdout: guests scored,\n"
        "tier changes up and down, batches, formula version, duration.\n"
        "\n"
        "Options:\n"
        "  --batch-size N       guests per transaction, 1 to 100000\n"
        "  --database-url URL   libpq conninfo or URI [GUESTD_DATABASE_URL, default: PG* variables]\n"
        "\n"
        "Example (crontab, 03:30 every night):\n"
        "  30 3 * * *  guestd rescore --database-url 'postgresql:///guestd' >>/var/log/guestd-rescore.json\n"
        "\n"
        "Exit codes: 0 done, 1 the database is unreachable or the rescore failed, 2 bad usage.\n";

int gd_cmd_rescore(int argc, char **argv)
{
        struct gd_cli_overrides o = {0};
        const char *batch_text = NULL;
        bool help = false;
        const struct gd_option opts[] = {
                {"database-url", &o.database_url, NULL}, {"batch-size", &batch_text, NULL}, {NULL, NULL, NULL}};
        int n_pos;
        struct gd_config cfg;
        if (!gd_cli_parse(argc, argv, 2, opts, NULL, 0, &n_pos, &help))
                return GD_EXIT_USAGE;
        if (help) {
                fputs(usage, stdout);
                return GD_EXIT_OK;
        }
        long batch = 5000;
        if (batch_text) {
                char *end;
                batch = strtol(batch_text, &end, 10);
                if (*batch_text == '\0' || *end != '\0' || batch < 1 || batch > 100000) {
                        fprintf(stderr, "guestd: --batch-size must be a whole number from 1 to 100000\n");
                        return GD_EXIT_USAGE;
                }
        }
        if (!gd_config_load(&cfg, &o))
                return GD_EXIT_USAGE;

        struct gd_db_config dbc = gd_cli_db_config(&cfg);
        dbc.timeout_ms = 120000; /* one batch, not the whole run */
        dbc.statement_timeout_ms = 120000;
        struct gd_conn *c = NULL;
        struct gd_error err = {0};
        struct gd_rescore_summary summary;
        enum gd_err e = gd_conn_open(&dbc, true, &c, &err);
        if (e == GD_OK)
                e = gd_db_rescore(c, (int) batch, "rescore", &summary, &err);
        gd_conn_free(c);
        if (e != GD_OK) {
                fprintf(stderr, "guestd: rescore failed: %s\n", err.cause[0] ? err.cause : gd_err_to_string(e));
                return GD_EXIT_FAILURE;
        }
        json_t *out = gd_rescore_summary_json(&summary);
        char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
        if (text)
                printf("%s\n", text);
        free(text);
        json_decref(out);
        return GD_EXIT_OK;
}
