/* SPDX-License-Identifier: MIT */
/* guestd purge: soft-purge guests inactive for years, hard-delete those past their grace period. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "guestd/http.h"
#include "guestd/purge.h"

static const char usage[] =
        "Usage: guestd purge [--inactive-days N] [--dry-run] [--batch-size B] [--grace-days G]\n"
        "                    [--include-vip] [--limit M] [--database-url URL] [--log-level LEVEL]\n"
        "\n"
        "Purges the records of guests inactive for N days, recoverably, in two phases:\n"
        "  1. soft purge: a guest whose last activity (latest stay check-out, charge or complaint;\n"
        "     else its creation) is more than N days old is hidden from every read, search and\n"
        "     list; POST /v1/guests/{id}/restore brings it back as it was. Never purged: a guest\n"
        "     under legal hold, with a vip_code (unless --include-vip), with a stay reserved or in\n"
        "     house, or with a complaint open or in progress (counted under \"skipped\", by the\n"
        "     first of these reasons that applies).\n"
        "  2. hard delete: a guest deleted (by this purge or by the front desk) more than G days\n"
        "     ago is deleted for good with every section, leaving a tombstone without personal\n"
        "     data; a guest under legal hold is kept.\n"
        "B guests per transaction: killed at any point, every guest is wholly purged or untouched,\n"
        "and the next run finishes the job. One run at a time (a PostgreSQL advisory lock); every\n"
        "run is recorded (GET /v1/purge-runs). Prints the run's JSON summary on stdout and logs\n"
        "JSON lines with counts and ids on stderr.\n"
        "\n"
        "Options:\n"
        "  --inactive-days N     days without activity before a guest is purged, 30 to 36500 (default 1095)\n"
        "  --dry-run             count and sample the candidates, change no guest (the run is recorded)\n"
        "  --batch-size B        guests per transaction, 1 to 10000 (default 500)\n"
        "  --grace-days G        days a deleted guest can be restored before it is deleted for good,\n"
        "                        0 to 3650 (default 30; 0 hard-deletes this run's purges at once)\n"
        "  --include-vip         purge guests with a vip_code too\n"
        "  --limit M             soft-purge at most M guests and hard-delete at most M (default: all)\n"
        "  --database-url URL    libpq conninfo or URI [GUESTD_DATABASE_URL, default: PG* variables]\n"
        "  --log-level LEVEL     debug, info, warn or error [GUESTD_LOG_LEVEL, default info]\n"
        "\n"
        "Examples:\n"
        "  guestd purge --dry-run                     # what a run would do now, changing no guest\n"
        "  guestd purge --inactive-days 1825 --limit 1000\n"
        "  # crontab, every night at 04:15:\n"
        "  15 4 * * *  guestd purge --database-url 'postgresql:///guestd' >>/var/log/guestd-purge.json\n"
        "\n"
        "Exit codes: 0 done, 1 the database is unreachable or the run failed, 2 bad usage,\n"
        "3 another purge run holds the lock (nothing was done).\n";

struct flag {
        const char *name; /* the body member; the option is "--" + name with '-' for '_' */
        const char *text;
        bool set;
};

/* A member of the run request from an option's text: a JSON number when it is one, else the text
 * itself (which the rules then refuse as "must be a whole number"). */
static json_t *member_from_text(const char *text)
{
        json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
        if (v && json_is_integer(v))
                return v;
        json_decref(v);
        return json_string(text);
}

/* The options as the body of POST /v1/purge-runs, checked by the same rules: one line on the first
 * broken one. */
static bool parse_params(const struct flag *flags, size_t n, struct gd_purge_params *ret)
{
        json_t *body = json_object();
        for (size_t i = 0; body && i < n; i++) {
                if (flags[i].text)
                        json_object_set_new(body, flags[i].name, member_from_text(flags[i].text));
                else if (flags[i].set)
                        json_object_set_new(body, flags[i].name, json_true());
        }
        struct gd_error err = {0};
        enum gd_err e = body ? gd_purge_params_from_json(body, ret, &err) : GD_ERR_NOMEM;
        json_decref(body);
        if (e == GD_OK)
                return true;
        if (err.n_fields > 0) {
                char option[GD_POINTER_MAX];
                memcpy(option, err.fields[0].pointer + 1, sizeof(option) - 1); /* past the pointer's '/' */
                option[sizeof(option) - 1] = '\0';
                for (char *c = option; *c; c++)
                        if (*c == '_')
                                *c = '-';
                gd_cli_error("--%s %s", option, err.fields[0].message);
        } else {
                gd_cli_error("%s", gd_err_to_string(e));
        }
        return false;
}

/* Log lines go through the server's logger, so they look the same (JSON lines on stderr). */
static void log_line(void *ctx, enum gd_log_level level, const char *msg, json_t *fields_new)
{
        gd_log(ctx, level, msg, fields_new);
}

int gd_cmd_purge(int argc, char **argv)
{
        struct gd_cli_overrides o = {0};
        struct flag flags[] = {{"inactive_days", NULL, false}, {"batch_size", NULL, false},
                               {"grace_days", NULL, false},    {"limit", NULL, false},
                               {"dry_run", NULL, false},       {"include_vip", NULL, false}};
        const struct gd_option opts[] = {
                {"inactive-days", &flags[0].text, NULL}, {"batch-size", &flags[1].text, NULL},
                {"grace-days", &flags[2].text, NULL},    {"limit", &flags[3].text, NULL},
                {"dry-run", NULL, &flags[4].set},        {"include-vip", NULL, &flags[5].set},
                {"database-url", &o.database_url, NULL}, {"log-level", &o.log_level, NULL},
                {NULL, NULL, NULL}};
        int n_pos;
        int exit_code;
        if (!gd_cli_args(argc, argv, 2, opts, NULL, 0, &n_pos, usage, &exit_code))
                return exit_code;
        struct gd_purge_params params;
        if (!parse_params(flags, sizeof(flags) / sizeof(flags[0]), &params))
                return GD_EXIT_USAGE;
        struct gd_app *app = calloc(1, sizeof(*app));
        if (!app || !gd_config_load(&app->cfg, &o)) {
                free(app);
                return GD_EXIT_USAGE;
        }

        struct gd_db_config dbc = gd_cli_db_config(&app->cfg);
        struct gd_purge_log log = {log_line, app};
        struct gd_error err = {0};
        json_t *run = NULL;
        enum gd_err e = gd_db_purge(&dbc, &params, "cli", &log, &run, &err);
        int rc = GD_EXIT_OK;
        if (e == GD_ERR_CONFLICT) {
                gd_cli_error("%s Nothing was done.", err.detail);
                rc = GD_EXIT_LOCKED;
        } else if (e != GD_OK) {
                rc = gd_cli_db_failure("purge failed", e, &err);
        } else {
                char *text = json_dumps(run, JSON_COMPACT);
                if (text)
                        printf("%s\n", text);
                free(text);
        }
        json_decref(run);
        free(app);
        return rc;
}
