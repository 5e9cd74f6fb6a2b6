/* SPDX-License-Identifier: MIT */
/* guestd import: a PMS's NDJSON file written straight into the database, by the code that serves
 * POST /v1/guests/import (domain/import.c, db/import.c), with a progress bar on a terminal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "guestd/import.h"
#include "guestd/problem.h"

static const char usage[] =
        "Usage: guestd import FILE [--rejects FILE] [--batch-size N] [--jobs N] [--database-url URL]\n"
        "\n"
        "Imports guests from FILE (NDJSON: one guest per line, optionally with its stays,\n"
        "consumptions, preferences, special_dates and complaints; \"-\" reads standard input),\n"
        "exactly as POST /v1/guests/import does: every line checked by the rules of the single\n"
        "POSTs, upserted by its external references (an update merges the members the line\n"
        "names; section items already stored are not added again, so running the same file\n"
        "twice is safe), N lines (default 1000) per transaction. It writes to the database\n"
        "directly: no server needs to run.\n"
        "\n"
        "--jobs N writes N batches at once, over N connections (default 2): PostgreSQL writes\n"
        "a batch on one core. The file's order still holds: a guest ends up as its lines, in\n"
        "order, make it (a batch that names a stored guest waits for the batch before it).\n"
        "\n"
        "On a terminal, a progress bar on stderr shows the bytes read, lines per second and the\n"
        "time left (for a regular file). The summary is printed on stdout as one JSON object:\n"
        "lines, created, updated, rejected, batches, bytes, seconds, guests_per_second.\n"
        "Each rejected line is written as a JSON line (its number, status and problem) to the\n"
        "--rejects file, or to stderr.\n"
        "\n"
        "Options:\n"
        "  --rejects FILE       write the rejected lines' results here (created or truncated)\n"
        "  --batch-size N       lines per transaction, 1 to 10000 (above 1000, each batch\n"
        "                       retires every stored profile card at once)\n"
        "  --jobs N             batches written at once, 1 to 16 (default 2)\n"
        "  --database-url URL   libpq conninfo or URI [GUESTD_DATABASE_URL, default: PG* variables]\n"
        "\n"
        "Examples:\n"
        "  guestd import guests.ndjson --rejects rejected.ndjson\n"
        "  zcat pms-export.ndjson.gz | guestd import - --database-url 'postgresql:///guestd'\n"
        "  guestd import first-load.ndjson --jobs 4     # a database server with 4 cores or more\n"
        "\n"
        "Exit codes: 0 every line imported, 1 the database is unreachable or failed (the batches\n"
        "before it, and perhaps some written alongside, stay written: run the same file again),\n"
        "2 bad usage or an unreadable FILE, 4 done, but some lines were rejected.\n";

#define CHUNK (256 * 1024)
#define DEFAULT_JOBS 2
#define MAX_JOBS 16

struct progress {
        bool tty;
        long long total; /* bytes of a regular file, -1 when unknown */
        double started, last_draw;
        FILE *rejects;
        struct gd_importer *im;
};

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int on_result(void *ctx, unsigned long long line, const char *status, const char *guest_id,
                     const struct gd_error *problem)
{
        (void) guest_id;
        struct progress *p = ctx;
        if (!problem)
                return 0;
        json_t *o = json_pack("{s:I, s:s, s:o}", "line", (json_int_t) line, "status", status, "problem",
                              gd_problem_body(problem, "", ""));
        /* the bar shares stderr: clear its line first */
        if (p->tty && p->rejects == stderr)
                fputs("\r\033[K", stderr);
        int bad = !o || json_dumpf(o, p->rejects, JSON_COMPACT) != 0 || fputc('\n', p->rejects) == EOF;
        json_decref(o);
        return bad;
}

static void draw(struct progress *p, bool last)
{
        double t = now_s();
        if (!p->tty || (!last && t - p->last_draw < 0.1))
                return;
        p->last_draw = t;
        struct gd_import_counts n;
        gd_importer_counts(p->im, &n);
        double secs = t - p->started;
        double rate = secs > 0 ? (double) n.lines / secs : 0;
        char bar[32] = "";
        char eta[32] = "";
        if (p->total > 0) {
                double frac = (double) n.bytes / (double) p->total;
                if (frac > 1)
                        frac = 1;
                int fill = (int) (frac * 24);
                for (int i = 0; i < 24; i++)
                        bar[i] = i < fill ? '#' : '.';
                bar[24] = '\0';
                double bps = secs > 0 ? (double) n.bytes / secs : 0;
                if (bps > 0)
                        snprintf(eta, sizeof(eta), " ETA %.0fs", (double) (p->total - (long long) n.bytes) / bps);
                fprintf(stderr, "\r\033[K[%s] %3.0f%% %.1f/%.1f MB  %.0f lines/s%s  %llu rejected", bar, frac * 100,
                        (double) n.bytes / 1e6, (double) p->total / 1e6, rate, eta, n.rejected);
        } else {
                fprintf(stderr, "\r\033[K%.1f MB  %llu lines  %.0f lines/s  %llu rejected", (double) n.bytes / 1e6,
                        n.lines, rate, n.rejected);
        }
        if (last)
                fputc('\n', stderr);
        fflush(stderr);
}

static bool parse_count(const char *text, long max, long *ret)
{
        char *end;
        long v = strtol(text, &end, 10);
        if (*text == '\0' || *end != '\0' || v < 1 || v > max)
                return false;
        *ret = v;
        return true;
}

int gd_cmd_import(int argc, char **argv)
{
        struct gd_cli_overrides o = {0};
        const char *rejects_path = NULL, *batch_text = NULL, *jobs_text = NULL;
        const char *pos[1] = {NULL};
        const struct gd_option opts[] = {
                {"database-url", &o.database_url, NULL},
                {"rejects", &rejects_path, NULL},
                {"batch-size", &batch_text, NULL},
                {"jobs", &jobs_text, NULL},
                {NULL, NULL, NULL}};
        int n_pos = 0;
        int exit_code;
        if (!gd_cli_args(argc, argv, 2, opts, pos, 1, &n_pos, usage, &exit_code))
                return exit_code;
        if (n_pos != 1) {
                fprintf(stderr, "guestd: import needs one FILE (or - for standard input); see guestd import --help\n");
                return GD_EXIT_USAGE;
        }
        long batch = GD_IMPORT_DEFAULT_BATCH;
        if (batch_text && !parse_count(batch_text, 10000, &batch)) {
                fprintf(stderr, "guestd: --batch-size must be a whole number from 1 to 10000\n");
                return GD_EXIT_USAGE;
        }
        long jobs = DEFAULT_JOBS;
        if (jobs_text && !parse_count(jobs_text, MAX_JOBS, &jobs)) {
                fprintf(stderr, "guestd: --jobs must be a whole number from 1 to %d\n", MAX_JOBS);
                return GD_EXIT_USAGE;
        }
        struct gd_config cfg;
        if (!gd_config_load(&cfg, &o))
                return GD_EXIT_USAGE;

        int rc = GD_EXIT_FAILURE;
        struct progress p = {.tty = isatty(STDERR_FILENO) == 1, .total = -1, .rejects = stderr};
        struct gd_conn *conns[MAX_JOBS] = {NULL};
        char *buf = NULL;
        bool from_stdin = strcmp(pos[0], "-") == 0;
        FILE *in = from_stdin ? stdin : fopen(pos[0], "rb");
        if (!in) {
                fprintf(stderr, "guestd: cannot open %s: %s\n", pos[0], strerror(errno));
                return GD_EXIT_USAGE;
        }
        struct stat st;
        if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode))
                p.total = (long long) st.st_size;
        if (rejects_path && !(p.rejects = fopen(rejects_path, "w"))) {
                fprintf(stderr, "guestd: cannot write %s: %s\n", rejects_path, strerror(errno));
                rc = GD_EXIT_USAGE;
                goto out;
        }

        struct gd_db_config dbc = gd_cli_db_config(&cfg);
        dbc.timeout_ms = 120000; /* one batch, not the whole import */
        dbc.statement_timeout_ms = 120000;
        struct gd_error err = {0};
        char request_id[32];
        snprintf(request_id, sizeof(request_id), "import-%ld", (long) getpid());
        buf = malloc(CHUNK);
        enum gd_err e = buf ? GD_OK : gd_error_set(&err, GD_ERR_NOMEM, NULL);
        for (long i = 0; i < jobs && e == GD_OK; i++)
                e = gd_conn_open(&dbc, true, &conns[i], &err);
        if (e == GD_OK)
                e = gd_importer_new(conns, (size_t) jobs, "guestd import", request_id, (size_t) batch,
                                    time(NULL), on_result, &p, &p.im, &err);
        p.started = now_s();
        while (e == GD_OK) {
                size_t got = fread(buf, 1, CHUNK, in);
                if (got > 0)
                        e = gd_importer_feed(p.im, buf, got, &err);
                draw(&p, false);
                if (got < CHUNK) {
                        if (ferror(in)) {
                                fprintf(stderr, "guestd: reading %s failed: %s\n", pos[0], strerror(errno));
                                goto out;
                        }
                        break;
                }
        }
        if (e == GD_OK)
                e = gd_importer_finish(p.im, &err);
        if (p.im)
                draw(&p, true);
        if (e != GD_OK) {
                fprintf(stderr, "guestd: import failed: %s\n", err.cause[0] ? err.cause : gd_err_to_string(e));
                goto out;
        }
        if (p.rejects != stderr && fflush(p.rejects) != 0) {
                fprintf(stderr, "guestd: writing %s failed: %s\n", rejects_path, strerror(errno));
                goto out;
        }
        struct gd_import_counts n;
        gd_importer_counts(p.im, &n);
        double secs = now_s() - p.started;
        json_t *summary = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "lines", (json_int_t) n.lines,
                                    "created", (json_int_t) n.created, "updated", (json_int_t) n.updated, "rejected",
                                    (json_int_t) n.rejected, "batches", (json_int_t) n.batches, "bytes",
                                    (json_int_t) n.bytes, "seconds", secs, "guests_per_second",
                                    secs > 0 ? (double) (n.created + n.updated) / secs : 0.0);
        char *text = summary ? json_dumps(summary, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
        if (text)
                printf("%s\n", text);
        free(text);
        json_decref(summary);
        if (p.tty)
                fprintf(stderr, "%llu created, %llu updated, %llu rejected in %.1f s (%.0f guests/s)\n", n.created,
                        n.updated, n.rejected, secs, secs > 0 ? (double) (n.created + n.updated) / secs : 0.0);
        rc = n.rejected ? GD_EXIT_REJECTED : GD_EXIT_OK;
out:
        gd_importer_free(p.im);
        for (long i = 0; i < MAX_JOBS; i++)
                gd_conn_free(conns[i]);
        free(buf);
        if (p.rejects && p.rejects != stderr)
                fclose(p.rejects);
        if (!from_stdin)
                fclose(in);
        return rc;
}
