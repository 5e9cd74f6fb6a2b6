/* SPDX-License-Identifier: MIT */
/* guestd rescore: recompute every loyalty score (recency decays with time: run it nightly). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char usage[] =
        "Usage: guestd rescore [--batch-size N] [--jobs J] [--database-url URL]\n"
        "\n"
        "Recomputes the loyalty score and tier of every guest (soft-deleted ones are left as they\n"
        "were) with the current configuration, N guests (default 5000) per transaction, so\n"
        "front-desk writes never wait for more than one batch. J database sessions (default 2) run\n"
        "batches side by side. Recency decays with time: run it nightly. Prints a JSON summary on\n"
        "stdout: guests scored, tier changes up and down, batches, formula version, duration.\n"
        "\n"
        "Options:\n"
        "  --batch-size N       guests per transaction, 1 to 100000\n"
        "  --jobs J             sessions working side by side, 1 to 16: the database server's\n"
        "                       cores are the useful limit\n"
        "  --database-url URL   libpq conninfo or URI [GUESTD_DATABASE_URL, default: PG* variables]\n"
        "\n"
        "Examples:\n"
        "  guestd rescore --jobs 4 --batch-size 10000\n"
        "  # crontab, 03:30 every night (or contrib/systemd/guestd-rescore.timer):\n"
        "  30 3 * * *  guestd rescore --database-url 'postgresql:///guestd' >>/var/log/guestd-rescore.json\n"
        "\n"
        "Exit codes: 0 done, 1 the database is unreachable or the rescore failed, 2 bad usage.\n";

int gd_cmd_rescore(int argc, char **argv)
{
        struct gd_cli_overrides o = {0};
        const char *batch_text = NULL, *jobs_text = NULL;
        const struct gd_option opts[] = {
                {"database-url", &o.database_url, NULL},
                {"batch-size", &batch_text, NULL},
                {"jobs", &jobs_text, NULL},
                {NULL, NULL, NULL}};
        int n_pos;
        struct gd_config cfg;
        int exit_code;
        if (!gd_cli_args(argc, argv, 2, opts, NULL, 0, &n_pos, usage, &exit_code))
                return exit_code;
        long batch = 5000;
        if (batch_text) {
                char *end;
                batch = strtol(batch_text, &end, 10);
                if (*batch_text == '\0' || *end != '\0' || batch < 1 || batch > 100000) {
                        gd_cli_error("--batch-size must be a whole number from 1 to 100000");
                        return GD_EXIT_USAGE;
                }
        }
        long jobs = 2;
        if (jobs_text) {
                char *end;
                jobs = strtol(jobs_text, &end, 10);
                if (*jobs_text == '\0' || *end != '\0' || jobs < 1 || jobs > GD_RESCORE_MAX_JOBS) {
                        gd_cli_error("--jobs must be a whole number from 1 to %d", GD_RESCORE_MAX_JOBS);
                        return GD_EXIT_USAGE;
                }
        }
        if (!gd_config_load(&cfg, &o))
                return GD_EXIT_USAGE;

        struct gd_db_config dbc = gd_cli_db_config(&cfg);
        dbc.timeout_ms = 120000; /* one batch, not the whole run */
        dbc.statement_timeout_ms = 120000;
        struct gd_conn *conns[GD_RESCORE_MAX_JOBS] = {NULL};
        struct gd_error err = {0};
        struct gd_rescore_summary summary;
        enum gd_err e = GD_OK;
        for (int i = 0; i < jobs && e == GD_OK; i++)
                e = gd_conn_open(&dbc, true, &conns[i], &err);
        if (e == GD_OK)
                e = gd_db_rescore(conns, (int) jobs, (int) batch, "rescore", &summary, &err);
        for (int i = 0; i < jobs; i++)
                gd_conn_free(conns[i]);
        if (e != GD_OK)
                return gd_cli_db_failure("rescore failed", e, &err);
        json_t *out = gd_rescore_summary_json(&summary);
        char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
        if (text)
                printf("%s\n", text);
        free(text);
        json_decref(out);
        return GD_EXIT_OK;
}
